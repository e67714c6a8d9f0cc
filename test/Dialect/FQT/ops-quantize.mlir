// RUN: fqt-opt %s --split-input-file | FileCheck %s
// RUN: fqt-opt %s --split-input-file | fqt-opt --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @per_tensor
// CHECK: %{{.*}}, %{{.*}}, %{{.*}} = fqt.quantize %{{.*}} seed(%{{.*}}, %{{.*}}) {quantizer = #fqt.ptq<bits = 4>, stream = 7 : i64} : tensor<128x64xf32> -> tensor<128x64xi8>, tensor<f32>, offset tensor<f32>
func.func @per_tensor(%g: tensor<128x64xf32>, %seed: i64, %step: i64) -> tensor<128x64xi8> {
  %q, %s, %z = fqt.quantize %g seed(%seed, %step) {quantizer = #fqt.ptq<bits = 4>, stream = 7 : i64}
      : tensor<128x64xf32> -> tensor<128x64xi8>, tensor<f32>, offset tensor<f32>
  return %q : tensor<128x64xi8>
}

// -----

// CHECK-LABEL: func.func @per_row
// CHECK: fqt.quantize %{{.*}} seed(%{{.*}}, %{{.*}}) {quantizer = #fqt.psq<bits = 5>} : tensor<32x10xf32> -> tensor<32x10xi8>, tensor<32xf32>, offset tensor<32xf32>
func.func @per_row(%g: tensor<32x10xf32>, %seed: i64, %step: i64) -> tensor<32x10xi8> {
  %q, %s, %z = fqt.quantize %g seed(%seed, %step) {quantizer = #fqt.psq<bits = 5>}
      : tensor<32x10xf32> -> tensor<32x10xi8>, tensor<32xf32>, offset tensor<32xf32>
  return %q : tensor<32x10xi8>
}

// -----

// Per-column scales of a convolution output gradient: one per (c, h, w).
// CHECK-LABEL: func.func @per_column
// CHECK: fqt.quantize %{{.*}} seed(%{{.*}}, %{{.*}}) {quantizer = #fqt.percol<bits = 8>} : tensor<16x4x5x5xf32> -> tensor<16x4x5x5xi8>, tensor<4x5x5xf32>, offset tensor<4x5x5xf32>
func.func @per_column(%g: tensor<16x4x5x5xf32>, %seed: i64, %step: i64) -> tensor<16x4x5x5xi8> {
  %q, %s, %z = fqt.quantize %g seed(%seed, %step) {quantizer = #fqt.percol<bits = 8>}
      : tensor<16x4x5x5xf32> -> tensor<16x4x5x5xi8>, tensor<4x5x5xf32>, offset tensor<4x5x5xf32>
  return %q : tensor<16x4x5x5xi8>
}

// -----

// BHQ yields the inverse transform of its row grouping.
// CHECK-LABEL: func.func @block_householder
// CHECK: %{{.*}}, %{{.*}}, %{{.*}}, %[[T:.*]] = fqt.quantize %{{.*}} seed(%{{.*}}, %{{.*}}) {quantizer = #fqt.bhq<bits = 4>} : tensor<8x3xf32> -> tensor<8x3xi4>, tensor<8xf32>, offset tensor<8xf32>, transform tensor<8x8xf32>
// CHECK: return %[[T]]
func.func @block_householder(%g: tensor<8x3xf32>, %seed: i64, %step: i64) -> tensor<8x8xf32> {
  %q, %s, %z, %t = fqt.quantize %g seed(%seed, %step) {quantizer = #fqt.bhq<bits = 4>}
      : tensor<8x3xf32> -> tensor<8x3xi4>, tensor<8xf32>, offset tensor<8xf32>, transform tensor<8x8xf32>
  return %t : tensor<8x8xf32>
}

// -----

// LBT is symmetric: no offset; its clipping factor is an operand.
// CHECK-LABEL: func.func @interval
// CHECK: fqt.quantize %{{.*}} seed(%{{.*}}, %{{.*}}) gamma(%{{.*}}) {quantizer = #fqt.lbt<bits = 4>} : tensor<16x8xf32> -> tensor<16x8xi4>, tensor<f32>
func.func @interval(%g: tensor<16x8xf32>, %seed: i64, %step: i64, %gamma: f32) -> tensor<16x8xi4> {
  %q, %s = fqt.quantize %g seed(%seed, %step) gamma(%gamma) {quantizer = #fqt.lbt<bits = 4>}
      : tensor<16x8xf32> -> tensor<16x8xi4>, tensor<f32>
  return %q : tensor<16x8xi4>
}

// -----

// Forward quantizers round to nearest and take no seed.
// CHECK-LABEL: func.func @forward
// CHECK: fqt.quantize %{{.*}} {quantizer = #fqt.act<bits = 8>} : tensor<4x784xf32> -> tensor<4x784xi8>, tensor<f32>, offset tensor<f32>
// CHECK: fqt.quantize %{{.*}} {quantizer = #fqt.weight<bits = 4>} : tensor<784x10xf32> -> tensor<784x10xi4>, tensor<f32>, offset tensor<f32>
func.func @forward(%x: tensor<4x784xf32>, %w: tensor<784x10xf32>) -> (tensor<4x784xi8>, tensor<784x10xi4>) {
  %xq, %xs, %xz = fqt.quantize %x {quantizer = #fqt.act<bits = 8>}
      : tensor<4x784xf32> -> tensor<4x784xi8>, tensor<f32>, offset tensor<f32>
  %wq, %ws, %wz = fqt.quantize %w {quantizer = #fqt.weight<bits = 4>}
      : tensor<784x10xf32> -> tensor<784x10xi4>, tensor<f32>, offset tensor<f32>
  return %xq, %wq : tensor<4x784xi8>, tensor<784x10xi4>
}

// -----

// Dynamic sizes: scale shapes follow the dynamic batch.
// CHECK-LABEL: func.func @dynamic_batch
// CHECK: fqt.quantize %{{.*}} seed(%{{.*}}, %{{.*}}) {quantizer = #fqt.psq<bits = 4>} : tensor<?x64xf32> -> tensor<?x64xi8>, tensor<?xf32>, offset tensor<?xf32>
func.func @dynamic_batch(%g: tensor<?x64xf32>, %seed: i64, %step: i64) -> tensor<?x64xi8> {
  %q, %s, %z = fqt.quantize %g seed(%seed, %step) {quantizer = #fqt.psq<bits = 4>}
      : tensor<?x64xf32> -> tensor<?x64xi8>, tensor<?xf32>, offset tensor<?xf32>
  return %q : tensor<?x64xi8>
}
