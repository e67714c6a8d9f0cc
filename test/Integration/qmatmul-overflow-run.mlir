// RUN: fqt-opt %s --fqt-cpu-pipeline | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | FileCheck %s
// RUN: fqt-opt %s --fqt-cpu-pipeline="vectorize=0" | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | FileCheck %s

// An integer product whose reduction is too long for an i32 sum: K = 70000
// unsigned 8-bit codes of 255 on both sides, 70000 * 255 * 255 = 4.55e9 >
// 2^31. --fqt-lower-qmatmul sums blocks of at most 33025 products in i32
// and the blocks in f32, so the result is exact to f32 rounding (an i32
// accumulator would wrap to a negative number).

func.func private @printMemrefF32(tensor<*xf32>)

func.func @main() {
  %a = arith.constant dense<-1> : tensor<1x70000xi8>
  %b = arith.constant dense<-1> : tensor<70000x1xi8>
  %one = arith.constant dense<1.0> : tensor<f32>
  %zero = arith.constant dense<0.0> : tensor<f32>
  // sum_k (255 * 1 + 0) * (255 * 1 + 0) = 70000 * 65025.
  // CHECK: {{\[\[}}4.55175e+09]]
  %c = fqt.qmatmul %a as #fqt.act<bits = 8> scale(%one, %zero), %b as #fqt.weight<bits = 8> scale(%one, %zero)
      : (tensor<1x70000xi8>, tensor<f32>, tensor<f32>, tensor<70000x1xi8>, tensor<f32>, tensor<f32>) -> tensor<1x1xf32>
  %u = tensor.cast %c : tensor<1x1xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()

  // With offsets the zero-point corrections use the code sums of each
  // block: sum_k (255 * 0.5 - 3) * (255 * 2 + 1) = 70000 * 124.5 * 511.
  // CHECK: {{\[\[}}4.45336e+09]]
  %half = arith.constant dense<0.5> : tensor<f32>
  %two = arith.constant dense<2.0> : tensor<f32>
  %m3 = arith.constant dense<-3.0> : tensor<f32>
  %d = fqt.qmatmul %a as #fqt.act<bits = 8> scale(%half, %m3), %b as #fqt.weight<bits = 8> scale(%two, %one)
      : (tensor<1x70000xi8>, tensor<f32>, tensor<f32>, tensor<70000x1xi8>, tensor<f32>, tensor<f32>) -> tensor<1x1xf32>
  %v = tensor.cast %d : tensor<1x1xf32> to tensor<*xf32>
  call @printMemrefF32(%v) : (tensor<*xf32>) -> ()
  return
}
