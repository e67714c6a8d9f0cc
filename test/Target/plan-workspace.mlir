// RUN: fqt-opt %s --split-input-file --fqt-plan-workspace --verify-diagnostics | FileCheck %s

// Buffers whose lifetimes do not overlap share bytes; live ones do not.
// %a (1024 B) dies at its last use by the op that writes %b, so %b may not
// reuse it (both live there), but %c, allocated after %a's last use, does.
// The largest go first, each at the lowest free offset; all offsets are
// multiples of 64. The workspace is inserted after the last argument-only
// slot (`x`), before the out-parameter.

// CHECK-LABEL: func.func @step(
// CHECK-SAME: %[[X:.*]]: memref<4xf32> {fqt.slot = #fqt.slot<input, "x">},
// CHECK-SAME: %[[WS:.*]]: memref<1088xi8> {fqt.slot = #fqt.slot<workspace, "workspace">},
// CHECK-SAME: %[[OUT:.*]]: memref<4xf32> {fqt.slot = #fqt.slot<output, "y">})
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[A:.*]] = memref.view %[[WS]][%[[C0]]][] : memref<1088xi8> to memref<256xf32>
// CHECK: %[[C1024:.*]] = arith.constant 1024 : index
// CHECK: %[[B0:.*]] = memref.view %[[WS]][%[[C1024]]][] : memref<1088xi8> to memref<8xf32>
// CHECK: %[[B:.*]] = memref.expand_shape %[[B0]]
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[A]] : memref<256xf32>)
// CHECK: %[[A2:.*]] = memref.subview %[[A]]
// CHECK: memref.copy %[[A2]], %[[B0]]
// CHECK: %[[C0B:.*]] = arith.constant 0 : index
// CHECK: %[[C:.*]] = memref.view %[[WS]][%[[C0B]]][] : memref<1088xi8> to memref<100xi8>
// CHECK-NOT: memref.alloc
// CHECK: return
func.func @step(%x: memref<4xf32> {fqt.slot = #fqt.slot<input, "x">},
                %out: memref<4xf32> {fqt.slot = #fqt.slot<output, "y">}) {
  %zero = arith.constant 0.0 : f32
  %a = memref.alloc() {alignment = 64 : i64} : memref<256xf32>
  %b0 = memref.alloc() {alignment = 64 : i64} : memref<8xf32>
  %b = memref.expand_shape %b0 [[0, 1]] output_shape [2, 4] : memref<8xf32> into memref<2x4xf32>
  linalg.fill ins(%zero : f32) outs(%a : memref<256xf32>)
  %a2 = memref.subview %a[0] [8] [1] : memref<256xf32> to memref<8xf32, strided<[1]>>
  memref.copy %a2, %b0 : memref<8xf32, strided<[1]>> to memref<8xf32>
  %c = memref.alloc() : memref<100xi8>
  %c1 = arith.constant 1 : i8
  linalg.fill ins(%c1 : i8) outs(%c : memref<100xi8>)
  %row = memref.subview %b[0, 0] [1, 4] [1, 1] : memref<2x4xf32> to memref<4xf32, strided<[1]>>
  memref.copy %row, %out : memref<4xf32, strided<[1]>> to memref<4xf32>
  return
}

// -----

// A use inside a region (a loop) keeps the buffer alive until the loop
// ends: %t, used in the loop, and %u, allocated after the loop, do not
// overlap in time and share offset 0; %v, used in the loop too, lives
// beside %t.

// CHECK-LABEL: func.func @loop(
// CHECK-SAME: memref<128xi8> {fqt.slot = #fqt.slot<workspace, "workspace">}
// CHECK: memref.view %{{.*}}[%[[T:c[0-9_]*]]][] : memref<128xi8> to memref<16xf32>
// CHECK: memref.view %{{.*}}[%[[V:c[0-9_]*]]][] : memref<128xi8> to memref<16xf32>
// CHECK: scf.for
// CHECK: memref.view %{{.*}}[%{{.*}}][] : memref<128xi8> to memref<16xf32>
func.func @loop(%x: memref<16xf32> {fqt.slot = #fqt.slot<input, "x">}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %t = memref.alloc() : memref<16xf32>
  %v = memref.alloc() : memref<16xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    memref.copy %x, %t : memref<16xf32> to memref<16xf32>
    memref.copy %t, %v : memref<16xf32> to memref<16xf32>
  }
  %u = memref.alloc() : memref<16xf32>
  memref.copy %x, %u : memref<16xf32> to memref<16xf32>
  return
}

// -----

// What stays an allocation: a dynamic shape, a non-identity layout, i4
// codes, a buffer stored or yielded. Nothing to place: no workspace.

// CHECK-LABEL: func.func @stay(
// CHECK-SAME: {fqt.slot = #fqt.slot<input, "cell">}) {
// CHECK-COUNT-5: memref.alloc
// CHECK-NOT: memref.view
func.func @stay(%n: index {fqt.slot = #fqt.slot<hyper, "n">},
                %cell: memref<memref<4xf32>> {fqt.slot = #fqt.slot<input, "cell">}) {
  %dynamic = memref.alloc(%n) : memref<?xf32>
  %strided = memref.alloc() : memref<4xf32, strided<[2]>>
  %codes = memref.alloc() : memref<8xi4>
  %stored = memref.alloc() : memref<4xf32>
  memref.store %stored, %cell[] : memref<memref<4xf32>>
  %true = arith.constant true
  %yielded = memref.alloc() : memref<4xf32>
  %r = scf.if %true -> memref<4xf32> {
    scf.yield %yielded : memref<4xf32>
  } else {
    scf.yield %yielded : memref<4xf32>
  }
  return
}

// -----

// A function that is not straight-line code keeps its allocations: block
// order is not execution order there.

// CHECK-LABEL: func.func @branches(
// CHECK-NOT: workspace
// CHECK: memref.alloc
func.func @branches(%x: memref<4xf32> {fqt.slot = #fqt.slot<input, "x">}) {
  %a = memref.alloc() : memref<4xf32>
  cf.br ^next
^next:
  memref.copy %x, %a : memref<4xf32> to memref<4xf32>
  return
}

// -----

// Functions without slots are not steps: untouched.

// CHECK-LABEL: func.func @step(
// CHECK: memref.view
// CHECK-LABEL: func.func private @helper(
// CHECK: memref.alloc
func.func @step(%x: memref<4xf32> {fqt.slot = #fqt.slot<input, "x">}) {
  %a = memref.alloc() : memref<4xf32>
  memref.copy %x, %a : memref<4xf32> to memref<4xf32>
  return
}
func.func private @helper(%x: memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  memref.copy %x, %a : memref<4xf32> to memref<4xf32>
  return
}
