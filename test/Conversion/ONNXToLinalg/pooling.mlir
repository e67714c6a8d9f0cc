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

// -----

// 1-D and integer pooling: a generic over (n, c, out, window); unsigned
// integers compare unsigned from 0.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2 + d3)>
// CHECK-DAG: #[[WIN:.*]] = affine_map<(d0, d1, d2, d3) -> (d3)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @max_pool_1d_uint8
// CHECK: %[[ZERO:.*]] = arith.constant 0 : i8
// CHECK: %[[INIT:.*]] = linalg.fill ins(%[[ZERO]] : i8)
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[WIN]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: outs(%[[INIT]] : tensor<1x2x4xi8>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: i8, %{{.*}}: i8, %[[ACC:.*]]: i8):
// CHECK-NEXT: %[[GT:.*]] = arith.cmpi ugt, %[[X]], %[[ACC]] : i8
// CHECK-NEXT: arith.select %[[GT]], %[[X]], %[[ACC]] : i8
func.func @max_pool_1d_uint8(%x: tensor<1x2x5xi8>) -> tensor<1x2x4xi8> {
  %0, %1 = onnx.MaxPool %x {kernel_shape = [2], onnx.unsigned_operands = array<i1: true>}
      : (tensor<1x2x5xi8>) -> (tensor<1x2x4xi8>, none)
  return %0 : tensor<1x2x4xi8>
}

// -----

// Indices: the position of the first maximum, column-major over the
// spatial dimensions for storage_order 1 (h + w * 4 here).
// CHECK-LABEL: func.func @max_pool_indices
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK: %[[G:.*]]:2 = linalg.generic {{.*}} outs(%{{.*}}, %{{.*}} : tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32, %[[ACC:.*]]: f32, %[[IDX:.*]]: i64):
// CHECK-NEXT: %[[GT:.*]] = arith.cmpf ogt, %[[X]], %[[ACC]] : f32
// CHECK-NEXT: %[[MAX:.*]] = arith.select %[[GT]], %[[X]], %[[ACC]] : f32
// CHECK: %[[H:.*]] = arith.addi
// CHECK: %[[W:.*]] = arith.addi
// CHECK: %[[WH:.*]] = arith.muli %[[W]], %[[C4]] : index
// CHECK: %[[POS:.*]] = arith.addi %[[WH]], %[[H]] : index
// CHECK: %[[POS64:.*]] = arith.index_cast %[[POS]] : index to i64
// CHECK: %[[NEW:.*]] = arith.select %[[GT]], %[[POS64]], %[[IDX]] : i64
// CHECK: linalg.yield %[[MAX]], %[[NEW]] : f32, i64
// CHECK: return %[[G]]#0, %[[G]]#1
func.func @max_pool_indices(%x: tensor<1x1x4x4xf32>) -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>) {
  %0, %1 = onnx.MaxPool %x {kernel_shape = [2, 2], strides = [2, 2], storage_order = 1 : si64}
      : (tensor<1x1x4x4xf32>) -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>)
  return %0, %1 : tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>
}

// -----

// SAME_UPPER: the odd padding goes at the end.
// CHECK-LABEL: func.func @max_pool_same_upper
// CHECK: tensor.pad %{{.*}} low[0, 0, 0, 0] high[0, 0, 1, 1]
// CHECK: linalg.pooling_nchw_max
func.func @max_pool_same_upper(%x: tensor<1x1x5x5xf32>) -> tensor<1x1x3x3xf32> {
  %0, %1 = onnx.MaxPool %x {auto_pad = "SAME_UPPER", kernel_shape = [2, 2], strides = [2, 2]}
      : (tensor<1x1x5x5xf32>) -> (tensor<1x1x3x3xf32>, none)
  return %0 : tensor<1x1x3x3xf32>
}

// -----

// Padding not counted: each window divides by its own count, a constant
// over the output's spatial dimensions.
// CHECK-DAG: #[[SP:.*]] = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
// CHECK-LABEL: func.func @average_pool_exclude_pad
// CHECK-DAG: %[[COUNTS:.*]] = arith.constant dense<{{\[}}[1.000000e+00, 2.000000e+00], [2.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
// CHECK: tensor.pad %{{.*}} low[0, 0, 1, 1] high[0, 0, 0, 0]
// CHECK: %[[SUM:.*]] = linalg.pooling_nchw_sum
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[SP]], #{{.*}}]{{.*}} ins(%[[SUM]], %[[COUNTS]] :
// CHECK: arith.divf
func.func @average_pool_exclude_pad(%x: tensor<1x1x3x3xf32>) -> tensor<1x1x2x2xf32> {
  %0 = onnx.AveragePool %x {kernel_shape = [2, 2], pads = [1, 1, 0, 0]}
      : (tensor<1x1x3x3xf32>) -> tensor<1x1x2x2xf32>
  return %0 : tensor<1x1x2x2xf32>
}

// -----

// CHECK-LABEL: func.func @average_pool_3d
// CHECK-DAG: %[[EIGHT:.*]] = arith.constant 8.000000e+00 : f32
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK: arith.divf %{{.*}}, %[[EIGHT]]
func.func @average_pool_3d(%x: tensor<1x1x2x2x2xf32>) -> tensor<1x1x1x1x1xf32> {
  %0 = onnx.AveragePool %x {kernel_shape = [2, 2, 2]}
      : (tensor<1x1x2x2x2xf32>) -> tensor<1x1x1x1x1xf32>
  return %0 : tensor<1x1x1x1x1xf32>
}
