//===- Passes.td - fqt quantization passes -----------------*- tablegen -*-===//

#ifndef FQT_QUANTIZE_PASSES_TD
#define FQT_QUANTIZE_PASSES_TD

include "mlir/Pass/PassBase.td"

def FQTSimulateQMatmul : Pass<"fqt-simulate-qmatmul"> {
  let summary = "Compute quantized products as dequantize + float matmul";
  let description = [{
    Rewrites every `fqt.qmatmul` into an `fqt.dequantize` of each operand
    (undoing a `#fqt.bhq` transform on the left operand) followed by a float
    `linalg.matmul` whose indexing maps carry the operand transposes.

    This is the `simulate` semantics of fully quantized training, as in the
    papers' reference code: the values are exactly the quantized ones, but
    the product runs in f32. It is the reference the integer lowering is
    checked against. Afterwards no `fqt.qmatmul` remains.

    ```mlir
    %r = fqt.qmatmul %a as #fqt.psq<bits = 4> scale(%sa, %oa),
                     %b as #fqt.weight<bits = 8> scale(%sb, %ob) transposed
        : (...) -> tensor<4x8xf32>
    // becomes
    %da = fqt.dequantize %a scale(%sa, %oa) {quantizer = #fqt.psq<bits = 4>} ...
    %db = fqt.dequantize %b scale(%sb, %ob) {quantizer = #fqt.weight<bits = 8>} ...
    %r = linalg.matmul indexing_maps = [...] ins(%da, %db ...) outs(%zero ...)
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif // FQT_QUANTIZE_PASSES_TD
