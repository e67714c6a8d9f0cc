// RUN: fqt-opt %s --split-input-file --fqt-tile-and-vectorize="cpu-features=+avx,+avx2,+fma parallel=1" | FileCheck %s
// RUN: fqt-opt %s --split-input-file --fqt-tile-and-vectorize="cpu-features=+avx512f,+avx512bw,+avx512vnni parallel=1" | FileCheck %s --check-prefix=VNNI
// RUN: fqt-opt %s --split-input-file --fqt-tile-and-vectorize="cpu-features=+avx,+avx2,+fma" | FileCheck %s --check-prefix=SERIAL

// A product of 256 x 96 x 512 multiply-adds: the blocks of tile-k of the
// reduction in order (a serial loop), inside each one parallel task per
// block of 128 rows x one 24-column panel of the result; packing runs in
// parallel by panel.
// CHECK-LABEL: func.func @f32_large
// CHECK: %[[BP:.*]] = memref.alloc
// CHECK: scf.parallel (%[[NT:.*]]) = (%{{.*}}) to (%{{.*}}) step
// CHECK: memref.store %{{.*}}, %[[BP]][%[[NT]],
// CHECK: scf.for %[[KB:.*]] = %[[C0:.*]] to %{{.*}} step
// CHECK-NEXT: arith.addi %[[KB]]
// CHECK-NEXT: arith.minsi
// CHECK-NEXT: scf.parallel (%[[MB:.*]], %[[NB:.*]]) = (%[[C0]], %[[C0]]) to (%{{.*}}, %{{.*}}) step (%{{.*}}, %{{.*}})
// CHECK: vector.fma
// CHECK-NOT: scf.parallel
// CHECK: memref.dealloc %[[BP]]
// SERIAL-LABEL: func.func @f32_large
// SERIAL-NOT: scf.parallel
func.func @f32_large(%a: memref<256x512xf32>, %b: memref<512x96xf32>,
                     %c: memref<256x96xf32>) {
  linalg.matmul ins(%a, %b : memref<256x512xf32>, memref<512x96xf32>)
                outs(%c : memref<256x96xf32>)
  return
}

// -----

// 8 x 16 x 32 multiply-adds: below min-parallel-work, serial loops.
// CHECK-LABEL: func.func @f32_small
// CHECK-NOT: scf.parallel
// CHECK: vector.fma
func.func @f32_small(%a: memref<8x32xf32>, %b: memref<32x16xf32>,
                     %c: memref<8x16xf32>) {
  linalg.matmul ins(%a, %b : memref<8x32xf32>, memref<32x16xf32>)
                outs(%c : memref<8x16xf32>)
  return
}

// -----

// An integer product with the vpdpbusd correction: the row and column sums
// and the correction run in parallel over rows (columns), each sum in order
// of k on one thread.
// VNNI-LABEL: func.func @i8_large
// VNNI: scf.parallel (%[[N:.*]]) =
// VNNI: scf.for %{{.*}} iter_args
// VNNI: scf.parallel (%{{.*}}, %{{.*}}) =
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VNNI: scf.parallel (%[[M:.*]]) =
// VNNI: scf.for
func.func @i8_large(%a: memref<256x512xi8>, %b: memref<512x96xi8>,
                    %c: memref<256x96xi32>) {
  linalg.generic {
      indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                       affine_map<(m, n, k) -> (k, n)>,
                       affine_map<(m, n, k) -> (m, n)>],
      iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<256x512xi8>, memref<512x96xi8>)
      outs(%c : memref<256x96xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %p = arith.muli %xe, %ye : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  }
  return
}
