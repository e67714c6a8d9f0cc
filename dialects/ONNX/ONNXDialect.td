//===- ONNXDialect.td - onnx dialect definition ------------*- tablegen -*-===//
//
// The `onnx` dialect: ONNX operators as imported, one op per ONNX op.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_DIALECT_ONNXDIALECT_TD
#define FQT_DIALECT_ONNXDIALECT_TD

include "mlir/IR/OpBase.td"

def ONNX_Dialect : Dialect {
  let name = "onnx";
  let summary = "ONNX operators at import level";
  let description = [{
    The `onnx` dialect holds an ONNX graph as it was read, before any
    lowering: one op per ONNX operator of the default domain (`onnx.Gemm`,
    `onnx.Conv`, ...), with ONNX's inputs, outputs and attribute names.
    Its ops are generated from ONNX's own op schemas by
    `scripts/gen_onnx_ods.py`, as onnx-mlir does with
    `utils/gen_onnx_mlir.py`, and each records the opset version its
    semantics come from (`onnxSinceVersion`).

    Conventions (onnx-mlir's):

    * every ONNX input is one operand; an absent optional input is the
      `none` result of `onnx.NoValue`, so no operand segment attributes are
      needed; variadic inputs are a single variadic operand;
    * optional outputs are always-present results, `none` typed when the
      ONNX node did not ask for them;
    * attributes keep ONNX's names: INT is `si64`, FLOAT `f32`, INTS an
      array of `i64`, TENSOR an elements attribute; schema defaults are
      default-valued attributes;
    * ONNX type constraints are documented, not verified;
    * integer tensors are signless (`tensor<4xi8>` for both int8 and uint8)
      as arith wants them; an op with unsigned operands carries
      `onnx.unsigned_operands = array<i1: ...>`, one flag per operand, for
      the lowerings whose meaning depends on the signedness (Cast, Div,
      comparisons, Clip, MaxPool, ...).

    ```mlir
    %none = onnx.NoValue
    %y = onnx.Gemm %a, %b, %none {transB = 1 : si64}
        : (tensor<8x4xf32>, tensor<16x4xf32>, none) -> tensor<8x16xf32>
    ```
  }];
  let cppNamespace = "::fqt::onnx";
}

// Base class of every onnx op.
class ONNX_Op<string mnemonic, list<Trait> traits = []>
    : Op<ONNX_Dialect, mnemonic, traits>;

#endif // FQT_DIALECT_ONNXDIALECT_TD
