"""The cases of test/Integration/quantize-ref-run.mlir, shared by its
generator (`python3 quantize_cases.py > ../quantize-ref-run.mlir`) and its
checker (quantize_check_ref.py).

Each case quantizes one input with one quantizer, then dequantizes the codes
with fqt.dequantize; the compiled program prints, per case and in this order,
the input, codes, scale, offset (if any), transform (if any) and dequantized
values, each flattened to 1-D, floats as their IEEE bits.
"""

import numpy as np

F32 = np.float32


def _inputs():
    rng = np.random.default_rng(20240611)
    d = {}
    # Mixed signs, a few exact zeros.
    a = rng.normal(0, 1, (4, 8)).astype(F32)
    a[1, 2] = a[3, 7] = 0
    d["A"] = a
    d["C"] = np.full((2, 3), 5.0, F32)  # constant: zero-width range
    p = np.abs(rng.normal(0, 1, (4, 8))).astype(F32)  # non-negative
    p[0, :3] = 0
    d["P"] = p
    t = np.abs(rng.normal(0, 1, (4, 8))).astype(F32)  # tiny negative part
    t[2, 5] = F32(-1e-3)
    d["T"] = t
    z = rng.normal(0, 2, (6, 10)).astype(F32)
    z[rng.random((6, 10)) < 0.3] = 0
    d["Z"] = z
    # Rows of very different scales; row 2 constant (zero-width row range).
    r = (rng.normal(0, 1, (6, 3, 4)) *
         np.array([1, 1e-3, 1, 30, 0.1, 2])[:, None, None]).astype(F32)
    r[2] = F32(2.5)
    d["R"] = r
    # BHQ: two large rows, the others small (docs/quantizers.md §5.5.7 in
    # small).
    s = (rng.normal(0, 1, (8, 6)) *
         np.array([1e-2, 1, 3e-3, 5e-3, 2, 1e-2, 4e-3, 2e-2])[:, None]).astype(F32)
    d["S"] = s
    d["S3"] = (rng.normal(0, 1, (5, 2, 3)) *
               np.array([1, 1e-2, 2e-2, 3, 5e-3])[:, None, None]).astype(F32)
    return d


INPUTS = _inputs()

# name, quantizer, bits, input, code type, rounding override, key
# (seed, step, stream) or None, gamma, dynamic dim 0.
CASES = [
    dict(name="act8", kind="act", bits=8, x="A", code="i8"),
    dict(name="act4_const", kind="act", bits=4, x="C", code="i8"),
    dict(name="weight8", kind="weight", bits=8, x="A", code="i8"),
    dict(name="weight4_nonneg", kind="weight", bits=4, x="P", code="i8"),
    dict(name="weight4_tinyneg", kind="weight", bits=4, x="T", code="i8"),
    dict(name="weight1_nonneg", kind="weight", bits=1, x="P", code="i8"),
    dict(name="ptq4", kind="ptq", bits=4, x="Z", code="i8", key=(7, 3, 1)),
    dict(name="ptq1", kind="ptq", bits=1, x="Z", code="i8", key=(7, 3, 9)),
    dict(name="ptq4_nearest", kind="ptq", bits=4, x="Z", code="i8",
         nearest=True),
    dict(name="ptq8", kind="ptq", bits=8, x="A", code="i8", key=(7, 4, 2)),
    dict(name="ptq8_same", kind="ptq", bits=8, x="A", code="i8", key=(7, 4, 2)),
    dict(name="ptq8_step5", kind="ptq", bits=8, x="A", code="i8",
         key=(7, 5, 2)),
    dict(name="psq4", kind="psq", bits=4, x="R", code="i8", key=(11, 0, 5)),
    dict(name="psq4_dyn", kind="psq", bits=4, x="R", code="i8",
         key=(11, 0, 5), dynamic=True),
    dict(name="percol8", kind="percol", bits=8, x="R", code="i8",
         key=(11, 1, 6)),
    # Zero on each group's grid: the exact zeros of Z stay exactly 0; R has
    # rows of one sign (range widened to 0) and a constant row.
    dict(name="psqz4", kind="psqz", bits=4, x="Z", code="i8",
         key=(11, 2, 10)),
    dict(name="psqz4_rows", kind="psqz", bits=4, x="R", code="i8",
         key=(11, 3, 11)),
    dict(name="psqz4_nonneg", kind="psqz", bits=4, x="P", code="i8",
         key=(11, 4, 12)),
    dict(name="percolz4", kind="percolz", bits=4, x="Z", code="i8",
         key=(11, 5, 13)),
    dict(name="percolz8", kind="percolz", bits=8, x="R", code="i8",
         key=(11, 6, 14)),
    dict(name="lbt4", kind="lbt", bits=4, x="A", code="i4", key=(3, 9, 7),
         gamma=0.5),
    dict(name="bhq5", kind="bhq", bits=5, x="S", code="i8", key=(5, 2, 8)),
    dict(name="bhq5_dyn", kind="bhq", bits=5, x="S", code="i8",
         key=(5, 2, 8), dynamic=True),
    dict(name="bhq4_rank3", kind="bhq", bits=4, x="S3", code="i8",
         key=(-6, 1, 4294967295)),
]

