// RUN: fqt-opt %s --split-input-file --canonicalize --cse | FileCheck %s

// fqt ops are pure: the same key gives the same codes, so an unused
// quantization is dead code.
// CHECK-LABEL: func.func @dead_quantize
// CHECK-NOT: fqt.quantize
// CHECK: return
func.func @dead_quantize(%g: tensor<8x4xf32>, %seed: i64, %step: i64) {
  %q, %s, %z = fqt.quantize %g seed(%seed, %step) {quantizer = #fqt.psq<bits = 4>}
      : tensor<8x4xf32> -> tensor<8x4xi8>, tensor<8xf32>, offset tensor<8xf32>
  return
}

// -----

// Identical quantizations (same input, key and stream) are computed once.
// CHECK-LABEL: func.func @cse_same_key
// CHECK-COUNT-1: fqt.quantize
// CHECK-NOT: fqt.quantize
func.func @cse_same_key(%g: tensor<8x4xf32>, %seed: i64, %step: i64) -> (tensor<8x4xi8>, tensor<8x4xi8>) {
  %q1, %s1, %z1 = fqt.quantize %g seed(%seed, %step) {quantizer = #fqt.psq<bits = 4>, stream = 1 : i64}
      : tensor<8x4xf32> -> tensor<8x4xi8>, tensor<8xf32>, offset tensor<8xf32>
  %q2, %s2, %z2 = fqt.quantize %g seed(%seed, %step) {quantizer = #fqt.psq<bits = 4>, stream = 1 : i64}
      : tensor<8x4xf32> -> tensor<8x4xi8>, tensor<8xf32>, offset tensor<8xf32>
  return %q1, %q2 : tensor<8x4xi8>, tensor<8x4xi8>
}

// -----

// Different streams draw independent noise (the two independent gradient
// quantizations of Chen et al.): both stay.
// CHECK-LABEL: func.func @independent_streams
// CHECK: fqt.quantize {{.*}}stream = 1
// CHECK: fqt.quantize {{.*}}stream = 2
func.func @independent_streams(%g: tensor<8x4xf32>, %seed: i64, %step: i64) -> (tensor<8x4xi8>, tensor<8x4xi8>) {
  %q1, %s1, %z1 = fqt.quantize %g seed(%seed, %step) {quantizer = #fqt.psq<bits = 4>, stream = 1 : i64}
      : tensor<8x4xf32> -> tensor<8x4xi8>, tensor<8xf32>, offset tensor<8xf32>
  %q2, %s2, %z2 = fqt.quantize %g seed(%seed, %step) {quantizer = #fqt.psq<bits = 4>, stream = 2 : i64}
      : tensor<8x4xf32> -> tensor<8x4xi8>, tensor<8xf32>, offset tensor<8xf32>
  return %q1, %q2 : tensor<8x4xi8>, tensor<8x4xi8>
}
