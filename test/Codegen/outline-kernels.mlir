// RUN: fqt-opt %s --split-input-file --fqt-outline-kernels | FileCheck %s

// Two equal products share one kernel; the zero fill before each joins it,
// with its constant copied in, so that the kernel still sees a zero fill.

// CHECK-LABEL: func.func @two_layers(
// CHECK-SAME: %[[A:[^:]*]]: memref<8x16xf32>, %[[B:[^:]*]]: memref<16x32xf32>, %[[C:[^:]*]]: memref<8x32xf32>, %[[D:[^:]*]]: memref<8x32xf32>
// CHECK-NOT: linalg.
// CHECK: call @[[K:fqt_kernel_[0-9]+]](%[[C]], %[[A]], %[[B]])
// CHECK-NEXT: call @[[K]](%[[D]], %[[A]], %[[B]])
// CHECK-NEXT: return
// CHECK: func.func private @[[K]](%[[OUT:[^:]*]]: memref<8x32xf32>, %{{.*}}: memref<8x16xf32>, %{{.*}}: memref<16x32xf32>)
// CHECK-SAME: attributes {no_inline, passthrough = ["noinline"]}
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: linalg.fill ins(%[[ZERO]] : f32) outs(%[[OUT]] : memref<8x32xf32>)
// CHECK-NEXT: linalg.matmul
// CHECK-NEXT: return
// CHECK-NOT: func.func private @fqt_kernel
func.func @two_layers(%a: memref<8x16xf32>, %b: memref<16x32xf32>, %c: memref<8x32xf32>, %d: memref<8x32xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<8x32xf32>)
  linalg.matmul ins(%a, %b : memref<8x16xf32>, memref<16x32xf32>) outs(%c : memref<8x32xf32>)
  linalg.fill ins(%zero : f32) outs(%d : memref<8x32xf32>)
  linalg.matmul ins(%a, %b : memref<8x16xf32>, memref<16x32xf32>) outs(%d : memref<8x32xf32>)
  return
}

// -----

// Other shapes, other kernels; a fill of another value stays a kernel of
// its own, and a fill with a store in between does not join the product.

// CHECK-LABEL: func.func @different(
// CHECK: call @[[K1:fqt_kernel_[0-9]+]](
// CHECK: call @[[K2:fqt_kernel_[0-9]+]](
// CHECK: call @[[K3:fqt_kernel_[0-9]+]](
// CHECK: memref.store
// CHECK: call @[[K4:fqt_kernel_[0-9]+]](
// CHECK: func.func private @[[K1]](%{{.*}}: memref<4x4xf32>)
// CHECK: arith.constant 1.000000e+00 : f32
// CHECK-NEXT: linalg.fill
// CHECK-NEXT: return
// CHECK: func.func private @[[K2]](
// CHECK-NEXT: linalg.matmul
// CHECK: func.func private @[[K3]](%{{.*}}: memref<8x4xf32>)
// CHECK: arith.constant 0.000000e+00 : f32
// CHECK-NEXT: linalg.fill
// CHECK-NEXT: return
// CHECK: func.func private @[[K4]](%{{.*}}: memref<8x2xf32>, %{{.*}}: memref<2x4xf32>, %{{.*}}: memref<8x4xf32>)
// CHECK-NEXT: linalg.matmul
func.func @different(%a: memref<4x4xf32>, %c: memref<4x4xf32>, %x: memref<8x2xf32>, %y: memref<2x4xf32>, %z: memref<8x4xf32>, %i: index) {
  %one = arith.constant 1.0 : f32
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%one : f32) outs(%c : memref<4x4xf32>)
  linalg.matmul ins(%a, %a : memref<4x4xf32>, memref<4x4xf32>) outs(%c : memref<4x4xf32>)
  linalg.fill ins(%zero : f32) outs(%z : memref<8x4xf32>)
  memref.store %zero, %c[%i, %i] : memref<4x4xf32>
  linalg.matmul ins(%x, %y : memref<8x2xf32>, memref<2x4xf32>) outs(%z : memref<8x4xf32>)
  return
}

// -----

// Views of one shape at different offsets share a kernel that takes the
// offset as dynamic; a scalar computed at run time is an argument.