ATTR = {"act": "act", "weight": "weight", "ptq": "ptq", "psq": "psq",
        "psqz": "psq", "percol": "percol", "percolz": "percol", "lbt": "lbt",
        "bhq": "bhq"}
# Parameters after bits that a kind adds to its attribute.
ATTR_EXTRA = {"psqz": ", zero = snapped", "percolz": ", zero = snapped"}


def scale_shape(kind, shape):
    if kind in ("psq", "psqz", "bhq"):
        return shape[:1]
    if kind in ("percol", "percolz"):
        return shape[1:]
    return ()


def has_offset(kind):
    return kind != "lbt"


# -- MLIR generation ---------------------------------------------------------


def _ttype(shape, elem, dynamic=False):
    dims = ["?" if (dynamic and i == 0) else str(d) for i, d in enumerate(shape)]
    return "tensor<" + "".join(d + "x" for d in dims) + elem + ">"


def _dense(x):
    def rec(v):
        if v.ndim == 0:
            text = "%.9g" % float(v)
            return text if any(ch in text for ch in ".en") else text + ".0"
        return "[" + ", ".join(rec(e) for e in v) + "]"
    if x.ndim == 0:
        return "dense<%s>" % rec(x)
    return "dense<%s>" % rec(x)


def _flatten(name, shape, elem, out, tmp):
    """Lines turning %name of `shape` into %out : tensor<?xelem>."""
    t = _ttype(shape, elem)
    lines = []
    if len(shape) == 0:
        lines.append(f"  %{tmp} = tensor.expand_shape %{name} [] output_shape [1]"
                     f" : {t} into tensor<1x{elem}>")
        src, st = tmp, f"tensor<1x{elem}>"
    elif len(shape) == 1:
        src, st = name, t
    else:
        n = int(np.prod(shape))
        group = ", ".join(str(i) for i in range(len(shape)))
        lines.append(f"  %{tmp} = tensor.collapse_shape %{name} [[{group}]]"
                     f" : {t} into tensor<{n}x{elem}>")
        src, st = tmp, f"tensor<{n}x{elem}>"
    lines.append(f"  %{out} = tensor.cast %{src} : {st} to tensor<?x{elem}>")
    return lines


PRINTERS = """
func.func private @printMemrefI32(memref<*xi32>)

// Prints floats as their IEEE bits, codes as i32 (zero- or sign-extended).
func.func @print_bits(%t: tensor<?xf32>) {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %t, %c0 : tensor<?xf32>
  %e = tensor.empty(%n) : tensor<?xi32>
  %b = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                       iterator_types = ["parallel"]}
      ins(%t : tensor<?xf32>) outs(%e : tensor<?xi32>) {
  ^bb0(%a: f32, %o: i32):
    %v = arith.bitcast %a : f32 to i32
    linalg.yield %v : i32
  } -> tensor<?xi32>
  %m = bufferization.to_buffer %b : tensor<?xi32> to memref<?xi32>
  %u = memref.cast %m : memref<?xi32> to memref<*xi32>
  call @printMemrefI32(%u) : (memref<*xi32>) -> ()
  return
}

"""


