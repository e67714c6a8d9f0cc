// RUN: fqt-opt %s --fqt-cpu-pipeline | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | sed 's/base@ = 0x[0-9a-f]*//' > %t.packed
// RUN: fqt-opt %s --fqt-cpu-pipeline="pack-i4=0" | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | sed 's/base@ = 0x[0-9a-f]*//' > %t.bytes
// RUN: fqt-opt %s --fqt-cpu-pipeline="pack-i4=1 vectorize=0" | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | sed 's/base@ = 0x[0-9a-f]*//' > %t.scalar
// RUN: fqt-opt %s --fqt-cpu-pipeline="pack-i4=0 vectorize=0" | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | sed 's/base@ = 0x[0-9a-f]*//' > %t.scalar-bytes
// RUN: diff %t.packed %t.bytes
// RUN: diff %t.scalar %t.scalar-bytes
// RUN: FileCheck %s --input-file %t.packed
// RUN: fqt-opt %s --fqt-narrow-codes | FileCheck %s --check-prefix=NARROW
// RUN: fqt-opt %s --fqt-cpu-pipeline --mlir-disable-threading --mlir-print-ir-after=fqt-pack-i4-buffers -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=PACKED

// 4-bit codes stored two per byte (fqt-narrow-codes, fqt-pack-i4-buffers)
// give the same bits as one code per byte: every product and dequantized
// value is printed as the i32 bit pattern of its f32 elements and the runs
// are compared with diff, for the vector kernels and for scalar loops.
// Odd row lengths (37, 29) leave a padding nibble in every packed row; the
// codes are unsigned (psq, bhq, ptq, percol, weight) and signed (lbt), read
// plain and transposed. The base addresses of the printed buffers are
// removed before the comparison.

// Every code buffer is packed: 13 x 37 codes in 13 x 19 bytes, 13 x 29 in
// 13 x 15, 29 x 37 in 29 x 19, 37 x 29 in 37 x 15.
// PACKED-NOT: memref<{{[0-9x?]*}}xi4>
// PACKED-DAG: memref<13x19xi8>
// PACKED-DAG: memref<13x15xi8>
// PACKED-DAG: memref<29x19xi8>
// PACKED-DAG: memref<37x15xi8>
// PACKED-NOT: memref<{{[0-9x?]*}}xi4>

// NARROW-NOT: xi8>
// NARROW-COUNT-6: fqt.quantize {{.*}} -> tensor<{{[0-9]+}}x{{[0-9]+}}xi4>
// NARROW-NOT: xi8>

#id = affine_map<(i, j) -> (i, j)>

// x[i][j] = sin(a i + b j) * c + d.
func.func @input(%m: index, %n: index, %a: f32, %b: f32, %c: f32, %d: f32) -> tensor<?x?xf32> {
  %e = tensor.empty(%m, %n) : tensor<?x?xf32>
  %r = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<?x?xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %ii = arith.index_cast %i : index to i32
    %jj = arith.index_cast %j : index to i32
    %fi = arith.sitofp %ii : i32 to f32
    %fj = arith.sitofp %jj : i32 to f32
    %x = arith.mulf %fi, %a : f32
    %y = arith.mulf %fj, %b : f32
    %z = arith.addf %x, %y : f32
    %s = math.sin %z : f32
    %t = arith.mulf %s, %c : f32
    %v = arith.addf %t, %d : f32
    linalg.yield %v : f32
  } -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

func.func private @printMemrefI32(memref<*xi32>)

// The bit patterns of `x`, one row per line.
func.func @print_bits(%x: tensor<?x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %m = tensor.dim %x, %c0 : tensor<?x?xf32>
  %n = tensor.dim %x, %c1 : tensor<?x?xf32>
  %e = tensor.empty(%m, %n) : tensor<?x?xi32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x?xf32>) outs(%e : tensor<?x?xi32>) {
  ^bb0(%v: f32, %o: i32):
    %b = arith.bitcast %v : f32 to i32
    linalg.yield %b : i32
  } -> tensor<?x?xi32>
  %buf = bufferization.to_buffer %r : tensor<?x?xi32> to memref<?x?xi32>
  %u = memref.cast %buf : memref<?x?xi32> to memref<*xi32>
  call @printMemrefI32(%u) : (memref<*xi32>) -> ()
  return
}

