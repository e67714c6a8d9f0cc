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
    include/fqt/Conversion/Philox.h. Dynamic sizes are read with `tensor.dim`.

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
    Exposes the Philox-4x32-10 builders of include/fqt/Conversion/Philox.h to
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

def FQTLowerQMatmul : Pass<"fqt-lower-qmatmul"> {
  let summary = "Compute quantized products on integer codes";
  let description = [{
    Rewrites `fqt.qmatmul` into an integer contraction of the codes (i8
    operands, i32 accumulators) followed by an f32 epilogue that applies the
    scales and zero points. With `a = sa * qa + oa` and `b = sb * qb + ob`
    and scales constant along the reduction (per tensor, per row of the left
    operand, per column of the right operand):

    ```
    C[m,n] = sa[m] sb[n] P[m,n] + sa[m] ob[n] RA[m] + oa[m] sb[n] CB[n]
           + K oa[m] ob[n]
    P = qa * qb (i32),  RA[m] = sum_k qa[m,k],  CB[n] = sum_k qb[k,n]
    ```

    The contraction is a `linalg.generic` whose body extends the codes to
    i32 (`arith.extui` for the unsigned codes of asymmetric quantizers,
    `arith.extsi` for symmetric ones), multiplies and adds;
    `--fqt-tile-and-vectorize` turns it into VNNI / `vpmaddwd` kernels. A
    `#fqt.bhq` left operand has its inverse transform applied to the rows of
    the result, as `fqt.dequantize` would have.

    A scale that varies along the reduction (the per-row scale of a
    transposed left operand, the per-column scale of a non-transposed one,
    and the mirror cases on the right) cannot leave the integer sum. Where
    that scale is shared by blocks of consecutive reduction indices (a
    per-sample `psq`/`bhq` dY on the wgrad path of a convolution: one scale
    per sample, OH*OW rows each), the reduction runs block by block in an
    `scf.for`: each block an i32 contraction of the code slices with its own
    f32 epilogue (the block's scale and offset, code sums over the block),
    added to an f32 accumulator. Scales that change at every reduction index
    (blocks of one) would make every multiply-add a float one; those
    products, products with both scales along the reduction, and codes other
    than i8 and i4 are left for `--fqt-simulate-qmatmul` (float product of the
    dequantized codes).

    Afterwards every `fqt.qmatmul` on i8 or i4 codes whose scales are constant
    along the reduction, or constant over blocks of it, is gone.
  }];
  let options = [
    Option<"kBlocks", "k-blocks", "bool", /*default=*/"true",
           "Lower products whose scale varies along the reduction in blocks "
           "(scf.for over the blocks); off: leave them to simulate mode">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif // FQT_CONVERSION_PASSES_TD
