// RUN: fqt-opt %s --split-input-file --fqt-vectorize-transposes | FileCheck %s
// RUN: fqt-opt %s --split-input-file --fqt-vectorize-transposes="parallel=1" | FileCheck %s --check-prefix=PAR

// NCHW -> NHWC: a batch of [C][H*W] -> [H*W][C] transposes in 16x16 tiles.
// CHECK-LABEL: func.func @to_nhwc
// CHECK-DAG: %[[IN:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0], [1], [2, 3]] : memref<2x16x7x9xf32> into memref<2x16x63xf32>
// CHECK-DAG: %[[OUT:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0], [1, 2], [3]] : memref<2x7x9x16xf32> into memref<2x63x16xf32>
// CHECK: scf.for
// CHECK: scf.for %{{.*}} step %c16
// CHECK: scf.for %{{.*}} step %c16
// CHECK-COUNT-16: vector.maskedload %[[IN]]
// CHECK-COUNT-64: vector.shuffle
// CHECK-COUNT-16: vector.maskedstore %[[OUT]]
// CHECK-NOT: linalg.transpose
// PAR-LABEL: func.func @to_nhwc
// PAR: scf.parallel
func.func @to_nhwc(%x: memref<2x16x7x9xf32>, %y: memref<2x7x9x16xf32>) {
  linalg.transpose ins(%x : memref<2x16x7x9xf32>) outs(%y : memref<2x7x9x16xf32>) permutation = [0, 2, 3, 1]
  return
}

// -----

// NHWC -> NCHW, i32.
// CHECK-LABEL: func.func @to_nchw
// CHECK: memref.collapse_shape %{{.*}} {{\[\[}}0], [1, 2], [3]] : memref<2x7x9x16xi32> into memref<2x63x16xi32>
// CHECK: memref.collapse_shape %{{.*}} {{\[\[}}0], [1], [2, 3]] : memref<2x16x7x9xi32> into memref<2x16x63xi32>
// CHECK-NOT: linalg.transpose
func.func @to_nchw(%x: memref<2x7x9x16xi32>, %y: memref<2x16x7x9xi32>) {
  linalg.transpose ins(%x : memref<2x7x9x16xi32>) outs(%y : memref<2x16x7x9xi32>) permutation = [0, 3, 1, 2]
  return
}

// -----

// Left to linalg's loops: a permutation that is not a block rotation, a
// strided view, 16-bit elements, no batch dimension.
// CHECK-LABEL: func.func @others
// CHECK-COUNT-4: linalg.transpose
func.func @others(%x: memref<2x3x4x5xf32>, %y: memref<2x4x3x5xf32>,
                  %s: memref<2x16x7x9xf32, strided<[2016, 126, 18, 1]>>, %t: memref<2x7x9x16xf32>,
                  %h: memref<2x16x7x9xf16>, %g: memref<2x7x9x16xf16>,
                  %m: memref<16x9xf32>, %n: memref<9x16xf32>) {
  linalg.transpose ins(%x : memref<2x3x4x5xf32>) outs(%y : memref<2x4x3x5xf32>) permutation = [0, 2, 1, 3]
  linalg.transpose ins(%s : memref<2x16x7x9xf32, strided<[2016, 126, 18, 1]>>) outs(%t : memref<2x7x9x16xf32>) permutation = [0, 2, 3, 1]
  linalg.transpose ins(%h : memref<2x16x7x9xf16>) outs(%g : memref<2x7x9x16xf16>) permutation = [0, 2, 3, 1]
  linalg.transpose ins(%m : memref<16x9xf32>) outs(%n : memref<9x16xf32>) permutation = [1, 0]
  return
}
