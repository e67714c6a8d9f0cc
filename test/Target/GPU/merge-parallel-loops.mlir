// RUN: fqt-opt %s --split-input-file --fqt-gpu-fold-fills --fqt-gpu-merge-parallel-loops | FileCheck %s

// The two code sums of an integer product (rows of one operand, columns of
// the other) once their fills are folded: independent, so one loop over
// 64 + 16 indices, the first 64 running the row sums and the rest the
// column sums.
// CHECK-LABEL: func.func @code_sums
// CHECK-SAME: (%[[A:.*]]: memref<64x9xi8>, %[[B:.*]]: memref<9x16xi8>)
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK-DAG: %[[TOTAL:.*]] = arith.constant 80 : index
// CHECK: scf.parallel (%[[I:[a-z0-9_]+]]) = (%{{.*}}) to (%[[TOTAL]])
// CHECK: %[[FIRST:.*]] = arith.cmpi ult, %[[I]], %[[C64]]
// CHECK: scf.if %[[FIRST]] {
// CHECK: memref.load %[[A]][%[[I]], %{{.*}}]
// CHECK: } else {
// CHECK: %[[J:.*]] = arith.subi %[[I]], %[[C64]]
// CHECK: memref.load %[[B]][%{{.*}}, %[[J]]]
// CHECK-NOT: scf.parallel
func.func @code_sums(%a: memref<64x9xi8>, %b: memref<9x16xi8>) -> (memref<64xi32>, memref<16xi32>) {
  %c0 = arith.constant 0 : i32
  %rows = memref.alloc() : memref<64xi32>
  linalg.fill ins(%c0 : i32) outs(%rows : memref<64xi32>)
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<64x9xi8>) outs(%rows : memref<64xi32>) {
  ^bb0(%v: i8, %acc: i32):
    %e = arith.extui %v : i8 to i32
    %s = arith.addi %acc, %e : i32
    linalg.yield %s : i32
  }
  %cols = memref.alloc() : memref<16xi32>
  linalg.fill ins(%c0 : i32) outs(%cols : memref<16xi32>)
  linalg.generic {indexing_maps = [affine_map<(j, k) -> (k, j)>, affine_map<(j, k) -> (j)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%b : memref<9x16xi8>) outs(%cols : memref<16xi32>) {
  ^bb0(%v: i8, %acc: i32):
    %e = arith.extsi %v : i8 to i32
    %s = arith.addi %acc, %e : i32
    linalg.yield %s : i32
  }
  return %rows, %cols : memref<64xi32>, memref<16xi32>
}

// -----

// Not merged: the second loop reads what the first writes.
// CHECK-LABEL: func.func @dependent
// CHECK-COUNT-2: scf.parallel
func.func @dependent(%a: memref<8x4xi32>) -> (memref<8xi32>, memref<8xi32>) {
  %c0 = arith.constant 0 : i32
  %first = memref.alloc() : memref<8xi32>
  linalg.fill ins(%c0 : i32) outs(%first : memref<8xi32>)
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<8x4xi32>) outs(%first : memref<8xi32>) {
  ^bb0(%v: i32, %acc: i32):
    %s = arith.addi %acc, %v : i32
    linalg.yield %s : i32
  }
  %second = memref.alloc() : memref<8xi32>
  linalg.fill ins(%c0 : i32) outs(%second : memref<8xi32>)
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i)>, affine_map<(i, k) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%a, %first : memref<8x4xi32>, memref<8xi32>) outs(%second : memref<8xi32>) {
  ^bb0(%v: i32, %f: i32, %acc: i32):
    %p = arith.muli %v, %f : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  }
  return %first, %second : memref<8xi32>, memref<8xi32>
}


// -----

// Loop nests of several dimensions are collapsed to one first, so that
// loops of any shape merge: two independent elementwise updates.
// CHECK-LABEL: func.func @updates
// CHECK: %[[N:.*]] = arith.constant 17 : index
// CHECK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%[[N]])
// CHECK: scf.if
// CHECK: memref.store {{.*}} : memref<4x3xf32>
// CHECK: } else {
// CHECK: memref.store {{.*}} : memref<5xf32>
// CHECK-NOT: scf.parallel
func.func @updates(%w: memref<4x3xf32>, %b: memref<5xf32>, %lr: f32) -> (memref<4x3xf32>, memref<5xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c5 = arith.constant 5 : index
  %nw = memref.alloc() : memref<4x3xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c3) step (%c1, %c1) {
    %v = memref.load %w[%i, %j] : memref<4x3xf32>
    %s = arith.mulf %v, %lr : f32
    memref.store %s, %nw[%i, %j] : memref<4x3xf32>
    scf.reduce
  }
  %nb = memref.alloc() : memref<5xf32>
  scf.parallel (%i) = (%c0) to (%c5) step (%c1) {
    %v = memref.load %b[%i] : memref<5xf32>
    %s = arith.mulf %v, %lr : f32
    memref.store %s, %nb[%i] : memref<5xf32>
    scf.reduce
  }
  return %nw, %nb : memref<4x3xf32>, memref<5xf32>
}

// -----

// Not merged: both loops write function arguments, which may alias.
// CHECK-LABEL: func.func @arguments
// CHECK-COUNT-2: scf.parallel
func.func @arguments(%a: memref<5xf32>, %b: memref<5xf32>, %x: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  scf.parallel (%i) = (%c0) to (%c5) step (%c1) {
    memref.store %x, %a[%i] : memref<5xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c5) step (%c1) {
    %v = memref.load %b[%i] : memref<5xf32>
    memref.store %v, %b[%i] : memref<5xf32>
    scf.reduce
  }
  return
}
