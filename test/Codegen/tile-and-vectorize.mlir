// RUN: fqt-opt %s --split-input-file --fqt-tile-and-vectorize="cpu-features=+avx,+avx2,+fma isa=generic" | FileCheck %s --check-prefixes=CHECK,GENERIC
// RUN: fqt-opt %s --split-input-file --fqt-tile-and-vectorize="cpu-features=+avx,+avx2,+fma isa=avx2" | FileCheck %s --check-prefixes=CHECK,AVX2
// RUN: fqt-opt %s --split-input-file --fqt-tile-and-vectorize="cpu-features=+avx512f,+avx512bw,+avx512vnni" | FileCheck %s --check-prefixes=CHECK,VNNI
// RUN: fqt-opt %s --fqt-tile-and-vectorize="cpu-features=+avx512f,+avx512bw,+avx512vnni" --fqt-cpu-pipeline \
// RUN:   | mlir-translate --mlir-to-llvmir | llc -O2 -mattr=+avx512f,+avx512bw,+avx512vnni | FileCheck %s --check-prefix=ASM-VNNI
// RUN: fqt-opt %s --fqt-tile-and-vectorize="cpu-features=+avx,+avx2,+fma" --fqt-cpu-pipeline \
// RUN:   | mlir-translate --mlir-to-llvmir | llc -O2 -mattr=+avx,+avx2,+fma | FileCheck %s --check-prefix=ASM-AVX2
// RUN: not fqt-opt %s --split-input-file --fqt-tile-and-vectorize="isa=neon" 2>&1 | FileCheck %s --check-prefix=BADISA
// RUN: not fqt-opt %s --split-input-file --fqt-tile-and-vectorize="cpu-features=+avx2 tile-n=12" 2>&1 | FileCheck %s --check-prefix=BADTILE

// BADISA: unknown isa 'neon'; expected auto, avx512vnni, avx2 or generic
// BADTILE: tile-n must be a multiple of 8

// The fc3 forward product (64 x 10 x 128, weight stored transposed): the
// weight is packed into zero-padded panels of 16 columns (tile-n narrowed to
// the width), the result is read and written with masks, and the inner step is an FMA of a
// broadcast lhs element with a panel row.
// CHECK-LABEL: func.func @f32_fwd
// CHECK-NOT: linalg.matmul
// CHECK: %[[BP:.*]] = memref.alloc(%{{.*}}, %{{.*}}) {alignment = 64 : i64} : memref<?x?x16xf32>
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[BP]]
// CHECK: scf.for
// CHECK: vector.create_mask
// CHECK: vector.maskedload %{{.*}} : memref<64x10xf32>
// CHECK: scf.for
// GENERIC: vector.load %[[BP]]{{.*}} vector<8xf32>
// GENERIC: vector.broadcast %{{.*}} : f32 to vector<8xf32>
// GENERIC: vector.fma %{{.*}} : vector<8xf32>
// VNNI: vector.fma %{{.*}} : vector<16xf32>
// CHECK: vector.maskedstore
// CHECK: memref.dealloc %[[BP]]
// ASM-AVX2-LABEL: f32_fwd:
// ASM-AVX2: vfmadd{{[0-9]+}}ps {{.*}}%ymm
// ASM-VNNI-LABEL: f32_fwd:
// ASM-VNNI: vfmadd{{[0-9]+}}ps {{.*}}%zmm
func.func @f32_fwd(%x: memref<64x128xf32>, %w: memref<10x128xf32>, %y: memref<64x10xf32>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : memref<64x128xf32>, memref<10x128xf32>) outs(%y : memref<64x10xf32>)
  return
}

// -----

// i8 x i8 -> i32 contraction (unsigned lhs codes, signed rhs codes) as
// fqt-lower-qmatmul emits it.
// CHECK-LABEL: func.func @int_product
// CHECK-NOT: linalg.generic
// GENERIC: memref.alloc({{.*}}){{.*}} : memref<?x?x24xi32>
// GENERIC: arith.extsi %{{.*}} : i8 to i32
// GENERIC: arith.extui %{{.*}} : i8 to i32
// GENERIC: vector.broadcast %{{.*}} : i32 to vector<8xi32>
// GENERIC: arith.muli %{{.*}} : vector<8xi32>
// GENERIC: arith.addi %{{.*}} : vector<8xi32>
// AVX2: memref.alloc({{.*}}){{.*}} : memref<?x?x48xi16>
// AVX2: memref.alloc({{.*}}){{.*}} : memref<?x?xi16>
// AVX2: vector.load %{{.*}} : memref<?x?xi16>, vector<2xi16>
// AVX2: vector.bitcast %{{.*}} : vector<8xi32> to vector<16xi16>
// AVX2: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%{{.*}}, %{{.*}}) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// AVX2: arith.addi %{{.*}} : vector<8xi32>
// Unsigned lhs codes go to vpdpbusd as they are; the signed rhs needs no
// shift either, so no correction.
// VNNI: memref.alloc({{.*}}){{.*}} : memref<?x?x128xi8>
// VNNI-NOT: arith.xori
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %{{.*}}, %{{.*}}) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// VNNI-NOT: arith.xori
// CHECK: return
// ASM-AVX2-LABEL: int_product:
// ASM-AVX2: vpmaddwd
// ASM-VNNI-LABEL: int_product:
// ASM-VNNI: vpdpbusd
func.func @int_product(%a: memref<13x37xi8>, %b: memref<37x29xi8>, %c: memref<13x29xi32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<13x37xi8>, memref<37x29xi8>) outs(%c : memref<13x29xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extui %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %p = arith.muli %xe, %ye : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  }
  return
}

