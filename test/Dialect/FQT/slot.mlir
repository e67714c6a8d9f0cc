// RUN: fqt-opt %s --split-input-file -verify-diagnostics | FileCheck %s

// A step function's interface: every argument and result carries its slot.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: %{{.*}}: tensor<3x4xf32> {fqt.slot = #fqt.slot<param, "fc1.weight">}, %{{.*}}: tensor<f32> {fqt.slot = #fqt.slot<hyper, "lr">})
// CHECK-SAME: -> (tensor<f32> {fqt.slot = #fqt.slot<loss, "loss">}, tensor<3x4xf32> {fqt.slot = #fqt.slot<param, "fc1.weight">})
func.func @train_step(%w: tensor<3x4xf32> {fqt.slot = #fqt.slot<param, "fc1.weight">},
                      %lr: tensor<f32> {fqt.slot = #fqt.slot<hyper, "lr">})
    -> (tensor<f32> {fqt.slot = #fqt.slot<loss, "loss">},
        tensor<3x4xf32> {fqt.slot = #fqt.slot<param, "fc1.weight">}) {
  %l = arith.constant dense<0.0> : tensor<f32>
  return %l, %w : tensor<f32>, tensor<3x4xf32>
}

// -----

// After bufferization a result is an out-parameter: a result slot on an
// argument is fine.
// CHECK-LABEL: func.func @bufferized(
// CHECK-SAME: {fqt.slot = #fqt.slot<loss, "loss">}
func.func @bufferized(%loss: memref<f32> {fqt.slot = #fqt.slot<loss, "loss">}) {
  return
}

// -----

// expected-error @below {{result #0 is a 'weight' slot, which only arguments can be}}
func.func @init() -> (tensor<f32> {fqt.slot = #fqt.slot<weight, "w">}) {
  %c = arith.constant dense<0.0> : tensor<f32>
  return %c : tensor<f32>
}

// -----

// expected-error @below {{'fqt.slot' of argument #0 must be a #fqt.slot, got "param"}}
func.func @f(%w: tensor<f32> {fqt.slot = "param"}) {
  return
}

// -----

// expected-error @below {{#fqt.slot of argument #0 has an empty name}}
func.func @f(%w: tensor<f32> {fqt.slot = #fqt.slot<param, "">}) {
  return
}

// -----

// expected-error @below {{unknown fqt attribute 'fqt.role' on argument #0}}
func.func @f(%w: tensor<f32> {fqt.role = #fqt.slot<param, "w">}) {
  return
}

// -----

// expected-error @+2 {{expected ::fqt::SlotKind to be one of: param, state, weight, input, label, hyper, loss, sample_loss, output, grad}}
// expected-error @+1 {{failed to parse FQT_SlotAttr parameter 'kind'}}
func.func @f(%w: tensor<f32> {fqt.slot = #fqt.slot<bias, "w">}) {
  return
}
