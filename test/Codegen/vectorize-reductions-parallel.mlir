// RUN: fqt-opt %s --fqt-vectorize-reductions="cpu-features=+avx,+avx2,+fma parallel=1" | FileCheck %s
// RUN: fqt-opt %s --fqt-vectorize-reductions="cpu-features=+avx,+avx2,+fma" | FileCheck %s --check-prefix=SERIAL

// A row-wise reduction: the rows (parallel) are one scf.parallel, each
// row's maximum stays a serial vector loop.
// CHECK-LABEL: func.func @row_sums
// CHECK: scf.parallel (%[[R:.*]]) =
// CHECK: scf.for {{.*}} iter_args
// CHECK: vector.reduction <maximumf>
// SERIAL-LABEL: func.func @row_sums
// SERIAL-NOT: scf.parallel
func.func @row_sums(%a: memref<64x1024xf32>, %s: memref<64xf32>) {
  linalg.generic {
      indexing_maps = [affine_map<(i, j) -> (i, j)>,
                       affine_map<(i, j) -> (i)>],
      iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<64x1024xf32>) outs(%s : memref<64xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %y = arith.maximumf %acc, %x : f32
    linalg.yield %y : f32
  }
  return
}

// Column sums: the blocks of columns are one scf.parallel, each carrying
// its accumulators through the rows in order.
// CHECK-LABEL: func.func @column_blocks
// CHECK: scf.parallel
// CHECK: scf.for {{.*}} iter_args
// SERIAL-LABEL: func.func @column_blocks
// SERIAL-NOT: scf.parallel
func.func @column_blocks(%a: memref<64x1024xi8>, %s: memref<1024xi32>) {
  linalg.generic {
      indexing_maps = [affine_map<(i, j) -> (i, j)>,
                       affine_map<(i, j) -> (j)>],
      iterator_types = ["reduction", "parallel"]}
      ins(%a : memref<64x1024xi8>) outs(%s : memref<1024xi32>) {
  ^bb0(%x: i8, %acc: i32):
    %w = arith.extui %x : i8 to i32
    %y = arith.addi %acc, %w : i32
    linalg.yield %y : i32
  }
  return
}
