// RUN: fqt-opt %s --split-input-file --fqt-pack-i4-buffers | FileCheck %s

// A 3 x 5 buffer of i4 is 3 x 3 bytes (the last nibble of a row pads it).
// Loads shift the nibble of byte j / 2 down by 4 * (j mod 2) and truncate;
// the extension after them unpacks in a register. Stores merge the nibble
// into the byte.
// CHECK-LABEL: func @load_store
// CHECK-SAME: (%[[I:.*]]: index, %[[J:.*]]: index, %[[V:.*]]: i4)
// CHECK: %[[BUF:.*]] = memref.alloc() {alignment = 64 : i64} : memref<3x3xi8>
// CHECK: %[[C2:.*]] = arith.constant 2 : index
// CHECK: %[[BYTE:.*]] = arith.divui %[[J]], %[[C2]] : index
// CHECK: %[[ODD:.*]] = arith.remui %[[J]], %[[C2]] : index
// CHECK: %[[C4:.*]] = arith.constant 4 : i8
// CHECK: %[[ODD8:.*]] = arith.index_castui %[[ODD]] : index to i8
// CHECK: %[[SH:.*]] = arith.muli %[[ODD8]], %[[C4]] : i8
// CHECK: %[[OLD:.*]] = memref.load %[[BUF]][%[[I]], %[[BYTE]]] : memref<3x3xi8>
// CHECK: %[[C15:.*]] = arith.constant 15 : i8
// CHECK: %[[MASK:.*]] = arith.shli %[[C15]], %[[SH]] : i8
// CHECK: %[[M1:.*]] = arith.constant -1 : i8
// CHECK: %[[NOT:.*]] = arith.xori %[[MASK]], %[[M1]] : i8
// CHECK: %[[KEEP:.*]] = arith.andi %[[OLD]], %[[NOT]] : i8
// CHECK: %[[WIDE:.*]] = arith.extui %[[V]] : i4 to i8
// CHECK: %[[NEW:.*]] = arith.shli %[[WIDE]], %[[SH]] : i8
// CHECK: %[[MERGED:.*]] = arith.ori %[[KEEP]], %[[NEW]] : i8
// CHECK: memref.store %[[MERGED]], %[[BUF]][%[[I]], %[[BYTE]]] : memref<3x3xi8>
// CHECK: %[[B2:.*]] = arith.divui %[[J]], %{{.*}} : index
// CHECK: %[[O2:.*]] = arith.remui %[[J]], %{{.*}} : index
// CHECK: %[[O28:.*]] = arith.index_castui %[[O2]] : index to i8
// CHECK: %[[SH2:.*]] = arith.muli %[[O28]], %{{.*}} : i8
// CHECK: %[[W:.*]] = memref.load %[[BUF]][%[[I]], %[[B2]]] : memref<3x3xi8>
// CHECK: %[[N:.*]] = arith.shrui %[[W]], %[[SH2]] : i8
// CHECK: %[[T:.*]] = arith.trunci %[[N]] : i8 to i4
// CHECK: %[[X:.*]] = arith.extsi %[[T]] : i4 to i32
// CHECK: memref.dealloc %[[BUF]] : memref<3x3xi8>
// CHECK: return %[[X]]
func.func @load_store(%i: index, %j: index, %v: i4) -> i32 {
  %buf = memref.alloc() {alignment = 64 : i64} : memref<3x5xi4>
  memref.store %v, %buf[%i, %j] : memref<3x5xi4>
  %c = memref.load %buf[%i, %j] : memref<3x5xi4>
  %x = arith.extsi %c : i4 to i32
  memref.dealloc %buf : memref<3x5xi4>
  return %x : i32
}

// -----

// Dynamic outer sizes stay; the innermost size reads as the logical one.
// CHECK-LABEL: func @dynamic_rows
// CHECK-SAME: (%[[N:.*]]: index)
// CHECK: %[[BUF:.*]] = memref.alloca(%[[N]]) : memref<?x2x4xi8>
// CHECK: %[[D0:.*]] = memref.dim %[[BUF]], %{{.*}} : memref<?x2x4xi8>
// CHECK: %[[C7:.*]] = arith.constant 7 : index
// CHECK: memref.load %[[BUF]][%[[D0]], %{{.*}}, %{{.*}}] : memref<?x2x4xi8>
// CHECK: return %[[D0]], %[[C7]]
func.func @dynamic_rows(%n: index) -> (index, index, i4) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %buf = memref.alloca(%n) : memref<?x2x7xi4>
  %d0 = memref.dim %buf, %c0 : memref<?x2x7xi4>
  %d2 = memref.dim %buf, %c2 : memref<?x2x7xi4>
  %v = memref.load %buf[%d0, %c0, %d2] : memref<?x2x7xi4>
  return %d0, %d2, %v : index, index, i4
}

