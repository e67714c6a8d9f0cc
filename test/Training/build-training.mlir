// RUN: fqt-opt %s --split-input-file --fqt-build-training | FileCheck %s
// RUN: fqt-opt %s --split-input-file --fqt-build-training="optimizer=momentum" | FileCheck %s --check-prefix=MOMENTUM
// RUN: fqt-opt %s --split-input-file --fqt-build-training="optimizer=adam" | FileCheck %s --check-prefix=ADAM

// A two-layer MLP: the forward products become tagged matmuls, the first
// layer has no data-gradient product (its input needs no gradient), and the
// model description lists every buffer.

ml_program.global private @w1(dense<0.5> : tensor<3x4xf32>) : tensor<3x4xf32>
ml_program.global private @b1(dense<0.1> : tensor<3xf32>) : tensor<3xf32>
ml_program.global private @w2(dense<0.25> : tensor<2x3xf32>) : tensor<2x3xf32>
func.func @forward(%x: tensor<5x4xf32> {onnx.name = "input"}) -> (tensor<5x2xf32> {onnx.name = "logits"}) {
  %w1 = ml_program.global_load_const @w1 : tensor<3x4xf32>
  %b1 = ml_program.global_load_const @b1 : tensor<3xf32>
  %w2 = ml_program.global_load_const @w2 : tensor<2x3xf32>
  %h = onnx.Gemm %x, %w1, %b1 {transB = 1 : si64} : (tensor<5x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<5x3xf32> loc("fc1")
  %r = onnx.Relu %h : (tensor<5x3xf32>) -> tensor<5x3xf32>
  %none = onnx.NoValue
  %y = onnx.Gemm %r, %w2, %none {transB = 1 : si64} : (tensor<5x3xf32>, tensor<2x3xf32>, none) -> tensor<5x2xf32> loc("fc2")
  return %y : tensor<5x2xf32>
}

// The configuration the runtime reports; the step functions' buffers carry
// their #fqt.slot (the runtime's description is written from both by
// --fqt-emit-entry-points).
// CHECK: module attributes {fqt.program = #fqt.program<loss = "softmax-cross-entropy", optimizer = "sgd", lr = 1.000000e-02>}
// CHECK-NOT: func.func @forward
// The initial values are init's weights, not constants: the initializers
// stay in the module for the driver to take their data (they are not used).
// CHECK-LABEL: func.func @init(
// CHECK-SAME: %[[IW1:[^:]*]]: tensor<3x4xf32> {fqt.slot = #fqt.slot<weight, "w1">}, %[[IB1:[^:]*]]: tensor<3xf32> {fqt.slot = #fqt.slot<weight, "b1">}, %[[IW2:[^:]*]]: tensor<2x3xf32> {fqt.slot = #fqt.slot<weight, "w2">})
// CHECK-SAME: -> (tensor<3x4xf32> {fqt.slot = #fqt.slot<param, "w1">}, tensor<3xf32> {fqt.slot = #fqt.slot<param, "b1">}, tensor<2x3xf32> {fqt.slot = #fqt.slot<param, "w2">})
// CHECK-NEXT: return %[[IW1]], %[[IB1]], %[[IW2]]

// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: %[[W1:[^:]*]]: tensor<3x4xf32> {fqt.slot = #fqt.slot<param, "w1">}
// CHECK-SAME: %[[W2:[^:]*]]: tensor<2x3xf32> {fqt.slot = #fqt.slot<param, "w2">}
// CHECK-SAME: %[[X:[^:]*]]: tensor<5x4xf32> {fqt.slot = #fqt.slot<input, "input">}
// CHECK-SAME: %[[Y:[^:]*]]: tensor<5xi64> {fqt.slot = #fqt.slot<label, "labels">}
// CHECK-SAME: %[[LR:[^:]*]]: tensor<f32> {fqt.slot = #fqt.slot<hyper, "lr">}
// CHECK-SAME: -> (tensor<f32> {fqt.slot = #fqt.slot<loss, "loss">}
// CHECK: %[[H:.*]] = linalg.matmul {{.*}}{fqt.product = {grad = -1 : i64, layer = "fc1", role = "fwd"}} ins(%[[X]], %[[W1]] :
// CHECK: %[[R:.*]] = onnx.Relu
// CHECK: linalg.matmul {{.*}}{fqt.product = {grad = -1 : i64, layer = "fc2", role = "fwd"}} ins(%[[R]], %[[W2]] :
// The backward products read the saved activation and weight.
// CHECK: linalg.matmul {fqt.product = {grad = 0 : i64, layer = "fc2", role = "dgrad"}} ins(%{{.*}}, %[[W2]] :
// CHECK: linalg.matmul {{.*}}{fqt.product = {grad = 0 : i64, layer = "fc2", role = "wgrad"}} ins(%{{.*}}, %[[R]] :
// CHECK-NOT: role = "dgrad"
// CHECK: linalg.matmul {{.*}}{fqt.product = {grad = 0 : i64, layer = "fc1", role = "wgrad"}} ins(%{{.*}}, %[[X]] :
// SGD: w - lr * g
// CHECK: arith.mulf
// CHECK-NEXT: arith.subf
// CHECK: return

// CHECK-LABEL: func.func @eval_step(
// CHECK-SAME: -> (tensor<5xf32> {fqt.slot = #fqt.slot<sample_loss, "sample_loss">}, tensor<5x2xf32> {fqt.slot = #fqt.slot<output, "logits">})
// CHECK-NOT: role = "dgrad"
// CHECK-NOT: role = "wgrad"
// CHECK: return

// CHECK-LABEL: func.func @grad_step(
// CHECK-SAME: -> (tensor<f32> {fqt.slot = #fqt.slot<loss, "loss">}, tensor<3x4xf32> {fqt.slot = #fqt.slot<grad, "w1">}, tensor<3xf32> {fqt.slot = #fqt.slot<grad, "b1">}, tensor<2x3xf32> {fqt.slot = #fqt.slot<grad, "w2">})

// Momentum keeps one state tensor per parameter, zero at init.
// MOMENTUM-LABEL: func.func @init(
// MOMENTUM-SAME: tensor<3x4xf32> {fqt.slot = #fqt.slot<state, "w1.momentum">}
// MOMENTUM: linalg.fill
// MOMENTUM-LABEL: func.func @train_step(
// MOMENTUM-SAME: {fqt.slot = #fqt.slot<state, "w2.momentum">}
// MOMENTUM-SAME: -> (tensor<f32> {fqt.slot = #fqt.slot<loss, "loss">}, {{.*}}, tensor<2x3xf32> {fqt.slot = #fqt.slot<state, "w2.momentum">})
// ONNX Momentum: beta_adjusted = T > 0 ? beta : 1.
// MOMENTUM: arith.cmpi sgt

// ADAM-LABEL: func.func @train_step(
// ADAM-SAME: #fqt.slot<state, "w1.first_moment">
// ADAM-SAME: #fqt.slot<state, "w1.second_moment">
// ADAM: math.powf
// ADAM: math.sqrt

// -----

// Values used twice get their gradients summed.

ml_program.global private @w(dense<0.5> : tensor<4x4xf32>) : tensor<4x4xf32>
func.func @forward(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %w = ml_program.global_load_const @w : tensor<4x4xf32>
  %a = onnx.MatMul %x, %w : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32>
  %b = onnx.MatMul %a, %w : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32>
  %c = onnx.Add %a, %b : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  return %c : tensor<3x4xf32>
}
// CHECK-LABEL: func.func @grad_step(
// Two wgrad products for the one weight, summed.
// CHECK: role = "wgrad"
// CHECK: role = "wgrad"
// CHECK: arith.addf
// CHECK: return
