// RUN: fqt-opt %s --split-input-file --fqt-convert-onnx-to-linalg | FileCheck %s

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[CH:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-LABEL: func.func @batch_norm
// CHECK-DAG: %[[EPS:.*]] = arith.constant 9.99999974E-6 : f32
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[CH]], #[[CH]], #[[CH]], #[[CH]], #[[ID]]]
// CHECK: ^bb0(%[[X:.*]]: f32, %[[S:.*]]: f32, %[[B:.*]]: f32, %[[M:.*]]: f32, %[[V:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[C:.*]] = arith.subf %[[X]], %[[M]]
// CHECK: %[[VE:.*]] = arith.addf %[[V]], %[[EPS]]
// CHECK: %[[SD:.*]] = math.sqrt %[[VE]]
// CHECK: %[[N:.*]] = arith.divf %[[C]], %[[SD]]
// CHECK: %[[NS:.*]] = arith.mulf %[[N]], %[[S]]
// CHECK: arith.addf %[[NS]], %[[B]]
func.func @batch_norm(%x: tensor<?x3x2x2xf32>, %s: tensor<3xf32>, %b: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> tensor<?x3x2x2xf32> {
  %y, %rm, %rv = onnx.BatchNormalization %x, %s, %b, %m, %v
      : (tensor<?x3x2x2xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<?x3x2x2xf32>, none, none)
  return %y : tensor<?x3x2x2xf32>
}

// -----

// Normalized over dimensions 1 and 2: mean and variance per row; Scale and
// B broadcast from the right; Mean and InvStdDev keep the reduced
// dimensions as 1s.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-DAG: #[[SCALE:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[BIAS:.*]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>, %[[S:.*]]: tensor<3x4xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK-DAG: %[[EPS:.*]] = arith.constant 1.000000e-03 : f32
// CHECK-DAG: %[[N:.*]] = arith.constant 1.200000e+01 : f32
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "reduction"]} ins(%[[X]] : tensor<2x3x4xf32>)
// CHECK: %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<2xf32>)
// CHECK: arith.divf %{{.*}}, %[[N]]
// CHECK: %[[SQ:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[MEAN]] : tensor<2x3x4xf32>, tensor<2xf32>)
// CHECK: %[[SQSUM:.*]] = linalg.generic {{.*}} ins(%[[SQ]] : tensor<2x3x4xf32>)
// CHECK: %[[VAR:.*]] = linalg.generic {{.*}} ins(%[[SQSUM]] : tensor<2xf32>)
// CHECK: %[[INV:.*]] = linalg.generic {{.*}} ins(%[[VAR]] : tensor<2xf32>)
// CHECK: arith.addf %{{.*}}, %[[EPS]]
// CHECK: math.sqrt
// CHECK: %[[Y:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]], #[[SCALE]], #[[BIAS]], #[[ID]]]{{.*}} ins(%[[X]], %[[MEAN]], %[[INV]], %[[S]], %[[B]] :
// CHECK: %[[M:.*]] = tensor.expand_shape %[[MEAN]] {{\[}}[0, 1, 2]] output_shape [2, 1, 1] : tensor<2xf32> into tensor<2x1x1xf32>
// CHECK: %[[I:.*]] = tensor.expand_shape %[[INV]] {{\[}}[0, 1, 2]] output_shape [2, 1, 1]
// CHECK: return %[[Y]], %[[M]], %[[I]]
func.func @layer_norm(%x: tensor<2x3x4xf32>, %s: tensor<3x4xf32>, %b: tensor<4xf32>) -> (tensor<2x3x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>) {
  %y, %m, %i = onnx.LayerNormalization %x, %s, %b {axis = 1 : si64, epsilon = 1.0e-3 : f32} : (tensor<2x3x4xf32>, tensor<3x4xf32>, tensor<4xf32>) -> (tensor<2x3x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>)
  return %y, %m, %i : tensor<2x3x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>
}

// -----

// Training mode: the batch's mean and variance normalize; the running mean
// is updated by momentum.
// CHECK-LABEL: func.func @batch_norm_training
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[S:.*]]: tensor<3xf32>, %[[M:.*]]: tensor<3xf32>)
// CHECK-DAG: %[[MOM:.*]] = arith.constant 5.000000e-01 : f32
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%[[X]] : tensor<2x3xf32>)
// CHECK: %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<3xf32>)
// CHECK: %[[SQ:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[MEAN]] :
// CHECK: %[[SQSUM:.*]] = linalg.generic {{.*}} ins(%[[SQ]] :
// CHECK: %[[VAR:.*]] = linalg.generic {{.*}} ins(%[[SQSUM]] :
// CHECK: %[[RUNNING:.*]] = linalg.generic {{.*}} ins(%[[M]], %[[MEAN]] : tensor<3xf32>, tensor<3xf32>)
// CHECK: arith.mulf %{{.*}}, %[[MOM]]
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[S]], %[[S]], %[[MEAN]], %[[VAR]] :
// CHECK: return %[[Y]], %[[RUNNING]]
func.func @batch_norm_training(%x: tensor<2x3xf32>, %s: tensor<3xf32>, %m: tensor<3xf32>) -> (tensor<2x3xf32>, tensor<3xf32>) {
  %y, %rm, %rv = onnx.BatchNormalization %x, %s, %s, %m, %m {training_mode = 1 : si64, momentum = 0.5 : f32}
      : (tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<2x3xf32>, tensor<3xf32>, none)
  return %y, %rm : tensor<2x3xf32>, tensor<3xf32>
}
