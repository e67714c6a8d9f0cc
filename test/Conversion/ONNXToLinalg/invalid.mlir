// RUN: fqt-opt %s --split-input-file --fqt-convert-onnx-to-linalg -verify-diagnostics

// A shape computed at run time cannot be lowered.
func.func @reshape_dynamic_shape(%x: tensor<2x3xf32>, %shape: tensor<2xi64>) -> tensor<3x2xf32> {
  // expected-error @below {{'onnx.Reshape' op could not be lowered to linalg on tensors}}
  %0 = onnx.Reshape %x, %shape : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// An op without a lowering.
func.func @unsupported_op(%x: tensor<4xf32>) -> tensor<4xi1> {
  // expected-error @+1 {{'onnx.Not' op could not be lowered to linalg on tensors}}
  %0 = onnx.Not %x : (tensor<4xf32>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @grouped_conv(%x: tensor<1x4x5x5xf32>, %w: tensor<4x1x3x3xf32>) -> tensor<1x4x3x3xf32> {
  %none = onnx.NoValue
  // expected-error @below {{'onnx.Conv' op could not be lowered to linalg on tensors}}
  %0 = onnx.Conv %x, %w, %none {group = 4 : si64} : (tensor<1x4x5x5xf32>, tensor<4x1x3x3xf32>, none) -> tensor<1x4x3x3xf32>
  return %0 : tensor<1x4x3x3xf32>
}

// -----

func.func @batch_norm_training(%x: tensor<2x3xf32>, %s: tensor<3xf32>) -> tensor<2x3xf32> {
  // expected-error @below {{'onnx.BatchNormalization' op could not be lowered to linalg on tensors}}
  %y, %rm, %rv = onnx.BatchNormalization %x, %s, %s, %s, %s {training_mode = 1 : si64}
      : (tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %y : tensor<2x3xf32>
}

// -----

func.func @unranked(%x: tensor<*xf32>) -> tensor<*xf32> {
  // expected-error @below {{'onnx.Relu' op could not be lowered to linalg on tensors}}
  %0 = onnx.Relu %x : (tensor<*xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}
