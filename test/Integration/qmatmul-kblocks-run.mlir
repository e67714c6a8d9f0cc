// RUN: fqt-opt %s --fqt-cpu-pipeline | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | FileCheck %s
// RUN: fqt-opt %s --fqt-cpu-pipeline="vectorize=0" | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | FileCheck %s
// RUN: fqt-opt %s --fqt-cpu-pipeline="k-blocks=0" | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | FileCheck %s

// Scales along the reduction, constant over blocks of it: a per-sample dY
// (4 samples of 3 rows, unsigned 4-bit codes with offsets) on the wgrad path
// dW = dY^T X, where the rows of dY are the reduction; and the mirror case,
// a row-grouped right operand. --fqt-lower-qmatmul sums each block in i32
// and scales it in f32 (test/Codegen/lower-qmatmul-kblocks.mlir shows the
// IR; `k-blocks=0` leaves them to the f32 product of the dequantized codes,
// the reference). Each line prints 1 when max|integer - simulate| <= 1e-5 max|simulate|,
// simulate being the f32 product of the dequantized codes.

#id = affine_map<(i, j) -> (i, j)>

func.func @close(%x: tensor<5x6xf32>, %y: tensor<5x6xf32>) {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<f32>
  %init = linalg.fill ins(%zero : f32) outs(%e0 : tensor<f32>) -> tensor<f32>
  %r:2 = linalg.generic {indexing_maps = [#id, #id, affine_map<(i, j) -> ()>, affine_map<(i, j) -> ()>],
                         iterator_types = ["reduction", "reduction"]}
      ins(%x, %y : tensor<5x6xf32>, tensor<5x6xf32>) outs(%init, %init : tensor<f32>, tensor<f32>) {
  ^bb0(%a: f32, %b: f32, %err: f32, %mag: f32):
    %d = arith.subf %a, %b : f32
    %ad = math.absf %d : f32
    %ab = math.absf %b : f32
    %e = arith.maximumf %err, %ad : f32
    %m = arith.maximumf %mag, %ab : f32
    linalg.yield %e, %m : f32, f32
  } -> (tensor<f32>, tensor<f32>)
  %err = tensor.extract %r#0[] : tensor<f32>
  %mag = tensor.extract %r#1[] : tensor<f32>
  %tol = arith.constant 1.0e-5 : f32
  %lim = arith.mulf %mag, %tol : f32
  %ok = arith.cmpf ole, %err, %lim : f32
  %nz = arith.cmpf ogt, %mag, %zero : f32
  %both = arith.andi %ok, %nz : i1
  vector.print %both : i1
  return
}

func.func @main() {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<5x6xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<5x6xf32>) -> tensor<5x6xf32>

  // dW = dY^T X: dY [12 x 5] per sample (4 scales), X per tensor.
  %g = arith.constant dense<[[7, 4, 11, 15, 2], [0, 15, 8, 7, 6], [15, 15, 12, 4, 7], [4, 12, 0, 2, 5], [1, 9, 0, 8, 15], [12, 13, 12, 14, 4], [11, 3, 1, 4, 15], [6, 8, 13, 9, 13], [12, 11, 13, 7, 10], [0, 8, 5, 10, 3], [6, 8, 9, 3, 2], [15, 15, 2, 11, 2]]> : tensor<12x5xi8>
  %gs = arith.constant dense<[0.5, 0.03125, 2.0, 0.125]> : tensor<4xf32>
  %gz = arith.constant dense<[-3.5, -0.25, -16.0, -1.0]> : tensor<4xf32>
  %x = arith.constant dense<[[-46, 77, 10, -106, -38, -44], [60, 22, 23, -63, -87, -114], [120, 18, -98, 3, 39, 55], [16, 101, -48, -107, -122, 79], [21, -83, -96, -72, 70, -63], [-64, -21, -59, 52, -118, -36], [121, -102, -33, -124, -101, -83], [5, -44, -95, 10, -64, 68], [30, -86, -18, -76, -76, -114], [-6, 11, 31, 10, -67, -128], [-23, -104, -93, 90, -70, 94], [-96, -67, -121, -103, -63, 53]]> : tensor<12x6xi8>
  %xs = arith.constant dense<0.015625> : tensor<f32>
  %xz = arith.constant dense<-1.0> : tensor<f32>
  %p = fqt.qmatmul %g as #fqt.psq<bits = 4> scale(%gs, %gz) transposed, %x as #fqt.act<bits = 8> scale(%xs, %xz)
      : (tensor<12x5xi8>, tensor<4xf32>, tensor<4xf32>, tensor<12x6xi8>, tensor<f32>, tensor<f32>) -> tensor<5x6xf32>
  %dg = fqt.dequantize %g scale(%gs, %gz) {quantizer = #fqt.psq<bits = 4>} : tensor<12x5xi8>, tensor<4xf32>, tensor<4xf32> -> tensor<12x5xf32>
  %dx = fqt.dequantize %x scale(%xs, %xz) {quantizer = #fqt.act<bits = 8>} : tensor<12x6xi8>, tensor<f32>, tensor<f32> -> tensor<12x6xf32>
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%dg, %dx : tensor<12x5xf32>, tensor<12x6xf32>) outs(%z : tensor<5x6xf32>) -> tensor<5x6xf32>
  // CHECK: 1
  call @close(%p, %r) : (tensor<5x6xf32>, tensor<5x6xf32>) -> ()

  // The mirror case: the right operand [12 x 6] has 4 row-group scales.
  %a = arith.constant dense<[[13, 67, -98, 113, -119, 122, -89, 95, -34, 49, 52, -92], [-86, 114, -32, 86, 40, -84, 111, -26, -118, 115, 61, 17], [97, -95, 93, -114, -82, 43, -80, 66, -41, -107, -118, -19], [-79, -43, -108, -42, -47, 18, -45, 79, 102, 2, -12, -34], [113, 16, -23, -109, -82, 116, 34, -110, 61, 125, 23, 17]]> : tensor<5x12xi8>
  %b = arith.constant dense<[[6, 13, 1, 0, 15, 3], [5, 9, 7, 0, 13, 1], [3, 10, 4, 8, 15, 1], [11, 7, 6, 3, 3, 5], [7, 8, 4, 0, 15, 12], [1, 8, 7, 8, 13, 1], [15, 10, 0, 1, 4, 1], [3, 1, 2, 15, 1, 2], [15, 10, 5, 10, 2, 11], [12, 12, 9, 11, 8, 6], [10, 13, 3, 4, 0, 12], [2, 5, 1, 11, 14, 12]]> : tensor<12x6xi8>
  %p2 = fqt.qmatmul %a as #fqt.act<bits = 8> scale(%xs, %xz), %b as #fqt.psq<bits = 4> scale(%gs, %gz)
      : (tensor<5x12xi8>, tensor<f32>, tensor<f32>, tensor<12x6xi8>, tensor<4xf32>, tensor<4xf32>) -> tensor<5x6xf32>
  %da = fqt.dequantize %a scale(%xs, %xz) {quantizer = #fqt.act<bits = 8>} : tensor<5x12xi8>, tensor<f32>, tensor<f32> -> tensor<5x12xf32>
  %db = fqt.dequantize %b scale(%gs, %gz) {quantizer = #fqt.psq<bits = 4>} : tensor<12x6xi8>, tensor<4xf32>, tensor<4xf32> -> tensor<12x6xf32>
  %r2 = linalg.matmul ins(%da, %db : tensor<5x12xf32>, tensor<12x6xf32>) outs(%z : tensor<5x6xf32>) -> tensor<5x6xf32>
  // CHECK-NEXT: 1
  call @close(%p2, %r2) : (tensor<5x6xf32>, tensor<5x6xf32>) -> ()
  return
}