// -----

// Signed lhs (LBT) transposed times unsigned rhs: for vpdpbusd the lhs moves
// up by 128 and the rhs down by 128 (xor 0x80 on the byte); the i32 result
// is corrected with the row sums of the shifted lhs and the column sums of
// the shifted rhs.
// The transposed rhs is packed 16 rows x 64 codes at a time: 16 x 16 words
// (a word: one group of 4 k of a column), transposed with shuffles into 16
// groups of the panel; the transposed lhs 4 rows x 16 codes at a time,
// interleaved into groups of k.
// CHECK-LABEL: func.func @int_shifted
// VNNI: vector.maskedload %{{.*}} : memref<29x37xi8>, vector<64xi1>, vector<64xi8> into vector<64xi8>
// VNNI: arith.xori %{{.*}}, %{{.*}} : vector<64xi8>
// VNNI: vector.shuffle %{{.*}}, %{{.*}} [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23] : vector<16xi32>, vector<16xi32>
// VNNI: vector.maskedload %{{.*}} : memref<37x13xi8>, vector<16xi1>, vector<16xi8> into vector<16xi8>
// VNNI: arith.xori %{{.*}}, %{{.*}} : vector<16xi8>
// VNNI: vector.shuffle %{{.*}}, %{{.*}} {{.*}} : vector<32xi8>, vector<32xi8>
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// -alpha * beta * K = -128 * 128 * 37:
// VNNI: arith.constant -606208 : i32
// The correction runs along C's rows 16 columns at a time (masked at the
// row's end): C += rowTerm + alpha * colSum.
// VNNI: vector.broadcast %{{.*}} : i32 to vector<16xi32>
// VNNI: vector.maskedload %{{.*}} : memref<13x29xi32>, vector<16xi1>, vector<16xi32> into vector<16xi32>
// VNNI: vector.maskedload %{{.*}} : memref<?xi32>, vector<16xi1>, vector<16xi32> into vector<16xi32>
// VNNI: arith.muli %{{.*}}, %{{.*}} : vector<16xi32>
// VNNI: vector.maskedstore %{{.*}} : memref<13x29xi32>, vector<16xi1>, vector<16xi32>
// VNNI: memref.dealloc
// AVX2-NOT: arith.xori
// GENERIC-NOT: arith.xori
// CHECK: return
func.func @int_shifted(%a: memref<37x13xi8>, %b: memref<29x37xi8>, %c: memref<13x29xi32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<37x13xi8>, memref<29x37xi8>) outs(%c : memref<13x29xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extui %y : i8 to i32
    %p = arith.muli %xe, %ye : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  }
  return
}

// -----

