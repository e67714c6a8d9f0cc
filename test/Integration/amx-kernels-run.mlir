// The AMX-INT8 kernels of --fqt-amx-kernels, run with their tile ops
// emulated (--fqt-emulate-amx: any CPU), give the exact i32 sums of the
// scalar loops: every combination of signed and unsigned codes and of
// operand transpositions, at sizes that leave remainders of the 32x32
// result blocks and of the 64-byte reduction steps, and that need several
// of both.
// RUN: fqt-opt %s --fqt-cpu-pipeline="amx=emulate" | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | sed 's/base@ = 0x[0-9a-f]*//' > %t.amx
// RUN: fqt-opt %s --fqt-cpu-pipeline="amx=off vectorize=0" | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | sed 's/base@ = 0x[0-9a-f]*//' > %t.loops
// RUN: diff %t.loops %t.amx
// RUN: FileCheck %s < %t.amx
// The products did become AMX kernels, one per kind of product.
// RUN: fqt-opt %s --fqt-cpu-pipeline="amx=on" --mlir-disable-threading --mlir-print-ir-after=fqt-amx-kernels -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=KERNELS

// KERNELS-COUNT-4: func.func private @fqt_amx_gemm{{.*}} attributes {no_inline, passthrough = ["noinline"], target_features
// KERNELS-NOT: func.func private @fqt_amx_gemm

// CHECK: Unranked Memref {{.*}} sizes = [13, 29]
// CHECK: Unranked Memref {{.*}} sizes = [40, 70]
// CHECK: Unranked Memref {{.*}} sizes = [33, 17]
// CHECK: Unranked Memref {{.*}} sizes = [5, 48]
// CHECK: Unranked Memref {{.*}} sizes = [40, 70]

#id = affine_map<(i, j) -> (i, j)>
#mk = affine_map<(m, n, k) -> (m, k)>
#km = affine_map<(m, n, k) -> (k, m)>
#kn = affine_map<(m, n, k) -> (k, n)>
#nk = affine_map<(m, n, k) -> (n, k)>
#mn = affine_map<(m, n, k) -> (m, n)>

func.func private @printMemrefI32(tensor<*xi32>)

// Codes ((i * a + j * 7 + b) mod p) - s, as i8.
func.func @codes(%rows: index, %cols: index, %a: i32, %b: i32, %p: i32, %s: i32) -> tensor<?x?xi8> {
  %e = tensor.empty(%rows, %cols) : tensor<?x?xi8>
  %r = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<?x?xi8>) {
  ^bb0(%o: i8):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %ii = arith.index_cast %i : index to i32
    %jj = arith.index_cast %j : index to i32
    %c7 = arith.constant 7 : i32
    %x = arith.muli %ii, %a : i32
    %y = arith.muli %jj, %c7 : i32
    %z = arith.addi %x, %y : i32
    %w = arith.addi %z, %b : i32
    %m = arith.remui %w, %p : i32
    %v = arith.subi %m, %s : i32
    %t = arith.trunci %v : i32 to i8
    linalg.yield %t : i8
  } -> tensor<?x?xi8>
  return %r : tensor<?x?xi8>
}

func.func @zeros(%m: index, %n: index) -> tensor<?x?xi32> {
  %e = tensor.empty(%m, %n) : tensor<?x?xi32>
  %c0 = arith.constant 0 : i32
  %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<?x?xi32>) -> tensor<?x?xi32>
  return %z : tensor<?x?xi32>
}

func.func @print(%c: tensor<?x?xi32>) {
  %u = tensor.cast %c : tensor<?x?xi32> to tensor<*xi32>
  call @printMemrefI32(%u) : (tensor<*xi32>) -> ()
  return
}

