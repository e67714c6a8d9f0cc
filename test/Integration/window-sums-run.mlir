// A stride-1 convolution's windows added back into the pixels as vector
// code (--fqt-vectorize-window-sums) gives the bits of linalg's loops: rows
// of 37 windows (two full segments of 16 and a masked one), 3 channels of
// 3x3 windows (K = 27: a full tile of columns and a masked one), values
// whose sums round differently in another order, pixels that already hold
// values; the same vector code with AVX2 (16 lanes as two registers).
// RUN: fqt-opt %s --fqt-cpu-pipeline | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | sed 's/base@ = 0x[0-9a-f]*//' > %t.vector
// RUN: fqt-opt %s --fqt-cpu-pipeline="min-parallel-work=1" | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | sed 's/base@ = 0x[0-9a-f]*//' > %t.threads
// RUN: fqt-opt %s --fqt-cpu-pipeline="cpu-features=+avx,+avx2,+fma" | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | sed 's/base@ = 0x[0-9a-f]*//' > %t.avx2
// RUN: fqt-opt %s --fqt-cpu-pipeline="vectorize=0" | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | sed 's/base@ = 0x[0-9a-f]*//' > %t.loops
// RUN: diff %t.loops %t.vector
// RUN: diff %t.loops %t.threads
// RUN: diff %t.loops %t.avx2
// RUN: FileCheck %s < %t.vector
// The sum did become vector code.
// RUN: fqt-opt %s --fqt-cpu-pipeline --mlir-disable-threading --mlir-print-ir-after=fqt-vectorize-window-sums -o /dev/null 2>&1 | FileCheck %s --check-prefix=IR
// IR: vector.shuffle
// IR: vector.maskedload
// IR: arith.addf %{{.*}} : vector<{{[0-9]+}}xf32>
// IR: vector.maskedstore

// CHECK: sizes = [2, 3, 7, 39]

#id6 = affine_map<(n, h, w, c, i, j) -> (n, h, w, c, i, j)>
#id4 = affine_map<(n, c, h, w) -> (n, c, h, w)>
#cols = affine_map<(n, h, w, c, i, j) -> (n, 4 - h, 36 - w, c, i, j)>
#windows = affine_map<(n, h, w, c, i, j) -> (h, w)>
#pixels = affine_map<(n, h, w, c, i, j) -> (n, c, 4 - h + i, 36 - w + j)>

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
  %e = tensor.empty() : tensor<2x5x37x3x3x3xf32>
  %cols = linalg.generic {indexing_maps = [#id6], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} outs(%e : tensor<2x5x37x3x3x3xf32>) {
  ^bb0(%o: f32):
    %n = linalg.index 0 : index
    %h = linalg.index 1 : index
    %w = linalg.index 2 : index
    %c = linalg.index 3 : index
    %i = linalg.index 4 : index
    %j = linalg.index 5 : index
    %flat = affine.apply affine_map<(n, h, w, c, i, j) -> (n * 131 + h * 61 + w * 29 + c * 13 + i * 7 + j * 3)>(%n, %h, %w, %c, %i, %j)
    %v = func.call @value(%flat) : (index) -> f32
    linalg.yield %v : f32
  } -> tensor<2x5x37x3x3x3xf32>
  %pe = tensor.empty() : tensor<2x3x7x39xf32>
  %start = linalg.generic {indexing_maps = [#id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%pe : tensor<2x3x7x39xf32>) {
  ^bb0(%o: f32):
    %n = linalg.index 0 : index
    %c = linalg.index 1 : index
    %h = linalg.index 2 : index
    %w = linalg.index 3 : index
    %flat = affine.apply affine_map<(n, c, h, w) -> (n * 17 + c * 11 + h * 5 + w * 41)>(%n, %c, %h, %w)
    %v = func.call @value(%flat) : (index) -> f32
    linalg.yield %v : f32
  } -> tensor<2x3x7x39xf32>
  %shape = tensor.empty() : tensor<5x37xf32>
  %sum = linalg.generic {indexing_maps = [#cols, #windows, #pixels], iterator_types = ["parallel", "reduction", "reduction", "parallel", "reduction", "reduction"]} ins(%cols, %shape : tensor<2x5x37x3x3x3xf32>, tensor<5x37xf32>) outs(%start : tensor<2x3x7x39xf32>) {
  ^bb0(%in: f32, %unused: f32, %out: f32):
    %a = arith.addf %out, %in : f32
    linalg.yield %a : f32
  } -> tensor<2x3x7x39xf32>
  // Printed as the bits of each float: every difference shows.
  %be = tensor.empty() : tensor<2x3x7x39xi32>
  %bits = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%sum : tensor<2x3x7x39xf32>) outs(%be : tensor<2x3x7x39xi32>) {
  ^bb0(%f: f32, %o: i32):
    %i = arith.bitcast %f : f32 to i32
    linalg.yield %i : i32
  } -> tensor<2x3x7x39xi32>
  %u = tensor.cast %bits : tensor<2x3x7x39xi32> to tensor<*xi32>
  call @printMemrefI32(%u) : (tensor<*xi32>) -> ()
  return
}
