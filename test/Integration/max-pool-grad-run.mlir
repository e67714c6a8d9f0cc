// The max-pooling gradient over 2x2 windows that tile the input, as vector
// code (--fqt-vectorize-pooling: the first maximum of each window, then dY
// spread to it) gives the bits of linalg's loops: rows of 37 windows (two
// full vectors and a masked one with 16 lanes), ties (integer values, -0
// and +0: the first in (kh, kw) order wins), NaN (never a maximum), a
// strided view of dY.
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
// Both became vector code.
// RUN: fqt-opt %s --fqt-cpu-pipeline --mlir-disable-threading --mlir-print-ir-after=fqt-vectorize-pooling -o /dev/null 2>&1 | FileCheck %s --check-prefix=IR
// IR-NOT: linalg.generic {{.*}}"reduction", "reduction"]
// IR: arith.cmpf ogt, %{{.*}}, %{{.*}} : vector<{{[0-9]+}}xf32>
// IR: arith.cmpi eq, %{{.*}}, %{{.*}} : vector<{{[0-9]+}}xi64>

// CHECK: sizes = [2, 3, 7, 37]
// CHECK: sizes = [2, 3, 7, 37]
// CHECK: sizes = [2, 3, 7, 2, 37, 2]

#window = affine_map<(n, c, oh, ow, i, j) -> (n, c, oh, i, ow, j)>
#perWindow = affine_map<(n, c, oh, ow, i, j) -> (n, c, oh, ow)>
#ofPosition = affine_map<(n, c, oh, i, ow, j) -> (n, c, oh, ow)>
#id6 = affine_map<(n, c, oh, i, ow, j) -> (n, c, oh, i, ow, j)>
#id4 = affine_map<(n, c, h, w) -> (n, c, h, w)>

func.func private @printMemrefF32(tensor<*xf32>)

