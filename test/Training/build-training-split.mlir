// RUN: fqt-opt %s --split-input-file --fqt-build-training="entry-points=split-train,eval optimizer=momentum" | FileCheck %s
// RUN: fqt-opt %s --split-input-file --fqt-build-training="entry-points=train,split-train" -verify-diagnostics

// split-train builds the training step as two functions, for data-parallel
// training: the gradients (with the running statistics the step updates),
// then the optimizer update from gradients the runtime has averaged over
// the ranks. No train_step.

ml_program.global private @w(dense<0.5> : tensor<2x4xf32>) : tensor<2x4xf32>
// expected-error @below {{entry points train and split-train are two forms of the same step; ask for one}}
func.func @forward(%x: tensor<5x4xf32> {onnx.name = "input"}) -> (tensor<5x2xf32> {onnx.name = "logits"}) {
  %w = ml_program.global_load_const @w : tensor<2x4xf32>
  %none = onnx.NoValue
  %y = onnx.Gemm %x, %w, %none {transB = 1 : si64} : (tensor<5x4xf32>, tensor<2x4xf32>, none) -> tensor<5x2xf32> loc("fc")
  return %y : tensor<5x2xf32>
}

// CHECK-LABEL: func.func @init(
// CHECK-NOT: func.func @train_step
// CHECK-LABEL: func.func @train_grad_step(
// CHECK-SAME: {fqt.slot = #fqt.slot<param, "w">}
// CHECK-SAME: {fqt.slot = #fqt.slot<input, "input">}
// CHECK-SAME: {fqt.slot = #fqt.slot<label, "labels">}
// CHECK-SAME: {fqt.slot = #fqt.slot<hyper, "step">}
// CHECK-SAME: {fqt.slot = #fqt.slot<hyper, "seed">})
// CHECK-SAME: -> (tensor<f32> {fqt.slot = #fqt.slot<loss, "loss">}, tensor<2x4xf32> {fqt.slot = #fqt.slot<grad, "w">})
// The product of the gradient is tagged for the quantizers as in train_step.
// CHECK: linalg.matmul {{.*}}layer = "fc", role = "wgrad"
// CHECK-LABEL: func.func @apply_update(
// CHECK-SAME: %[[W:.*]]: tensor<2x4xf32> {fqt.slot = #fqt.slot<param, "w">}
// CHECK-SAME: %[[M:.*]]: tensor<2x4xf32> {fqt.slot = #fqt.slot<state, "w.momentum">}
// CHECK-SAME: %[[G:.*]]: tensor<2x4xf32> {fqt.slot = #fqt.slot<grad, "w">}
// CHECK-SAME: %{{.*}}: tensor<f32> {fqt.slot = #fqt.slot<hyper, "lr">}
// CHECK-SAME: %{{.*}}: tensor<i64> {fqt.slot = #fqt.slot<hyper, "step">})
// CHECK-SAME: -> (tensor<2x4xf32> {fqt.slot = #fqt.slot<param, "w">}, tensor<2x4xf32> {fqt.slot = #fqt.slot<state, "w.momentum">})
// CHECK-NOT: linalg.matmul
// CHECK: return
// CHECK-LABEL: func.func @eval_step(

// -----

// A training-mode BatchNormalization: train_grad_step takes and returns its
// running statistics (the runtime averages them too); apply_update does
// not see them.
ml_program.global private @scale(dense<1.0> : tensor<3xf32>) : tensor<3xf32>
ml_program.global private @bias(dense<0.0> : tensor<3xf32>) : tensor<3xf32>
ml_program.global private @mean(dense<0.0> : tensor<3xf32>) : tensor<3xf32>
ml_program.global private @var(dense<1.0> : tensor<3xf32>) : tensor<3xf32>
// expected-error @below {{entry points train and split-train are two forms of the same step; ask for one}}
func.func @forward(%x: tensor<4x3xf32> {onnx.name = "input"}) -> (tensor<4x3xf32> {onnx.name = "logits"}) {
  %s = ml_program.global_load_const @scale : tensor<3xf32>
  %b = ml_program.global_load_const @bias : tensor<3xf32>
  %m = ml_program.global_load_const @mean : tensor<3xf32>
  %v = ml_program.global_load_const @var : tensor<3xf32>
  %y, %rm, %rv = onnx.BatchNormalization %x, %s, %b, %m, %v {epsilon = 1.0e-05 : f32, momentum = 0.9 : f32, training_mode = 1 : si64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) loc("bn")
  return %y : tensor<4x3xf32>
}

// CHECK-LABEL: func.func @train_grad_step(
// CHECK-SAME: #fqt.slot<state, "mean">
// CHECK-SAME: #fqt.slot<state, "var">
// CHECK-SAME: -> (tensor<f32> {fqt.slot = #fqt.slot<loss, "loss">}, tensor<3xf32> {fqt.slot = #fqt.slot<grad, "scale">}, tensor<3xf32> {fqt.slot = #fqt.slot<grad, "bias">}, tensor<3xf32> {fqt.slot = #fqt.slot<state, "mean">}, tensor<3xf32> {fqt.slot = #fqt.slot<state, "var">})
// CHECK-LABEL: func.func @apply_update(
// CHECK-NOT: "mean"
// CHECK: return
