// RUN: fqt-opt %s --fqt-test-philox --fqt-cpu-pipeline \
// RUN:   | mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | %python %S/Inputs/quantize_check_philox.py | FileCheck %s

// The Philox-4x32-10 that fqt emits in arith, compiled for the CPU, against
// Random123's known-answer vectors (rows 0-2) and the Python reference of
// Inputs/quantizers_ref.py (itself checked against numpy.random.Philox) on
// random counters and keys; then the uniform floats of fqt's key/counter
// layout, printed as bits, on (seed, step, stream, index) tuples that use
// every word (high seed word, index >= 2^32, negative step).

// CHECK: philox4x32-10: 8 blocks bit-exact, 3 known-answer vectors
// CHECK: uniform: 9 values bit-exact

func.func private @fqt_test_philox4x32_10(i32, i32, i32, i32, i32, i32) -> (i32, i32, i32, i32)
func.func private @fqt_test_philox_uniform(i64, i64, i64, i64) -> f32
func.func private @printMemrefI32(memref<*xi32>)

func.func @main() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c5 = arith.constant 5 : index
  %c8 = arith.constant 8 : index
  %c9 = arith.constant 9 : index

  // counter (4 words), key (2 words) per row.
  %in = arith.constant dense<[[0, 0, 0, 0, 0, 0], [-1, -1, -1, -1, -1, -1], [608135816, -2052912941, 320440878, 57701188, -1542899678, 698298832], [1037355752, -1392293802, 396611801, 920511140, 1364287713, 1329086352], [-392217628, -861286557, -363616910, -18029849, 337308680, 610880995], [-567237017, 338123592, 712912454, 776632366, -370154812, 1544671637], [1133142216, 728509130, 1969181736, -1766265291, -858156772, -1645799197], [-60115105, 452628047, 2094439156, -1865170934, -1341912992, 19884166]]> : tensor<8x6xi32>
  %raw = memref.alloc() : memref<8x4xi32>
  scf.for %r = %c0 to %c8 step %c1 {
    %a0 = tensor.extract %in[%r, %c0] : tensor<8x6xi32>
    %a1 = tensor.extract %in[%r, %c1] : tensor<8x6xi32>
    %a2 = tensor.extract %in[%r, %c2] : tensor<8x6xi32>
    %a3 = tensor.extract %in[%r, %c3] : tensor<8x6xi32>
    %k0 = tensor.extract %in[%r, %c4] : tensor<8x6xi32>
    %k1 = tensor.extract %in[%r, %c5] : tensor<8x6xi32>
    %o:4 = func.call @fqt_test_philox4x32_10(%a0, %a1, %a2, %a3, %k0, %k1)
        : (i32, i32, i32, i32, i32, i32) -> (i32, i32, i32, i32)
    memref.store %o#0, %raw[%r, %c0] : memref<8x4xi32>
    memref.store %o#1, %raw[%r, %c1] : memref<8x4xi32>
    memref.store %o#2, %raw[%r, %c2] : memref<8x4xi32>
    memref.store %o#3, %raw[%r, %c3] : memref<8x4xi32>
  }
  %rawu = memref.cast %raw : memref<8x4xi32> to memref<*xi32>
  call @printMemrefI32(%rawu) : (memref<*xi32>) -> ()

  // seed, step, stream, index per row.
  %keys = arith.constant dense<[[0, 0, 0, 0], [1, 2, 3, 4], [1234567, 0, 0, 5], [1234567, 1, 0, 5], [1234567, 0, 1, 5], [81985529216486895, 7, 9, 4294967301], [-1, -1, 4294967295, 9223372036854775807], [42, -3, 2, 1000000], [42, 4294967296, 2, 1000000]]> : tensor<9x4xi64>
  %uni = memref.alloc() : memref<9xi32>
  scf.for %r = %c0 to %c9 step %c1 {
    %seed = tensor.extract %keys[%r, %c0] : tensor<9x4xi64>
    %step = tensor.extract %keys[%r, %c1] : tensor<9x4xi64>
    %stream = tensor.extract %keys[%r, %c2] : tensor<9x4xi64>
    %index = tensor.extract %keys[%r, %c3] : tensor<9x4xi64>
    %u = func.call @fqt_test_philox_uniform(%seed, %step, %stream, %index)
        : (i64, i64, i64, i64) -> f32
    %bits = arith.bitcast %u : f32 to i32
    memref.store %bits, %uni[%r] : memref<9xi32>
  }
  %uniu = memref.cast %uni : memref<9xi32> to memref<*xi32>
  call @printMemrefI32(%uniu) : (memref<*xi32>) -> ()
  memref.dealloc %raw : memref<8x4xi32>
  memref.dealloc %uni : memref<9xi32>
  return
}
