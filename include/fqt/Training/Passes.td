//===- Passes.td - fqt training passes ---------------------*- tablegen -*-===//

#ifndef FQT_TRAINING_PASSES_TD
#define FQT_TRAINING_PASSES_TD

include "mlir/Pass/PassBase.td"

def FQTBuildTraining : Pass<"fqt-build-training", "::mlir::ModuleOp"> {
  let summary = "Build train, eval and gradient steps from an imported forward function";
  let description = [{
    Differentiates the imported forward function (`onnx` dialect, with its
    initializers as `ml_program.global` constants) at the graph level and
    adds the optimizer update. The module afterwards holds, in place of the
    forward function:

    ```
    func @init() -> (param..., state...)
    func @train_step(param..., state..., input..., label, lr, step, seed)
        -> (loss, param'..., state'...)
    func @eval_step(param..., input..., label) -> (sample_loss, output)
    func @grad_step(param..., input..., label, step, seed) -> (loss, grad...)
    func @qat_grad_step(...)  // the same; --fqt-insert-quantizers gives it
                              // forward quantizers only (the QAT gradient)
    ```

    A BatchNormalization in training mode (`training_mode = 1`, as
    `torch.onnx.export(..., training=TrainingMode.TRAINING)` writes it)
    normalizes with the batch statistics in `train_step` and `grad_step`,
    and its running mean and variance initializers become `state` (named as
    the initializers) that `init` returns, `train_step` takes and returns
    updated as the op's `running_mean`/`running_var` outputs say
    (`running * momentum + batch * (1 - momentum)`, population variance),
    and `eval_step` takes and normalizes with (inference mode).

    Every argument and result carries its `fqt.slot`, a `#fqt.slot<KIND,
    "NAME">` (KIND one of param, state, weight, input, label, hyper, loss,
    sample_loss, output, grad; NAME the ONNX name), which the fqt dialect
    verifies; `lr`, `step` and `seed` are rank-0 tensors. The parameters are the float
    initializers that receive a gradient (or those named by `trainable`).

    The forward ops stay `onnx` ops except the products: `Gemm`, `MatMul` and
    `Conv` (through im2col) become `linalg.matmul`s, and so do the two
    gradient products of each (dX = dY * W^T and dW = dY^T * X). A Conv
    with group G > 1 (depthwise included) has the products of its groups
    instead: one `linalg.generic` contraction over (g, m, n, k) per product
    whose operands are the group-1 matrices (X's im2col matrix, W as
    [OC, C/G*KH*KW], dY as [N*OH*OW, OC]) expanded to [G, size / G] in the
    dimension that holds the channels. Each product carries
    `fqt.product = {layer = NODE, role = "fwd" | "dgrad" | "wgrad",
    grad = OPERAND}` (and `groups = G` on a grouped one), and the backward products read the same SSA values
    (the saved activation and weight) as the forward one: that is where
    `--fqt-insert-quantizers` puts its quantizers. The other gradient rules
    emit `linalg`/`tensor`/`arith` on tensors; gradients of values used more
    than once are summed, and values that do not lead to a parameter get no
    gradient work. Batched MatMuls (rank >= 3 operands, e.g. attention's
    Q * K^T and P * V, whose operands are both activations) stay
    `onnx.MatMul` forward and become float `linalg.generic` contractions
    backward, untagged: they have no weight for the quantizer roles.
    Integer shape computations (Shape, Gather, Add, Div, Concat, Equal,
    Where, ConstantOfShape ... of constants, as PyTorch exports around
    Slice, Reshape and Expand) are folded first, and the results they bound
    get static types.

    Losses: `softmax-cross-entropy` (ONNX `SoftmaxCrossEntropyLoss`, mean
    reduction, `ignore-index`) and `mse` on the first forward result.

    Optimizers follow the update rules of ONNX's `ai.onnx.preview.training`
    operators: `sgd`, `momentum` and `nesterov` (ONNX `Momentum`), `adagrad`,
    `adam`; `weight-decay` is their `norm_coefficient`.

    `entry-points` selects the step functions: `grad_step` and
    `qat_grad_step` each hold a whole forward and backward pass, as large as
    `train_step`'s, and only gradient dumps and variance reports call them.
    `init` and `train_step` are always built, except that `split-train`
    builds the training step as two functions in its place, for
    data-parallel training (the runtime averages the gradients and running
    statistics of all processes between them):

    ```
    func @train_grad_step(param..., stat..., input..., label, step, seed)
        -> (loss, grad..., stat'...)
    func @apply_update(param..., state..., grad..., lr, step)
        -> (param'..., state'...)
    ```

    The module gets `fqt.program` (`#fqt.program<loss, optimizer, lr>`):
    with the functions' `#fqt.slot`s, `--fqt-emit-entry-points` writes from
    it the description the runtime reads (format in
    include/fqt/Runtime/Model.h).

    Shapes must be static (bind a symbolic batch at import).
  }];
  let options = [
    Option<"forwardName", "forward", "std::string", "\"forward\"",
           "Name of the forward function to differentiate">,
    Option<"loss", "loss", "std::string", "\"softmax-cross-entropy\"",
           "Loss on the first forward result: softmax-cross-entropy or mse">,
    Option<"ignoreIndex", "ignore-index", "int64_t", "-100",
           "Label ignored by softmax-cross-entropy">,
    Option<"optimizer", "optimizer", "std::string", "\"sgd\"",
           "sgd, momentum, nesterov, adagrad or adam">,
    Option<"learningRate", "lr", "double", "0.01",
           "Default learning rate of the training executable (the step "
           "functions take it as an argument)">,
    Option<"momentum", "momentum", "double", "0.9",
           "Momentum/Nesterov alpha; Adam's first-moment decay">,
    Option<"momentumBeta", "momentum-beta", "double", "1.0",
           "Momentum/Nesterov beta (the gradient's coefficient)">,
    Option<"beta2", "beta2", "double", "0.999",
           "Adam's second-moment decay">,
    Option<"epsilon", "epsilon", "double", "1e-6",
           "Adagrad/Adam epsilon">,
    Option<"decayFactor", "decay-factor", "double", "0.0",
           "Adagrad learning-rate decay factor">,
    Option<"weightDecay", "weight-decay", "double", "0.0",
           "L2 coefficient added to the gradient (ONNX norm_coefficient)">,
    ListOption<"trainable", "trainable", "std::string",
               "Initializers to train (default: every float initializer "
               "that reaches the loss)">,
    ListOption<"entryPoints", "entry-points", "std::string",
               "The step functions to build besides init: train, eval, grad, "
               "qat-grad (default: all four; train is always built), or "
               "split-train in place of train">
  ];
  let dependentDialects = ["::fqt::FQTDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect"];
}

