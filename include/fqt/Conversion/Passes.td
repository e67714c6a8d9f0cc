//===- Passes.td - fqt conversion passes -------------------*- tablegen -*-===//

#ifndef FQT_CONVERSION_PASSES_TD
#define FQT_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def FQTLowerDequantize : Pass<"fqt-lower-dequantize"> {
  let summary = "Lower fqt.dequantize to linalg on tensors";
  let description = [{
    Rewrites every `fqt.dequantize` into a `linalg.generic` that converts
    each code to f32 (unsigned codes with `arith.uitofp`, the signed codes of
    symmetric quantizers with `arith.sitofp`) and computes
    `code * scale + offset`, with the scale and offset indexed by the
    quantizer's granularity (none for per-tensor, `d0` for per-row,
    `d1 ... dn` for per-column). A `#fqt.bhq` value is then multiplied by its
    inverse transform on the left (`linalg.matmul` on the rows flattened to
    a matrix).

    Afterwards no `fqt.dequantize` remains and the function is plain
    `linalg`/`tensor`/`arith`, ready for bufferization.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif // FQT_CONVERSION_PASSES_TD
