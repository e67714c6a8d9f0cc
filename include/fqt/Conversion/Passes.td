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

def FQTConvertONNXToLinalg : Pass<"fqt-convert-onnx-to-linalg",
                                  "::mlir::ModuleOp"> {
  let summary = "Lower the forward-pass onnx ops to linalg on tensors";
  let description = [{
    Rewrites the forward-pass ops of the `onnx` dialect into upstream
    dialects on tensors so that `--fqt-cpu-pipeline` can bufferize the
    function and take it to LLVM:

    - `ml_program.global_load_const` of an immutable `ml_program.global`
      with a value becomes an `arith.constant` of that value (dense or
      dense_resource), and immutable globals left without uses are erased;
    - `onnx.Constant` becomes `arith.constant`; Identity is forwarded;
    - Add/Sub/Mul/Div (numpy broadcasting of statically size-1 dimensions),
      Relu, LeakyRelu, Sigmoid, Tanh, Exp, Log, Sqrt, Neg, Abs, Reciprocal
      and Erf become one elementwise `linalg.generic` (arith/math body);
    - Gemm and 2-D MatMul become `linalg.matmul` (with `linalg.transpose`
      for transA/transB, and a generic for alpha, beta and C); batched
      MatMul a `linalg.generic` broadcasting the leading dimensions;
    - Conv (2-D, group 1) becomes `tensor.pad` + `linalg.conv_2d_nchw_fchw`
      (+ a bias generic); MaxPool/AveragePool `tensor.pad` +
      `linalg.pooling_nchw_max/sum`; GlobalAveragePool, ReduceMean/Sum/Max,
      Softmax and LogSoftmax reduction generics; BatchNormalization
      (inference) one generic;
    - Reshape (constant shape, 0 and -1), Flatten, Squeeze, Unsqueeze
      become `tensor.collapse_shape`/`tensor.expand_shape`; Transpose
      `linalg.transpose`; Concat `tensor.insert_slice`s.

    Dynamic dimensions (a dynamic batch) are sized with `tensor.dim`.
    Afterwards no `onnx` op remains (unused `onnx.NoValue`s are erased):
    the pass fails with an error on every onnx op it could not lower (an
    unsupported op or attribute, a non-constant shape operand), at the op's
    location, which carries the ONNX node name.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif // FQT_CONVERSION_PASSES_TD