// Codes in contiguous rows are packed with vectors: B's four rows of a
// group interleaved (no fill of the panels, every byte is stored), A's
// rows copied 64 codes at a time, the correction's line sums (B unsigned:
// the row sums of A) summed 64 codes at a time.
// CHECK-LABEL: func.func @int_vector_packing
// VNNI-NOT: linalg.fill
// VNNI: vector.maskedload %{{.*}} : memref<45x70xi8>, vector<16xi1>, vector<16xi8> into vector<16xi8>
// VNNI: vector.shuffle %{{.*}}, %{{.*}} [0, 16, 1, 17, {{.*}}] : vector<16xi8>, vector<16xi8>
// VNNI: vector.shuffle %{{.*}}, %{{.*}} [0, 1, 32, 33, 2, 3, 34, 35, {{.*}}] : vector<32xi8>, vector<32xi8>
// VNNI: arith.xori %{{.*}}, %{{.*}} : vector<16xi8>
// VNNI: vector.store %{{.*}} : memref<?x?x{{[0-9]+}}xi8>, vector<64xi8>
// VNNI: linalg.fill
// VNNI: vector.maskedload %{{.*}} : memref<13x45xi8>, vector<64xi1>, vector<64xi8> into vector<64xi8>
// VNNI: vector.maskedstore %{{.*}} : memref<?x?xi8>, vector<64xi1>, vector<64xi8>
// VNNI: vector.maskedload %{{.*}} : memref<13x45xi8>, vector<64xi1>, vector<64xi8> into vector<64xi8>
// VNNI: arith.extui %{{.*}} : vector<64xi8> to vector<64xi32>
// VNNI: vector.reduction <add>, %{{.*}} : vector<64xi32> into i32
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// AVX2-NOT: vector.shuffle
// GENERIC-NOT: vector.shuffle
// CHECK: return
func.func @int_vector_packing(%a: memref<13x45xi8>, %b: memref<45x70xi8>, %c: memref<13x70xi32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<13x45xi8>, memref<45x70xi8>) outs(%c : memref<13x70xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extui %x : i8 to i32
    %ye = arith.extui %y : i8 to i32
    %p = arith.muli %xe, %ye : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  }
  return
}

// -----

// Left alone: a batch matmul, f16 and a non-contraction body.
// CHECK-LABEL: func.func @untouched
// CHECK: linalg.batch_matmul
// CHECK: linalg.matmul
// CHECK: linalg.generic
func.func @untouched(%a: memref<2x3x4xf32>, %b: memref<2x4x5xf32>, %c: memref<2x3x5xf32>,
                     %h: memref<3x4xf16>, %g: memref<4x5xf16>, %o: memref<3x5xf16>,
                     %x: memref<3x4xi8>, %y: memref<4x5xi8>, %z: memref<3x5xi32>) {
  linalg.batch_matmul ins(%a, %b : memref<2x3x4xf32>, memref<2x4x5xf32>) outs(%c : memref<2x3x5xf32>)
  linalg.matmul ins(%h, %g : memref<3x4xf16>, memref<4x5xf16>) outs(%o : memref<3x5xf16>)
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %y : memref<3x4xi8>, memref<4x5xi8>) outs(%z : memref<3x5xi32>) {
  ^bb0(%p: i8, %q: i8, %acc: i32):
    %pe = arith.extsi %p : i8 to i32
    %qe = arith.extsi %q : i8 to i32
    %s = arith.addi %pe, %qe : i32
    %t = arith.addi %acc, %s : i32
    linalg.yield %t : i32
  }
  return
}

// -----

// A product right after a fill of its result with zeros: the fill goes, and
// the first reduction block starts its accumulators from zero (no memset,
// no load of C); later blocks load what the earlier ones stored.
// CHECK-LABEL: func.func @zero_filled
// CHECK-NOT: linalg.fill ins(%{{.*}} : f32) outs(%arg2
// CHECK: %[[FIRST:.*]] = arith.cmpi eq
// CHECK: scf.if %[[FIRST]] -> (vector<{{[0-9]+}}xf32>
// CHECK: scf.yield %{{.*}} : vector<
// CHECK: } else {
// CHECK: vector.load %arg2
func.func @zero_filled(%a: memref<16x300xf32>, %b: memref<300x32xf32>, %c: memref<16x32xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<16x32xf32>)
  linalg.matmul ins(%a, %b : memref<16x300xf32>, memref<300x32xf32>) outs(%c : memref<16x32xf32>)
  return
}

// -----

// A fill of another value, or one that something reads before the product,
// stays, and the kernels load C.
// CHECK-LABEL: func.func @filled_with_one
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%arg2
// CHECK-NOT: scf.if {{.*}} -> (vector<
// CHECK-LABEL: func.func @fill_read_first
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%arg2
// CHECK: memref.copy %arg2
// CHECK-NOT: scf.if {{.*}} -> (vector<
func.func @filled_with_one(%a: memref<16x300xf32>, %b: memref<300x32xf32>, %c: memref<16x32xf32>) {
  %one = arith.constant 1.0 : f32
  linalg.fill ins(%one : f32) outs(%c : memref<16x32xf32>)
  linalg.matmul ins(%a, %b : memref<16x300xf32>, memref<300x32xf32>) outs(%c : memref<16x32xf32>)
  return
}
func.func @fill_read_first(%a: memref<16x300xf32>, %b: memref<300x32xf32>, %c: memref<16x32xf32>, %d: memref<16x32xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<16x32xf32>)
  memref.copy %c, %d : memref<16x32xf32> to memref<16x32xf32>
  linalg.matmul ins(%a, %b : memref<16x300xf32>, memref<300x32xf32>) outs(%c : memref<16x32xf32>)
  return
}
