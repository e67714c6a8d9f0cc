// mlir-opt's own round-trip check (custom form -> generic -> bytecode) holds
// for every fqt op.
// RUN: fqt-opt %s --verify-roundtrip --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @ops
func.func @ops(%g: tensor<8x4xf32>, %w: tensor<3x4xf32>, %seed: i64, %step: i64, %gamma: f32) -> tensor<8x3xf32> {
  %q, %s, %z, %t = fqt.quantize %g seed(%seed, %step) {quantizer = #fqt.bhq<bits = 5>, stream = 2 : i64}
      : tensor<8x4xf32> -> tensor<8x4xi8>, tensor<8xf32>, offset tensor<8xf32>, transform tensor<8x8xf32>
  %lq, %ls = fqt.quantize %g seed(%seed, %step) gamma(%gamma) {quantizer = #fqt.lbt<bits = 4, gamma_min = 0.01>}
      : tensor<8x4xf32> -> tensor<8x4xi4>, tensor<f32>
  %wq, %ws, %wz = fqt.quantize %w {quantizer = #fqt.weight<bits = 8>}
      : tensor<3x4xf32> -> tensor<3x4xi8>, tensor<f32>, offset tensor<f32>
  %l = fqt.dequantize %lq scale(%ls) {quantizer = #fqt.lbt<bits = 4, gamma_min = 0.01>}
      : tensor<8x4xi4>, tensor<f32> -> tensor<8x4xf32>
  %r = fqt.qmatmul %q as #fqt.bhq<bits = 5> scale(%s, %z) transform(%t), %wq as #fqt.weight<bits = 8> scale(%ws, %wz) transposed
      : (tensor<8x4xi8>, tensor<8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<3x4xi8>, tensor<f32>, tensor<f32>) -> tensor<8x3xf32>
  return %r : tensor<8x3xf32>
}
