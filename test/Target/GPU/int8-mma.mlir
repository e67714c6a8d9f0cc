// RUN: fqt-opt %s --split-input-file --fqt-gpu-int8-mma | FileCheck %s
// RUN: fqt-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(fqt-gpu-int8-mma),gpu-kernel-outlining,gpu.module(convert-scf-to-cf,convert-gpu-to-nvvm))" | FileCheck %s --check-prefix=NVVM

// The integer product of fqt-lower-qmatmul (unsigned codes times a
// transposed operand): one kernel of 16x32 tiles, four warps of 32 lanes,
// a k loop of step 32 around mma.sync m16n8k32 with u8 x u8 operands.
// CHECK-LABEL: func.func @dgrad
// CHECK-SAME: (%[[A:.*]]: memref<64x40xi8>, %[[B:.*]]: memref<48x40xi8>, %[[C:.*]]: memref<64x48xi32>)
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG: %[[C32:.*]] = arith.constant 32 : index
// CHECK: %[[GX:.*]] = arith.ceildivui %{{.*}}, %[[C32]]
// CHECK: %[[GY:.*]] = arith.ceildivui %{{.*}}, %{{.*}}
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[GX]], %{{.*}} = %[[GY]], %{{.*}} = %[[C1]]) threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C32]], %{{.*}} = %[[C4]], %{{.*}} = %[[C1]])
// CHECK: %[[INIT:.*]] = memref.load %[[C]]
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C32]] iter_args
// Transposed B: element (k, n) is read at [n, k].
// CHECK: memref.load %[[A]]
// CHECK: memref.load %[[B]]
// CHECK: nvvm.mma.sync A[{{.*}}] B[{{.*}}] C[{{.*}}] {intOverflowBehavior = #nvvm.mma_int_overflow<wrapped>, layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<u8>, multiplicandBPtxType = #nvvm.mma_type<u8>, shape = #nvvm.shape<m = 16, n = 8, k = 32>} : (i32, i32, i32) -> !llvm.struct<(i32, i32, i32, i32)>
// CHECK: scf.yield
// Results are stored only inside the matrix.
// CHECK: scf.if
// CHECK-NEXT: memref.store %{{.*}}, %[[C]]
// CHECK: gpu.terminator
// CHECK-NOT: linalg.generic
// NVVM-LABEL: gpu.module @dgrad_kernel
// NVVM: llvm.func @dgrad_kernel(
// NVVM-SAME: gpu.kernel
// NVVM: nvvm.read.ptx.sreg.tid.x range <i32, 0, 32>
// NVVM: nvvm.read.ptx.sreg.tid.y range <i32, 0, 4>
// NVVM: nvvm.mma.sync {{.*}}multiplicandAPtxType = #nvvm.mma_type<u8>, multiplicandBPtxType = #nvvm.mma_type<u8>, shape = #nvvm.shape<m = 16, n = 8, k = 32>
#a = affine_map<(m, n, k) -> (m, k)>
#bt = affine_map<(m, n, k) -> (n, k)>
#c = affine_map<(m, n, k) -> (m, n)>
func.func @dgrad(%a: memref<64x40xi8>, %b: memref<48x40xi8>, %c: memref<64x48xi32>) {
  linalg.generic {indexing_maps = [#a, #bt, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<64x40xi8>, memref<48x40xi8>) outs(%c : memref<64x48xi32>) {
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

// Signed (symmetric) lhs read transposed, unsigned rhs: s8 x u8, and the
// lhs element (m, k) is read at [k, m].
// CHECK-LABEL: func.func @wgrad
// CHECK-SAME: (%[[AT:.*]]: memref<64x10xi8>, %[[B:.*]]: memref<64x128xi8>, %[[C:.*]]: memref<10x128xi32>)
// CHECK: gpu.launch
// CHECK: scf.for
// CHECK: %[[M:.*]] = arith.minui %{{.*}}, %{{.*}} : index
// CHECK: %[[K:.*]] = arith.minui %{{.*}}, %{{.*}} : index
// CHECK-NEXT: memref.load %[[AT]][%[[K]], %[[M]]]
// CHECK: nvvm.mma.sync {{.*}}multiplicandAPtxType = #nvvm.mma_type<s8>, multiplicandBPtxType = #nvvm.mma_type<u8>
#at = affine_map<(m, n, k) -> (k, m)>
#b = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>
func.func @wgrad(%a: memref<64x10xi8>, %b: memref<64x128xi8>, %c: memref<10x128xi32>) {
  linalg.generic {indexing_maps = [#at, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<64x10xi8>, memref<64x128xi8>) outs(%c : memref<10x128xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extui %y : i8 to i32
    %p = arith.muli %ye, %xe : i32
    %s = arith.addi %p, %acc : i32
    linalg.yield %s : i32
  }
  return
}

// -----

// Not an i8 product: left alone.
// CHECK-LABEL: func.func @f32_product
// CHECK-NOT: gpu.launch
// CHECK: linalg.matmul
func.func @f32_product(%a: memref<16x32xf32>, %b: memref<32x8xf32>, %c: memref<16x8xf32>) {
  linalg.matmul ins(%a, %b : memref<16x32xf32>, memref<32x8xf32>) outs(%c : memref<16x8xf32>)
  return
}

// -----

// A body that is not acc + a * b (here a saturating-looking max) is left
// alone, as is a product on tensors.
// CHECK-LABEL: func.func @not_a_product
// CHECK-NOT: gpu.launch
// CHECK: linalg.generic
#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>
func.func @not_a_product(%a: memref<16x32xi8>, %b: memref<32x8xi8>, %c: memref<16x8xi32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<16x32xi8>, memref<32x8xi8>) outs(%c : memref<16x8xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %p = arith.muli %xe, %ye : i32
    %s = arith.maxsi %acc, %p : i32
    linalg.yield %s : i32
  }
  return
}

// CHECK-LABEL: func.func @tensor_product
// CHECK-NOT: gpu.launch
// CHECK: linalg.generic
func.func @tensor_product(%a: tensor<16x32xi8>, %b: tensor<32x8xi8>, %c: tensor<16x8xi32>) -> tensor<16x8xi32> {
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<16x32xi8>, tensor<32x8xi8>) outs(%c : tensor<16x8xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %p = arith.muli %xe, %ye : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  } -> tensor<16x8xi32>
  return %r : tensor<16x8xi32>
}

// -----

// A C just filled with zeros (the products of fqt-lower-qmatmul) starts
// from zero registers: no load of C, and the fill is gone.
// CHECK-LABEL: func.func @zero_filled
// CHECK-NOT: linalg.fill
// CHECK: gpu.launch
// CHECK-NOT: memref.load %[[C0:.*]][
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[Z:.*]], %{{.*}} = %[[Z]], %{{.*}} = %[[Z]], %{{.*}} = %[[Z]])
// CHECK: nvvm.mma.sync
func.func @zero_filled(%a: memref<64x40xi8>, %b: memref<40x48xi8>) -> memref<64x48xi32> {
  %c0 = arith.constant 0 : i32
  %c = memref.alloc() : memref<64x48xi32>
  linalg.fill ins(%c0 : i32) outs(%c : memref<64x48xi32>)
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<64x40xi8>, memref<40x48xi8>) outs(%c : memref<64x48xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %p = arith.muli %xe, %ye : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  }
  return %c : memref<64x48xi32>
}

