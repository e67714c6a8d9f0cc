// fqt passes run nested in a textual pass pipeline, on any op.
// RUN: fqt-opt %s --pass-pipeline="builtin.module(func.func(fqt-simulate-qmatmul,fqt-lower-dequantize))" | FileCheck %s

// CHECK-LABEL: func.func @forward
// CHECK-NOT: fqt.
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK: linalg.matmul
// CHECK-NOT: fqt.
func.func @forward(%x: tensor<4x8xi8>, %xs: tensor<f32>, %xz: tensor<f32>,
                   %w: tensor<8x2xi8>, %ws: tensor<f32>, %wz: tensor<f32>) -> tensor<4x2xf32> {
  %y = fqt.qmatmul %x as #fqt.act<bits = 8> scale(%xs, %xz), %w as #fqt.weight<bits = 8> scale(%ws, %wz)
      : (tensor<4x8xi8>, tensor<f32>, tensor<f32>, tensor<8x2xi8>, tensor<f32>, tensor<f32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}
