// RUN: fqt-opt %s --split-input-file --fqt-coarsen-parallel-loops="min-work=1000" | FileCheck %s
// RUN: fqt-opt %s --split-input-file --fqt-coarsen-parallel-loops="min-work=0" | FileCheck %s --check-prefix=ALL

// Enough work (64 x 64 iterations x 3 ops): the rows stay parallel (64
// iterations are enough to share), each row is a serial loop that LLVM
// vectorizes.
// CHECK-LABEL: func.func @large
// CHECK: scf.parallel (%[[I:.*]]) = (%{{.*}}) to (%{{.*}}) step
// CHECK-NEXT: scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step
// CHECK-NEXT: memref.load %{{.*}}[%[[I]], %[[J]]]
// ALL-LABEL: func.func @large
// ALL: scf.parallel
func.func @large(%a: memref<64x64xf32>, %b: memref<64x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c64, %c64) step (%c1, %c1) {
    %x = memref.load %a[%i, %j] : memref<64x64xf32>
    %y = arith.mulf %x, %x : f32
    memref.store %y, %b[%i, %j] : memref<64x64xf32>
  }
  return
}

// -----

// Too few rows to share (4): both dimensions stay parallel.
// CHECK-LABEL: func.func @few_rows
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}) to (%{{.*}}, %{{.*}})
// CHECK-NOT: scf.for
func.func @few_rows(%a: memref<4x4096xf32>, %b: memref<4x4096xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c4096 = arith.constant 4096 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c4096) step (%c1, %c1) {
    %x = memref.load %a[%i, %j] : memref<4x4096xf32>
    %y = arith.mulf %x, %x : f32
    memref.store %y, %b[%i, %j] : memref<4x4096xf32>
  }
  return
}

// -----

// 8 x 8 x 3 ops: a fork would cost more; serial loops, rows outermost.
// CHECK-LABEL: func.func @small
// CHECK-NOT: scf.parallel
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step
// CHECK: memref.load %{{.*}}[%[[I]], %[[J]]]
// ALL-LABEL: func.func @small
// ALL: scf.parallel
func.func @small(%a: memref<8x8xf32>, %b: memref<8x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c8) step (%c1, %c1) {
    %x = memref.load %a[%i, %j] : memref<8x8xf32>
    %y = arith.mulf %x, %x : f32
    memref.store %y, %b[%i, %j] : memref<8x8xf32>
  }
  return
}

// -----

// Nested parallel loops: only the outermost one forks, the inner one runs
// on the thread of its outer iteration.
// CHECK-LABEL: func.func @nested
// CHECK: scf.parallel (%[[I:.*]]) =
// CHECK-NOT: scf.parallel
// CHECK: scf.for %[[J:.*]] =
// CHECK: memref.load %{{.*}}[%[[I]], %[[J]]]
// ALL-LABEL: func.func @nested
// ALL: scf.parallel
// ALL-NOT: scf.parallel
// ALL: scf.for
func.func @nested(%a: memref<64x64xf32>, %b: memref<64x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
    scf.parallel (%j) = (%c0) to (%c64) step (%c1) {
      %x = memref.load %a[%i, %j] : memref<64x64xf32>
      memref.store %x, %b[%i, %j] : memref<64x64xf32>
    }
  }
  return
}

// -----

// A parallel loop inside a small serial one: the outer loop's size does not
// count, each fork does 4 x 3 ops.
// CHECK-LABEL: func.func @inside_for
// CHECK: scf.for
// CHECK-NOT: scf.parallel
// CHECK: scf.for
func.func @inside_for(%a: memref<1000x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c1000 = arith.constant 1000 : index
  scf.for %i = %c0 to %c1000 step %c1 {
    scf.parallel (%j) = (%c0) to (%c4) step (%c1) {
      %x = memref.load %a[%i, %j] : memref<1000x4xf32>
      %y = arith.addf %x, %x : f32
      memref.store %y, %a[%i, %j] : memref<1000x4xf32>
    }
  }
  return
}

// -----

// A dynamic size: the work is unknown, the loop stays parallel.
// CHECK-LABEL: func.func @dynamic
// CHECK: scf.parallel
func.func @dynamic(%a: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %a, %c0 : memref<?xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %x = memref.load %a[%i] : memref<?xf32>
    %y = arith.addf %x, %x : f32
    memref.store %y, %a[%i] : memref<?xf32>
  }
  return
}

// -----

// A reduction is never split across threads, however large: the partial
// sums would be combined in an order that depends on the thread count. It
// becomes a loop carrying the sum, combined in iteration order.
// CHECK-LABEL: func.func @reduction
// CHECK-NOT: scf.parallel
// CHECK: %[[SUM:.*]] = scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (f32)
// CHECK: %[[X:.*]] = memref.load
// CHECK: %[[NEXT:.*]] = arith.addf %[[ACC]], %[[X]] : f32
// CHECK: scf.yield %[[NEXT]] : f32
// CHECK: return %[[SUM]]
// ALL-LABEL: func.func @reduction
// ALL-NOT: scf.parallel
func.func @reduction(%a: memref<100000xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant 100000 : index
  %zero = arith.constant 0.0 : f32
  %sum = scf.parallel (%i) = (%c0) to (%n) step (%c1) init (%zero) -> f32 {
    %x = memref.load %a[%i] : memref<100000xf32>
    scf.reduce(%x : f32) {
    ^bb0(%l: f32, %r: f32):
      %s = arith.addf %l, %r : f32
      scf.reduce.return %s : f32
    }
  }
  return %sum : f32
}

// -----

// A loop that writes i4 codes (a quantizer) stays serial, whatever its work:
// packed two per byte, neighbouring codes share a byte that each write
// reads and rewrites.
// CHECK-LABEL: func.func @stores_nibbles
// CHECK-NOT: scf.parallel
// CHECK: scf.for
// CHECK-NEXT: scf.for
// ALL-LABEL: func.func @stores_nibbles
// ALL-NOT: scf.parallel
func.func @stores_nibbles(%a: memref<4x4096xf32>, %b: memref<4x4096xi4>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c4096 = arith.constant 4096 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c4096) step (%c1, %c1) {
    %x = memref.load %a[%i, %j] : memref<4x4096xf32>
    %y = arith.fptosi %x : f32 to i4
    memref.store %y, %b[%i, %j] : memref<4x4096xi4>
  }
  return
}