// x = ((n*31 + c*17 + h*7 + w*3) mod 23) - 11, with NaN where the sum is
// 0 mod 97, -0 where it is 5 mod 41 and +0 where it is 6 mod 41.
func.func @values() -> tensor<2x3x14x74xf32> {
  %e = tensor.empty() : tensor<2x3x14x74xf32>
  %r = linalg.generic {indexing_maps = [#id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%e : tensor<2x3x14x74xf32>) {
  ^bb0(%o: f32):
    %n = linalg.index 0 : index
    %c = linalg.index 1 : index
    %h = linalg.index 2 : index
    %w = linalg.index 3 : index
    %c31 = arith.constant 31 : index
    %c17 = arith.constant 17 : index
    %c7 = arith.constant 7 : index
    %c3 = arith.constant 3 : index
    %a = arith.muli %n, %c31 : index
    %b = arith.muli %c, %c17 : index
    %d = arith.muli %h, %c7 : index
    %f = arith.muli %w, %c3 : index
    %s1 = arith.addi %a, %b : index
    %s2 = arith.addi %s1, %d : index
    %s = arith.addi %s2, %f : index
    %c23 = arith.constant 23 : index
    %m = arith.remui %s, %c23 : index
    %mi = arith.index_cast %m : index to i32
    %mf = arith.sitofp %mi : i32 to f32
    %c11 = arith.constant 11.0 : f32
    %v = arith.subf %mf, %c11 : f32
    %c97 = arith.constant 97 : index
    %c41 = arith.constant 41 : index
    %z97 = arith.remui %s, %c97 : index
    %z41 = arith.remui %s, %c41 : index
    %c0 = arith.constant 0 : index
    %c5 = arith.constant 5 : index
    %c6 = arith.constant 6 : index
    %isnan = arith.cmpi eq, %z97, %c0 : index
    %isneg = arith.cmpi eq, %z41, %c5 : index
    %ispos = arith.cmpi eq, %z41, %c6 : index
    %nan = arith.constant 0x7FC00000 : f32
    %negz = arith.constant -0.0 : f32
    %posz = arith.constant 0.0 : f32
    %v1 = arith.select %isnan, %nan, %v : f32
    %v2 = arith.select %isneg, %negz, %v1 : f32
    %v3 = arith.select %ispos, %posz, %v2 : f32
    linalg.yield %v3 : f32
  } -> tensor<2x3x14x74xf32>
  return %r : tensor<2x3x14x74xf32>
}

func.func @main() {
  %x = call @values() : () -> tensor<2x3x14x74xf32>
  %windows = tensor.expand_shape %x [[0], [1], [2, 3], [4, 5]] output_shape [2, 3, 7, 2, 37, 2] : tensor<2x3x14x74xf32> into tensor<2x3x7x2x37x2xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %none = arith.constant -1 : i64
  %em = tensor.empty() : tensor<2x3x7x37xf32>
  %maxInit = linalg.fill ins(%ninf : f32) outs(%em : tensor<2x3x7x37xf32>) -> tensor<2x3x7x37xf32>
  %ei = tensor.empty() : tensor<2x3x7x37xi64>
  %firstInit = linalg.fill ins(%none : i64) outs(%ei : tensor<2x3x7x37xi64>) -> tensor<2x3x7x37xi64>
  %argmax:2 = linalg.generic {indexing_maps = [#window, #perWindow, #perWindow], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%windows : tensor<2x3x7x2x37x2xf32>) outs(%maxInit, %firstInit : tensor<2x3x7x37xf32>, tensor<2x3x7x37xi64>) {
  ^bb0(%in: f32, %max: f32, %first: i64):
    %i = linalg.index 4 : index
    %j = linalg.index 5 : index
    %c2 = arith.constant 2 : index
    %i2 = arith.muli %i, %c2 : index
    %p = arith.addi %i2, %j : index
    %pos = arith.index_cast %p : index to i64
    %better = arith.cmpf ogt, %in, %max : f32
    %m = arith.select %better, %in, %max : f32
    %f = arith.select %better, %pos, %first : i64
    linalg.yield %m, %f : f32, i64
  } -> (tensor<2x3x7x37xf32>, tensor<2x3x7x37xi64>)
  %u = tensor.cast %argmax#0 : tensor<2x3x7x37xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  // The positions, as floats, to print.
  %ef = tensor.empty() : tensor<2x3x7x37xf32>
  %positions = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%argmax#1 : tensor<2x3x7x37xi64>) outs(%ef : tensor<2x3x7x37xf32>) {
  ^bb0(%in: i64, %o: f32):
    %v = arith.sitofp %in : i64 to f32
    linalg.yield %v : f32
  } -> tensor<2x3x7x37xf32>
  %pu = tensor.cast %positions : tensor<2x3x7x37xf32> to tensor<*xf32>
  call @printMemrefF32(%pu) : (tensor<*xf32>) -> ()
  // dY: every other row of a wider tensor, a strided view.
  %wide = call @values() : () -> tensor<2x3x14x74xf32>
  %dy = tensor.extract_slice %wide[0, 0, 0, 0] [2, 3, 7, 37] [1, 1, 2, 1] : tensor<2x3x14x74xf32> to tensor<2x3x7x37xf32>
  %es = tensor.empty() : tensor<2x3x7x2x37x2xf32>
  %spread = linalg.generic {indexing_maps = [#ofPosition, #ofPosition, #id6], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%argmax#1, %dy : tensor<2x3x7x37xi64>, tensor<2x3x7x37xf32>) outs(%es : tensor<2x3x7x2x37x2xf32>) {
  ^bb0(%first: i64, %g: f32, %o: f32):
    %i = linalg.index 3 : index
    %j = linalg.index 5 : index
    %c2 = arith.constant 2 : index
    %i2 = arith.muli %i, %c2 : index
    %p = arith.addi %i2, %j : index
    %self = arith.index_cast %p : index to i64
    %hit = arith.cmpi eq, %self, %first : i64
    %zero = arith.constant 0.0 : f32
    %v = arith.select %hit, %g, %zero : f32
    linalg.yield %v : f32
  } -> tensor<2x3x7x2x37x2xf32>
  %su = tensor.cast %spread : tensor<2x3x7x2x37x2xf32> to tensor<*xf32>
  call @printMemrefF32(%su) : (tensor<*xf32>) -> ()
  return
}
