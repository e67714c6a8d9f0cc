// RUN: fqt-opt %s --split-input-file --fqt-gpu-fold-fills | FileCheck %s

// A reduction into a buffer just filled with a constant: one scf.parallel
// over the rows, an scf.for over the reduction carrying the sum from the
// fill's constant, one store; the fill is gone.
// CHECK-LABEL: func.func @row_sums
// CHECK-SAME: (%[[X:.*]]: memref<64x9xi8>)
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK-DAG: %[[C9:.*]] = arith.constant 9 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<64xi32>
// CHECK-NOT: linalg.fill
// CHECK: scf.parallel (%[[I:.*]]) = (%{{.*}}) to (%[[C64]])
// CHECK: %[[SUM:.*]] = scf.for %[[K:.*]] = %{{.*}} to %[[C9]] step %{{.*}} iter_args(%[[ACC:.*]] = %[[ZERO]]) -> (i32)
// CHECK: %[[V:.*]] = memref.load %[[X]][%[[I]], %[[K]]]
// CHECK: %[[E:.*]] = arith.extui %[[V]] : i8 to i32
// CHECK: %[[N:[a-z0-9_]+]] = arith.addi %[[ACC]], %[[E]]
// CHECK: scf.yield %[[N]]
// CHECK: memref.store %[[SUM]], %[[OUT]][%[[I]]]
// CHECK-NOT: linalg.generic
func.func @row_sums(%x: memref<64x9xi8>) -> memref<64xi32> {
  %c0 = arith.constant 0 : i32
  %out = memref.alloc() : memref<64xi32>
  linalg.fill ins(%c0 : i32) outs(%out : memref<64xi32>)
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<64x9xi8>) outs(%out : memref<64xi32>) {
  ^bb0(%v: i8, %acc: i32):
    %e = arith.extui %v : i8 to i32
    %s = arith.addi %acc, %e : i32
    linalg.yield %s : i32
  }
  return %out : memref<64xi32>
}

// -----

// Two outputs (a range reduction: min and max) started from copies of
// shared filled buffers: the copies go; the fills go with the last copy
// that reads them. Reduction dimensions in the middle, and linalg.index.
// CHECK-LABEL: func.func @ranges
// CHECK-DAG: %[[INF:.*]] = arith.constant 0x7F800000 : f32
// CHECK-DAG: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-NOT: memref.copy
// CHECK-NOT: linalg.fill
// CHECK: scf.parallel (%[[C:[a-z0-9_]+]]) =
// CHECK: scf.for %[[N:[a-z0-9_]+]] = {{.*}} iter_args(%{{.*}} = %[[INF]], %{{.*}} = %[[NINF]]) -> (f32, f32)
// CHECK: scf.for %[[H:[a-z0-9_]+]] = {{.*}} -> (f32, f32)
// CHECK: memref.load %{{.*}}[%[[N]], %[[C]], %[[H]]]
// CHECK: arith.index_cast %[[H]]
// CHECK: memref.store
// CHECK: memref.store
// CHECK-NOT: memref.copy
// CHECK-NOT: linalg.fill
func.func @ranges(%x: memref<4x3x5xf32>) -> (memref<3xf32>, memref<3xf32>) {
  %inf = arith.constant 0x7F800000 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %min0 = memref.alloc() : memref<3xf32>
  %max0 = memref.alloc() : memref<3xf32>
  linalg.fill ins(%inf : f32) outs(%min0 : memref<3xf32>)
  linalg.fill ins(%ninf : f32) outs(%max0 : memref<3xf32>)
  %min = memref.alloc() : memref<3xf32>
  %max = memref.alloc() : memref<3xf32>
  memref.copy %min0, %min : memref<3xf32> to memref<3xf32>
  memref.copy %max0, %max : memref<3xf32> to memref<3xf32>
  linalg.generic {indexing_maps = [affine_map<(n, c, h) -> (n, c, h)>, affine_map<(n, c, h) -> (c)>, affine_map<(n, c, h) -> (c)>],
                  iterator_types = ["reduction", "parallel", "reduction"]}
      ins(%x : memref<4x3x5xf32>) outs(%min, %max : memref<3xf32>, memref<3xf32>) {
  ^bb0(%v: f32, %lo: f32, %hi: f32):
    %h = linalg.index 2 : index
    %hi64 = arith.index_cast %h : index to i64
    %hf = arith.sitofp %hi64 : i64 to f32
    %w = arith.addf %v, %hf : f32
    %a = arith.minimumf %lo, %w : f32
    %b = arith.maximumf %hi, %w : f32
    linalg.yield %a, %b : f32, f32
  }
  return %min, %max : memref<3xf32>, memref<3xf32>
}