// CHECK-LABEL: func.func @views(
// CHECK: %[[V0:.*]] = memref.subview
// CHECK: %[[V1:.*]] = memref.subview
// CHECK: %[[C0:.*]] = memref.cast %[[V0]] : memref<4xf32, strided<[1]>> to memref<4xf32, strided<[1], offset: ?>>
// CHECK: call @[[K:fqt_kernel_[0-9]+]](%{{.*}}, %[[C0]])
// CHECK: %[[C1:.*]] = memref.cast %[[V1]] : memref<4xf32, strided<[1], offset: 4>> to memref<4xf32, strided<[1], offset: ?>>
// CHECK: call @[[K]](%{{.*}}, %[[C1]])
// CHECK: func.func private @[[K]](%[[S:[^:]*]]: f32, %{{.*}}: memref<4xf32, strided<[1], offset: ?>>)
// CHECK: linalg.generic
// CHECK: arith.mulf %{{.*}}, %[[S]]
#id = affine_map<(d0) -> (d0)>
func.func @views(%buf: memref<8xf32>, %p: memref<f32>) {
  %s = memref.load %p[] : memref<f32>
  %v0 = memref.subview %buf[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  %v1 = memref.subview %buf[4] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 4>>
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]} outs(%v0 : memref<4xf32, strided<[1]>>) {
  ^bb0(%o: f32):
    %m = arith.mulf %o, %s : f32
    linalg.yield %m : f32
  }
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]} outs(%v1 : memref<4xf32, strided<[1], offset: 4>>) {
  ^bb0(%o: f32):
    %m = arith.mulf %o, %s : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Ops on tensors and on i4 codes stay where they are.

// CHECK-LABEL: func.func @stay(
// CHECK: linalg.fill {{.*}} -> tensor<4xf32>
// CHECK: linalg.fill {{.*}} outs(%{{.*}} : memref<4xi4>)
// CHECK-NOT: call
// CHECK-NOT: fqt_kernel
func.func @stay(%t: tensor<4xf32>, %codes: memref<4xi4>) -> tensor<4xf32> {
  %zero = arith.constant 0.0 : f32
  %c = arith.constant 0 : i4
  %r = linalg.fill ins(%zero : f32) outs(%t : tensor<4xf32>) -> tensor<4xf32>
  linalg.fill ins(%c : i4) outs(%codes : memref<4xi4>)
  return %r : tensor<4xf32>
}

// -----

// A kernel of an earlier run keeps its name; the new one gets another.

// CHECK-LABEL: func.func private @fqt_kernel_0(%{{.*}}: memref<2xf32>)
// CHECK-LABEL: func.func @again(
// CHECK: call @[[NEW:fqt_kernel_[0-9_]+]](
// CHECK: func.func private @[[NEW]](%{{.*}}: memref<4xf32>)
func.func private @fqt_kernel_0(%x: memref<2xf32>) {
  return
}
func.func @again(%c: memref<4xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<4xf32>)
  return
}

// -----

// A copy into the interior of a padded buffer becomes loops later: two of
// the same shape share a kernel. A copy between contiguous buffers stays
// (it is a memcpy).

// CHECK-LABEL: func.func @pad_copies(
// CHECK: call @[[K:fqt_kernel_[0-9]+]](%{{.*}}, %{{.*}}) : (memref<2x2xf32>, memref<2x2xf32, strided<[4, 1], offset: ?>>) -> ()
// CHECK: call @[[K]](%{{.*}}, %{{.*}}) : (memref<2x2xf32>, memref<2x2xf32, strided<[4, 1], offset: ?>>) -> ()
// CHECK: memref.copy %{{.*}}, %{{.*}} : memref<2x2xf32> to memref<2x2xf32>
// CHECK: func.func private @[[K]](
// CHECK-NEXT: memref.copy
func.func @pad_copies(%a: memref<2x2xf32>, %b: memref<2x2xf32>,
                      %pa: memref<4x4xf32>, %pb: memref<4x4xf32>,
                      %c: memref<2x2xf32>) {
  %va = memref.subview %pa[1, 1] [2, 2] [1, 1] : memref<4x4xf32> to memref<2x2xf32, strided<[4, 1], offset: 5>>
  %vb = memref.subview %pb[1, 1] [2, 2] [1, 1] : memref<4x4xf32> to memref<2x2xf32, strided<[4, 1], offset: 5>>
  memref.copy %a, %va : memref<2x2xf32> to memref<2x2xf32, strided<[4, 1], offset: 5>>
  memref.copy %b, %vb : memref<2x2xf32> to memref<2x2xf32, strided<[4, 1], offset: 5>>
  memref.copy %a, %c : memref<2x2xf32> to memref<2x2xf32>
  return
}
