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

// The scratch memory the caller passes (--fqt-plan-workspace) is an argument.
// CHECK-LABEL: func.func @with_workspace(
// CHECK-SAME: {fqt.slot = #fqt.slot<workspace, "workspace">}
func.func @with_workspace(%ws: memref<64xi8> {fqt.slot = #fqt.slot<workspace, "workspace">}) {
  return
}

// -----

// expected-error @below {{result #0 is a 'workspace' slot, which only arguments can be}}
func.func @returns_workspace() -> (tensor<64xi8> {fqt.slot = #fqt.slot<workspace, "workspace">}) {
  %c = arith.constant dense<0> : tensor<64xi8>
  return %c : tensor<64xi8>
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

// -----

// The program's configuration, on its module.
// CHECK: module attributes {fqt.program = #fqt.program<loss = "mse", optimizer = "adam", lr = 1.000000e-03, quantizers = {act = "ptq:8", mode = "integer"}>}
module attributes {fqt.program = #fqt.program<loss = "mse", optimizer = "adam", lr = 1.0e-3, quantizers = {act = "ptq:8", mode = "integer"}>} {
}

// -----

// expected-error @below {{'fqt.program' must be a #fqt.program, got "sgd"}}
module attributes {fqt.program = "sgd"} {
}

// -----

// expected-error @below {{#fqt.program lr must be positive, got -1.000000e+00}}
module attributes {fqt.program = #fqt.program<loss = "mse", optimizer = "sgd", lr = -1.0>} {
}

// -----

// expected-error @below {{#fqt.program quantizer 'act' must be a string such as "ptq:8"}}
module attributes {fqt.program = #fqt.program<loss = "mse", optimizer = "sgd", lr = 0.1, quantizers = {act = 8 : i64}>} {
}

// -----

module {
  // expected-error @below {{'fqt.program' belongs on a module}}
  func.func @f() attributes {fqt.program = #fqt.program<loss = "mse", optimizer = "sgd", lr = 0.1>} {
    return
  }
}

// -----

// expected-error @below {{'fqt.slot' belongs on the arguments and results of a function, not on an operation}}
func.func @f() attributes {fqt.slot = #fqt.slot<param, "w">} {
  return
}