// -----

// Left alone: the buffer is read between the fill and the reduction (the
// fill is still needed), the fill value is not a constant, and the output
// is also an input.
// CHECK-LABEL: func.func @not_folded
// CHECK-COUNT-3: linalg.fill
// CHECK-COUNT-3: linalg.generic
func.func @not_folded(%x: memref<8x4xf32>, %f: f32) -> (memref<8xf32>, memref<8xf32>, memref<8xf32>, f32) {
  %c0 = arith.constant 0.0 : f32
  %i0 = arith.constant 0 : index
  %a = memref.alloc() : memref<8xf32>
  linalg.fill ins(%c0 : f32) outs(%a : memref<8xf32>)
  %seen = memref.load %a[%i0] : memref<8xf32>
  %b = memref.alloc() : memref<8xf32>
  linalg.fill ins(%f : f32) outs(%b : memref<8xf32>)
  %c = memref.alloc() : memref<8xf32>
  linalg.fill ins(%c0 : f32) outs(%c : memref<8xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<8x4xf32>) outs(%a : memref<8xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<8x4xf32>) outs(%b : memref<8xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i)>, affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%c, %x : memref<8xf32>, memref<8x4xf32>) outs(%c : memref<8xf32>) {
  ^bb0(%w: f32, %v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  }
  return %a, %b, %c, %seen : memref<8xf32>, memref<8xf32>, memref<8xf32>, f32
}

// -----

// A scatter (the adjoint of overlapping windows): the output is indexed by
// the parallel loops n and c and by sums of reduction loops. Each (n, c)
// thread fills its own slab out[n, c, :, :] with the constant, then adds
// into it in the order of the reduction loops; the fill is gone.
// CHECK-LABEL: func.func @scatter
// CHECK-SAME: (%[[COLS:.*]]: memref<2x3x3x2x2x2xf32>)
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<2x2x4x4xf32>
// CHECK-NOT: linalg.fill
// CHECK: scf.parallel (%[[N:.*]], %[[C:.*]]) =
// CHECK: scf.for %[[H:.*]] =
// CHECK: scf.for %[[W:.*]] =
// CHECK: memref.store %[[ZERO]], %[[OUT]][%[[N]], %[[C]], %[[H]], %[[W]]]
// CHECK: scf.for %[[OH:.*]] =
// CHECK: scf.for %[[OW:.*]] =
// CHECK: scf.for %[[KH:.*]] =
// CHECK: scf.for %[[KW:.*]] =
// CHECK: %[[V:.*]] = memref.load %[[COLS]][%[[N]], %[[OH]], %[[OW]], %[[C]], %[[KH]], %[[KW]]]
// CHECK: %[[Y:.*]] = affine.apply #{{.*}}(%[[N]], %[[OH]], %[[OW]], %[[C]], %[[KH]], %[[KW]])
// CHECK: %[[X:.*]] = affine.apply #{{.*}}(%[[N]], %[[OH]], %[[OW]], %[[C]], %[[KH]], %[[KW]])
// CHECK: %[[ACC:.*]] = memref.load %[[OUT]][%[[N]], %[[C]], %[[Y]], %[[X]]]
// CHECK: %[[SUM:.*]] = arith.addf %[[ACC]], %[[V]]
// CHECK: memref.store %[[SUM]], %[[OUT]][%[[N]], %[[C]], %[[Y]], %[[X]]]
// CHECK-NOT: linalg.generic
func.func @scatter(%cols: memref<2x3x3x2x2x2xf32>) -> memref<2x2x4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %out = memref.alloc() : memref<2x2x4x4xf32>
  linalg.fill ins(%zero : f32) outs(%out : memref<2x2x4x4xf32>)
  linalg.generic {indexing_maps = [affine_map<(n, oh, ow, c, kh, kw) -> (n, oh, ow, c, kh, kw)>,
                                   affine_map<(n, oh, ow, c, kh, kw) -> (n, c, oh + kh, ow + kw)>],
                  iterator_types = ["parallel", "reduction", "reduction", "parallel", "reduction", "reduction"]}
      ins(%cols : memref<2x3x3x2x2x2xf32>) outs(%out : memref<2x2x4x4xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  }
  return %out : memref<2x2x4x4xf32>
}
