// RUN: fqt-opt %s --fqt-tile-and-vectorize="isa=avx2" --convert-linalg-to-loops --fqt-pack-i4-buffers | FileCheck %s --check-prefix=AVX2
// RUN: fqt-opt %s --fqt-tile-and-vectorize="isa=avx512vnni" --convert-linalg-to-loops --fqt-pack-i4-buffers | FileCheck %s --check-prefix=VNNI

// An integer product whose left operand is i4 codes (signed, 5 x 37: 19
// bytes a row, the last nibble padding). The product kernel reads the codes
// one at a time while it packs the left operand into its panel: a byte load,
// a shift that brings the nibble down, a truncation to i4 and the sign
// extension to the panel's lanes (s16 for vpmaddwd; s8 moved to u8 by the
// xor with 0x80 for vpdpbusd). The inner loop is the i8 kernel's.

#mA = affine_map<(m, n, k) -> (m, k)>
#mB = affine_map<(m, n, k) -> (k, n)>
#mC = affine_map<(m, n, k) -> (m, n)>

// AVX2-LABEL: func @product
// AVX2: %[[A:.*]] = memref.alloc() : memref<5x19xi8>
// AVX2: %[[AP:.*]] = memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x?xi16>
// AVX2: scf.for %[[M:.*]] = {{.*}} {
// AVX2: scf.for %[[K:.*]] = {{.*}} {
// AVX2: %[[BYTE:.*]] = arith.divui %[[K]], %{{.*}} : index
// AVX2: %[[WORD:.*]] = memref.load %[[A]][%[[M]], %[[BYTE]]] : memref<5x19xi8>
// AVX2: %[[NIB:.*]] = arith.shrui %[[WORD]], %{{.*}} : i8
// AVX2: %[[CODE:.*]] = arith.trunci %[[NIB]] : i8 to i4
// AVX2: %[[WIDE:.*]] = arith.extsi %[[CODE]] : i4 to i16
// AVX2: memref.store %[[WIDE]], %[[AP]][%[[M]], %[[K]]] : memref<?x?xi16>
// AVX2: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// AVX2: memref.dealloc %[[A]] : memref<5x19xi8>

// VNNI-LABEL: func @product
// VNNI: %[[A:.*]] = memref.alloc() : memref<5x19xi8>
// VNNI: memref.load %[[A]]
// VNNI: %[[CODE:.*]] = arith.trunci %{{.*}} : i8 to i4
// VNNI: %[[WIDE:.*]] = arith.extsi %[[CODE]] : i4 to i8
// VNNI: %[[U8:.*]] = arith.xori %[[WIDE]], %{{.*}} : i8
// VNNI: memref.store %[[U8]], %{{.*}} : memref<?x?xi8>
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
func.func @product(%b: memref<37x16xi8>, %c: memref<5x16xi32>) {
  %a = memref.alloc() : memref<5x37xi4>
  linalg.generic {indexing_maps = [#mA, #mB, #mC], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<5x37xi4>, memref<37x16xi8>) outs(%c : memref<5x16xi32>) {
  ^bb0(%x: i4, %y: i8, %acc: i32):
    %xe = arith.extsi %x : i4 to i32
    %ye = arith.extsi %y : i8 to i32
    %p = arith.muli %xe, %ye : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  }
  memref.dealloc %a : memref<5x37xi4>
  return
}