// -----

// The product's epilogue (scales and zero-point corrections, reading the
// code sums computed after the product) applied to the accumulators: the
// kernel runs at the epilogue's place, after the sums, and stores the
// epilogue's values; C, its fill and the epilogue are gone.
// CHECK-LABEL: func.func @fused_epilogue
// CHECK-SAME: (%[[A:.*]]: memref<64x40xi8>, %[[B:.*]]: memref<40x48xi8>, %[[S:.*]]: memref<f32>)
// CHECK-NOT: memref<64x48xi32>
// CHECK: %[[SUMS:.*]] = memref.alloc() : memref<64xi32>
// CHECK: linalg.generic {{.*}} outs(%[[SUMS]]
// CHECK: %[[E:.*]] = memref.alloc() : memref<64x48xf32>
// CHECK: gpu.launch
// CHECK: nvvm.mma.sync
// CHECK: scf.if
// CHECK: %[[SC:.*]] = memref.load %[[S]][]
// CHECK: memref.load %[[SUMS]][
// CHECK: arith.sitofp
// CHECK: memref.store %{{.*}}, %[[E]][
// CHECK: gpu.terminator
// CHECK-NOT: linalg.generic
// CHECK: return %[[E]]
func.func @fused_epilogue(%a: memref<64x40xi8>, %b: memref<40x48xi8>, %s: memref<f32>) -> memref<64x48xf32> {
  %c0 = arith.constant 0 : i32
  %c = memref.alloc() : memref<64x48xi32>
  linalg.fill ins(%c0 : i32) outs(%c : memref<64x48xi32>)
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<64x40xi8>, memref<40x48xi8>) outs(%c : memref<64x48xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extui %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %p = arith.muli %xe, %ye : i32
    %sum = arith.addi %acc, %p : i32
    linalg.yield %sum : i32
  }
  %sums = memref.alloc() : memref<64xi32>
  linalg.fill ins(%c0 : i32) outs(%sums : memref<64xi32>)
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<64x40xi8>) outs(%sums : memref<64xi32>) {
  ^bb0(%v: i8, %acc: i32):
    %e = arith.extui %v : i8 to i32
    %r = arith.addi %acc, %e : i32
    linalg.yield %r : i32
  }
  %out = memref.alloc() : memref<64x48xf32>
  linalg.generic {indexing_maps = [affine_map<(m, n) -> (m, n)>, affine_map<(m, n) -> ()>, affine_map<(m, n) -> (m)>, affine_map<(m, n) -> (m, n)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%c, %s, %sums : memref<64x48xi32>, memref<f32>, memref<64xi32>) outs(%out : memref<64x48xf32>) {
  ^bb0(%p: i32, %sc: f32, %rs: i32, %o: f32):
    %pf = arith.sitofp %p : i32 to f32
    %rf = arith.sitofp %rs : i32 to f32
    %t = arith.addf %pf, %rf : f32
    %v = arith.mulf %t, %sc : f32
    linalg.yield %v : f32
  }
  return %out : memref<64x48xf32>
}

