// RUN: fqt-opt %s --fqt-cpu-pipeline | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | FileCheck %s

// A quantized product in the simulate mode, run on the CPU: per-sample 8-bit
// codes (255 must read as unsigned) times a per-tensor weight. Expected
// values computed by hand: row i of A is codes * scale_i + offset_i, B is
// codes * 2 - 3.

func.func @product(%a: tensor<3x4xi8>, %sa: tensor<3xf32>, %za: tensor<3xf32>,
                   %b: tensor<4x2xi8>, %sb: tensor<f32>, %zb: tensor<f32>) -> tensor<3x2xf32> {
  %r = fqt.qmatmul %a as #fqt.psq<bits = 8> scale(%sa, %za), %b as #fqt.weight<bits = 8> scale(%sb, %zb)
      : (tensor<3x4xi8>, tensor<3xf32>, tensor<3xf32>, tensor<4x2xi8>, tensor<f32>, tensor<f32>) -> tensor<3x2xf32>
  return %r : tensor<3x2xf32>
}

// The same product with the weight stored transposed.
func.func @product_t(%a: tensor<3x4xi8>, %sa: tensor<3xf32>, %za: tensor<3xf32>,
                     %b: tensor<2x4xi8>, %sb: tensor<f32>, %zb: tensor<f32>) -> tensor<3x2xf32> {
  %r = fqt.qmatmul %a as #fqt.psq<bits = 8> scale(%sa, %za), %b as #fqt.weight<bits = 8> scale(%sb, %zb) transposed
      : (tensor<3x4xi8>, tensor<3xf32>, tensor<3xf32>, tensor<2x4xi8>, tensor<f32>, tensor<f32>) -> tensor<3x2xf32>
  return %r : tensor<3x2xf32>
}

func.func private @printMemrefF32(memref<*xf32>)

func.func @print(%t: tensor<3x2xf32>) {
  %m = bufferization.to_buffer %t : tensor<3x2xf32> to memref<3x2xf32>
  %u = memref.cast %m : memref<3x2xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}

func.func @main() {
  %a = arith.constant dense<[[0, 1, 2, 3], [255, 0, 0, 1], [4, 4, 4, 4]]> : tensor<3x4xi8>
  %sa = arith.constant dense<[1.0, 0.5, 0.25]> : tensor<3xf32>
  %za = arith.constant dense<[0.0, -1.0, 2.0]> : tensor<3xf32>
  %b = arith.constant dense<[[1, 2], [3, 4], [5, 6], [7, 8]]> : tensor<4x2xi8>
  %bt = arith.constant dense<[[1, 3, 5, 7], [2, 4, 6, 8]]> : tensor<2x4xi8>
  %sb = arith.constant dense<2.0> : tensor<f32>
  %zb = arith.constant dense<-3.0> : tensor<f32>
  %r = call @product(%a, %sa, %za, %b, %sb, %zb)
      : (tensor<3x4xi8>, tensor<3xf32>, tensor<3xf32>, tensor<4x2xi8>, tensor<f32>, tensor<f32>) -> tensor<3x2xf32>
  // CHECK: sizes = [3, 2]
  // CHECK-NEXT: [50, 62]
  // CHECK-NEXT: [-142, 106]
  // CHECK-NEXT: [60, 84]
  call @print(%r) : (tensor<3x2xf32>) -> ()
  %rt = call @product_t(%a, %sa, %za, %bt, %sb, %zb)
      : (tensor<3x4xi8>, tensor<3xf32>, tensor<3xf32>, tensor<2x4xi8>, tensor<f32>, tensor<f32>) -> tensor<3x2xf32>
  // CHECK: sizes = [3, 2]
  // CHECK-NEXT: [50, 62]
  // CHECK-NEXT: [-142, 106]
  // CHECK-NEXT: [60, 84]
  call @print(%rt) : (tensor<3x2xf32>) -> ()
  return
}
