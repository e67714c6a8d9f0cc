#!/usr/bin/python3
"""Generates the ODS of the `onnx` import dialect from ONNX's own op schemas.

Like onnx-mlir's utils/gen_onnx_mlir.py, but for the ops fqt imports only.
Reads `onnx.defs.get_schema(name, max_inclusive_version=OPSET, domain='')`
for every op of SUPPORTED_OPS and writes dialects/ONNX/ONNXOps.gen.td. The
output is checked in and deterministic; re-run by hand when the list or the
opset changes (it needs the `onnx` package, e.g. Debian's /usr/bin/python3):

    /usr/bin/python3 scripts/gen_onnx_ods.py            # writes the file
    /usr/bin/python3 scripts/gen_onnx_ods.py --check    # fails if stale

Conventions (onnx-mlir's):
  * every ONNX input is one operand; optional inputs are
    `AnyTypeOf<[AnyTensor, NoneType]>` and an absent one is the result of
    `onnx.NoValue`; variadic inputs are `Variadic<AnyTensor>`;
  * optional outputs are always-present results of the same type, `none`
    typed when the node did not ask for them; variadic outputs are
    `Variadic<AnyTensor>`;
  * attributes keep ONNX's names and map INT -> SI64Attr, FLOAT -> F32Attr,
    STRING -> StrAttr, INTS -> I64ArrayAttr, FLOATS -> F32ArrayAttr,
    STRINGS -> StrArrayAttr, TENSOR -> ElementsAttr; GRAPH and SPARSE_TENSOR
    attributes are skipped. Schema defaults become DefaultValuedAttr, other
    optional attributes OptionalAttr;
  * ONNX type constraints are not encoded, only listed in the description.
"""

import argparse
import inspect
import os
import re
import struct
import sys

import onnx
from onnx import defs, helper

OPSET = 17

SUPPORTED_OPS = [
    "Gemm", "MatMul", "Conv", "ConvTranspose", "Relu", "LeakyRelu", "Sigmoid",
    "HardSigmoid", "HardSwish",
    "Tanh", "Erf", "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Reciprocal",
    "Exp", "Log", "Neg", "Abs", "Clip", "Where", "Equal", "Less", "Greater",
    "Not", "Cast", "Identity", "Constant", "ConstantOfShape", "Shape",
    "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Concat",
    "Split", "Slice", "Gather", "Expand", "Range", "MaxPool", "AveragePool",
    "GlobalAveragePool", "BatchNormalization", "LayerNormalization",
    "Softmax", "LogSoftmax", "ReduceMean", "ReduceSum", "ReduceMax",
    "Dropout", "SoftmaxCrossEntropyLoss", "NegativeLogLikelihoodLoss",
    # Elementwise math, activations, logic and variadic min/max.
    "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh",
    "Acosh", "Atanh", "Ceil", "Floor", "Round", "Sign", "IsNaN", "IsInf",
    "Elu", "Selu", "Softplus", "Softsign", "ThresholdedRelu", "Max", "Min",
    "And", "Or", "Xor", "Mod", "BitShift",
    # Reductions.
    "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare",
    "ReduceLogSum", "ReduceLogSumExp", "ArgMax", "ArgMin",
    # Indexing.
    "GatherElements", "Trilu", "CumSum", "Tile", "EyeLike", "DepthToSpace",
    "SpaceToDepth",
    # More activations and pooling.
    "Shrink", "Hardmax", "GlobalMaxPool",
]

# The training operators of ONNX training graphs (TrainingInfoProto), from
# the `ai.onnx.preview.training` domain at its version 1.
TRAINING_DOMAIN = "ai.onnx.preview.training"
TRAINING_OPSET = 1
TRAINING_OPS = ["Gradient", "Momentum", "Adagrad", "Adam"]

# Operands fqt adds after ONNX's: Gradient names the differentiated value y
# by an attribute only; fqt's importer also passes it as an operand, so that
# the op depends on it in SSA form and the training passes can find it.
EXTRA_OPERANDS = {
    "Gradient": ("AnyTensor:$y_value",
                 "`y_value`: the value the `y` attribute names (an operand "
                 "fqt adds, so that the op depends on it)"),
}

AttrType = defs.OpSchema.AttrType
Option = defs.OpSchema.FormalParameterOption