// -----

// Not fused: an op between the product and the epilogue writes an operand
// of the product, so the kernel cannot move there; C is stored as before.
// CHECK-LABEL: func.func @operand_written_between
// CHECK: gpu.launch
// CHECK: memref.store %{{.*}}, %{{.*}} : memref<64x48xi32>
// CHECK: linalg.fill
// CHECK: linalg.generic
func.func @operand_written_between(%a: memref<64x40xi8>, %b: memref<40x48xi8>) -> memref<64x48xf32> {
  %c0 = arith.constant 0 : i32
  %z8 = arith.constant 0 : i8
  %c = memref.alloc() : memref<64x48xi32>
  linalg.fill ins(%c0 : i32) outs(%c : memref<64x48xi32>)
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<64x40xi8>, memref<40x48xi8>) outs(%c : memref<64x48xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %p = arith.muli %xe, %ye : i32
    %sum = arith.addi %acc, %p : i32
    linalg.yield %sum : i32
  }
  linalg.fill ins(%z8 : i8) outs(%a : memref<64x40xi8>)
  %out = memref.alloc() : memref<64x48xf32>
  linalg.generic {indexing_maps = [affine_map<(m, n) -> (m, n)>, affine_map<(m, n) -> (m, n)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%c : memref<64x48xi32>) outs(%out : memref<64x48xf32>) {
  ^bb0(%p: i32, %o: f32):
    %pf = arith.sitofp %p : i32 to f32
    linalg.yield %pf : f32
  }
  return %out : memref<64x48xf32>
}
