// RUN: fqt-opt %s --split-input-file --fqt-amx-kernels -verify-diagnostics | FileCheck %s
// RUN: fqt-opt %s --split-input-file --fqt-amx-kernels --fqt-emulate-amx -verify-diagnostics | FileCheck %s --check-prefix=EMULATE

#mk = affine_map<(m, n, k) -> (m, k)>
#km = affine_map<(m, n, k) -> (k, m)>
#kn = affine_map<(m, n, k) -> (k, n)>
#nk = affine_map<(m, n, k) -> (n, k)>
#mn = affine_map<(m, n, k) -> (m, n)>

// An unsigned x signed product: checked call of the AMX kernel, the
// product itself as the fallback.
// CHECK-LABEL: func.func @u8_s8
// CHECK-SAME: (%[[A:.*]]: memref<13x37xi8>, %[[B:.*]]: memref<37x29xi8>, %[[C:.*]]: memref<13x29xi32>)
// CHECK: %[[READY:.*]] = call @fqt_amx_ready() : () -> i1
// CHECK: scf.if %[[READY]] {
// CHECK-NEXT: func.call @fqt_amx_gemm(%[[A]], %[[B]], %[[C]])
// CHECK-NEXT: } else {
// CHECK-NEXT: linalg.generic
// CHECK: arith.extui
// CHECK: arith.extsi
//
// The check: asked once (a global, atomics), FQT_AMX=0 refuses, else
// arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA).
// CHECK: llvm.mlir.global internal @fqt_amx_state(0 : i32)
// CHECK: llvm.mlir.global internal constant @fqt_amx_env("FQT_AMX\00")
// CHECK: func.func private @fqt_amx_ready() -> i1
// CHECK: llvm.load %{{.*}} atomic monotonic
// CHECK: llvm.call @getenv
// CHECK: %[[NR:.*]] = arith.constant 158 : i64
// CHECK: %[[CODE:.*]] = arith.constant 4131 : i64
// CHECK: %[[XTILEDATA:.*]] = arith.constant 18 : i64
// CHECK: llvm.call @syscall(%[[NR]], %[[CODE]], %[[XTILEDATA]]) vararg
// CHECK: llvm.store %{{.*}} atomic monotonic
//
// The kernel: its own function, never inlined, with the AMX features; A
// padded to rows of 64 bytes, B packed in VNNI order, 2x2 accumulator
// tiles over the reduction in steps of 64 k.
// CHECK: func.func private @fqt_amx_gemm(
// CHECK-SAME: attributes {no_inline, passthrough = ["noinline"], target_features = #llvm.target_features<["+amx-tile", "+amx-int8"]>}
// CHECK: memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x?xi8>
// CHECK: memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x?x64xi8>
// CHECK: memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x?xi32>
// CHECK-COUNT-4: amx.tile_zero : !amx.tile<16x16xi32>
// CHECK: %[[SUMS:.*]]:4 = scf.for %{{.*}} step %c64{{.*}} iter_args(
// CHECK-COUNT-2: amx.tile_load %{{.*}} : memref<?x?xi8> into !amx.tile<16x64xi8>
// CHECK-COUNT-2: amx.tile_load %{{.*}} : memref<?x?x64xi8> into !amx.tile<16x64xi8>
// CHECK-COUNT-4: amx.tile_muli %{{.*}} zext, %{{.*}}, %{{.*}} : !amx.tile<16x64xi8>, !amx.tile<16x64xi8>, !amx.tile<16x16xi32>
// CHECK-COUNT-4: amx.tile_store
// CHECK: memref.dealloc

// EMULATE-LABEL: func.func @u8_s8
// EMULATE: %[[TRUE:.*]] = arith.constant true
// EMULATE: scf.if %[[TRUE]]
// EMULATE-NOT: amx.
// EMULATE: func.func private @fqt_amx_gemm(
// EMULATE-NOT: amx.
// EMULATE: vector.extract %{{.*}}[%{{.*}}] : i8 from vector<1024xi8>
// EMULATE-NOT: amx.

func.func @u8_s8(%a: memref<13x37xi8>, %b: memref<37x29xi8>, %c: memref<13x29xi32>) {
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<13x37xi8>, memref<37x29xi8>) outs(%c : memref<13x29xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extui %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %xy = arith.muli %xe, %ye : i32
    %sum = arith.addi %acc, %xy : i32
    linalg.yield %sum : i32
  }
  return
}

// -----

#mk = affine_map<(m, n, k) -> (m, k)>
#km = affine_map<(m, n, k) -> (k, m)>
#kn = affine_map<(m, n, k) -> (k, n)>
#nk = affine_map<(m, n, k) -> (n, k)>
#mn = affine_map<(m, n, k) -> (m, n)>

