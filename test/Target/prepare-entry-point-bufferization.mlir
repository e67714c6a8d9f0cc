// RUN: fqt-opt %s --split-input-file --fqt-prepare-entry-point-bufferization --verify-diagnostics | FileCheck %s

// The runtime owns the buffers: the step functions (whose buffers carry
// #fqt.slot) never write into their arguments; other functions are left
// alone.

module {
  func.func @step(%w: tensor<2x3xf32> {fqt.slot = #fqt.slot<param, "w">},
                  %x: tensor<2xf32> {fqt.slot = #fqt.slot<input, "x">})
      -> (tensor<f32> {fqt.slot = #fqt.slot<loss, "loss">}) {
    %c = arith.constant dense<0.0> : tensor<f32>
    return %c : tensor<f32>
  }
  func.func @helper(%x: tensor<2xf32>) -> tensor<2xf32> {
    return %x : tensor<2xf32>
  }
}

// CHECK-LABEL: func.func @step(
// CHECK-SAME: %{{.*}}: tensor<2x3xf32> {bufferization.writable = false, fqt.slot = #fqt.slot<param, "w">}
// CHECK-SAME: %{{.*}}: tensor<2xf32> {bufferization.writable = false, fqt.slot = #fqt.slot<input, "x">})
// CHECK-LABEL: func.func @helper(
// CHECK-SAME: %{{.*}}: tensor<2xf32>)

// -----

// A value returned twice (two state updates that CSE found equal) gets a
// copy for the repeat: every result is a buffer of its own.
// CHECK-LABEL: func.func @twice(
// CHECK: %[[V:.*]] = arith.addf
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4xf32>
// CHECK: %[[C:.*]] = linalg.copy ins(%[[V]] : tensor<4xf32>) outs(%[[E]] : tensor<4xf32>)
// CHECK: return %[[V]], %[[C]] :
func.func @twice(%s: tensor<4xf32> {fqt.slot = #fqt.slot<state, "s">},
                 %x: tensor<4xf32> {fqt.slot = #fqt.slot<input, "x">})
    -> (tensor<4xf32> {fqt.slot = #fqt.slot<state, "a">},
        tensor<4xf32> {fqt.slot = #fqt.slot<state, "b">}) {
  %v = arith.addf %s, %x : tensor<4xf32>
  return %v, %v : tensor<4xf32>, tensor<4xf32>
}

// -----

// expected-error @+1 {{no step functions (public functions whose arguments and results carry fqt.slot); run --fqt-build-training first}}
module {
}

// -----

module {
  // expected-error @+1 {{step function 'step' has a #fqt.slot on 1 of its 2 arguments and results; the runtime needs all}}
  func.func @step(%w: tensor<2x3xf32> {fqt.slot = #fqt.slot<param, "w">}) -> tensor<f32> {
    %c = arith.constant dense<0.0> : tensor<f32>
    return %c : tensor<f32>
  }
}
