// RUN: fqt-opt %s --fqt-cpu-pipeline | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | FileCheck %s

// A dynamic batch: the product is compiled for tensor<?x4xi8> and called
// with two different batch sizes.

func.func private @printMemrefF32(memref<*xf32>)

func.func @product(%a: tensor<?x4xi8>, %sa: tensor<?xf32>, %za: tensor<?xf32>,
                   %b: tensor<4x1xi8>, %sb: tensor<f32>, %zb: tensor<f32>) -> tensor<?x1xf32> {
  %r = fqt.qmatmul %a as #fqt.psq<bits = 4> scale(%sa, %za), %b as #fqt.weight<bits = 8> scale(%sb, %zb)
      : (tensor<?x4xi8>, tensor<?xf32>, tensor<?xf32>, tensor<4x1xi8>, tensor<f32>, tensor<f32>) -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

func.func @run(%a: tensor<?x4xi8>, %sa: tensor<?xf32>, %za: tensor<?xf32>) {
  %b = arith.constant dense<[[1], [1], [1], [1]]> : tensor<4x1xi8>
  %sb = arith.constant dense<1.0> : tensor<f32>
  %zb = arith.constant dense<0.0> : tensor<f32>
  %r = call @product(%a, %sa, %za, %b, %sb, %zb)
      : (tensor<?x4xi8>, tensor<?xf32>, tensor<?xf32>, tensor<4x1xi8>, tensor<f32>, tensor<f32>) -> tensor<?x1xf32>
  %m = bufferization.to_buffer %r : tensor<?x1xf32> to memref<?x1xf32>
  %u = memref.cast %m : memref<?x1xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}

func.func @main() {
  // Row sums of codes times the row scale, plus 4 times the row offset.
  %a2 = arith.constant dense<[[1, 2, 3, 4], [15, 15, 15, 15]]> : tensor<2x4xi8>
  %s2 = arith.constant dense<[1.0, 0.5]> : tensor<2xf32>
  %z2 = arith.constant dense<[0.0, -1.0]> : tensor<2xf32>
  %a2d = tensor.cast %a2 : tensor<2x4xi8> to tensor<?x4xi8>
  %s2d = tensor.cast %s2 : tensor<2xf32> to tensor<?xf32>
  %z2d = tensor.cast %z2 : tensor<2xf32> to tensor<?xf32>
  // CHECK: sizes = [2, 1]
  // CHECK-NEXT: [10]
  // CHECK-NEXT: [26]
  call @run(%a2d, %s2d, %z2d) : (tensor<?x4xi8>, tensor<?xf32>, tensor<?xf32>) -> ()

  %a3 = arith.constant dense<[[0, 0, 0, 1], [1, 0, 0, 0], [2, 2, 2, 2]]> : tensor<3x4xi8>
  %s3 = arith.constant dense<[2.0, 3.0, 0.25]> : tensor<3xf32>
  %z3 = arith.constant dense<[1.0, 0.0, 0.0]> : tensor<3xf32>
  %a3d = tensor.cast %a3 : tensor<3x4xi8> to tensor<?x4xi8>
  %s3d = tensor.cast %s3 : tensor<3xf32> to tensor<?xf32>
  %z3d = tensor.cast %z3 : tensor<3xf32> to tensor<?xf32>
  // CHECK: sizes = [3, 1]
  // CHECK-NEXT: [6]
  // CHECK-NEXT: [3]
  // CHECK-NEXT: [2]
  call @run(%a3d, %s3d, %z3d) : (tensor<?x4xi8>, tensor<?xf32>, tensor<?xf32>) -> ()
  return
}
