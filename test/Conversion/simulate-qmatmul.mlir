// RUN: fqt-opt %s --split-input-file --fqt-simulate-qmatmul | FileCheck %s

// CHECK-DAG: #[[MK:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[NK:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[MN:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>

// dX = dY * W^T: dequantize both operands, transpose through the maps.
// CHECK-LABEL: func.func @dgrad
// CHECK-SAME: (%[[G:.*]]: tensor<128x100xi8>, %[[GS:.*]]: tensor<128xf32>, %[[GZ:.*]]: tensor<128xf32>, %[[W:.*]]: tensor<784x100xi8>, %[[WS:.*]]: tensor<f32>, %[[WZ:.*]]: tensor<f32>)
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[DG:.*]] = fqt.dequantize %[[G]] scale(%[[GS]], %[[GZ]]) {quantizer = #fqt.psq<bits = 4>} : tensor<128x100xi8>, tensor<128xf32>, tensor<128xf32> -> tensor<128x100xf32>
// CHECK-DAG: %[[DW:.*]] = fqt.dequantize %[[W]] scale(%[[WS]], %[[WZ]]) {quantizer = #fqt.weight<bits = 8>} : tensor<784x100xi8>, tensor<f32>, tensor<f32> -> tensor<784x100xf32>
// CHECK: %[[EMPTY:.*]] = tensor.empty() : tensor<128x784xf32>
// CHECK: %[[INIT:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]] : tensor<128x784xf32>)
// CHECK: %[[R:.*]] = linalg.matmul indexing_maps = [#[[MK]], #[[NK]], #[[MN]]] ins(%[[DG]], %[[DW]] : tensor<128x100xf32>, tensor<784x100xf32>) outs(%[[INIT]] : tensor<128x784xf32>)
// CHECK: return %[[R]]
// CHECK-NOT: fqt.qmatmul
func.func @dgrad(%g: tensor<128x100xi8>, %gs: tensor<128xf32>, %gz: tensor<128xf32>,
                 %w: tensor<784x100xi8>, %ws: tensor<f32>, %wz: tensor<f32>) -> tensor<128x784xf32> {
  %dx = fqt.qmatmul %g as #fqt.psq<bits = 4> scale(%gs, %gz), %w as #fqt.weight<bits = 8> scale(%ws, %wz) transposed
      : (tensor<128x100xi8>, tensor<128xf32>, tensor<128xf32>, tensor<784x100xi8>, tensor<f32>, tensor<f32>) -> tensor<128x784xf32>
  return %dx : tensor<128x784xf32>
}

// -----

// CHECK-DAG: #[[KM:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[KN:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[MN:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>

// dW = X^T * dY: the left operand is transposed.
// CHECK-LABEL: func.func @wgrad
// CHECK: %[[DX:.*]] = fqt.dequantize %{{.*}} {quantizer = #fqt.act<bits = 8>}
// CHECK: %[[DG:.*]] = fqt.dequantize %{{.*}} {quantizer = #fqt.percol<bits = 8>}
// CHECK: linalg.matmul indexing_maps = [#[[KM]], #[[KN]], #[[MN]]] ins(%[[DX]], %[[DG]] : tensor<128x784xf32>, tensor<128x100xf32>) outs(%{{.*}} : tensor<784x100xf32>)
func.func @wgrad(%x: tensor<128x784xi8>, %xs: tensor<f32>, %xz: tensor<f32>,
                 %g: tensor<128x100xi8>, %gs: tensor<100xf32>, %gz: tensor<100xf32>) -> tensor<784x100xf32> {
  %dw = fqt.qmatmul %x as #fqt.act<bits = 8> scale(%xs, %xz) transposed, %g as #fqt.percol<bits = 8> scale(%gs, %gz)
      : (tensor<128x784xi8>, tensor<f32>, tensor<f32>, tensor<128x100xi8>, tensor<100xf32>, tensor<100xf32>) -> tensor<784x100xf32>
  return %dw : tensor<784x100xf32>
}

// -----

// The BHQ transform travels with the left operand's dequantization: by
// associativity T^-1 (Q W) = (T^-1 Q) W. LBT has no offset.
// CHECK-LABEL: func.func @bhq_and_lbt
// CHECK-SAME: %[[T:[a-z0-9]+]]: tensor<16x16xf32>
// CHECK: fqt.dequantize %{{.*}} scale(%{{.*}}, %{{.*}}) transform(%[[T]]) {quantizer = #fqt.bhq<bits = 5>}
// CHECK: linalg.matmul
// CHECK: fqt.dequantize %{{.*}} scale(%{{.*}}) {quantizer = #fqt.lbt<bits = 4>} : tensor<16x10xi4>, tensor<f32> -> tensor<16x10xf32>
// CHECK: linalg.matmul
func.func @bhq_and_lbt(%g: tensor<16x10xi8>, %gs: tensor<16xf32>, %gz: tensor<16xf32>, %t: tensor<16x16xf32>,
                       %l: tensor<16x10xi4>, %ls: tensor<f32>,
                       %w: tensor<32x10xi8>, %ws: tensor<f32>, %wz: tensor<f32>) -> (tensor<16x32xf32>, tensor<16x32xf32>) {
  %a = fqt.qmatmul %g as #fqt.bhq<bits = 5> scale(%gs, %gz) transform(%t), %w as #fqt.weight<bits = 8> scale(%ws, %wz) transposed
      : (tensor<16x10xi8>, tensor<16xf32>, tensor<16xf32>, tensor<16x16xf32>, tensor<32x10xi8>, tensor<f32>, tensor<f32>) -> tensor<16x32xf32>
  %b = fqt.qmatmul %l as #fqt.lbt<bits = 4> scale(%ls), %w as #fqt.weight<bits = 4> scale(%ws, %wz) transposed
      : (tensor<16x10xi4>, tensor<f32>, tensor<32x10xi8>, tensor<f32>, tensor<f32>) -> tensor<16x32xf32>
  return %a, %b : tensor<16x32xf32>, tensor<16x32xf32>
}

// -----

// A dynamic batch becomes a dynamic tensor.empty sized from the operand.
// CHECK-LABEL: func.func @dynamic
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[D:.*]] = fqt.dequantize %{{.*}} -> tensor<?x32xf32>
// CHECK: %[[DIM:.*]] = tensor.dim %[[D]], %[[C0]] : tensor<?x32xf32>
// CHECK: tensor.empty(%[[DIM]]) : tensor<?x10xf32>
// CHECK: linalg.matmul ins(%[[D]], %{{.*}} : tensor<?x32xf32>, tensor<32x10xf32>)
func.func @dynamic(%g: tensor<?x32xi8>, %gs: tensor<?xf32>, %gz: tensor<?xf32>,
                   %w: tensor<32x10xi8>, %ws: tensor<f32>, %wz: tensor<f32>) -> tensor<?x10xf32> {
  %y = fqt.qmatmul %g as #fqt.psq<bits = 8> scale(%gs, %gz), %w as #fqt.weight<bits = 8> scale(%ws, %wz)
      : (tensor<?x32xi8>, tensor<?xf32>, tensor<?xf32>, tensor<32x10xi8>, tensor<f32>, tensor<f32>) -> tensor<?x10xf32>
  return %y : tensor<?x10xf32>
}