ATTR_TYPES = {
    AttrType.INT: "SI64Attr",
    AttrType.FLOAT: "F32Attr",
    AttrType.STRING: "StrAttr",
    AttrType.INTS: "I64ArrayAttr",
    AttrType.FLOATS: "F32ArrayAttr",
    AttrType.STRINGS: "StrArrayAttr",
    AttrType.TENSOR: "ElementsAttr",
}

OPTIONAL_TYPE = "AnyTypeOf<[AnyTensor, NoneType]>"

OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir,
                      "dialects", "ONNX", "ONNXOps.gen.td")


def sanitize(text):
    """Makes `text` safe inside a TableGen `[{ ... }]` string."""
    text = text.replace("}]", "} ]").replace("[{", "[ {")
    # Keep the generated file ASCII: ONNX docs use a few typographic marks.
    text = (text.replace("\u2019", "'").replace("\u2018", "'")
            .replace("\u201c", '"').replace("\u201d", '"')
            .replace("\u2013", "-").replace("\u2014", "-"))
    text = text.encode("ascii", "replace").decode("ascii")
    return "\n".join(line.rstrip() for line in text.splitlines()).strip()


def clean_doc(doc):
    return sanitize(inspect.cleandoc(doc or ""))


def first_sentence(doc):
    paragraph = re.split(r"\n\s*\n", doc, maxsplit=1)[0]
    paragraph = " ".join(paragraph.split())
    match = re.search(r"(?<=[.:;])\s", paragraph)
    sentence = paragraph[:match.start()] if match else paragraph
    sentence = sentence.rstrip(".:; ")
    if len(sentence) > 100:
        sentence = sentence[:100].rsplit(" ", 1)[0] + " ..."
    return sentence


def cpp_float(value):
    """Shortest decimal that rounds to the same f32 as `value`."""
    target = struct.unpack("f", struct.pack("f", value))[0]
    for digits in range(1, 18):
        text = "%.*g" % (digits, target)
        if struct.unpack("f", struct.pack("f", float(text)))[0] == target:
            break
    if not re.search(r"[.eEn]", text):
        text += ".0"
    return text


def attr_def(attr):
    """The ODS constraint of one ONNX attribute, or None to skip it."""
    base = ATTR_TYPES.get(attr.type)
    if base is None:
        return None
    if attr.required:
        return base
    default = attr.default_value
    if not default.name:
        return "OptionalAttr<%s>" % base
    value = helper.get_attribute_value(default)
    if attr.type == AttrType.INT:
        text = str(value)
    elif attr.type == AttrType.FLOAT:
        text = cpp_float(value)
    elif attr.type == AttrType.STRING:
        return 'DefaultValuedStrAttr<StrAttr, "%s">' % value.decode("utf-8")
    elif attr.type == AttrType.INTS:
        text = "{" + ", ".join(str(v) for v in value) + "}"
    elif attr.type == AttrType.FLOATS:
        text = "{" + ", ".join(cpp_float(v) + "f" for v in value) + "}"
    else:
        # STRINGS and TENSOR defaults do not occur in the supported ops.
        sys.exit("unsupported default for attribute %s" % attr.name)
    return 'DefaultValuedAttr<%s, "%s">' % (base, text)


def value_type(param, heterogeneous_ok=False):
    if param.option == Option.Optional:
        return OPTIONAL_TYPE
    if param.option == Option.Variadic:
        if not param.isHomogeneous and not heterogeneous_ok:
            sys.exit("heterogeneous variadic %s unsupported" % param.name)
        return "Variadic<AnyTensor>"
    return "AnyTensor"


def describe_params(params, what):
    lines = []
    for p in params:
        note = ""
        if p.option == Option.Optional:
            note = (", optional: `onnx.NoValue` when absent" if what == "input"
                    else ", optional: `none` typed when not requested")
        elif p.option == Option.Variadic:
            note = ", variadic"
        lines.append("- `%s` (%s%s)" % (p.name, p.typeStr, note))
    return lines


