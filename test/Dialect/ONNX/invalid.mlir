// The onnx dialect has no hand-written verifiers: these are the checks ODS
// generates from the schemas (required attributes, attribute kinds, operand
// counts, `none` only where ONNX allows an absent input).
// RUN: fqt-opt %s --split-input-file --verify-diagnostics

func.func @concat_without_axis(%x: tensor<4xf32>) {
  // expected-error @+1 {{'onnx.Concat' op requires attribute 'axis'}}
  %0 = onnx.Concat %x, %x : (tensor<4xf32>, tensor<4xf32>) -> tensor<8xf32>
  return
}

// -----

func.func @absent_required_input() {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.Relu' op operand #0 must be tensor of any type values, but got 'none'}}
  %0 = onnx.Relu %none : (none) -> tensor<4xf32>
  return
}

// -----

func.func @absent_required_output(%x: tensor<4x4xf32>, %w: tensor<4x4xf32>) {
  // expected-error @+1 {{'onnx.MatMul' op result #0 must be tensor of any type values, but got 'none'}}
  %0 = onnx.MatMul %x, %w : (tensor<4x4xf32>, tensor<4x4xf32>) -> none
  return
}

// -----

func.func @float_for_int_attribute(%x: tensor<4xf32>) {
  // expected-error @+1 {{attribute 'to' failed to satisfy constraint: 64-bit signed integer attribute}}
  %0 = onnx.Cast %x {to = 1.0 : f32} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @signless_int_attribute(%x: tensor<4xf32>) {
  // expected-error @+1 {{attribute 'axis' failed to satisfy constraint: 64-bit signed integer attribute}}
  %0 = onnx.Softmax %x {axis = 0 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @optional_input_left_out(%x: tensor<4x4xf32>) {
  // expected-error @+1 {{'onnx.Gemm' op expected 3 operands, but found 2}}
  %0 = onnx.Gemm %x, %x : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return
}
