// RUN: fqt-opt %s --split-input-file | FileCheck %s
// RUN: fqt-opt %s --split-input-file | fqt-opt --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @per_row
// CHECK: fqt.dequantize %{{.*}} scale(%{{.*}}, %{{.*}}) {quantizer = #fqt.psq<bits = 4>} : tensor<128x64xi8>, tensor<128xf32>, tensor<128xf32> -> tensor<128x64xf32>
func.func @per_row(%q: tensor<128x64xi8>, %s: tensor<128xf32>, %z: tensor<128xf32>) -> tensor<128x64xf32> {
  %x = fqt.dequantize %q scale(%s, %z) {quantizer = #fqt.psq<bits = 4>}
      : tensor<128x64xi8>, tensor<128xf32>, tensor<128xf32> -> tensor<128x64xf32>
  return %x : tensor<128x64xf32>
}

// -----

// CHECK-LABEL: func.func @symmetric
// CHECK: fqt.dequantize %{{.*}} scale(%{{.*}}) {quantizer = #fqt.lbt<bits = 4>} : tensor<16x8xi4>, tensor<f32> -> tensor<16x8xf32>
func.func @symmetric(%q: tensor<16x8xi4>, %s: tensor<f32>) -> tensor<16x8xf32> {
  %x = fqt.dequantize %q scale(%s) {quantizer = #fqt.lbt<bits = 4>}
      : tensor<16x8xi4>, tensor<f32> -> tensor<16x8xf32>
  return %x : tensor<16x8xf32>
}

// -----

// CHECK-LABEL: func.func @with_transform
// CHECK: fqt.dequantize %{{.*}} scale(%{{.*}}, %{{.*}}) transform(%{{.*}}) {quantizer = #fqt.bhq<bits = 5>} : tensor<8x4xi8>, tensor<8xf32>, tensor<8xf32>, tensor<8x8xf32> -> tensor<8x4xf32>
func.func @with_transform(%q: tensor<8x4xi8>, %s: tensor<8xf32>, %z: tensor<8xf32>, %t: tensor<8x8xf32>) -> tensor<8x4xf32> {
  %x = fqt.dequantize %q scale(%s, %z) transform(%t) {quantizer = #fqt.bhq<bits = 5>}
      : tensor<8x4xi8>, tensor<8xf32>, tensor<8xf32>, tensor<8x8xf32> -> tensor<8x4xf32>
  return %x : tensor<8x4xf32>
}

// -----

// CHECK-LABEL: func.func @per_column_rank3
// CHECK: fqt.dequantize %{{.*}} scale(%{{.*}}, %{{.*}}) {quantizer = #fqt.percol<bits = 8>} : tensor<4x3x2xi8>, tensor<3x2xf32>, tensor<3x2xf32> -> tensor<4x3x2xf32>
func.func @per_column_rank3(%q: tensor<4x3x2xi8>, %s: tensor<3x2xf32>, %z: tensor<3x2xf32>) -> tensor<4x3x2xf32> {
  %x = fqt.dequantize %q scale(%s, %z) {quantizer = #fqt.percol<bits = 8>}
      : tensor<4x3x2xi8>, tensor<3x2xf32>, tensor<3x2xf32> -> tensor<4x3x2xf32>
  return %x : tensor<4x3x2xf32>
}
