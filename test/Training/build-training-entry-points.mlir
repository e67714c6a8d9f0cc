// RUN: fqt-opt %s --split-input-file --fqt-build-training="entry-points=train" | FileCheck %s --check-prefix=TRAIN
// RUN: fqt-opt %s --split-input-file --fqt-build-training="entry-points=train,grad" | FileCheck %s --check-prefix=GRAD
// RUN: fqt-opt %s --split-input-file --fqt-build-training="entry-points=train,eval,grad,qat-grad" | FileCheck %s --check-prefix=ALL
// RUN: fqt-opt %s --split-input-file --fqt-build-training="entry-points=train,backward" -verify-diagnostics

// entry-points selects the step functions besides init and train_step:
// grad_step and qat_grad_step hold a whole forward and backward pass each,
// so a program that only trains does without them.

ml_program.global private @w(dense<0.5> : tensor<2x4xf32>) : tensor<2x4xf32>
// expected-error @below {{unknown entry point 'backward'; expected train, split-train, eval, grad or qat-grad}}
func.func @forward(%x: tensor<5x4xf32> {onnx.name = "input"}) -> (tensor<5x2xf32> {onnx.name = "logits"}) {
  %w = ml_program.global_load_const @w : tensor<2x4xf32>
  %none = onnx.NoValue
  %y = onnx.Gemm %x, %w, %none {transB = 1 : si64} : (tensor<5x4xf32>, tensor<2x4xf32>, none) -> tensor<5x2xf32> loc("fc")
  return %y : tensor<5x2xf32>
}

// Only the functions asked for are built.
// TRAIN-LABEL: func.func @init(
// TRAIN-LABEL: func.func @train_step(
// TRAIN-NOT: func.func @eval_step
// TRAIN-NOT: func.func @grad_step
// TRAIN-NOT: func.func @qat_grad_step

// GRAD-LABEL: func.func @train_step(
// GRAD-NOT: func.func @eval_step
// GRAD-LABEL: func.func @grad_step(
// GRAD-NOT: func.func @qat_grad_step

// ALL-LABEL: func.func @train_step(
// ALL-LABEL: func.func @eval_step(
// ALL-LABEL: func.func @grad_step(
// ALL-LABEL: func.func @qat_grad_step(
