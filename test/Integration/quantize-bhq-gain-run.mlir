// RUN: fqt-opt %s --fqt-test-philox --fqt-cpu-pipeline \
// RUN:   | mlir-runner -e main -entry-point-result=void -O3 \
// RUN:     -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | %python %S/Inputs/quantize_check_bhq_gain.py | FileCheck %s

// BHQ at the size of docs/quantizers.md §5.5.6-7 (N = 128 rows, D = 1024, 4
// bits), compiled for the CPU, on two Gaussian gradients: 4 rows of scale 1
// and 124 rows of scale 10^[-3, -2) ("fewlarge"), and 128 rows of scale 1
// ("equal"). The
// checker compares codes, scales, offsets and T^-1 bit for bit with
// Inputs/quantizers_ref.py, checks the group structure read off T^-1, and
// compares the exact quantization variance of BHQ with that of PSQ on the
// same input (PSQ's codes, scales and offsets are printed too).

// (On this machine: groups of 36, 32, 31, 29 rows and a ratio of 25.1; 61
// groups and 0.979 for equal rows. The input goes through libm's log and
// cos, so the exact figures may differ elsewhere; the bounds may not.)
// CHECK: fewlarge: bit-exact; 4 groups
// CHECK: fewlarge: Var_PSQ / Var_BHQ
// CHECK: equal: bit-exact
// CHECK: equal: Var_PSQ / Var_BHQ
// CHECK: ok

func.func private @printMemrefI32(memref<*xi32>)

#id = affine_map<(d0, d1) -> (d0, d1)>
#vec = affine_map<(d0) -> (d0)>

// x[i, j] = scale(i) * z(i, j): z is a Box-Muller normal of two Philox
// uniforms (the --fqt-test-philox hook, streams 100 and 101, index
// 1024 i + j); scale(i) = 1 for every 32nd row (every row when %equal) and
// 10^(-3 + ((7 i) mod 10) / 10) otherwise, as in docs/quantizers.md §7. Only
// the printed bits matter to the checker.
func.func private @fqt_test_philox_uniform(i64, i64, i64, i64) -> f32

func.func @gradient(%equal: i1) -> tensor<128x1024xf32> {
  %e = tensor.empty() : tensor<128x1024xf32>
  %g = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]}
      outs(%e : tensor<128x1024xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %ii = arith.index_cast %i : index to i64
    %ji = arith.index_cast %j : index to i64
    %c1024 = arith.constant 1024 : i64
    %row = arith.muli %ii, %c1024 : i64
    %idx = arith.addi %row, %ji : i64
    %seed = arith.constant 1 : i64
    %step = arith.constant 0 : i64
    %s100 = arith.constant 100 : i64
    %s101 = arith.constant 101 : i64
    %v1 = func.call @fqt_test_philox_uniform(%seed, %step, %s100, %idx) : (i64, i64, i64, i64) -> f32
    %u2 = func.call @fqt_test_philox_uniform(%seed, %step, %s101, %idx) : (i64, i64, i64, i64) -> f32
    %one0 = arith.constant 1.0 : f32
    %u1 = arith.subf %one0, %v1 : f32
    %l = math.log %u1 : f32
    %m2 = arith.constant -2.0 : f32
    %l2 = arith.mulf %l, %m2 : f32
    %rad = math.sqrt %l2 : f32
    %twopi = arith.constant 6.28318531 : f32
    %ang = arith.mulf %u2, %twopi : f32
    %cs = math.cos %ang : f32
    %z = arith.mulf %rad, %cs : f32
    %c7 = arith.constant 7 : i64
    %c10 = arith.constant 10 : i64
    %c32 = arith.constant 32 : i64
    %c0 = arith.constant 0 : i64
    %m = arith.muli %ii, %c7 : i64
    %r = arith.remui %m, %c10 : i64
    %rf = arith.sitofp %r : i64 to f32
    %tenth = arith.constant 0.1 : f32
    %three = arith.constant -3.0 : f32
    %ex0 = arith.mulf %rf, %tenth : f32
    %ex = arith.addf %ex0, %three : f32
    %ten = arith.constant 10.0 : f32
    %small = math.powf %ten, %ex : f32
    %k = arith.remui %ii, %c32 : i64
    %lead = arith.cmpi eq, %k, %c0 : i64
    %big = arith.ori %lead, %equal : i1
    %one = arith.constant 1.0 : f32
    %sc = arith.select %big, %one, %small : f32
    %v = arith.mulf %z, %sc : f32
    linalg.yield %v : f32
  } -> tensor<128x1024xf32>
  return %g : tensor<128x1024xf32>
}