// Equal products share one kernel; a product of other signedness or
// transpositions gets its own (signed x unsigned: tdpbsud, unsigned x
// unsigned: tdpbuud, signed x signed: tdpbssd).
// CHECK-LABEL: func.func @kinds
// CHECK: func.call @[[K1:fqt_amx_gemm[_0-9]*]](
// CHECK: func.call @[[K1]](
// CHECK: func.call @[[K2:fqt_amx_gemm[_0-9]*]](
// CHECK: func.call @[[K3:fqt_amx_gemm[_0-9]*]](
// CHECK: func.func private @[[K1]](
// CHECK-NOT: zext
// CHECK: amx.tile_muli %{{[^ ]*}}, %{{[^ ]*}}, %{{.*}} : !amx.tile<16x64xi8>
// CHECK: func.func private @[[K2]](
// CHECK: amx.tile_muli %{{[^ ]*}}, %{{[^ ]*}} zext, %{{.*}} : !amx.tile<16x64xi8>
// CHECK: func.func private @[[K3]](
// CHECK: amx.tile_muli %{{[^ ]*}} zext, %{{[^ ]*}} zext, %{{.*}} : !amx.tile<16x64xi8>
// CHECK-NOT: func.func private @fqt_amx_gemm
func.func @kinds(%a: memref<8x64xi8>, %b: memref<64x16xi8>, %c: memref<8x16xi32>,
                 %at: memref<64x8xi8>, %bt: memref<16x64xi8>) {
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<8x64xi8>, memref<64x16xi8>) outs(%c : memref<8x16xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %xy = arith.muli %xe, %ye : i32
    %sum = arith.addi %acc, %xy : i32
    linalg.yield %sum : i32
  }
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<8x64xi8>, memref<64x16xi8>) outs(%c : memref<8x16xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %xy = arith.muli %xe, %ye : i32
    %sum = arith.addi %acc, %xy : i32
    linalg.yield %sum : i32
  }
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<8x64xi8>, memref<64x16xi8>) outs(%c : memref<8x16xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extui %y : i8 to i32
    %xy = arith.muli %xe, %ye : i32
    %sum = arith.addi %acc, %xy : i32
    linalg.yield %sum : i32
  }
  linalg.generic {indexing_maps = [#km, #nk, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%at, %bt : memref<64x8xi8>, memref<16x64xi8>) outs(%c : memref<8x16xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extui %x : i8 to i32
    %ye = arith.extui %y : i8 to i32
    %xy = arith.muli %xe, %ye : i32
    %sum = arith.addi %acc, %xy : i32
    linalg.yield %sum : i32
  }
  return
}

// -----

#mk = affine_map<(m, n, k) -> (m, k)>
#km = affine_map<(m, n, k) -> (k, m)>
#kn = affine_map<(m, n, k) -> (k, n)>
#nk = affine_map<(m, n, k) -> (n, k)>
#mn = affine_map<(m, n, k) -> (m, n)>

// Not integer products of codes: left alone, and no check is added.
// CHECK-LABEL: func.func @others
// CHECK-NOT: fqt_amx
// CHECK: linalg.matmul
// CHECK: linalg.generic
// CHECK-NOT: fqt_amx
func.func @others(%a: memref<8x64xf32>, %b: memref<64x16xf32>, %c: memref<8x16xf32>,
                  %x: memref<8x64xi16>, %y: memref<64x16xi16>, %z: memref<8x16xi32>) {
  linalg.matmul ins(%a, %b : memref<8x64xf32>, memref<64x16xf32>) outs(%c : memref<8x16xf32>)
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %y : memref<8x64xi16>, memref<64x16xi16>) outs(%z : memref<8x16xi32>) {
  ^bb0(%p: i16, %q: i16, %acc: i32):
    %pe = arith.extsi %p : i16 to i32
    %qe = arith.extsi %q : i16 to i32
    %pq = arith.muli %pe, %qe : i32
    %sum = arith.addi %acc, %pq : i32
    linalg.yield %sum : i32
  }
  return
}

// -----

#mk = affine_map<(m, n, k) -> (m, k)>
#km = affine_map<(m, n, k) -> (k, m)>
#kn = affine_map<(m, n, k) -> (k, n)>
#nk = affine_map<(m, n, k) -> (n, k)>
#mn = affine_map<(m, n, k) -> (m, n)>

// A declaration of the check (a program asking it directly) gets the body;
// one of another type is an error.
// expected-error @below {{@fqt_amx_ready must have the type () -> i1}}
func.func private @fqt_amx_ready() -> i32
func.func @wrong_gate(%a: memref<8x64xi8>, %b: memref<64x16xi8>, %c: memref<8x16xi32>) {
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<8x64xi8>, memref<64x16xi8>) outs(%c : memref<8x16xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %xy = arith.muli %xe, %ye : i32
    %sum = arith.addi %acc, %xy : i32
    linalg.yield %sum : i32
  }
  return
}
