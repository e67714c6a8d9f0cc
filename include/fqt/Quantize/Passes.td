//===- Passes.td - fqt quantization passes -----------------*- tablegen -*-===//

#ifndef FQT_QUANTIZE_PASSES_TD
#define FQT_QUANTIZE_PASSES_TD

include "mlir/Pass/PassBase.td"

def FQTQuantizeBeforeIm2col : Pass<"fqt-quantize-before-im2col"> {
  let summary = "Quantize a convolution's padded input, not its im2col matrix";
  let description = [{
    A convolution's forward product reads the im2col matrix of its padded
    input, which holds each input element once per kernel position. An
    `fqt.quantize` of that matrix (through `tensor.collapse_shape` and
    `tensor.expand_shape`) with a per-tensor quantizer that rounds to
    nearest (`#fqt.act`, `#fqt.weight`) becomes an `fqt.quantize` of the
    gather's source and the same gather of the codes. Each element is
    rounded on its own by a range that depends only on the set of values,
    so the codes, the scale and the offset are the same, for a ninth of the
    work with a 3x3 kernel and an im2col of bytes instead of floats.

    Only gathers that read every element of their source qualify: one input,
    all loops parallel, the body yields the input element, and each source
    dimension indexed by one loop of its extent or by the sum of two loops
    that cover it (a window of stride and dilation 1 over every position),
    so the range over the gathered values equals the range over the
    source, padding zeros included. Stochastic quantizers, whose noise is
    keyed by the element's index in the quantized tensor, stay.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def FQTInsertQuantizers : Pass<"fqt-insert-quantizers", "::mlir::ModuleOp"> {
  let summary = "Quantize the operands of every forward and backward product";
  let description = [{
    Rewrites each `linalg.matmul` that `--fqt-build-training` tagged with
    `fqt.product = {layer, role, grad}` so that its operands are quantized by
    the policy's quantizer for their role:

    | product (`role`) | gradient operand | other operand |
    |---|---|---|
    | forward (`fwd`) | - | `act` for the activation, `weight` for a parameter |
    | dX = dY W^T (`dgrad`) | `dgrad` | the same quantized W as the forward product |
    | dW = dY^T X (`wgrad`) | `wgrad` (`dgrad` with `shared-grad`) | the same quantized X as the forward product |

    A value quantized by one quantizer is quantized once per function, so
    the backward products read exactly the codes the forward product used,
    as fully quantized training requires for the unbiased-estimator
    argument. Stochastic quantizers draw from the step function's `seed`
    and `step` arguments, with one `stream` per quantize op.

    Quantizers are written `none`, `ptq:B`, `psq:B`, `bhq:B`, `percol:B`,
    `lbt:B` (and `act:B`, `weight:B`). On the `act` and `weight` roles `ptq:B` means the
    forward quantizers of Chen et al. (per-tensor, nearest rounding). The
    defaults are Chen et al.'s released setup: 8-bit forward, 8-bit
    per-tensor gradients; `--fqt-insert-quantizers="dgrad=psq:4"` makes the
    data gradient 4-bit per-sample. `layer` overrides one layer's role by
    its ONNX node name: `layer=fc1:dgrad=none`.

    `lbt:B` (Kim et al.) clips at gamma * max|g| with a per-layer gamma that
    is training state: each function with an lbt quantizer takes a scalar
    `state` argument `LAYER.ROLE.lbt_gamma` (after its params and state),
    the function that returns params (train_step) also returns the next
    gamma (docs/quantizers.md §4.3: calibration on the first step, then
    +-gamma_step by the clipped fraction), `init` returns 0 ("not calibrated
    yet": that step quantizes with gamma = 1); the new buffers carry
    `#fqt.slot<state, "LAYER.ROLE.lbt_gamma">`, so the runtime carries and
    checkpoints gamma like optimizer state. The module's `#fqt.program`
    gets the policy by role (`quantizers = {act = ..., mode = ...}`). Unlike the reference code, the calibrating step also updates the
    parameters (with the gradient quantized at gamma = 1).

    `mode=simulate` inserts `fqt.quantize` + `fqt.dequantize` and keeps the
    f32 product (the papers' reference semantics); `mode=integer` replaces
    the product by `fqt.qmatmul` on the codes.

    A grouped convolution's products are `linalg.generic` contractions over
    (g, m, n, k) tagged `fqt.product = {..., groups = G}`, whose operands
    are `tensor.expand_shape`s of the 2-D matrices of a group-1 convolution
    (X's im2col matrix, W as [OC, C/G*KH*KW], dY as [N*OH*OW, OC]) with one
    dimension split into G blocks. The quantizers see those 2-D matrices,
    as for group 1 (one per-tensor scale over all groups, per-sample scales
    over all of a sample's channels); `mode=integer` makes the product an
    `scf.for` over the groups of `fqt.qmatmul` on each group's block of the
    codes (and of per-column scales), inserted into the 2-D result.

    Errors: a malformed or unknown quantizer, a per-sample or per-column
    quantizer on the weight role, BHQ on fewer than 3 rows or on a
    transposed gradient, an override naming no layer, lbt on a layer whose
    name has whitespace.
  }];
  let options = [
    Option<"act", "act", "std::string", "\"ptq:8\"",
           "Forward activation quantizer">,
    Option<"weight", "weight", "std::string", "\"ptq:8\"",
           "Forward weight quantizer">,
    Option<"dgrad", "dgrad", "std::string", "\"ptq:8\"",
           "Quantizer of dY on its way to dX = dY * W^T">,
    Option<"wgrad", "wgrad", "std::string", "\"ptq:8\"",
           "Quantizer of dY on its way to dW = dY^T * X">,
    Option<"sharedGrad", "shared-grad", "bool", "false",
           "Quantize dY once (with the dgrad quantizer) for both products">,
    Option<"mode", "mode", "std::string", "\"simulate\"",
           "simulate (quantize + dequantize, f32 products) or integer "
           "(fqt.qmatmul on codes)">,
    ListOption<"layerOverrides", "layer", "std::string",
               "Per-layer overrides NODE:ROLE=QUANTIZER">
  ];
  let dependentDialects = ["::fqt::FQTDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif // FQT_QUANTIZE_PASSES_TD