// -----

// Other buffers are left alone, and so are i4 buffers the pass cannot
// follow: a dynamic innermost size, a use other than load, store, dim and
// dealloc (a vector load, a call), a function argument. They keep one code
// per byte.
// CHECK-LABEL: func @left_alone
// CHECK: memref.alloc() : memref<3x5xi8>
// CHECK: memref.alloc() : memref<3x5xf32>
// CHECK: %[[DYN:.*]] = memref.alloc(%{{.*}}) : memref<4x?xi4>
// CHECK: memref.load %[[DYN]]{{.*}} : memref<4x?xi4>
// CHECK: %[[VEC:.*]] = memref.alloc() : memref<4x16xi4>
// CHECK: vector.load %[[VEC]]{{.*}} : memref<4x16xi4>, vector<8xi4>
// CHECK: memref.load %[[VEC]]{{.*}} : memref<4x16xi4>
// CHECK: %[[ESC:.*]] = memref.alloc() : memref<4x16xi4>
// CHECK: call @use(%[[ESC]])
// CHECK: memref.load %{{.*}} : memref<2x2xi4>
func.func private @use(memref<4x16xi4>)
func.func @left_alone(%n: index, %i: index, %arg: memref<2x2xi4>) -> (memref<3x5xi8>, memref<3x5xf32>, i4, vector<8xi4>, i4, i4) {
  %c0 = arith.constant 0 : index
  %a = memref.alloc() : memref<3x5xi8>
  %b = memref.alloc() : memref<3x5xf32>
  %dyn = memref.alloc(%n) : memref<4x?xi4>
  %x = memref.load %dyn[%i, %i] : memref<4x?xi4>
  %vec = memref.alloc() : memref<4x16xi4>
  %v = vector.load %vec[%i, %c0] : memref<4x16xi4>, vector<8xi4>
  %y = memref.load %vec[%i, %i] : memref<4x16xi4>
  %esc = memref.alloc() : memref<4x16xi4>
  call @use(%esc) : (memref<4x16xi4>) -> ()
  %z = memref.load %arg[%i, %i] : memref<2x2xi4>
  return %a, %b, %x, %v, %y, %z : memref<3x5xi8>, memref<3x5xf32>, i4, vector<8xi4>, i4, i4
}

// -----

// A loop that writes a row of codes in order is unrolled by two: codes j
// (even) and j + 1 fill a whole byte, stored without reading it back, so
// the loop carries no dependence through memory (LLVM can vectorize the
// quantizer in its body). The odd last code of a row keeps the
// read-modify-write.
// CHECK-LABEL: func @row_writer
// CHECK: %[[BUF:.*]] = memref.alloc() : memref<3x3xi8>
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: %[[LO:.*]] = arith.fptosi %{{.*}} : f32 to i4
// CHECK: %[[HI:.*]] = arith.fptosi %{{.*}} : f32 to i4
// CHECK: %[[LO8:.*]] = arith.extui %[[LO]] : i4 to i8
// CHECK: %[[HI8:.*]] = arith.extui %[[HI]] : i4 to i8
// CHECK: %[[UP:.*]] = arith.shli %[[HI8]], %{{.*}} : i8
// CHECK: %[[BYTE:.*]] = arith.ori %[[LO8]], %[[UP]] : i8
// CHECK: %[[B:.*]] = arith.divui %[[J]], %{{.*}} : index
// CHECK-NOT: memref.load %[[BUF]]
// CHECK: memref.store %[[BYTE]], %[[BUF]][%[[I]], %[[B]]] : memref<3x3xi8>
// CHECK-NEXT: }
// CHECK: %[[OLD:.*]] = memref.load %[[BUF]]
// CHECK: arith.andi %[[OLD]]
// CHECK: memref.store %{{.*}}, %[[BUF]]
func.func @row_writer(%x: memref<3x5xf32>) -> i4 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c5 = arith.constant 5 : index
  %buf = memref.alloc() : memref<3x5xi4>
  scf.for %i = %c0 to %c3 step %c1 {
    scf.for %j = %c0 to %c5 step %c1 {
      %v = memref.load %x[%i, %j] : memref<3x5xf32>
      %q = arith.fptosi %v : f32 to i4
      memref.store %q, %buf[%i, %j] : memref<3x5xi4>
    }
  }
  %r = memref.load %buf[%c1, %c1] : memref<3x5xi4>
  return %r : i4
}