def _code_printer(name, elem, extend):
    """A printer of codes as i32 (`extend`: arith.extsi or arith.extui)."""
    return f"""
func.func @{name}(%t: tensor<?x{elem}>) {{
  %c0 = arith.constant 0 : index
  %n = tensor.dim %t, %c0 : tensor<?x{elem}>
  %e = tensor.empty(%n) : tensor<?xi32>
  %b = linalg.generic {{indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                       iterator_types = ["parallel"]}}
      ins(%t : tensor<?x{elem}>) outs(%e : tensor<?xi32>) {{
  ^bb0(%a: {elem}, %o: i32):
    %v = {extend} %a : {elem} to i32
    linalg.yield %v : i32
  }} -> tensor<?xi32>
  %m = bufferization.to_buffer %b : tensor<?xi32> to memref<?xi32>
  %u = memref.cast %m : memref<?xi32> to memref<*xi32>
  call @printMemrefI32(%u) : (memref<*xi32>) -> ()
  return
}}
"""


PRINTERS += (_code_printer("print_u8", "i8", "arith.extui") +
             _code_printer("print_s4", "i4", "arith.extsi"))
PRINT_S8 = _code_printer("print_s8", "i8", "arith.extsi")


def generate():
    out = []
    out.append("""// RUN: fqt-opt %s --fqt-lower-quantize --fqt-cpu-pipeline \\
// RUN:   | mlir-runner -e main -entry-point-result=void \\
// RUN:     -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \\
// RUN:   | %python %S/Inputs/quantize_check_ref.py | FileCheck %s

// GENERATED by Inputs/quantize_cases.py (python3 quantize_cases.py >
// quantize-ref-run.mlir); edit the cases there.
//
// Every quantizer compiled for the CPU (fqt.quantize, then fqt.dequantize),
// compared with Inputs/quantizers_ref.py: codes, scales, offsets, BHQ
// transforms and dequantized values bit for bit with the float32 reference
// (same Philox stream; BHQ's product with T^-1 within float32 rounding),
// scales and offsets within 1e-6 relative of the float64 formulas of
// docs/quantizers.md.
""")
    for c in CASES:
        out.append(f"// CHECK: {c['name']}: ok")
    out.append("// CHECK: all cases ok")
    out.append(PRINTERS)
    for c in CASES:
        x = INPUTS[c["x"]]
        kind, bits = c["kind"], c["bits"]
        dyn = c.get("dynamic", False)
        shape = x.shape
        it = _ttype(shape, "f32", dyn)
        ct = _ttype(shape, c["code"], dyn)
        ss = scale_shape(kind, shape)
        sdyn = dyn and kind in ("psq", "psqz", "bhq")
        st = _ttype(ss, "f32", sdyn)
        q = f"#fqt.{ATTR[kind]}<bits = {bits}{ATTR_EXTRA.get(kind, '')}"
        if c.get("nearest"):
            q += ", rounding = nearest"
        q += ">"
        key = c.get("key")
        args = [f"%x: {it}"]
        if "gamma" in c:
            args.append("%gamma: f32")
        results = [ct, st]
        if has_offset(kind):
            results.append(st)
        if kind == "bhq":
            n = "?" if dyn else str(shape[0])
            results.append(f"tensor<{n}x{n}xf32>")
        results.append(it)
        out.append(f"func.func @{c['name']}({', '.join(args)}) -> ({', '.join(results)}) {{")
        names = ["%q", "%s"]
        if has_offset(kind):
            names.append("%z")
        if kind == "bhq":
            names.append("%t")
        keytext = ""
        if key:
            out.append(f"  %seed = arith.constant {key[0]} : i64")
            out.append(f"  %step = arith.constant {key[1]} : i64")
            keytext = " seed(%seed, %step)"
        gtext = " gamma(%gamma)" if "gamma" in c else ""
        stream = f", stream = {key[2]} : i64" if key else ""
        rtypes = [ct, st]
        if has_offset(kind):
            rtypes.append("offset " + st)
        if kind == "bhq":
            rtypes.append("transform " + results[3])
        out.append(f"  {', '.join(names)} = fqt.quantize %x{keytext}{gtext}"
                   f" {{quantizer = {q}{stream}}}")
        out.append(f"      : {it} -> {', '.join(rtypes)}")
        dops = ", ".join(names[1:3] if has_offset(kind) else names[1:2])
        ttext = " transform(%t)" if kind == "bhq" else ""
        dtypes = [ct, st] + ([st] if has_offset(kind) else []) + \
            ([results[3]] if kind == "bhq" else [])
        out.append(f"  %d = fqt.dequantize %q scale({dops}){ttext} {{quantizer = {q}}}")
        out.append(f"      : {', '.join(dtypes)} -> {it}")
        out.append(f"  return {', '.join(names + ['%d'])} : {', '.join(results)}")
        out.append("}")
        out.append("")

    out.append("func.func @main() {")
    for name, x in INPUTS.items():
        out.append(f"  %in_{name} = arith.constant {_dense(x)} : {_ttype(x.shape, 'f32')}")
    for i, c in enumerate(CASES):
        x = INPUTS[c["x"]]
        kind = c["kind"]
        dyn = c.get("dynamic", False)
        shape = x.shape
        it = _ttype(shape, "f32", dyn)
        ct = _ttype(shape, c["code"], dyn)
        ss = scale_shape(kind, shape)
        sdyn = dyn and kind in ("psq", "psqz", "bhq")
        st = _ttype(ss, "f32", sdyn)
        p = f"c{i}_"
        out.append(f"  // {c['name']}")
        arg = f"%in_{c['x']}"
        if dyn:
            out.append(f"  %{p}x = tensor.cast {arg} : {_ttype(shape, 'f32')} to {it}")
            arg = f"%{p}x"
        args, atypes = [arg], [it]
        if "gamma" in c:
            out.append(f"  %{p}gamma = arith.constant {c['gamma']} : f32")
            args.append(f"%{p}gamma")
            atypes.append("f32")
        res = [f"{p}q", f"{p}s"] + ([f"{p}z"] if has_offset(kind) else []) + \
            ([f"{p}t"] if kind == "bhq" else []) + [f"{p}d"]
        rtypes = [ct, st] + ([st] if has_offset(kind) else [])
        if kind == "bhq":
            n = "?" if dyn else str(shape[0])
            rtypes.append(f"tensor<{n}x{n}xf32>")
        rtypes.append(it)
        out.append(f"  {', '.join('%' + r for r in res)} = call @{c['name']}({', '.join(args)})"
                   f" : ({', '.join(atypes)}) -> ({', '.join(rtypes)})")

        def emit(var, vshape, vtype, elem, printer, k):
            """Prints %var (of type vtype, static shape vshape)."""
            src = var
            static = _ttype(vshape, elem)
            if vtype != static:
                out.append(f"  %{var}_s = tensor.cast %{var} : {vtype} to {static}")
                src = f"{var}_s"
            out.extend(_flatten(src, vshape, elem, f"{p}f{k}", f"{p}r{k}"))
            out.append(f"  call @{printer}(%{p}f{k}) : (tensor<?x{elem}>) -> ()")

        emit(f"in_{c['x']}", shape, _ttype(shape, "f32"), "f32", "print_bits", 0)
        emit(f"{p}q", shape, ct, c["code"],
             "print_u8" if c["code"] == "i8" else "print_s4", 1)
        emit(f"{p}s", ss, st, "f32", "print_bits", 2)
        if has_offset(kind):
            emit(f"{p}z", ss, st, "f32", "print_bits", 3)
        if kind == "bhq":
            emit(f"{p}t", (shape[0], shape[0]), rtypes[3], "f32", "print_bits", 4)
        emit(f"{p}d", shape, it, "f32", "print_bits", 5)
    out.append("  return")
    out.append("}")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(generate(), end="")
