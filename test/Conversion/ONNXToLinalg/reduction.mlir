// RUN: fqt-opt %s --split-input-file --fqt-convert-onnx-to-linalg | FileCheck %s

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @reduce_sum
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction"]}
// CHECK: arith.addf
// CHECK: tensor.expand_shape %[[SUM]] {{\[}}[0, 1]] output_shape [%{{.*}}, 1] : tensor<?xf32> into tensor<?x1xf32>
func.func @reduce_sum(%x: tensor<?x4xf32>) -> tensor<?x1xf32> {
  %axes = onnx.Constant {value = dense<[1]> : tensor<1xi64>} : () -> tensor<1xi64>
  %0 = onnx.ReduceSum %x, %axes : (tensor<?x4xf32>, tensor<1xi64>) -> tensor<?x1xf32>
  return %0 : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @reduce_mean
// CHECK-DAG: %[[FOUR:.*]] = arith.constant 4.000000e+00 : f32
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK: arith.divf %{{.*}}, %[[FOUR]]
// CHECK-NOT: tensor.expand_shape
func.func @reduce_mean(%x: tensor<4x3xf32>) -> tensor<3xf32> {
  %0 = onnx.ReduceMean %x {axes = [0], keepdims = 0 : si64} : (tensor<4x3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// No axes: every dimension.
// CHECK-LABEL: func.func @reduce_max
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]
// CHECK: arith.maximumf
// CHECK: tensor.expand_shape %{{.*}} [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
func.func @reduce_max(%x: tensor<4x3xf32>) -> tensor<1x1xf32> {
  %0 = onnx.ReduceMax %x : (tensor<4x3xf32>) -> tensor<1x1xf32>
  return %0 : tensor<1x1xf32>
}

// -----

// CHECK-LABEL: func.func @softmax
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: arith.maximumf
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: arith.addf
// CHECK: arith.divf
func.func @softmax(%x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %0 = onnx.Softmax %x : (tensor<?x10xf32>) -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// CHECK-LABEL: func.func @log_softmax
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: math.log
// CHECK: arith.subf
func.func @log_softmax(%x: tensor<2x10xf32>) -> tensor<2x10xf32> {
  %0 = onnx.LogSoftmax %x {axis = 1 : si64} : (tensor<2x10xf32>) -> tensor<2x10xf32>
  return %0 : tensor<2x10xf32>
}

// -----

// CHECK-LABEL: func.func @global_average_pool
// CHECK-DAG: %[[N:.*]] = arith.constant 1.600000e+01 : f32
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction"]
// CHECK: arith.divf %{{.*}}, %[[N]]
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2, 3]] output_shape [%{{.*}}, 3, 1, 1] : tensor<?x3xf32> into tensor<?x3x1x1xf32>
func.func @global_average_pool(%x: tensor<?x3x4x4xf32>) -> tensor<?x3x1x1xf32> {
  %0 = onnx.GlobalAveragePool %x : (tensor<?x3x4x4xf32>) -> tensor<?x3x1x1xf32>
  return %0 : tensor<?x3x1x1xf32>
}

// -----

// Per target: -input[n, target] * weight[target], weight 0 where ignored
// (reading class 0 then); the mean divides by the summed weights.
// CHECK-LABEL: func.func @nll_mean_weight_ignore_index
// CHECK-SAME: (%[[X:.*]]: tensor<3x5xf32>, %[[T:.*]]: tensor<3xi64>, %[[W:.*]]: tensor<5xf32>)
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : i64
// CHECK-DAG: %[[II:.*]] = arith.constant -1 : i64
// CHECK: %[[G:.*]]:2 = linalg.generic {{.*}} ins(%[[T]] : tensor<3xi64>) outs(%{{.*}}, %{{.*}} : tensor<3xf32>, tensor<3xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: i64, %{{.*}}: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[IGN:.*]] = arith.cmpi eq, %[[IN]], %[[II]] : i64
// CHECK-NEXT: %[[SAFE:.*]] = arith.select %[[IGN]], %[[C0]], %[[IN]] : i64
// CHECK-NEXT: %[[K:.*]] = arith.index_cast %[[SAFE]] : i64 to index
// CHECK-NEXT: %[[N:.*]] = linalg.index 0 : index
// CHECK-NEXT: %[[LP:.*]] = tensor.extract %[[X]][%[[N]], %[[K]]] : tensor<3x5xf32>
// CHECK-NEXT: %[[WK:.*]] = tensor.extract %[[W]][%[[K]]] : tensor<5xf32>
// CHECK-NEXT: %[[WT:.*]] = arith.select %[[IGN]], %[[ZERO]], %[[WK]] : f32
// CHECK-NEXT: %[[NEG:.*]] = arith.negf %[[LP]] : f32
// CHECK-NEXT: %[[L:.*]] = arith.mulf %[[NEG]], %[[WT]] : f32
// CHECK-NEXT: linalg.yield %[[L]], %[[WT]] : f32, f32
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[G]]#0 : tensor<3xf32>)
// CHECK: %[[WSUM:.*]] = linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[G]]#1 : tensor<3xf32>)
// CHECK: %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]], %[[WSUM]] : tensor<f32>, tensor<f32>)
// CHECK: arith.divf
// CHECK: return %[[MEAN]]
func.func @nll_mean_weight_ignore_index(%x: tensor<3x5xf32>, %t: tensor<3xi64>, %w: tensor<5xf32>) -> tensor<f32> {
  %0 = onnx.NegativeLogLikelihoodLoss %x, %t, %w {ignore_index = -1 : si64} : (tensor<3x5xf32>, tensor<3xi64>, tensor<5xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @nll_sum
// CHECK: %[[G:.*]]:2 = linalg.generic
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]} ins(%[[G]]#0 : tensor<2x4xf32>)
// CHECK-NOT: linalg.generic
// CHECK: return %[[SUM]]
func.func @nll_sum(%x: tensor<2x3x4xf32>, %t: tensor<2x4xi64>) -> tensor<f32> {
  %none = onnx.NoValue
  %0 = onnx.NegativeLogLikelihoodLoss %x, %t, %none {reduction = "sum"} : (tensor<2x3x4xf32>, tensor<2x4xi64>, none) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// SoftmaxCrossEntropyLoss: the log-softmax over the classes is log_prob and
// feeds the NLL gather.
// CHECK-LABEL: func.func @sce_none_log_prob
// CHECK-SAME: (%[[X:.*]]: tensor<3x5x2xf32>, %[[T:.*]]: tensor<3x2xi32>)
// CHECK: %[[MAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[X]] : tensor<3x5x2xf32>)
// CHECK: math.exp
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]
// CHECK: %[[LP:.*]] = linalg.generic
// CHECK: math.log
// CHECK: %[[G:.*]]:2 = linalg.generic {{.*}} ins(%[[T]] : tensor<3x2xi32>)
// CHECK: %[[EXT:.*]] = arith.extsi %{{.*}} : i32 to i64
// CHECK: %[[K:.*]] = arith.index_cast %[[EXT]] : i64 to index
// CHECK: tensor.extract %[[LP]][%{{.*}}, %[[K]], %{{.*}}] : tensor<3x5x2xf32>
// CHECK: return %[[G]]#0, %[[LP]]
func.func @sce_none_log_prob(%x: tensor<3x5x2xf32>, %t: tensor<3x2xi32>) -> (tensor<3x2xf32>, tensor<3x5x2xf32>) {
  %none = onnx.NoValue
  %0, %1 = onnx.SoftmaxCrossEntropyLoss %x, %t, %none {reduction = "none"} : (tensor<3x5x2xf32>, tensor<3x2xi32>, none) -> (tensor<3x2xf32>, tensor<3x5x2xf32>)
  return %0, %1 : tensor<3x2xf32>, tensor<3x5x2xf32>
}

// -----

// Axes known at run time only. Without keepdims, [3, 2, 2] -> [3, 2] removes
// dimension 1 or 2: both are reduced and the axes select one. With keepdims
// the dimension that becomes 1 is the one reduced.
// CHECK-DAG: #[[MID:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[LAST:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @reduce_sum_runtime_axes
// CHECK-SAME: (%[[X:.*]]: tensor<3x2x2xf32>, %[[AXES:.*]]: tensor<1xi64>)
// CHECK: %[[R1:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #[[MID]]], iterator_types = ["parallel", "reduction", "parallel"]}
// CHECK: %[[R2:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #[[LAST]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK: %[[A:.*]] = tensor.extract %[[AXES]]
// CHECK: %[[NEG:.*]] = arith.cmpi slt, %[[A]], %c0_i64
// CHECK: %[[WRAPPED:.*]] = arith.addi %[[A]], %c3_i64
// CHECK: %[[AXIS:.*]] = arith.select %[[NEG]], %[[WRAPPED]], %[[A]]
// CHECK: %[[IS1:.*]] = arith.cmpi eq, %[[AXIS]], %c1_i64
// CHECK: %[[SUM:.*]] = arith.select %[[IS1]], %[[R1]], %[[R2]] : tensor<3x2xf32>
// CHECK: %[[K:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #[[MID]]], iterator_types = ["parallel", "reduction", "parallel"]}
// CHECK: %[[KEPT:.*]] = tensor.expand_shape %[[K]] {{\[}}[0], [1, 2]] output_shape [3, 1, 2]
// CHECK: return %[[SUM]], %[[KEPT]]
func.func @reduce_sum_runtime_axes(%x: tensor<3x2x2xf32>, %axes: tensor<1xi64>) -> (tensor<3x2xf32>, tensor<3x1x2xf32>) {
  %0 = onnx.ReduceSum %x, %axes {keepdims = 0 : si64} : (tensor<3x2x2xf32>, tensor<1xi64>) -> tensor<3x2xf32>
  %1 = onnx.ReduceSum %x, %axes : (tensor<3x2x2xf32>, tensor<1xi64>) -> tensor<3x1x2xf32>
  return %0, %1 : tensor<3x2xf32>, tensor<3x1x2xf32>
}

// -----

// Run-time axes of static length 0: the no-op.
// CHECK-LABEL: func.func @reduce_sum_empty_axes_noop
// CHECK-SAME: (%[[X:.*]]: tensor<3x2xf32>
// CHECK-NEXT: return %[[X]]
func.func @reduce_sum_empty_axes_noop(%x: tensor<3x2xf32>, %axes: tensor<0xi64>) -> tensor<3x2xf32> {
  %0 = onnx.ReduceSum %x, %axes {noop_with_empty_axes = 1 : si64} : (tensor<3x2xf32>, tensor<0xi64>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// CHECK-LABEL: func.func @reduce_min_prod
// CHECK-DAG: %[[INF:.*]] = arith.constant 0x7F800000 : f32
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: linalg.fill ins(%[[INF]] : f32)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: arith.minimumf
// CHECK: linalg.fill ins(%[[ONE]] : f32)
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]
// CHECK: arith.mulf
func.func @reduce_min_prod(%x: tensor<4x3xf32>) -> (tensor<4xf32>, tensor<1x3xf32>) {
  %0 = onnx.ReduceMin %x {axes = [1], keepdims = 0 : si64} : (tensor<4x3xf32>) -> tensor<4xf32>
  %1 = onnx.ReduceProd %x {axes = [0]} : (tensor<4x3xf32>) -> tensor<1x3xf32>
  return %0, %1 : tensor<4xf32>, tensor<1x3xf32>
}

// -----

// ReduceL2: squares, a sum, then the square roots, before keepdims.
// CHECK-LABEL: func.func @reduce_l2
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK: arith.mulf
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK: math.sqrt
// CHECK: tensor.expand_shape
func.func @reduce_l2(%x: tensor<4x3xf32>) -> tensor<4x1xf32> {
  %0 = onnx.ReduceL2 %x {axes = [-1]} : (tensor<4x3xf32>) -> tensor<4x1xf32>
  return %0 : tensor<4x1xf32>
}

// -----

// CHECK-LABEL: func.func @reduce_log_sum_exp
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: math.log
// CHECK-NOT: math.sqrt
func.func @reduce_log_sum_exp(%x: tensor<4x3xf32>) -> tensor<f32> {
  %0 = onnx.ReduceLogSumExp %x {keepdims = 0 : si64} : (tensor<4x3xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// ArgMax carries the best value and its index through one reduction;
// select_last_index makes ties move the index on.
// CHECK-DAG: #[[KEPT:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @argmax
// CHECK: %[[G:.*]]:2 = linalg.generic {indexing_maps = [#{{.*}}, #[[KEPT]], #[[KEPT]]], iterator_types = ["parallel", "reduction"]}
// CHECK: linalg.index 1
// CHECK: arith.cmpf ogt
// CHECK: tensor.expand_shape %[[G]]#1
// CHECK: linalg.generic
// CHECK: arith.cmpf ole
func.func @argmax(%x: tensor<4x3xf32>) -> (tensor<4x1xi64>, tensor<4xi64>) {
  %0 = onnx.ArgMax %x {axis = -1 : si64} : (tensor<4x3xf32>) -> tensor<4x1xi64>
  %1 = onnx.ArgMin %x {axis = 1 : si64, keepdims = 0 : si64, select_last_index = 1 : si64} : (tensor<4x3xf32>) -> tensor<4xi64>
  return %0, %1 : tensor<4x1xi64>, tensor<4xi64>
}

// -----

// CumSum along a constant axis: an extra reduction loop r over the axis.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @cumsum
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK: arith.cmpi ugt
func.func @cumsum(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %axis = onnx.Constant {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %0 = onnx.CumSum %x, %axis {exclusive = 1 : si64, reverse = 1 : si64} : (tensor<2x3xf32>, tensor<i64>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// An axis known at run time: the sums along every axis, one selected.
// CHECK-LABEL: func.func @cumsum_runtime_axis
// CHECK: tensor.extract
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK: arith.select %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x3xi32>
func.func @cumsum_runtime_axis(%x: tensor<2x3xi32>, %axis: tensor<i32>) -> tensor<2x3xi32> {
  %0 = onnx.CumSum %x, %axis : (tensor<2x3xi32>, tensor<i32>) -> tensor<2x3xi32>
  return %0 : tensor<2x3xi32>
}

// -----

// Hardmax: an ArgMax with the axis kept, then 1 where the loop index is it.
// CHECK-DAG: #[[ARG:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-LABEL: func.func @hardmax
// CHECK: %[[ARGMAX:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: %[[KEPT:.*]] = tensor.expand_shape %[[ARGMAX]]#1
// CHECK: linalg.generic {indexing_maps = [#[[ARG]], #{{.*}}], iterator_types = ["parallel", "parallel"]} ins(%[[KEPT]] : tensor<3x1xi64>)
// CHECK: linalg.index 1
// CHECK: arith.cmpi eq
func.func @hardmax(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %0 = onnx.Hardmax %x : (tensor<3x4xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

// CHECK-LABEL: func.func @global_max_pool
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction"]
// CHECK: arith.maximumf
// CHECK: tensor.expand_shape
func.func @global_max_pool(%x: tensor<2x3x4x4xf32>) -> tensor<2x3x1x1xf32> {
  %0 = onnx.GlobalMaxPool %x : (tensor<2x3x4x4xf32>) -> tensor<2x3x1x1xf32>
  return %0 : tensor<2x3x1x1xf32>
}
