// RUN: fqt-opt %s --split-input-file --fqt-lower-dequantize | FileCheck %s

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @per_row
// CHECK-SAME: (%[[Q:.*]]: tensor<8x4xi8>, %[[S:.*]]: tensor<8xf32>, %[[Z:.*]]: tensor<8xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<8x4xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[Q]], %[[S]], %[[Z]] : tensor<8x4xi8>, tensor<8xf32>, tensor<8xf32>) outs(%[[E]] : tensor<8x4xf32>)
// CHECK: ^bb0(%[[C:.*]]: i8, %[[CS:.*]]: f32, %[[CZ:.*]]: f32, %{{.*}}: f32):
// CHECK:   %[[F:.*]] = arith.uitofp %[[C]] : i8 to f32
// CHECK:   %[[M:.*]] = arith.mulf %[[F]], %[[CS]] : f32
// CHECK:   %[[A:.*]] = arith.addf %[[M]], %[[CZ]] : f32
// CHECK:   linalg.yield %[[A]] : f32
// CHECK: return %[[R]]
func.func @per_row(%q: tensor<8x4xi8>, %s: tensor<8xf32>, %z: tensor<8xf32>) -> tensor<8x4xf32> {
  %x = fqt.dequantize %q scale(%s, %z) {quantizer = #fqt.psq<bits = 4>}
      : tensor<8x4xi8>, tensor<8xf32>, tensor<8xf32> -> tensor<8x4xf32>
  return %x : tensor<8x4xf32>
}

// -----

// Per tensor: the scale is a rank-0 tensor read by an empty map.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @per_tensor
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[SCALAR]], #[[SCALAR]], #[[ID]]]
func.func @per_tensor(%q: tensor<8x4xi8>, %s: tensor<f32>, %z: tensor<f32>) -> tensor<8x4xf32> {
  %x = fqt.dequantize %q scale(%s, %z) {quantizer = #fqt.weight<bits = 8>}
      : tensor<8x4xi8>, tensor<f32>, tensor<f32> -> tensor<8x4xf32>
  return %x : tensor<8x4xf32>
}

// -----

// Per column of a rank-3 tensor: one scale per (d1, d2).
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @per_column
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[COL]], #[[COL]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]}
func.func @per_column(%q: tensor<4x3x2xi8>, %s: tensor<3x2xf32>, %z: tensor<3x2xf32>) -> tensor<4x3x2xf32> {
  %x = fqt.dequantize %q scale(%s, %z) {quantizer = #fqt.percol<bits = 8>}
      : tensor<4x3x2xi8>, tensor<3x2xf32>, tensor<3x2xf32> -> tensor<4x3x2xf32>
  return %x : tensor<4x3x2xf32>
}

// -----

// Symmetric codes are signed and have no offset.
// CHECK-LABEL: func.func @symmetric
// CHECK: ins(%{{.*}}, %{{.*}} : tensor<16x8xi4>, tensor<f32>)
// CHECK: ^bb0(%[[C:.*]]: i4, %[[CS:.*]]: f32, %{{.*}}: f32):
// CHECK:   %[[F:.*]] = arith.sitofp %[[C]] : i4 to f32
// CHECK:   %[[M:.*]] = arith.mulf %[[F]], %[[CS]] : f32
// CHECK-NOT: arith.addf
// CHECK:   linalg.yield %[[M]] : f32
func.func @symmetric(%q: tensor<16x8xi4>, %s: tensor<f32>) -> tensor<16x8xf32> {
  %x = fqt.dequantize %q scale(%s) {quantizer = #fqt.lbt<bits = 4>}
      : tensor<16x8xi4>, tensor<f32> -> tensor<16x8xf32>
  return %x : tensor<16x8xf32>
}

// -----

// BHQ: rows are rotated back by the inverse transform after scaling.
// CHECK-LABEL: func.func @bhq_matrix
// CHECK-SAME: %[[T:[a-z0-9]+]]: tensor<8x8xf32>
// CHECK: %[[D:.*]] = linalg.generic
// CHECK: %[[INIT:.*]] = linalg.fill
// CHECK: %[[R:.*]] = linalg.matmul ins(%[[T]], %[[D]] : tensor<8x8xf32>, tensor<8x4xf32>) outs(%[[INIT]] : tensor<8x4xf32>)
// CHECK: return %[[R]]
func.func @bhq_matrix(%q: tensor<8x4xi8>, %s: tensor<8xf32>, %z: tensor<8xf32>, %t: tensor<8x8xf32>) -> tensor<8x4xf32> {
  %x = fqt.dequantize %q scale(%s, %z) transform(%t) {quantizer = #fqt.bhq<bits = 5>}
      : tensor<8x4xi8>, tensor<8xf32>, tensor<8xf32>, tensor<8x8xf32> -> tensor<8x4xf32>
  return %x : tensor<8x4xf32>
}

// -----

// BHQ on a convolution gradient: rows x (c*h*w) as a matrix, then back.
// CHECK-LABEL: func.func @bhq_rank3
// CHECK: %[[D:.*]] = linalg.generic
// CHECK: %[[M:.*]] = tensor.collapse_shape %[[D]] {{\[}}[0], [1, 2]] : tensor<8x3x2xf32> into tensor<8x6xf32>
// CHECK: %[[P:.*]] = linalg.matmul ins(%{{.*}}, %[[M]] : tensor<8x8xf32>, tensor<8x6xf32>)
// CHECK: tensor.expand_shape %[[P]] {{\[}}[0], [1, 2]] output_shape [8, 3, 2] : tensor<8x6xf32> into tensor<8x3x2xf32>
func.func @bhq_rank3(%q: tensor<8x3x2xi8>, %s: tensor<8xf32>, %z: tensor<8xf32>, %t: tensor<8x8xf32>) -> tensor<8x3x2xf32> {
  %x = fqt.dequantize %q scale(%s, %z) transform(%t) {quantizer = #fqt.bhq<bits = 5>}
      : tensor<8x3x2xi8>, tensor<8xf32>, tensor<8xf32>, tensor<8x8xf32> -> tensor<8x3x2xf32>
  return %x : tensor<8x3x2xf32>
}

// -----

// CHECK-LABEL: func.func @bhq_vector
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1]] output_shape [8, 1] : tensor<8xf32> into tensor<8x1xf32>
// CHECK: linalg.matmul
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1]] : tensor<8x1xf32> into tensor<8xf32>
func.func @bhq_vector(%q: tensor<8xi8>, %s: tensor<8xf32>, %z: tensor<8xf32>, %t: tensor<8x8xf32>) -> tensor<8xf32> {
  %x = fqt.dequantize %q scale(%s, %z) transform(%t) {quantizer = #fqt.bhq<bits = 5>}
      : tensor<8xi8>, tensor<8xf32>, tensor<8xf32>, tensor<8x8xf32> -> tensor<8xf32>
  return %x : tensor<8xf32>
}

// -----

// Dynamic sizes come from the codes.
// CHECK-LABEL: func.func @dynamic
// CHECK-SAME: (%[[Q:.*]]: tensor<?x4xi8>
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[N:.*]] = tensor.dim %[[Q]], %[[C0]] : tensor<?x4xi8>
// CHECK: tensor.empty(%[[N]]) : tensor<?x4xf32>
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2]] output_shape [%{{.*}}, 2, 2]
func.func @dynamic(%q: tensor<?x4xi8>, %s: tensor<?xf32>, %z: tensor<?xf32>,
                   %q3: tensor<?x2x2xi8>, %t: tensor<?x?xf32>) -> (tensor<?x4xf32>, tensor<?x2x2xf32>) {
  %x = fqt.dequantize %q scale(%s, %z) {quantizer = #fqt.psq<bits = 4>}
      : tensor<?x4xi8>, tensor<?xf32>, tensor<?xf32> -> tensor<?x4xf32>
  %y = fqt.dequantize %q3 scale(%s, %z) transform(%t) {quantizer = #fqt.bhq<bits = 4>}
      : tensor<?x2x2xi8>, tensor<?xf32>, tensor<?xf32>, tensor<?x?xf32> -> tensor<?x2x2xf32>
  return %x, %y : tensor<?x4xf32>, tensor<?x2x2xf32>
}