def gen_op(name, domain=""):
    schema = defs.get_schema(
        name, max_inclusive_version=TRAINING_OPSET if domain else OPSET,
        domain=domain)
    doc = clean_doc(schema.doc)
    # The training operators take their tensors as one variadic list whose
    # parts have different types (X, G, V for Momentum); types are not
    # encoded anyway.
    heterogeneous_ok = bool(domain)
    version = schema.since_version

    names = [p.name for p in schema.inputs] + [p.name for p in schema.outputs]
    names += list(schema.attributes)
    if len(set(names)) != len(names):
        sys.exit("%s: operand, result and attribute names collide" % name)

    args = ["%s:$%s" % (value_type(p, heterogeneous_ok), p.name)
            for p in schema.inputs]
    extra = EXTRA_OPERANDS.get(name)
    if extra:
        args.append(extra[0])
    skipped = []
    for attr_name in sorted(schema.attributes):
        attr = schema.attributes[attr_name]
        constraint = attr_def(attr)
        if constraint is None:
            skipped.append(attr_name)
            continue
        args.append("%s:$%s" % (constraint, attr_name))
    results = ["%s:$%s" % (value_type(p, heterogeneous_ok), p.name)
               for p in schema.outputs]

    if domain:
        description = [doc, "", "ONNX domain `%s`, since version %d." %
                       (domain, version)]
    else:
        description = [doc, "", "ONNX opset since version %d." % version]
    if schema.inputs:
        description += ["", "Inputs:"] + describe_params(schema.inputs, "input")
        if extra:
            description.append("- " + extra[1])
    description += ["", "Outputs:"] + describe_params(schema.outputs, "output")
    if schema.type_constraints:
        description += ["", "Type constraints (listed, not verified):"]
        for tc in schema.type_constraints:
            description.append("- `%s`: %s. %s" % (
                tc.type_param_str, ", ".join(tc.allowed_type_strs),
                " ".join(sanitize(tc.description).split())))
    if skipped:
        description += ["", "Not imported: the %s attribute%s." % (
            ", ".join("`%s`" % s for s in skipped),
            "s" if len(skipped) > 1 else "")]

    def indent(lines):
        return "\n".join(("    " + l) if l else "" for l in lines)

    def join(items):
        return (",\n" + " " * 4).join(items)

    out = []
    out.append("//===" + "-" * 70 + "===//")
    out.append("// %s (%ssince opset %d)" %
               (name, domain + " " if domain else "", version))
    out.append("//===" + "-" * 70 + "===//")
    out.append("")
    out.append('def ONNX%sOp : ONNX_Op<"%s", [Pure]> {' % (name, name))
    out.append("  let summary = [{ONNX %s: %s}];" %
               (name, first_sentence(doc)))
    out.append("  let description = [{")
    out.append(indent("\n".join(description).splitlines()))
    out.append("  }];")
    out.append("  let arguments = (ins%s);" %
               (("\n    " + join(args)) if args else ""))
    out.append("  let results = (outs\n    %s);" % join(results))
    # `operands` before an empty operand list would print a double space.
    out.append('  let assemblyFormat = "%sattr-dict `:` '
               'functional-type(operands, results)";' %
               ("operands " if schema.inputs else ""))
    out.append("  let extraClassDeclaration = [{")
    out.append("    static constexpr int onnxSinceVersion = %d;" % version)
    out.append("  }];")
    out.append("}")
    out.append("")
    return "\n".join(out)


def generate():
    header = """\
//===- ONNXOps.gen.td - ONNX ops from ONNX's schemas -------*- tablegen -*-===//
//
// GENERATED by scripts/gen_onnx_ods.py from the schemas of ONNX %s at
// opset <= %d. Do not edit: change the script and re-run it
// (/usr/bin/python3 scripts/gen_onnx_ods.py).
//
// Included from ONNXOps.td.
//
//===----------------------------------------------------------------------===//

""" % (onnx.__version__, OPSET)
    return header + "\n".join(
        [gen_op(name) for name in SUPPORTED_OPS] +
        [gen_op(name, TRAINING_DOMAIN) for name in TRAINING_OPS])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=os.path.normpath(OUTPUT))
    parser.add_argument("--check", action="store_true",
                        help="fail if the output file is not up to date")
    args = parser.parse_args()
    text = generate()
    if args.check:
        with open(args.output, encoding="utf-8") as f:
            if f.read() != text:
                sys.exit("%s is stale: re-run %s" % (args.output, sys.argv[0]))
        return
    with open(args.output, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


if __name__ == "__main__":
    main()