func.func @main() {
  %c0 = arith.constant 0 : i32
  %c3 = arith.constant 3 : i32
  %c5 = arith.constant 5 : i32
  %c11 = arith.constant 11 : i32
  %c31 = arith.constant 31 : i32
  %c127 = arith.constant 127 : i32
  %c255 = arith.constant 255 : i32
  %c256 = arith.constant 256 : i32
  %i5 = arith.constant 5 : index
  %i13 = arith.constant 13 : index
  %i17 = arith.constant 17 : index
  %i29 = arith.constant 29 : index
  %i33 = arith.constant 33 : index
  %i37 = arith.constant 37 : index
  %i40 = arith.constant 40 : index
  %i48 = arith.constant 48 : index
  %i64 = arith.constant 64 : index
  %i70 = arith.constant 70 : index
  %i130 = arith.constant 130 : index
  %i200 = arith.constant 200 : index

  // s8 x s8, plain layouts: 13 x 29 x 37 (one partial block, one partial
  // reduction step).
  %a1 = call @codes(%i13, %i37, %c31, %c5, %c255, %c127) : (index, index, i32, i32, i32, i32) -> tensor<?x?xi8>
  %b1 = call @codes(%i37, %i29, %c11, %c3, %c255, %c127) : (index, index, i32, i32, i32, i32) -> tensor<?x?xi8>
  %z1 = call @zeros(%i13, %i29) : (index, index) -> tensor<?x?xi32>
  %p1 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a1, %b1 : tensor<?x?xi8>, tensor<?x?xi8>) outs(%z1 : tensor<?x?xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %xy = arith.muli %xe, %ye : i32
    %sum = arith.addi %acc, %xy : i32
    linalg.yield %sum : i32
  } -> tensor<?x?xi32>
  call @print(%p1) : (tensor<?x?xi32>) -> ()

  // u8 A stored [K, M] x s8 B stored [N, K]: 40 x 70 x 130 (2 x 3 blocks,
  // 3 reduction steps).
  %a2 = call @codes(%i130, %i40, %c31, %c3, %c256, %c0) : (index, index, i32, i32, i32, i32) -> tensor<?x?xi8>
  %b2 = call @codes(%i70, %i130, %c11, %c5, %c255, %c127) : (index, index, i32, i32, i32, i32) -> tensor<?x?xi8>
  %z2 = call @zeros(%i40, %i70) : (index, index) -> tensor<?x?xi32>
  %p2 = linalg.generic {indexing_maps = [#km, #nk, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a2, %b2 : tensor<?x?xi8>, tensor<?x?xi8>) outs(%z2 : tensor<?x?xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extui %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %xy = arith.muli %xe, %ye : i32
    %sum = arith.addi %acc, %xy : i32
    linalg.yield %sum : i32
  } -> tensor<?x?xi32>
  call @print(%p2) : (tensor<?x?xi32>) -> ()

  // s8 x u8 B stored [N, K]: 33 x 17 x 200.
  %a3 = call @codes(%i33, %i200, %c11, %c5, %c255, %c127) : (index, index, i32, i32, i32, i32) -> tensor<?x?xi8>
  %b3 = call @codes(%i17, %i200, %c31, %c11, %c256, %c0) : (index, index, i32, i32, i32, i32) -> tensor<?x?xi8>
  %z3 = call @zeros(%i33, %i17) : (index, index) -> tensor<?x?xi32>
  %p3 = linalg.generic {indexing_maps = [#mk, #nk, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a3, %b3 : tensor<?x?xi8>, tensor<?x?xi8>) outs(%z3 : tensor<?x?xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extui %y : i8 to i32
    %xy = arith.muli %xe, %ye : i32
    %sum = arith.addi %acc, %xy : i32
    linalg.yield %sum : i32
  } -> tensor<?x?xi32>
  call @print(%p3) : (tensor<?x?xi32>) -> ()

  // u8 x u8, A stored [K, M]: 5 x 48 x 64 (exactly one reduction step).
  %a4 = call @codes(%i64, %i5, %c31, %c5, %c256, %c0) : (index, index, i32, i32, i32, i32) -> tensor<?x?xi8>
  %b4 = call @codes(%i64, %i48, %c11, %c3, %c256, %c0) : (index, index, i32, i32, i32, i32) -> tensor<?x?xi8>
  %z4 = call @zeros(%i5, %i48) : (index, index) -> tensor<?x?xi32>
  %p4 = linalg.generic {indexing_maps = [#km, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a4, %b4 : tensor<?x?xi8>, tensor<?x?xi8>) outs(%z4 : tensor<?x?xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extui %x : i8 to i32
    %ye = arith.extui %y : i8 to i32
    %xy = arith.muli %xe, %ye : i32
    %sum = arith.addi %acc, %xy : i32
    linalg.yield %sum : i32
  } -> tensor<?x?xi32>
  call @print(%p4) : (tensor<?x?xi32>) -> ()

  // Accumulating into a result that is not zero (C += A B): the second
  // product again, onto its own sums.
  %p5 = linalg.generic {indexing_maps = [#km, #nk, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a2, %b2 : tensor<?x?xi8>, tensor<?x?xi8>) outs(%p2 : tensor<?x?xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extui %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %xy = arith.muli %xe, %ye : i32
    %sum = arith.addi %acc, %xy : i32
    linalg.yield %sum : i32
  } -> tensor<?x?xi32>
  call @print(%p5) : (tensor<?x?xi32>) -> ()
  return
}
