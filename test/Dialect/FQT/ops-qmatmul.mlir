// RUN: fqt-opt %s --split-input-file | FileCheck %s
// RUN: fqt-opt %s --split-input-file | fqt-opt --split-input-file | FileCheck %s

// Forward product: activations x weights, both per tensor.
// CHECK-LABEL: func.func @forward
// CHECK: fqt.qmatmul %{{.*}} as #fqt.act<bits = 8> scale(%{{.*}}, %{{.*}}), %{{.*}} as #fqt.weight<bits = 8> scale(%{{.*}}, %{{.*}}) : (tensor<128x784xi8>, tensor<f32>, tensor<f32>, tensor<784x100xi8>, tensor<f32>, tensor<f32>) -> tensor<128x100xf32>
func.func @forward(%x: tensor<128x784xi8>, %xs: tensor<f32>, %xz: tensor<f32>,
                   %w: tensor<784x100xi8>, %ws: tensor<f32>, %wz: tensor<f32>) -> tensor<128x100xf32> {
  %y = fqt.qmatmul %x as #fqt.act<bits = 8> scale(%xs, %xz), %w as #fqt.weight<bits = 8> scale(%ws, %wz)
      : (tensor<128x784xi8>, tensor<f32>, tensor<f32>, tensor<784x100xi8>, tensor<f32>, tensor<f32>) -> tensor<128x100xf32>
  return %y : tensor<128x100xf32>
}

// -----

// Data gradient dX = dY * W^T: per-sample dY, the weight stored as K x N.
// CHECK-LABEL: func.func @dgrad
// CHECK: fqt.qmatmul %{{.*}} as #fqt.psq<bits = 4> scale(%{{.*}}, %{{.*}}), %{{.*}} as #fqt.weight<bits = 8> scale(%{{.*}}, %{{.*}}) transposed
// CHECK-SAME: -> tensor<128x784xf32>
func.func @dgrad(%g: tensor<128x100xi8>, %gs: tensor<128xf32>, %gz: tensor<128xf32>,
                 %w: tensor<784x100xi8>, %ws: tensor<f32>, %wz: tensor<f32>) -> tensor<128x784xf32> {
  %dx = fqt.qmatmul %g as #fqt.psq<bits = 4> scale(%gs, %gz), %w as #fqt.weight<bits = 8> scale(%ws, %wz) transposed
      : (tensor<128x100xi8>, tensor<128xf32>, tensor<128xf32>, tensor<784x100xi8>, tensor<f32>, tensor<f32>) -> tensor<128x784xf32>
  return %dx : tensor<128x784xf32>
}

// -----

// Weight gradient dW = X^T * dY: the batch is the reduction.
// CHECK-LABEL: func.func @wgrad
// CHECK: fqt.qmatmul %{{.*}} as #fqt.act<bits = 8> scale(%{{.*}}, %{{.*}}) transposed, %{{.*}} as #fqt.percol<bits = 8> scale(%{{.*}}, %{{.*}})
// CHECK-SAME: -> tensor<784x100xf32>
func.func @wgrad(%x: tensor<128x784xi8>, %xs: tensor<f32>, %xz: tensor<f32>,
                 %g: tensor<128x100xi8>, %gs: tensor<100xf32>, %gz: tensor<100xf32>) -> tensor<784x100xf32> {
  %dw = fqt.qmatmul %x as #fqt.act<bits = 8> scale(%xs, %xz) transposed, %g as #fqt.percol<bits = 8> scale(%gs, %gz)
      : (tensor<128x784xi8>, tensor<f32>, tensor<f32>, tensor<128x100xi8>, tensor<100xf32>, tensor<100xf32>) -> tensor<784x100xf32>
  return %dw : tensor<784x100xf32>
}

// -----

// BHQ left operand with its inverse transform; LBT (symmetric, no offset).
// CHECK-LABEL: func.func @bhq_and_lbt
// CHECK: fqt.qmatmul %{{.*}} as #fqt.bhq<bits = 5> scale(%{{.*}}, %{{.*}}) transform(%{{.*}}), %{{.*}} as #fqt.weight<bits = 8> scale(%{{.*}}, %{{.*}}) transposed
// CHECK: fqt.qmatmul %{{.*}} as #fqt.lbt<bits = 4> scale(%{{.*}}), %{{.*}} as #fqt.weight<bits = 4> scale(%{{.*}}, %{{.*}}) transposed
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

// CHECK-LABEL: func.func @dynamic
// CHECK: fqt.qmatmul {{.*}} -> tensor<?x10xf32>
func.func @dynamic(%g: tensor<?x32xi8>, %gs: tensor<?xf32>, %gz: tensor<?xf32>,
                   %w: tensor<32x10xi8>, %ws: tensor<f32>, %wz: tensor<f32>) -> tensor<?x10xf32> {
  %y = fqt.qmatmul %g as #fqt.psq<bits = 8> scale(%gs, %gz), %w as #fqt.weight<bits = 8> scale(%ws, %wz)
      : (tensor<?x32xi8>, tensor<?xf32>, tensor<?xf32>, tensor<32x10xi8>, tensor<f32>, tensor<f32>) -> tensor<?x10xf32>
  return %y : tensor<?x10xf32>
}
