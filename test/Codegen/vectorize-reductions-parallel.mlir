// RUN: fqt-opt %s --fqt-vectorize-reductions="cpu-features=+avx,+avx2,+fma parallel=1" | FileCheck %s
// RUN: fqt-opt %s --fqt-vectorize-reductions="cpu-features=+avx,+avx2,+fma" | FileCheck %s --check-prefix=SERIAL

// A row-wise reduction: the rows (parallel) are one scf.parallel, each
// row's sum stays a serial vector loop.
// CHECK-LABEL: func.func @row_sums
// CHECK: scf.parallel (%[[R:.*]]) =
// CHECK: scf.for {{.*}} iter_args
// CHECK: vector.reduction <add>
// SERIAL-LABEL: func.func @row_sums
// SERIAL-NOT: scf.parallel
func.func @row_sums(%a: memref<64x1024xf32>, %s: memref<64xf32>) {
  linalg.generic {
      indexing_maps = [affine_map<(i, j) -> (i, j)>,
                       affine_map<(i, j) -> (i)>],
      iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<64x1024xf32>) outs(%s : memref<64xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %y = arith.addf %acc, %x : f32
    linalg.yield %y : f32
  }
  return
}
