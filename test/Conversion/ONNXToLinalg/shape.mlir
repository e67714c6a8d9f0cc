// RUN: fqt-opt %s --split-input-file --fqt-convert-onnx-to-linalg | FileCheck %s

// CHECK-LABEL: func.func @constant
// CHECK: %[[C:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK: %[[I:.*]] = arith.constant dense<[3, 4]> : tensor<2xi64>
// CHECK: return %[[C]], %[[I]]
func.func @constant() -> (tensor<2xf32>, tensor<2xi64>) {
  %0 = onnx.Constant {value = dense<[1.0, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %1 = onnx.Constant {value_ints = [3, 4]} : () -> tensor<2xi64>
  return %0, %1 : tensor<2xf32>, tensor<2xi64>
}

// -----

// CHECK-LABEL: func.func @identity
// CHECK-SAME: (%[[X:.*]]: tensor<2xf32>)
// CHECK-NEXT: return %[[X]]
func.func @identity(%x: tensor<2xf32>) -> tensor<2xf32> {
  %0 = onnx.Identity %x : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// 0 copies the input dimension, -1 takes the rest.
// CHECK-LABEL: func.func @reshape
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1, 2]] : tensor<2x3x4xf32> into tensor<24xf32>
// CHECK: tensor.expand_shape %[[FLAT]] {{\[}}[0, 1]] output_shape [2, 12] : tensor<24xf32> into tensor<2x12xf32>
func.func @reshape(%x: tensor<2x3x4xf32>) -> tensor<2x12xf32> {
  %shape = onnx.Constant {value = dense<[0, -1]> : tensor<2xi64>} : () -> tensor<2xi64>
  %0 = onnx.Reshape %x, %shape : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<2x12xf32>
  return %0 : tensor<2x12xf32>
}

// -----

// A dynamic batch kept by 0; the shape from an arith.constant.
// CHECK-LABEL: func.func @reshape_dynamic
// CHECK-SAME: (%[[X:.*]]: tensor<?x6xf32>)
// CHECK: %[[DIM:.*]] = tensor.dim %[[X]]
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[X]]
// CHECK: tensor.expand_shape %[[FLAT]] {{\[}}[0, 1, 2]] output_shape [%[[DIM]], 2, 3] : tensor<?xf32> into tensor<?x2x3xf32>
func.func @reshape_dynamic(%x: tensor<?x6xf32>) -> tensor<?x2x3xf32> {
  %shape = arith.constant dense<[0, 2, 3]> : tensor<3xi64>
  %0 = onnx.Reshape %x, %shape : (tensor<?x6xf32>, tensor<3xi64>) -> tensor<?x2x3xf32>
  return %0 : tensor<?x2x3xf32>
}

// -----

// CHECK-LABEL: func.func @flatten
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2, 3]] : tensor<?x2x3x4xf32> into tensor<?x24xf32>
func.func @flatten(%x: tensor<?x2x3x4xf32>) -> tensor<?x24xf32> {
  %0 = onnx.Flatten %x : (tensor<?x2x3x4xf32>) -> tensor<?x24xf32>
  return %0 : tensor<?x24xf32>
}

// -----

// CHECK-LABEL: func.func @transpose
// CHECK: %[[INIT:.*]] = tensor.empty() : tensor<4x2x3xf32>
// CHECK: linalg.transpose ins(%{{.*}} : tensor<2x3x4xf32>) outs(%[[INIT]] : tensor<4x2x3xf32>) permutation = [2, 0, 1]
func.func @transpose(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %0 = onnx.Transpose %x {perm = [2, 0, 1]} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  return %0 : tensor<4x2x3xf32>
}

// -----

// CHECK-LABEL: func.func @transpose_default
// CHECK: linalg.transpose {{.*}} permutation = [1, 0]
func.func @transpose_default(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %0 = onnx.Transpose %x : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// CHECK-LABEL: func.func @concat
// CHECK-SAME: (%[[A:.*]]: tensor<2x3xf32>, %[[B:.*]]: tensor<2x1xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x4xf32>
// CHECK: %[[S0:.*]] = tensor.insert_slice %[[A]] into %[[E]][0, 0] [2, 3] [1, 1]
// CHECK: tensor.insert_slice %[[B]] into %[[S0]][0, 3] [2, 1] [1, 1]
func.func @concat(%a: tensor<2x3xf32>, %b: tensor<2x1xf32>) -> tensor<2x4xf32> {
  %0 = onnx.Concat %a, %b {axis = -1 : si64} : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// CHECK-LABEL: func.func @squeeze_unsqueeze
// CHECK: %[[S:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2]] : tensor<1x1x4xf32> into tensor<4xf32>
// CHECK: tensor.expand_shape %[[S]] {{\[}}[0, 1, 2]] output_shape [4, 1, 1] : tensor<4xf32> into tensor<4x1x1xf32>
func.func @squeeze_unsqueeze(%x: tensor<1x1x4xf32>) -> tensor<4x1x1xf32> {
  %axes = onnx.Constant {value = dense<[0, 1]> : tensor<2xi64>} : () -> tensor<2xi64>
  %0 = onnx.Squeeze %x, %axes : (tensor<1x1x4xf32>, tensor<2xi64>) -> tensor<4xf32>
  %axes2 = onnx.Constant {value = dense<[-1, 1]> : tensor<2xi64>} : () -> tensor<2xi64>
  %1 = onnx.Unsqueeze %0, %axes2 : (tensor<4xf32>, tensor<2xi64>) -> tensor<4x1x1xf32>
  return %1 : tensor<4x1x1xf32>
}

// -----

// Parameters: immutable ml_program globals become arith.constant.
// CHECK-LABEL: module
// CHECK-NOT: ml_program.global
// CHECK-LABEL: func.func @globals
// CHECK: %[[W:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK: return %[[W]]
module {
  ml_program.global private @w(dense<[1.0, 2.0]> : tensor<2xf32>) : tensor<2xf32>
  func.func @globals() -> tensor<2xf32> {
    %w = ml_program.global_load_const @w : tensor<2xf32>
    return %w : tensor<2xf32>
  }
}
