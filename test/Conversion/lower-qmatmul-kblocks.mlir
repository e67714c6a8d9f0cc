// RUN: fqt-opt %s --split-input-file --fqt-lower-qmatmul | FileCheck %s
// RUN: fqt-opt %s --split-input-file --fqt-lower-qmatmul="k-blocks=false" | FileCheck %s --check-prefix=OFF

// dW = dY^T X with a per-sample dY: 4 samples of 3 rows, so the scale of the
// transposed left operand is constant over blocks of 3 reduction indices.
// Each block: an i32 contraction of the code slices, then an f32 epilogue
// with the block's scale and offset, accumulated in place.

// CHECK-LABEL: func.func @per_sample_wgrad(
// CHECK-SAME: %[[G:[^:]*]]: tensor<12x5xi8>, %[[S:[^:]*]]: tensor<4xf32>, %[[Z:[^:]*]]: tensor<4xf32>, %[[X:[^:]*]]: tensor<12x6xi8>
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C3:.*]] = arith.constant 3 : index
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK: %[[INIT:.*]] = linalg.fill {{.*}} -> tensor<5x6xf32>
// CHECK: %[[R:.*]] = scf.for %[[B:.*]] = %[[C0]] to %[[C4]] step %[[C1]] iter_args(%[[ACC:.*]] = %[[INIT]]) -> (tensor<5x6xf32>)
// CHECK:   %[[K0:.*]] = arith.muli %[[B]], %[[C3]]
// CHECK-DAG:   %[[GB:.*]] = tensor.extract_slice %[[G]][%[[K0]], 0] [3, 5] [1, 1] : tensor<12x5xi8> to tensor<3x5xi8>
// CHECK-DAG:   %[[XB:.*]] = tensor.extract_slice %[[X]][%[[K0]], 0] [3, 6] [1, 1] : tensor<12x6xi8> to tensor<3x6xi8>
// CHECK-DAG:   %[[SB:.*]] = tensor.extract_slice %[[S]][%[[B]]] [1] [1] : tensor<4xf32> to tensor<1xf32>
// CHECK-DAG:   %[[ZB:.*]] = tensor.extract_slice %[[Z]][%[[B]]] [1] [1] : tensor<4xf32> to tensor<1xf32>
// CHECK:   %[[P:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[GB]], %[[XB]] : tensor<3x5xi8>, tensor<3x6xi8>) outs(%{{.*}} : tensor<5x6xi32>)
// CHECK:     arith.extui
// CHECK:     arith.extui
// CHECK:     arith.muli
// CHECK:   linalg.generic {{.*}} ins(%[[P]], %[[SB]], %{{.*}}, %[[ZB]], %{{.*}}, %{{.*}}, %{{.*}} : tensor<5x6xi32>, tensor<1xf32>, tensor<f32>, tensor<1xf32>, tensor<f32>, tensor<5xi32>, tensor<6xi32>) outs(%[[ACC]] : tensor<5x6xf32>)
// CHECK:   scf.yield
// CHECK: return %[[R]]
// The row-group map of the next function's module.
// CHECK: #[[GROUP:.*]] = affine_map<(d0, d1) -> (d0 floordiv 3)>

// OFF-LABEL: func.func @per_sample_wgrad(
// OFF: fqt.qmatmul
func.func @per_sample_wgrad(%g: tensor<12x5xi8>, %s: tensor<4xf32>, %z: tensor<4xf32>,
                            %x: tensor<12x6xi8>, %xs: tensor<f32>, %xz: tensor<f32>) -> tensor<5x6xf32> {
  %r = fqt.qmatmul %g as #fqt.psq<bits = 4> scale(%s, %z) transposed, %x as #fqt.act<bits = 8> scale(%xs, %xz)
      : (tensor<12x5xi8>, tensor<4xf32>, tensor<4xf32>, tensor<12x6xi8>, tensor<f32>, tensor<f32>) -> tensor<5x6xf32>
  return %r : tensor<5x6xf32>
}

// -----

// dX = dY W with the same per-sample dY: the scale follows the result rows
// in groups of 3 (an epilogue map m floordiv 3), no blocks.
// CHECK-LABEL: func.func @per_sample_dgrad(
// CHECK-NOT: scf.for
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[GROUP]], #{{.*}}, #[[GROUP]],
func.func @per_sample_dgrad(%g: tensor<12x5xi8>, %s: tensor<4xf32>, %z: tensor<4xf32>,
                            %w: tensor<5x6xi8>, %ws: tensor<f32>, %wz: tensor<f32>) -> tensor<12x6xf32> {
  %r = fqt.qmatmul %g as #fqt.psq<bits = 4> scale(%s, %z), %w as #fqt.weight<bits = 8> scale(%ws, %wz)
      : (tensor<12x5xi8>, tensor<4xf32>, tensor<4xf32>, tensor<5x6xi8>, tensor<f32>, tensor<f32>) -> tensor<12x6xf32>
  return %r : tensor<12x6xf32>
}

// -----

// One scale per reduction index: blocks of one would make every
// multiply-add a float one, so the product is left to simulate mode.
// CHECK-LABEL: func.func @per_row_wgrad(
// CHECK: fqt.qmatmul
func.func @per_row_wgrad(%g: tensor<12x5xi8>, %s: tensor<12xf32>, %z: tensor<12xf32>,
                         %x: tensor<12x6xi8>, %xs: tensor<f32>, %xz: tensor<f32>) -> tensor<5x6xf32> {
  %r = fqt.qmatmul %g as #fqt.psq<bits = 4> scale(%s, %z) transposed, %x as #fqt.act<bits = 8> scale(%xs, %xz)
      : (tensor<12x5xi8>, tensor<12xf32>, tensor<12xf32>, tensor<12x6xi8>, tensor<f32>, tensor<f32>) -> tensor<5x6xf32>
  return %r : tensor<5x6xf32>
}
