// RUN: fqt-opt %s --split-input-file --fqt-convert-onnx-to-linalg | FileCheck %s

// CHECK-LABEL: func.func @max_pool
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x4x4xf32>)
// CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[P:.*]] = tensor.pad %[[X]] low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: tensor.yield %[[NEGINF]]
// CHECK: %[[WIN:.*]] = tensor.empty() : tensor<3x3xf32>
// CHECK: linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK-SAME: ins(%[[P]], %[[WIN]] : tensor<1x2x6x6xf32>, tensor<3x3xf32>)
func.func @max_pool(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %0, %1 = onnx.MaxPool %x {kernel_shape = [3, 3], pads = [1, 1, 1, 1], strides = [2, 2]}
      : (tensor<1x2x4x4xf32>) -> (tensor<1x2x2x2xf32>, none)
  return %0 : tensor<1x2x2x2xf32>
}

// -----

// CHECK-LABEL: func.func @average_pool
// CHECK-DAG: %[[FOUR:.*]] = arith.constant 4.000000e+00 : f32
// CHECK-NOT: tensor.pad
// CHECK: linalg.pooling_nchw_sum {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK: linalg.generic
// CHECK: arith.divf %{{.*}}, %[[FOUR]]
func.func @average_pool(%x: tensor<?x2x4x4xf32>) -> tensor<?x2x2x2xf32> {
  %0 = onnx.AveragePool %x {kernel_shape = [2, 2], strides = [2, 2]}
      : (tensor<?x2x4x4xf32>) -> tensor<?x2x2x2xf32>
  return %0 : tensor<?x2x2x2xf32>
}
