// Column reductions with the columns in the lanes and whole-buffer ranges
// in four sets of accumulators (--fqt-vectorize-reductions) give the bits of
// linalg's loops: float column sums over two reduction loops (41 columns:
// masked vectors; values whose sums round differently in another order;
// sums that start from what the output holds), i8 code column sums (48
// columns: three full vectors per block), and the min and max of 1000
// values among which -0.0 and +0.0 (the minimum is -0.0 in any order).
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
// The reductions did become vector code.
// RUN: fqt-opt %s --fqt-cpu-pipeline --mlir-disable-threading --mlir-print-ir-after=fqt-vectorize-reductions -o /dev/null 2>&1 | FileCheck %s --check-prefix=IR
// IR: arith.addf %{{.*}}, %{{.*}} : vector<{{[0-9]+}}xf32>
// IR: arith.extui %{{.*}} : vector<{{[0-9]+}}xi8> to vector<{{[0-9]+}}xi32>
// IR: arith.minimumf %{{.*}}, %{{.*}} : vector<{{[0-9]+}}xf32>

// CHECK: sizes = [41]
// CHECK: sizes = [48]
// CHECK: sizes = [2]
// The minimum of the range is -0.0 (bits 0x80000000).
// CHECK-NEXT: [-2147483648,

#id3 = affine_map<(a, k, n) -> (a, k, n)>
#col3 = affine_map<(a, k, n) -> (n)>

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

func.func @bits(%t: tensor<?xf32>) {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %t, %c0 : tensor<?xf32>
  %e = tensor.empty(%n) : tensor<?xi32>
  %b = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]} ins(%t : tensor<?xf32>) outs(%e : tensor<?xi32>) {
  ^bb0(%f: f32, %o: i32):
    %i = arith.bitcast %f : f32 to i32
    linalg.yield %i : i32
  } -> tensor<?xi32>
  %u = tensor.cast %b : tensor<?xi32> to tensor<*xi32>
  call @printMemrefI32(%u) : (tensor<*xi32>) -> ()
  return
}

func.func @main() {
  // Float column sums over (a, k): [3, 37, 41] -> [41], from nonzero sums.
  %xe = tensor.empty() : tensor<3x37x41xf32>
  %x = linalg.generic {indexing_maps = [#id3], iterator_types = ["parallel", "parallel", "parallel"]} outs(%xe : tensor<3x37x41xf32>) {
  ^bb0(%o: f32):
    %a = linalg.index 0 : index
    %k = linalg.index 1 : index
    %n = linalg.index 2 : index
    %flat = affine.apply affine_map<(a, k, n) -> (a * 131 + k * 61 + n * 29)>(%a, %k, %n)
    %v = func.call @value(%flat) : (index) -> f32
    linalg.yield %v : f32
  } -> tensor<3x37x41xf32>
  %se = tensor.empty() : tensor<41xf32>
  %start = linalg.generic {indexing_maps = [affine_map<(n) -> (n)>], iterator_types = ["parallel"]} outs(%se : tensor<41xf32>) {
  ^bb0(%o: f32):
    %n = linalg.index 0 : index
    %flat = affine.apply affine_map<(n) -> (n * 17 + 3)>(%n)
    %v = func.call @value(%flat) : (index) -> f32
    linalg.yield %v : f32
  } -> tensor<41xf32>
  %sums = linalg.generic {indexing_maps = [#id3, #col3], iterator_types = ["reduction", "reduction", "parallel"]} ins(%x : tensor<3x37x41xf32>) outs(%start : tensor<41xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %r = arith.addf %acc, %v : f32
    linalg.yield %r : f32
  } -> tensor<41xf32>
  %sums_d = tensor.cast %sums : tensor<41xf32> to tensor<?xf32>
  call @bits(%sums_d) : (tensor<?xf32>) -> ()

  // Code column sums: [100, 48] i8 -> [48] i32.
  %ce = tensor.empty() : tensor<100x48xi8>
  %codes = linalg.generic {indexing_maps = [affine_map<(k, n) -> (k, n)>], iterator_types = ["parallel", "parallel"]} outs(%ce : tensor<100x48xi8>) {
  ^bb0(%o: i8):
    %k = linalg.index 0 : index
    %n = linalg.index 1 : index
    %flat = affine.apply affine_map<(k, n) -> ((k * 37 + n * 11) mod 256)>(%k, %n)
    %i = arith.index_cast %flat : index to i8
    linalg.yield %i : i8
  } -> tensor<100x48xi8>
  %zero = arith.constant 0 : i32
  %ze = tensor.empty() : tensor<48xi32>
  %zs = linalg.fill ins(%zero : i32) outs(%ze : tensor<48xi32>) -> tensor<48xi32>
  %csums = linalg.generic {indexing_maps = [affine_map<(k, n) -> (k, n)>, affine_map<(k, n) -> (n)>], iterator_types = ["reduction", "parallel"]} ins(%codes : tensor<100x48xi8>) outs(%zs : tensor<48xi32>) {
  ^bb0(%v: i8, %acc: i32):
    %w = arith.extui %v : i8 to i32
    %r = arith.addi %acc, %w : i32
    linalg.yield %r : i32
  } -> tensor<48xi32>
  %cu = tensor.cast %csums : tensor<48xi32> to tensor<*xi32>
  call @printMemrefI32(%cu) : (tensor<*xi32>) -> ()

  // The range of 1000 values, +0.0 and -0.0 among them (a ReLU's zeros).
  %re = tensor.empty() : tensor<1000xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>], iterator_types = ["parallel"]} outs(%re : tensor<1000xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %v = func.call @value(%i) : (index) -> f32
    %zero_f = arith.constant 0.0 : f32
    %nonneg = arith.maximumf %v, %zero_f : f32
    %c500 = arith.constant 500 : index
    %c613 = arith.constant 613 : index
    %is500 = arith.cmpi eq, %i, %c500 : index
    %is613 = arith.cmpi eq, %i, %c613 : index
    %neg0 = arith.constant -0.0 : f32
    %w = arith.select %is613, %neg0, %nonneg : f32
    %big = arith.constant 3.5 : f32
    %u = arith.select %is500, %big, %w : f32
    linalg.yield %u : f32
  } -> tensor<1000xf32>
  %inf = arith.constant 0x7F800000 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %le = tensor.empty() : tensor<f32>
  %lo0 = linalg.fill ins(%inf : f32) outs(%le : tensor<f32>) -> tensor<f32>
  %hi0 = linalg.fill ins(%ninf : f32) outs(%le : tensor<f32>) -> tensor<f32>
  %range:2 = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>, affine_map<(i) -> ()>], iterator_types = ["reduction"]} ins(%r : tensor<1000xf32>) outs(%lo0, %hi0 : tensor<f32>, tensor<f32>) {
  ^bb0(%v: f32, %a: f32, %b: f32):
    %mn = arith.minimumf %v, %a : f32
    %mx = arith.maximumf %v, %b : f32
    linalg.yield %mn, %mx : f32, f32
  } -> (tensor<f32>, tensor<f32>)
  %lo = tensor.extract %range#0[] : tensor<f32>
  %hi = tensor.extract %range#1[] : tensor<f32>
  %both = tensor.from_elements %lo, %hi : tensor<2xf32>
  %both_d = tensor.cast %both : tensor<2xf32> to tensor<?xf32>
  call @bits(%both_d) : (tensor<?xf32>) -> ()
  return
}