func.func @main() {
  %c13 = arith.constant 13 : index
  %c29 = arith.constant 29 : index
  %c37 = arith.constant 37 : index
  %a = arith.constant 0.37 : f32
  %b = arith.constant 1.3 : f32
  %a2 = arith.constant 0.91 : f32
  %b2 = arith.constant 0.23 : f32
  %one = arith.constant 1.0 : f32
  %half = arith.constant 0.5 : f32
  %small = arith.constant 0.01 : f32
  %zero = arith.constant 0.0 : f32
  %gamma = arith.constant 0.9 : f32
  %seed = arith.constant 7 : i64
  %step = arith.constant 3 : i64

  %g0 = call @input(%c13, %c37, %a, %b, %one, %small) : (index, index, f32, f32, f32, f32) -> tensor<?x?xf32>
  %g = tensor.cast %g0 : tensor<?x?xf32> to tensor<13x37xf32>
  %w0 = call @input(%c37, %c29, %a2, %b2, %half, %zero) : (index, index, f32, f32, f32, f32) -> tensor<?x?xf32>
  %w = tensor.cast %w0 : tensor<?x?xf32> to tensor<37x29xf32>
  %d0 = call @input(%c13, %c29, %b2, %a, %one, %zero) : (index, index, f32, f32, f32, f32) -> tensor<?x?xf32>
  %dy = tensor.cast %d0 : tensor<?x?xf32> to tensor<13x29xf32>

  // dX = dY W: psq:4 (stochastic) x weight:4 (nearest), 13 x 37 x 29.
  // CHECK: rank = 2 offset = 0 sizes = [13, 29]
  %gq, %gs, %gz = fqt.quantize %g seed(%seed, %step) {quantizer = #fqt.psq<bits = 4>, stream = 1 : i64}
      : tensor<13x37xf32> -> tensor<13x37xi8>, tensor<13xf32>, offset tensor<13xf32>
  %wq, %ws, %wz = fqt.quantize %w {quantizer = #fqt.weight<bits = 4>}
      : tensor<37x29xf32> -> tensor<37x29xi8>, tensor<f32>, offset tensor<f32>
  %p1 = fqt.qmatmul %gq as #fqt.psq<bits = 4> scale(%gs, %gz), %wq as #fqt.weight<bits = 4> scale(%ws, %wz)
      : (tensor<13x37xi8>, tensor<13xf32>, tensor<13xf32>, tensor<37x29xi8>, tensor<f32>, tensor<f32>) -> tensor<13x29xf32>
  %p1d = tensor.cast %p1 : tensor<13x29xf32> to tensor<?x?xf32>
  call @print_bits(%p1d) : (tensor<?x?xf32>) -> ()

  // dW = dY^T X: lbt:4 (signed codes) transposed x percol:4, 29 x 13 x 37.
  // CHECK: rank = 2 offset = 0 sizes = [29, 37]
  %lq, %ls = fqt.quantize %dy seed(%seed, %step) gamma(%gamma) {quantizer = #fqt.lbt<bits = 4>, stream = 2 : i64}
      : tensor<13x29xf32> -> tensor<13x29xi8>, tensor<f32>
  %xq, %xs, %xz = fqt.quantize %g seed(%seed, %step) {quantizer = #fqt.percol<bits = 4>, stream = 3 : i64}
      : tensor<13x37xf32> -> tensor<13x37xi8>, tensor<37xf32>, offset tensor<37xf32>
  %p2 = fqt.qmatmul %lq as #fqt.lbt<bits = 4> scale(%ls) transposed, %xq as #fqt.percol<bits = 4> scale(%xs, %xz)
      : (tensor<13x29xi8>, tensor<f32>, tensor<13x37xi8>, tensor<37xf32>, tensor<37xf32>) -> tensor<29x37xf32>
  %p2d = tensor.cast %p2 : tensor<29x37xf32> to tensor<?x?xf32>
  call @print_bits(%p2d) : (tensor<?x?xf32>) -> ()

  // bhq:4 x ptq:4 with the right operand stored transposed (W^T is 29 x 37).
  // CHECK: rank = 2 offset = 0 sizes = [13, 29]
  %bq, %bs, %bz, %bt = fqt.quantize %g seed(%seed, %step) {quantizer = #fqt.bhq<bits = 4>, stream = 4 : i64}
      : tensor<13x37xf32> -> tensor<13x37xi8>, tensor<13xf32>, offset tensor<13xf32>, transform tensor<13x13xf32>
  %wt0 = call @input(%c29, %c37, %b2, %a2, %half, %small) : (index, index, f32, f32, f32, f32) -> tensor<?x?xf32>
  %wt = tensor.cast %wt0 : tensor<?x?xf32> to tensor<29x37xf32>
  %tq, %ts, %tz = fqt.quantize %wt seed(%seed, %step) {quantizer = #fqt.ptq<bits = 4>, stream = 5 : i64}
      : tensor<29x37xf32> -> tensor<29x37xi8>, tensor<f32>, offset tensor<f32>
  %p3 = fqt.qmatmul %bq as #fqt.bhq<bits = 4> scale(%bs, %bz) transform(%bt), %tq as #fqt.ptq<bits = 4> scale(%ts, %tz) transposed
      : (tensor<13x37xi8>, tensor<13xf32>, tensor<13xf32>, tensor<13x13xf32>, tensor<29x37xi8>, tensor<f32>, tensor<f32>) -> tensor<13x29xf32>
  %p3d = tensor.cast %p3 : tensor<13x29xf32> to tensor<?x?xf32>
  call @print_bits(%p3d) : (tensor<?x?xf32>) -> ()

  // Dequantized 4-bit codes, unsigned and signed.
  // CHECK: rank = 2 offset = 0 sizes = [13, 37]
  %dq = fqt.dequantize %gq scale(%gs, %gz) {quantizer = #fqt.psq<bits = 4>}
      : tensor<13x37xi8>, tensor<13xf32>, tensor<13xf32> -> tensor<13x37xf32>
  %dqd = tensor.cast %dq : tensor<13x37xf32> to tensor<?x?xf32>
  call @print_bits(%dqd) : (tensor<?x?xf32>) -> ()
  // CHECK: rank = 2 offset = 0 sizes = [13, 29]
  %dl = fqt.dequantize %lq scale(%ls) {quantizer = #fqt.lbt<bits = 4>}
      : tensor<13x29xi8>, tensor<f32> -> tensor<13x29xf32>
  %dld = tensor.cast %dl : tensor<13x29xf32> to tensor<?x?xf32>
  call @print_bits(%dld) : (tensor<?x?xf32>) -> ()
  return
}
