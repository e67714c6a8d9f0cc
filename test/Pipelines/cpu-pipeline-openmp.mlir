// The CPU pipeline runs the large loops over parallel dimensions on threads
// through upstream's OpenMP lowering, and nothing with openmp=0.
// RUN: fqt-opt %s --split-input-file --fqt-cpu-pipeline="cpu-features=+avx,+avx2,+fma" | FileCheck %s
// RUN: fqt-opt %s --split-input-file --fqt-cpu-pipeline="cpu-features=+avx,+avx2,+fma openmp=0" | FileCheck %s --check-prefix=OFF
// RUN: fqt-opt %s --split-input-file --fqt-cpu-pipeline="cpu-features=+avx,+avx2,+fma min-parallel-work=0" | FileCheck %s --check-prefix=ALL
// RUN: fqt-opt %s --split-input-file --fqt-cpu-pipeline="cpu-features=+avx,+avx2,+fma" | mlir-translate --split-input-file --mlir-to-llvmir | FileCheck %s --check-prefix=LLVMIR

// A large product and a large elementwise op: a worksharing loop for the
// packing, one for the blocks of the product (two dimensions collapsed), one
// for the elementwise op.
// CHECK-LABEL: llvm.func @large
// CHECK: omp.parallel
// CHECK: omp.wsloop
// CHECK: omp.loop_nest (%{{.*}}) : i64
// CHECK: omp.parallel
// CHECK: omp.wsloop
// CHECK: omp.loop_nest (%{{.*}}, %{{.*}}) : i64 {{.*}} collapse(2)
// CHECK: llvm.intr.fmuladd
// CHECK: omp.parallel
// CHECK: omp.wsloop
// CHECK: llvm.fmul
// CHECK: llvm.intr.exp
// CHECK: llvm.return
// OFF-LABEL: llvm.func @large
// OFF-NOT: omp.
// OFF: llvm.return
// LLVMIR-LABEL: define void @large(
// LLVMIR: call void {{.*}}@__kmpc_fork_call(
// LLVMIR: declare {{.*}} @__kmpc_fork_call(
func.func @large(%a: memref<256x512xf32>, %b: memref<512x96xf32>,
                 %c: memref<256x96xf32>, %d: memref<256x96xf32>) {
  linalg.matmul ins(%a, %b : memref<256x512xf32>, memref<512x96xf32>)
                outs(%c : memref<256x96xf32>)
  linalg.generic {
      indexing_maps = [affine_map<(i, j) -> (i, j)>,
                       affine_map<(i, j) -> (i, j)>],
      iterator_types = ["parallel", "parallel"]}
      ins(%c : memref<256x96xf32>) outs(%d : memref<256x96xf32>) {
  ^bb0(%x: f32, %o: f32):
    %m = arith.mulf %x, %x : f32
    %e = math.exp %m : f32
    %s = arith.addf %e, %x : f32
    %t = arith.divf %s, %m : f32
    linalg.yield %t : f32
  }
  return
}

// -----

// Small ops stay serial: a fork would cost more than the loop.
// CHECK-LABEL: llvm.func @small
// CHECK-NOT: omp.
// CHECK: llvm.return
// ALL-LABEL: llvm.func @small
// ALL: omp.parallel
func.func @small(%a: memref<8x32xf32>, %b: memref<32x16xf32>,
                 %c: memref<8x16xf32>) {
  linalg.matmul ins(%a, %b : memref<8x32xf32>, memref<32x16xf32>)
                outs(%c : memref<8x16xf32>)
  return
}

// -----

// A reduction over the outer dimension (a bias gradient: sum over the
// batch): blocks of columns are vector accumulators, each carried through
// the serial loop over rows; the blocks are parallel, but 256 columns are
// too little work to fork for; and no reduction is split.
// CHECK-LABEL: llvm.func @column_sums
// CHECK-NOT: omp.
// CHECK: llvm.return
// ALL-LABEL: llvm.func @column_sums
// ALL: omp.wsloop
// ALL-NOT: omp.declare_reduction
func.func @column_sums(%a: memref<64x256xf32>, %s: memref<256xf32>) {
  linalg.generic {
      indexing_maps = [affine_map<(i, j) -> (i, j)>,
                       affine_map<(i, j) -> (j)>],
      iterator_types = ["reduction", "parallel"]}
      ins(%a : memref<64x256xf32>) outs(%s : memref<256xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %y = arith.addf %acc, %x : f32
    linalg.yield %y : f32
  }
  return
}
