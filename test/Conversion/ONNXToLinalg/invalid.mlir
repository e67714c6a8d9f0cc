// RUN: fqt-opt %s --split-input-file --fqt-convert-onnx-to-linalg -verify-diagnostics

// A run-time shape of unknown length for a dynamic result cannot be read.
func.func @reshape_dynamic_shape(%x: tensor<2x3xf32>, %shape: tensor<?xi64>) -> tensor<?x?xf32> {
  // expected-error @below {{'onnx.Reshape' op could not be lowered to linalg on tensors}}
  %0 = onnx.Reshape %x, %shape : (tensor<2x3xf32>, tensor<?xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// Run-time axes and a dynamic result: which dimensions are new is unknown.
func.func @unsqueeze_dynamic_axes(%x: tensor<?x4xf32>, %axes: tensor<1xi64>) -> tensor<?x1x4xf32> {
  // expected-error @below {{'onnx.Unsqueeze' op could not be lowered to linalg on tensors}}
  %0 = onnx.Unsqueeze %x, %axes : (tensor<?x4xf32>, tensor<1xi64>) -> tensor<?x1x4xf32>
  return %0 : tensor<?x1x4xf32>
}

// -----

// Slice with starts of unknown length.
func.func @slice_dynamic_starts(%x: tensor<4xf32>, %s: tensor<?xi64>) -> tensor<?xf32> {
  %none = onnx.NoValue
  // expected-error @below {{'onnx.Slice' op could not be lowered to linalg on tensors}}
  %0 = onnx.Slice %x, %s, %s, %none, %none : (tensor<4xf32>, tensor<?xi64>, tensor<?xi64>, none, none) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// A Gather axis out of range.
func.func @gather_bad_axis(%x: tensor<4xf32>, %i: tensor<2xi64>) -> tensor<2xf32> {
  // expected-error @below {{'onnx.Gather' op could not be lowered to linalg on tensors}}
  %0 = onnx.Gather %x, %i {axis = 1 : si64} : (tensor<4xf32>, tensor<2xi64>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// An op without a lowering.
func.func @unsupported_op(%x: tensor<4xf32>) -> tensor<4xi1> {
  // expected-error @+1 {{'onnx.Not' op could not be lowered to linalg on tensors}}
  %0 = onnx.Not %x : (tensor<4xf32>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

// The input channels (4) do not split into 3 groups.
func.func @grouped_conv_channels(%x: tensor<1x4x5x5xf32>, %w: tensor<3x1x3x3xf32>) -> tensor<1x3x3x3xf32> {
  %none = onnx.NoValue
  // expected-error @below {{'onnx.Conv' op could not be lowered to linalg on tensors}}
  %0 = onnx.Conv %x, %w, %none {group = 3 : si64} : (tensor<1x4x5x5xf32>, tensor<3x1x3x3xf32>, none) -> tensor<1x3x3x3xf32>
  return %0 : tensor<1x3x3x3xf32>
}

// -----

// Inference mode with the running statistics used.
func.func @batch_norm_running_stats(%x: tensor<2x3xf32>, %s: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @below {{'onnx.BatchNormalization' op could not be lowered to linalg on tensors}}
  %y, %rm, %rv = onnx.BatchNormalization %x, %s, %s, %s, %s
      : (tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %rm : tensor<3xf32>
}

// -----

// Scale over more dimensions than are normalized.
func.func @layer_norm_bad_scale(%x: tensor<2x3xf32>, %s: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %none = onnx.NoValue
  // expected-error @below {{'onnx.LayerNormalization' op could not be lowered to linalg on tensors}}
  %y, %m, %i = onnx.LayerNormalization %x, %s, %none : (tensor<2x3xf32>, tensor<2x3xf32>, none) -> (tensor<2x3xf32>, none, none)
  return %y : tensor<2x3xf32>
}

// -----

func.func @unranked(%x: tensor<*xf32>) -> tensor<*xf32> {
  // expected-error @below {{'onnx.Relu' op could not be lowered to linalg on tensors}}
  %0 = onnx.Relu %x : (tensor<*xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// The target must have the input's rank minus the class dimension.
func.func @nll_bad_target(%x: tensor<3x5xf32>, %t: tensor<3x5xi64>) -> tensor<f32> {
  %none = onnx.NoValue
  // expected-error @below {{'onnx.NegativeLogLikelihoodLoss' op could not be lowered to linalg on tensors}}
  %0 = onnx.NegativeLogLikelihoodLoss %x, %t, %none : (tensor<3x5xf32>, tensor<3x5xi64>, none) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @nll_bad_reduction(%x: tensor<3x5xf32>, %t: tensor<3xi64>) -> tensor<f32> {
  %none = onnx.NoValue
  // expected-error @below {{'onnx.NegativeLogLikelihoodLoss' op could not be lowered to linalg on tensors}}
  %0 = onnx.NegativeLogLikelihoodLoss %x, %t, %none {reduction = "max"} : (tensor<3x5xf32>, tensor<3xi64>, none) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Clip bounds must be scalars.
func.func @clip_vector_bound(%x: tensor<3xf32>, %lo: tensor<3xf32>) -> tensor<3xf32> {
  %none = onnx.NoValue
  // expected-error @below {{'onnx.Clip' op could not be lowered to linalg on tensors}}
  %0 = onnx.Clip %x, %lo, %none : (tensor<3xf32>, tensor<3xf32>, none) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Where wants a boolean condition.
func.func @where_float_condition(%c: tensor<3xf32>, %x: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @below {{'onnx.Where' op could not be lowered to linalg on tensors}}
  %0 = onnx.Where %c, %x, %x : (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// A Cast of an unranked operand.
func.func @cast_unranked(%x: tensor<*xf32>) -> tensor<*xf64> {
  // expected-error @below {{'onnx.Cast' op could not be lowered to linalg on tensors}}
  %0 = onnx.Cast %x {to = 11 : si64} : (tensor<*xf32>) -> tensor<*xf64>
  return %0 : tensor<*xf64>
}

// -----

// A comparison's result is boolean.
func.func @less_float_result(%a: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @below {{'onnx.Less' op could not be lowered to linalg on tensors}}
  %0 = onnx.Less %a, %a : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// training_mode must be a boolean scalar.
func.func @dropout_bad_training_mode(%x: tensor<3xf32>, %t: tensor<3xi1>) -> tensor<3xf32> {
  %none = onnx.NoValue
  // expected-error @below {{'onnx.Dropout' op could not be lowered to linalg on tensors}}
  %0, %1 = onnx.Dropout %x, %none, %t : (tensor<3xf32>, none, tensor<3xi1>) -> (tensor<3xf32>, none)
  return %0 : tensor<3xf32>
}

// -----

// Pooling needs static spatial dimensions.
func.func @max_pool_dynamic_spatial(%x: tensor<1x1x?x4xf32>) -> tensor<1x1x?x2xf32> {
  // expected-error @below {{'onnx.MaxPool' op could not be lowered to linalg on tensors}}
  %0, %1 = onnx.MaxPool %x {kernel_shape = [2, 2], strides = [2, 2]}
      : (tensor<1x1x?x4xf32>) -> (tensor<1x1x?x2xf32>, none)
  return %0 : tensor<1x1x?x2xf32>
}

// -----

// An unknown auto_pad.
func.func @average_pool_bad_auto_pad(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32> {
  // expected-error @below {{'onnx.AveragePool' op could not be lowered to linalg on tensors}}
  %0 = onnx.AveragePool %x {auto_pad = "SAME", kernel_shape = [2, 2], strides = [2, 2]}
      : (tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32>
  return %0 : tensor<1x1x2x2xf32>
}

// -----

// Run-time axes with keepdims and a dynamic dimension: which one is reduced
// is unknown.
func.func @reduce_sum_runtime_axes_dynamic(%x: tensor<?x2xf32>, %axes: tensor<1xi64>) -> tensor<?x2xf32> {
  // expected-error @below {{'onnx.ReduceSum' op could not be lowered to linalg on tensors}}
  %0 = onnx.ReduceSum %x, %axes : (tensor<?x2xf32>, tensor<1xi64>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @conv_transpose_grouped(%x: tensor<1x2x3x3xf32>, %w: tensor<2x1x3x3xf32>) -> tensor<1x2x5x5xf32> {
  %none = onnx.NoValue
  // expected-error @below {{'onnx.ConvTranspose' op could not be lowered to linalg on tensors}}
  %0 = onnx.ConvTranspose %x, %w, %none {group = 2 : si64} : (tensor<1x2x3x3xf32>, tensor<2x1x3x3xf32>, none) -> tensor<1x2x5x5xf32>
  return %0 : tensor<1x2x5x5xf32>
}

// -----

// The result size disagrees with the attributes.
func.func @conv_transpose_bad_size(%x: tensor<1x1x3x3xf32>, %w: tensor<1x1x3x3xf32>) -> tensor<1x1x4x4xf32> {
  %none = onnx.NoValue
  // expected-error @below {{'onnx.ConvTranspose' op could not be lowered to linalg on tensors}}
  %0 = onnx.ConvTranspose %x, %w, %none : (tensor<1x1x3x3xf32>, tensor<1x1x3x3xf32>, none) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}
