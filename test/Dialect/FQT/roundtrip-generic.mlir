// The generic form and bytecode carry every fqt op and attribute unchanged.
// RUN: fqt-opt %s --mlir-print-op-generic | fqt-opt | FileCheck %s
// RUN: fqt-opt %s --emit-bytecode | fqt-opt | FileCheck %s

// CHECK-LABEL: func.func @all_ops
// CHECK: fqt.quantize %{{.*}} seed(%{{.*}}, %{{.*}}) {quantizer = #fqt.bhq<bits = 5>, stream = 2 : i64} : tensor<8x4xf32> -> tensor<8x4xi8>, tensor<8xf32>, offset tensor<8xf32>, transform tensor<8x8xf32>
// CHECK: fqt.quantize %{{.*}} seed(%{{.*}}, %{{.*}}) gamma(%{{.*}}) {quantizer = #fqt.lbt<bits = 4, alpha = 2.000000e-03>}
// CHECK: fqt.quantize %{{.*}} {quantizer = #fqt.weight<bits = 8>}
// CHECK: fqt.dequantize %{{.*}} scale(%{{.*}}) {quantizer = #fqt.lbt<bits = 4, alpha = 2.000000e-03>}
// CHECK: fqt.qmatmul %{{.*}} as #fqt.bhq<bits = 5> scale(%{{.*}}, %{{.*}}) transform(%{{.*}}), %{{.*}} as #fqt.weight<bits = 8> scale(%{{.*}}, %{{.*}}) transposed
func.func @all_ops(%g: tensor<8x4xf32>, %w: tensor<3x4xf32>, %seed: i64, %step: i64, %gamma: f32)
    -> (tensor<8x3xf32>, tensor<8x4xf32>) {
  %q, %s, %z, %t = fqt.quantize %g seed(%seed, %step) {quantizer = #fqt.bhq<bits = 5>, stream = 2 : i64}
      : tensor<8x4xf32> -> tensor<8x4xi8>, tensor<8xf32>, offset tensor<8xf32>, transform tensor<8x8xf32>
  %lq, %ls = fqt.quantize %g seed(%seed, %step) gamma(%gamma) {quantizer = #fqt.lbt<bits = 4, alpha = 2.0e-3>}
      : tensor<8x4xf32> -> tensor<8x4xi4>, tensor<f32>
  %wq, %ws, %wz = fqt.quantize %w {quantizer = #fqt.weight<bits = 8>}
      : tensor<3x4xf32> -> tensor<3x4xi8>, tensor<f32>, offset tensor<f32>
  %l = fqt.dequantize %lq scale(%ls) {quantizer = #fqt.lbt<bits = 4, alpha = 2.0e-3>}
      : tensor<8x4xi4>, tensor<f32> -> tensor<8x4xf32>
  %r = fqt.qmatmul %q as #fqt.bhq<bits = 5> scale(%s, %z) transform(%t), %wq as #fqt.weight<bits = 8> scale(%ws, %wz) transposed
      : (tensor<8x4xi8>, tensor<8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<3x4xi8>, tensor<f32>, tensor<f32>) -> tensor<8x3xf32>
  return %r, %l : tensor<8x3xf32>, tensor<8x4xf32>
}