func.func @bits2(%x: tensor<128x1024xf32>) {
  %e = tensor.empty() : tensor<128x1024xi32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<128x1024xf32>) outs(%e : tensor<128x1024xi32>) {
  ^bb0(%a: f32, %o: i32):
    %v = arith.bitcast %a : f32 to i32
    linalg.yield %v : i32
  } -> tensor<128x1024xi32>
  %m = bufferization.to_buffer %b : tensor<128x1024xi32> to memref<128x1024xi32>
  %u = memref.cast %m : memref<128x1024xi32> to memref<*xi32>
  call @printMemrefI32(%u) : (memref<*xi32>) -> ()
  return
}

func.func @codes(%x: tensor<128x1024xi8>) {
  %e = tensor.empty() : tensor<128x1024xi32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<128x1024xi8>) outs(%e : tensor<128x1024xi32>) {
  ^bb0(%a: i8, %o: i32):
    %v = arith.extui %a : i8 to i32
    linalg.yield %v : i32
  } -> tensor<128x1024xi32>
  %m = bufferization.to_buffer %b : tensor<128x1024xi32> to memref<128x1024xi32>
  %u = memref.cast %m : memref<128x1024xi32> to memref<*xi32>
  call @printMemrefI32(%u) : (memref<*xi32>) -> ()
  return
}

func.func @bits1(%x: tensor<128xf32>) {
  %e = tensor.empty() : tensor<128xi32>
  %b = linalg.generic {indexing_maps = [#vec, #vec], iterator_types = ["parallel"]}
      ins(%x : tensor<128xf32>) outs(%e : tensor<128xi32>) {
  ^bb0(%a: f32, %o: i32):
    %v = arith.bitcast %a : f32 to i32
    linalg.yield %v : i32
  } -> tensor<128xi32>
  %m = bufferization.to_buffer %b : tensor<128xi32> to memref<128xi32>
  %u = memref.cast %m : memref<128xi32> to memref<*xi32>
  call @printMemrefI32(%u) : (memref<*xi32>) -> ()
  return
}

func.func @square(%x: tensor<128x128xf32>) {
  %e = tensor.empty() : tensor<128x128xi32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<128x128xf32>) outs(%e : tensor<128x128xi32>) {
  ^bb0(%a: f32, %o: i32):
    %v = arith.bitcast %a : f32 to i32
    linalg.yield %v : i32
  } -> tensor<128x128xi32>
  %m = bufferization.to_buffer %b : tensor<128x128xi32> to memref<128x128xi32>
  %u = memref.cast %m : memref<128x128xi32> to memref<*xi32>
  call @printMemrefI32(%u) : (memref<*xi32>) -> ()
  return
}

// Prints x; BHQ codes, scale, offset, T^-1; PSQ codes, scale, offset.
func.func @run(%equal: i1) {
  %x = call @gradient(%equal) : (i1) -> tensor<128x1024xf32>
  %seed = arith.constant 77 : i64
  %step = arith.constant 5 : i64
  %q, %s, %z, %t = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.bhq<bits = 4>, stream = 1 : i64}
      : tensor<128x1024xf32> -> tensor<128x1024xi8>, tensor<128xf32>, offset tensor<128xf32>, transform tensor<128x128xf32>
  %pq, %ps, %pz = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.psq<bits = 4>, stream = 2 : i64}
      : tensor<128x1024xf32> -> tensor<128x1024xi8>, tensor<128xf32>, offset tensor<128xf32>
  call @bits2(%x) : (tensor<128x1024xf32>) -> ()
  call @codes(%q) : (tensor<128x1024xi8>) -> ()
  call @bits1(%s) : (tensor<128xf32>) -> ()
  call @bits1(%z) : (tensor<128xf32>) -> ()
  call @square(%t) : (tensor<128x128xf32>) -> ()
  call @codes(%pq) : (tensor<128x1024xi8>) -> ()
  call @bits1(%ps) : (tensor<128xf32>) -> ()
  call @bits1(%pz) : (tensor<128xf32>) -> ()
  return
}

func.func @main() {
  %false = arith.constant false
  %true = arith.constant true
  call @run(%false) : (i1) -> ()
  call @run(%true) : (i1) -> ()
  return
}
