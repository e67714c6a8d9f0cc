// RUN: fqt-opt %s --split-input-file | FileCheck %s
// RUN: fqt-opt %s --split-input-file | fqt-opt --split-input-file | FileCheck %s
//
// The block quantizers: attributes, quantize / dequantize with one scale per
// block along an axis (a shorter last block), rht's signs as transform, and
// a product of two rht operands in the transformed domain.

// CHECK-LABEL: func.func @blk_columns
// CHECK: %[[Q:.*]], %[[S:.*]] = fqt.quantize %{{.*}} seed(%{{.*}}, %{{.*}}) {quantizer = #fqt.blk<bits = 4, size = 32, axis = 1>, stream = 3 : i64} : tensor<8x80xf32> -> tensor<8x80xi8>, tensor<8x3xf32>
// CHECK: fqt.dequantize %[[Q]] scale(%[[S]]) {quantizer = #fqt.blk<bits = 4, size = 32, axis = 1>} : tensor<8x80xi8>, tensor<8x3xf32> -> tensor<8x80xf32>
func.func @blk_columns(%x: tensor<8x80xf32>, %seed: i64, %step: i64) -> tensor<8x80xf32> {
  %q, %s = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.blk<bits = 4, size = 32, axis = 1>, stream = 3 : i64} : tensor<8x80xf32> -> tensor<8x80xi8>, tensor<8x3xf32>
  %d = fqt.dequantize %q scale(%s) {quantizer = #fqt.blk<bits = 4, size = 32, axis = 1>} : tensor<8x80xi8>, tensor<8x3xf32> -> tensor<8x80xf32>
  return %d : tensor<8x80xf32>
}

// -----

// CHECK-LABEL: func.func @blk_rows_nearest
// CHECK: fqt.quantize %{{.*}} {quantizer = #fqt.blk<bits = 8, size = 16, axis = 0, rounding = nearest>} : tensor<64x10xf32> -> tensor<64x10xi8>, tensor<4x10xf32>
func.func @blk_rows_nearest(%x: tensor<64x10xf32>) {
  %q, %s = fqt.quantize %x {quantizer = #fqt.blk<bits = 8, size = 16, axis = 0, rounding = nearest>} : tensor<64x10xf32> -> tensor<64x10xi8>, tensor<4x10xf32>
  return
}

// -----

// CHECK-LABEL: func.func @rht_product
// CHECK: %[[A:.*]], %[[AS:.*]], %[[AT:.*]] = fqt.quantize %{{.*}} seed(%{{.*}}, %{{.*}}) {quantizer = #fqt.rht<bits = 4, size = 16, axis = 1, signs = 9>, stream = 1 : i64} : tensor<8x64xf32> -> tensor<8x64xi8>, tensor<8x4xf32>, transform tensor<16xf32>
// CHECK: fqt.dequantize %[[A]] scale(%[[AS]]) transform(%[[AT]]) {quantizer = #fqt.rht<bits = 4, size = 16, axis = 1, signs = 9>}
// CHECK: fqt.qmatmul %[[A]] as #fqt.rht<bits = 4, size = 16, axis = 1, signs = 9> scale(%[[AS]]), %{{.*}} as #fqt.rht<bits = 8, size = 16, axis = 0, signs = 9> scale(%{{.*}})
func.func @rht_product(%g: tensor<8x64xf32>, %w: tensor<64x5xf32>, %seed: i64, %step: i64) -> (tensor<8x64xf32>, tensor<8x5xf32>) {
  %a, %as, %at = fqt.quantize %g seed(%seed, %step) {quantizer = #fqt.rht<bits = 4, size = 16, axis = 1, signs = 9>, stream = 1 : i64} : tensor<8x64xf32> -> tensor<8x64xi8>, tensor<8x4xf32>, transform tensor<16xf32>
  %d = fqt.dequantize %a scale(%as) transform(%at) {quantizer = #fqt.rht<bits = 4, size = 16, axis = 1, signs = 9>} : tensor<8x64xi8>, tensor<8x4xf32>, tensor<16xf32> -> tensor<8x64xf32>
  %b, %bs, %bt = fqt.quantize %w seed(%seed, %step) {quantizer = #fqt.rht<bits = 8, size = 16, axis = 0, signs = 9>, stream = 2 : i64} : tensor<64x5xf32> -> tensor<64x5xi8>, tensor<4x5xf32>, transform tensor<16xf32>
  %c = fqt.qmatmul %a as #fqt.rht<bits = 4, size = 16, axis = 1, signs = 9> scale(%as), %b as #fqt.rht<bits = 8, size = 16, axis = 0, signs = 9> scale(%bs) : (tensor<8x64xi8>, tensor<8x4xf32>, tensor<64x5xi8>, tensor<4x5xf32>) -> tensor<8x5xf32>
  return %d, %c : tensor<8x64xf32>, tensor<8x5xf32>
}
