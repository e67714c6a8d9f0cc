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

def FQTLowerQuantize : Pass<"fqt-lower-quantize"> {
  let summary = "Lower fqt.quantize to linalg on tensors";
  let description = [{
    Rewrites every `fqt.quantize` into `linalg.generic` reductions (the
    ranges: min/max per tensor, per row or per column, max|g| for LBT), a
    `linalg.generic` over the scale shape computing each group's scale,
    offset and multiplier, and one elementwise `linalg.generic` that scales,
    clamps and rounds every element to its code, for every quantizer of
    fqt (docs/quantizers.md):

    - `#fqt.act`, `#fqt.psq`, `#fqt.percol`: range [min - 1e-8, max + 1e-8]
      per tensor / row / column, code = round((x - min) * B / range),
      scale = range / B, offset = min (B = 2^bits - 1);
    - `#fqt.weight`, `#fqt.ptq`: range widened to contain 0 with the zero
      point snapped to the integer code iq = floor(-min * B / range), so
      that 0 is the code iq and dequantizes to exactly 0
      (offset = -(iq * scale)); where iq would be 0 (the reference code
      divides by zero there) the zero point is code 0 (no negative element)
      or 1 (a negative part smaller than one bin) and the maximum sets the
      scale, or, with one bit, plain min/max;
    - `#fqt.lbt`: symmetric signed codes in [-(2^(bits-1) - 1),
      2^(bits-1) - 1] with scale c / (2^(bits-1) - 1), c = gamma * max|g|,
      clipping |g| > c;
    - `#fqt.bhq`: rows grouped by range (leader + followers), each group
      rotated by a Householder reflection and scaled by the w^(-1/3) rule
      (built with `scf` loops over the rows on tensors), then quantized per
      row; the `transform` result is T^-1.

    A range of zero width (a constant tensor, row or column) gets width 1
    instead of dividing by zero. Nearest rounding is `math.roundeven`;
    stochastic rounding is floor(y) + (u < y - floor(y)) with u the uniform
    of Philox-4x32-10 keyed by (seed, step, stream, element index), see
    include/fqt/Quantize/Philox.h. Dynamic sizes are read with `tensor.dim`.

    Afterwards no `fqt.quantize` remains. The pass fails, with an error at
    the op, on a `stream` attribute outside [0, 2^32).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

def FQTTestPhilox : Pass<"fqt-test-philox", "::mlir::ModuleOp"> {
  let summary = "Test only: give Philox test functions their bodies";
  let description = [{
    Exposes the Philox-4x32-10 builders of include/fqt/Quantize/Philox.h to
    tests. Every function declaration named `fqt_test_philox4x32_10` of type
    `(i32, i32, i32, i32, i32, i32) -> (i32, i32, i32, i32)` (counter words,
    key words -> output words) or `fqt_test_philox_uniform` of type
    `(i64, i64, i64, i64) -> f32` (seed, step, stream, index -> uniform)
    gets a body built by those functions; nothing else changes.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect"];
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
    - Conv (2-D) becomes `tensor.pad` + `linalg.conv_2d_nchw_fchw`
      (+ a bias generic); with group G > 1 (depthwise included) the channels
      are split into [G, C / G] (`tensor.expand_shape`) for
      `linalg.conv_2d_ngchw_gfchw`, whose result is collapsed back to NCHW; MaxPool/AveragePool `tensor.pad` +
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

def FQTEstimateMemory : Pass<"fqt-estimate-memory", "::mlir::ModuleOp"> {
  let summary = "Estimate the peak memory of each step function; refuse "
                "programs over a limit";
  let description = [{
    For every function on tensors (the training, evaluation and gradient
    steps, after `fqt-convert-onnx-to-linalg`), walks its body in program
    order and adds up the bytes of the tensors that are live at each op:
    the arguments (parameters, inputs) throughout, an op's results from
    that op to their last use. The largest sum is the estimated peak,
    stored as the function's `fqt.peak_memory` attribute (bytes, i64).
    Temporaries inside loops and the buffers bufferization reuses are not
    modelled, and tensors of dynamic size count as empty: the figure is an
    estimate of what one step allocates, not a bound.

    With `report`, each function gets a remark with its estimate. With
    `limit` > 0 (bytes), a function whose estimate exceeds it is an error
    naming both figures, before any code is generated: a model or a batch
    size that cannot fit fails at compile time, not with an out-of-memory
    kill of the training run.
  }];
  let options = [
    Option<"limit", "limit", "int64_t", /*default=*/"0",
           "Largest accepted estimate in bytes (0: no limit)">,
    Option<"report", "report", "bool", /*default=*/"false",
           "Emit a remark with each function's estimate">,
  ];
}

#endif // FQT_CONVERSION_PASSES_TD
