// RUN: fqt-opt %s --split-input-file --fqt-narrow-codes | FileCheck %s

// 4-bit codes feeding a product and a dequantize become i4; 8-bit ones stay.
// CHECK-LABEL: func @product
// CHECK: fqt.quantize {{.*}} -> tensor<64x10xi4>, tensor<64xf32>, offset tensor<64xf32>
// CHECK: fqt.quantize {{.*}} -> tensor<10x128xi8>
// CHECK: fqt.qmatmul {{.*}} : (tensor<64x10xi4>, tensor<64xf32>, tensor<64xf32>, tensor<10x128xi8>
// CHECK: fqt.dequantize {{.*}} : tensor<64x10xi4>,
func.func @product(%g: tensor<64x10xf32>, %w: tensor<10x128xf32>, %seed: i64, %step: i64) -> (tensor<64x128xf32>, tensor<64x10xf32>) {
  %q, %s, %z = fqt.quantize %g seed(%seed, %step) {quantizer = #fqt.psq<bits = 4>}
      : tensor<64x10xf32> -> tensor<64x10xi8>, tensor<64xf32>, offset tensor<64xf32>
  %wq, %ws, %wz = fqt.quantize %w {quantizer = #fqt.weight<bits = 8>}
      : tensor<10x128xf32> -> tensor<10x128xi8>, tensor<f32>, offset tensor<f32>
  %p = fqt.qmatmul %q as #fqt.psq<bits = 4> scale(%s, %z), %wq as #fqt.weight<bits = 8> scale(%ws, %wz)
      : (tensor<64x10xi8>, tensor<64xf32>, tensor<64xf32>, tensor<10x128xi8>, tensor<f32>, tensor<f32>) -> tensor<64x128xf32>
  %d = fqt.dequantize %q scale(%s, %z) {quantizer = #fqt.psq<bits = 4>}
      : tensor<64x10xi8>, tensor<64xf32>, tensor<64xf32> -> tensor<64x10xf32>
  return %p, %d : tensor<64x128xf32>, tensor<64x10xf32>
}

// -----

// Signed codes (lbt) and a dynamic outer dimension: i4.
// CHECK-LABEL: func @signed_dynamic_rows
// CHECK: fqt.quantize {{.*}} -> tensor<?x7xi4>, tensor<f32>
// CHECK: fqt.dequantize {{.*}} : tensor<?x7xi4>, tensor<f32>
func.func @signed_dynamic_rows(%g: tensor<?x7xf32>, %seed: i64, %step: i64, %gamma: f32) -> tensor<?x7xf32> {
  %q, %s = fqt.quantize %g seed(%seed, %step) gamma(%gamma) {quantizer = #fqt.lbt<bits = 4>}
      : tensor<?x7xf32> -> tensor<?x7xi8>, tensor<f32>
  %d = fqt.dequantize %q scale(%s) {quantizer = #fqt.lbt<bits = 4>}
      : tensor<?x7xi8>, tensor<f32> -> tensor<?x7xf32>
  return %d : tensor<?x7xf32>
}

// -----

// Left wide: a dynamic innermost dimension (the packed buffer could not
// tell its length), rank 0, and codes that leave the fqt ops.
// CHECK-LABEL: func @kept
// CHECK: fqt.quantize {{.*}} -> tensor<4x?xi8>
// CHECK: fqt.quantize {{.*}} -> tensor<i8>
// CHECK: fqt.quantize {{.*}} -> tensor<4x4xi8>
func.func @kept(%a: tensor<4x?xf32>, %b: tensor<f32>, %c: tensor<4x4xf32>, %seed: i64, %step: i64)
    -> (tensor<4x?xf32>, tensor<f32>, tensor<4x4xi8>) {
  %q, %s, %z = fqt.quantize %a seed(%seed, %step) {quantizer = #fqt.ptq<bits = 4>}
      : tensor<4x?xf32> -> tensor<4x?xi8>, tensor<f32>, offset tensor<f32>
  %d = fqt.dequantize %q scale(%s, %z) {quantizer = #fqt.ptq<bits = 4>}
      : tensor<4x?xi8>, tensor<f32>, tensor<f32> -> tensor<4x?xf32>
  %q0, %s0, %z0 = fqt.quantize %b seed(%seed, %step) {quantizer = #fqt.ptq<bits = 4>}
      : tensor<f32> -> tensor<i8>, tensor<f32>, offset tensor<f32>
  %d0 = fqt.dequantize %q0 scale(%s0, %z0) {quantizer = #fqt.ptq<bits = 4>}
      : tensor<i8>, tensor<f32>, tensor<f32> -> tensor<f32>
  %q1, %s1, %z1 = fqt.quantize %c seed(%seed, %step) {quantizer = #fqt.ptq<bits = 4>}
      : tensor<4x4xf32> -> tensor<4x4xi8>, tensor<f32>, offset tensor<f32>
  return %d, %d0, %q1 : tensor<4x?xf32>, tensor<f32>, tensor<4x4xi8>
}
