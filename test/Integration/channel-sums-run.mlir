// A float sum over every dimension but one (a convolution's bias
// gradient, [N, C, H, W] -> [C]) as vector code with the channels in the
// lanes (--fqt-vectorize-reductions) gives the bits of linalg's loops:
// 20 channels (a full block of 16 and a masked one), rows of 37 (two full
// tiles and a masked one), values whose sums round differently in another
// order, sums that start from what the output holds (one of them -0.0).
// RUN: fqt-opt %s --fqt-cpu-pipeline | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | sed 's/base@ = 0x[0-9a-f]*//' > %t.vector
// RUN: fqt-opt %s --fqt-cpu-pipeline="min-parallel-work=1" | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | sed 's/base@ = 0x[0-9a-f]*//' > %t.threads
// RUN: fqt-opt %s --fqt-cpu-pipeline="vectorize=0" | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | sed 's/base@ = 0x[0-9a-f]*//' > %t.loops
// RUN: diff %t.loops %t.vector
// RUN: diff %t.loops %t.threads
// RUN: FileCheck %s < %t.vector
// The sum did become vector code with the channels in the lanes (AVX-512).
// RUN: fqt-opt %s --fqt-cpu-pipeline="cpu-features=+avx512f" --mlir-disable-threading --mlir-print-ir-after=fqt-vectorize-reductions -o /dev/null 2>&1 | FileCheck %s --check-prefix=IR
// IR: vector.shuffle
// IR: arith.addf %{{.*}}, %{{.*}} : vector<16xf32>

// CHECK: sizes = [20]
// CHECK-SAME: strides = [1]

#id4 = affine_map<(n, c, h, w) -> (n, c, h, w)>
#toC = affine_map<(n, c, h, w) -> (c)>

func.func private @printMemrefI32(tensor<*xi32>)

// ((s mod 23) - 11) * (1 + (s mod 97) / 1024) / 7 for s a mix of the
// indices: full mantissas, so that sums round differently in another order.
func.func @value(%s: index) -> f32 {
  %c23 = arith.constant 23 : index
  %c97 = arith.constant 97 : index
  %m = arith.remui %s, %c23 : index
  %r = arith.remui %s, %c97 : index
  %mi = arith.index_cast %m : index to i32
  %ri = arith.index_cast %r : index to i32
  %mf = arith.sitofp %mi : i32 to f32
  %rf = arith.sitofp %ri : i32 to f32
  %c11 = arith.constant 11.0 : f32
  %k = arith.constant 9.765625e-04 : f32
  %one = arith.constant 1.0 : f32
  %a = arith.subf %mf, %c11 : f32
  %b = arith.mulf %rf, %k : f32
  %f = arith.addf %one, %b : f32
  %p = arith.mulf %a, %f : f32
  %c7 = arith.constant 7.0 : f32
  %v = arith.divf %p, %c7 : f32
  return %v : f32
}

func.func @main() {
  %e = tensor.empty() : tensor<3x20x5x37xf32>
  %x = linalg.generic {indexing_maps = [#id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%e : tensor<3x20x5x37xf32>) {
  ^bb0(%o: f32):
    %n = linalg.index 0 : index
    %c = linalg.index 1 : index
    %h = linalg.index 2 : index
    %w = linalg.index 3 : index
    %flat = affine.apply affine_map<(n, c, h, w) -> (n * 131 + c * 61 + h * 29 + w * 13)>(%n, %c, %h, %w)
    %v = func.call @value(%flat) : (index) -> f32
    linalg.yield %v : f32
  } -> tensor<3x20x5x37xf32>
  // The sums start from (c mod 7) / 3, and -0.0 for channel 7.
  %se = tensor.empty() : tensor<20xf32>
  %start = linalg.generic {indexing_maps = [affine_map<(c) -> (c)>], iterator_types = ["parallel"]} outs(%se : tensor<20xf32>) {
  ^bb0(%o: f32):
    %c = linalg.index 0 : index
    %c7 = arith.constant 7 : index
    %m = arith.remui %c, %c7 : index
    %mi = arith.index_cast %m : index to i32
    %mf = arith.sitofp %mi : i32 to f32
    %three = arith.constant 3.0 : f32
    %v = arith.divf %mf, %three : f32
    %is7 = arith.cmpi eq, %c, %c7 : index
    %negz = arith.constant -0.0 : f32
    %r = arith.select %is7, %negz, %v : f32
    linalg.yield %r : f32
  } -> tensor<20xf32>
  %sum = linalg.generic {indexing_maps = [#id4, #toC], iterator_types = ["reduction", "parallel", "reduction", "reduction"]} ins(%x : tensor<3x20x5x37xf32>) outs(%start : tensor<20xf32>) {
  ^bb0(%in: f32, %out: f32):
    %a = arith.addf %in, %out : f32
    linalg.yield %a : f32
  } -> tensor<20xf32>
  // Printed as the bits of each float: every difference shows.
  %be = tensor.empty() : tensor<20xi32>
  %bits = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%sum : tensor<20xf32>) outs(%be : tensor<20xi32>) {
  ^bb0(%f: f32, %o: i32):
    %i = arith.bitcast %f : f32 to i32
    linalg.yield %i : i32
  } -> tensor<20xi32>
  %u = tensor.cast %bits : tensor<20xi32> to tensor<*xi32>
  call @printMemrefI32(%u) : (tensor<*xi32>) -> ()
  return
}
