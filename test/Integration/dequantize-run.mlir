// RUN: fqt-opt %s --fqt-cpu-pipeline | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | FileCheck %s

// Dequantization run on the CPU: the inverse BHQ transform, signed LBT
// codes, and per-column scales.

func.func private @printMemrefF32(memref<*xf32>)

func.func @bhq(%q: tensor<3x2xi8>, %s: tensor<3xf32>, %z: tensor<3xf32>, %t: tensor<3x3xf32>) -> tensor<3x2xf32> {
  %x = fqt.dequantize %q scale(%s, %z) transform(%t) {quantizer = #fqt.bhq<bits = 4>}
      : tensor<3x2xi8>, tensor<3xf32>, tensor<3xf32>, tensor<3x3xf32> -> tensor<3x2xf32>
  return %x : tensor<3x2xf32>
}

func.func @lbt(%q: tensor<4xi4>, %s: tensor<f32>) -> tensor<4xf32> {
  %x = fqt.dequantize %q scale(%s) {quantizer = #fqt.lbt<bits = 4>}
      : tensor<4xi4>, tensor<f32> -> tensor<4xf32>
  return %x : tensor<4xf32>
}

func.func @percol(%q: tensor<2x3xi8>, %s: tensor<3xf32>, %z: tensor<3xf32>) -> tensor<2x3xf32> {
  %x = fqt.dequantize %q scale(%s, %z) {quantizer = #fqt.percol<bits = 8>}
      : tensor<2x3xi8>, tensor<3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  return %x : tensor<2x3xf32>
}

func.func @main() {
  // Rows [1 2], [3 4], [5 6] scaled by [1, 1, 2] with offsets [0, -1, 0] are
  // [1 2], [2 3], [10 12]; T^-1 = [[0 2 0], [1 0 0], [0 0 .5]] maps them to
  // [4 6], [1 2], [5 6].
  %q = arith.constant dense<[[1, 2], [3, 4], [5, 6]]> : tensor<3x2xi8>
  %s = arith.constant dense<[1.0, 1.0, 2.0]> : tensor<3xf32>
  %z = arith.constant dense<[0.0, -1.0, 0.0]> : tensor<3xf32>
  %t = arith.constant dense<[[0.0, 2.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.5]]> : tensor<3x3xf32>
  %b = call @bhq(%q, %s, %z, %t) : (tensor<3x2xi8>, tensor<3xf32>, tensor<3xf32>, tensor<3x3xf32>) -> tensor<3x2xf32>
  %bm = bufferization.to_buffer %b : tensor<3x2xf32> to memref<3x2xf32>
  %bu = memref.cast %bm : memref<3x2xf32> to memref<*xf32>
  // CHECK: sizes = [3, 2]
  // CHECK-NEXT: [4, 6]
  // CHECK-NEXT: [1, 2]
  // CHECK-NEXT: [5, 6]
  call @printMemrefF32(%bu) : (memref<*xf32>) -> ()

  // Signed 4-bit codes: -7 and 7 are the ends of the symmetric range.
  %l = arith.constant dense<[-7, 7, 0, -1]> : tensor<4xi4>
  %ls = arith.constant dense<0.5> : tensor<f32>
  %lx = call @lbt(%l, %ls) : (tensor<4xi4>, tensor<f32>) -> tensor<4xf32>
  %lm = bufferization.to_buffer %lx : tensor<4xf32> to memref<4xf32>
  %lu = memref.cast %lm : memref<4xf32> to memref<*xf32>
  // CHECK: sizes = [4]
  // CHECK-NEXT: [-3.5, 3.5, 0, -0.5]
  call @printMemrefF32(%lu) : (memref<*xf32>) -> ()

  %c = arith.constant dense<[[0, 1, 200], [10, 20, 30]]> : tensor<2x3xi8>
  %cs = arith.constant dense<[1.0, 0.5, 0.125]> : tensor<3xf32>
  %cz = arith.constant dense<[-1.0, 0.0, 1.0]> : tensor<3xf32>
  %cx = call @percol(%c, %cs, %cz) : (tensor<2x3xi8>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %cm = bufferization.to_buffer %cx : tensor<2x3xf32> to memref<2x3xf32>
  %cu = memref.cast %cm : memref<2x3xf32> to memref<*xf32>
  // CHECK: sizes = [2, 3]
  // CHECK-NEXT: [-1, 0.5, 26]
  // CHECK-NEXT: [9, 10, 4.75]
  call @printMemrefF32(%cu) : (memref<*xf32>) -> ()
  return
}
