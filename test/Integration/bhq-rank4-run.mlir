// RUN: fqt-opt %s --fqt-cpu-pipeline | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | FileCheck %s

// A BHQ-quantized convolution gradient (rank 4: N x C x H x W) is rotated
// back as an N x (C*H*W) matrix; the result keeps its shape. The transform
// swaps samples 0 and 2 and doubles sample 1.

func.func private @printMemrefF32(memref<*xf32>)

func.func @bhq(%q: tensor<3x1x2x2xi8>, %s: tensor<3xf32>, %z: tensor<3xf32>, %t: tensor<3x3xf32>) -> tensor<3x1x2x2xf32> {
  %x = fqt.dequantize %q scale(%s, %z) transform(%t) {quantizer = #fqt.bhq<bits = 4>}
      : tensor<3x1x2x2xi8>, tensor<3xf32>, tensor<3xf32>, tensor<3x3xf32> -> tensor<3x1x2x2xf32>
  return %x : tensor<3x1x2x2xf32>
}

func.func @main() {
  %q = arith.constant dense<[[[[1, 2], [3, 4]]], [[[5, 6], [7, 8]]], [[[9, 10], [11, 12]]]]> : tensor<3x1x2x2xi8>
  %s = arith.constant dense<[1.0, 0.5, 1.0]> : tensor<3xf32>
  %z = arith.constant dense<[0.0, 0.0, -9.0]> : tensor<3xf32>
  %t = arith.constant dense<[[0.0, 0.0, 1.0], [0.0, 2.0, 0.0], [1.0, 0.0, 0.0]]> : tensor<3x3xf32>
  %x = call @bhq(%q, %s, %z, %t) : (tensor<3x1x2x2xi8>, tensor<3xf32>, tensor<3xf32>, tensor<3x3xf32>) -> tensor<3x1x2x2xf32>
  %m = bufferization.to_buffer %x : tensor<3x1x2x2xf32> to memref<3x1x2x2xf32>
  %u = memref.cast %m : memref<3x1x2x2xf32> to memref<*xf32>
  // CHECK: sizes = [3, 1, 2, 2]
  // CHECK-NEXT: {{\[}}{{\[}}{{\[}}[0, 1],
  // CHECK-NEXT: [2, 3]]],
  // CHECK-NEXT: {{\[}}{{\[}}[5, 6],
  // CHECK-NEXT: [7, 8]]],
  // CHECK-NEXT: {{\[}}{{\[}}[1, 2],
  // CHECK-NEXT: [3, 4]]]]
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}