def FQTLowerTrainingOps : Pass<"fqt-lower-training-ops", "::mlir::ModuleOp"> {
  let summary = "Lower ONNX's training operators (Gradient, Momentum, Adagrad, Adam)";
  let description = [{
    Rewrites the operators of ONNX's `ai.onnx.preview.training` domain,
    which ONNX training graphs use, into `linalg`/`arith` on tensors, next
    to the `onnx` ops that --fqt-convert-onnx-to-linalg lowers afterwards:

    - `onnx.Gradient`: the gradient of the sum of `y`'s elements with respect
      to each value of `xs`, by the reverse pass --fqt-build-training uses
      (the same gradient rules). `y` is the op's last operand.
    - `onnx.Momentum` (standard and Nesterov), `onnx.Adagrad`, `onnx.Adam`:
      for each parameter of the op's lists, the update rule of ONNX's
      specification, the one --fqt-build-training's optimizers emit.

    Afterwards no training operator is left; one that cannot be lowered
    (non-f32 tensors, lists of unequal length, a `y` without a gradient
    rule on its path) is reported with the reason and the pass fails.

    ```mlir
    %x1, %v1 = onnx.Momentum %r, %t, %x, %g, %v {alpha = 0.9 : f32,
        beta = 1.0 : f32, mode = "standard", norm_coefficient = 0.0 : f32}
        : (tensor<f32>, tensor<i64>, tensor<4xf32>, tensor<4xf32>,
           tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif // FQT_TRAINING_PASSES_TD
