// RUN: fqt-opt %s --split-input-file --fqt-collapse-contiguous-loops | FileCheck %s

// A bias [C, 1, 1] read as (c, 0, 0) is a vector [C] once its unit
// dimensions are dropped; the image's rows and columns are one loop.
// CHECK-LABEL: func.func @bias_relu
// CHECK-DAG: %[[B:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0, 1, 2]] : memref<16x1x1xf32> into memref<16xf32>
// CHECK-DAG: %[[X:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0], [1], [2, 3]] : memref<4x16x28x28xf32> into memref<4x16x784xf32>
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel"]
// CHECK-SAME: ins(%[[X]], %[[B]] : memref<4x16x784xf32>, memref<16xf32>)
func.func @bias_relu(%x: memref<4x16x28x28xf32>, %b: memref<16x1x1xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (c, 0, 0)>, affine_map<(n, c, h, w) -> (n, c, h, w)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x, %b : memref<4x16x28x28xf32>, memref<16x1x1xf32>) outs(%x : memref<4x16x28x28xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Reduction loops merge with reduction loops only; the sum runs in the
// same order.
// CHECK-LABEL: func.func @bias_grad
// CHECK: memref.collapse_shape %{{.*}} {{\[\[}}0], [1], [2, 3]] : memref<4x16x28x28xf32> into memref<4x16x784xf32>
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["reduction", "parallel", "reduction"]
func.func @bias_grad(%g: memref<4x16x28x28xf32>, %db: memref<16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (c)>], iterator_types = ["reduction", "parallel", "reduction", "reduction"]} ins(%g : memref<4x16x28x28xf32>) outs(%db : memref<16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A fill of a contiguous buffer is a fill of one row.
// CHECK-LABEL: func.func @fill
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0, 1, 2, 3]] : memref<4x14x14x16xf32> into memref<12544xf32>
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[FLAT]] : memref<12544xf32>)
func.func @fill(%x: memref<4x14x14x16xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%x : memref<4x14x14x16xf32>)
  return
}

// -----

// So is a fill of a buffer of dynamic size (a product's packed operand).
// CHECK-LABEL: func.func @fill_dynamic
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0, 1]] : memref<?x?xi8> into memref<?xi8>
// CHECK: linalg.fill ins(%{{.*}} : i8) outs(%[[FLAT]] : memref<?xi8>)
func.func @fill_dynamic(%m: index, %k: index) -> memref<?x?xi8> {
  %zero = arith.constant 0 : i8
  %a = memref.alloc(%m, %k) : memref<?x?xi8>
  linalg.fill ins(%zero : i8) outs(%a : memref<?x?xi8>)
  return %a : memref<?x?xi8>
}

// -----

// An operand that reads the loops in the other order keeps them apart.
// CHECK-LABEL: func.func @transposed
// CHECK-NOT: memref.collapse_shape
// CHECK: iterator_types = ["parallel", "parallel"]
func.func @transposed(%x: memref<8x16xf32>, %y: memref<16x8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j, i)>], iterator_types = ["parallel", "parallel"]} ins(%x : memref<8x16xf32>) outs(%y : memref<16x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  return
}

// -----

// Rows 32 apart with 16 values each are not one row.
// CHECK-LABEL: func.func @strided
// CHECK-NOT: memref.collapse_shape
// CHECK: iterator_types = ["parallel", "parallel"]
func.func @strided(%x: memref<8x16xf32, strided<[32, 1]>>, %y: memref<8x16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%x : memref<8x16xf32, strided<[32, 1]>>) outs(%y : memref<8x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  return
}

// -----

// A body that reads its loop indices is left alone.
// CHECK-LABEL: func.func @index
// CHECK-NOT: memref.collapse_shape
// CHECK: iterator_types = ["parallel", "parallel"]
func.func @index(%y: memref<8x16xi64>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} outs(%y : memref<8x16xi64>) {
  ^bb0(%out: i64):
    %i = linalg.index 1 : index
    %c = arith.index_cast %i : index to i64
    linalg.yield %c : i64
  }
  return
}

// -----

// A one-element view with an unknown offset cannot drop its unit
// dimension, so its map keeps a constant and the op is left as it was (and
// the pass ends).
// CHECK-LABEL: func.func @strided_scalar
// CHECK-NOT: memref.collapse_shape
// CHECK: iterator_types = ["parallel", "parallel"]
func.func @strided_scalar(%x: memref<2x9xi32>, %s: memref<1xf32, strided<[1], offset: ?>>, %y: memref<2x9xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (0)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%x, %s : memref<2x9xi32>, memref<1xf32, strided<[1], offset: ?>>) outs(%y : memref<2x9xf32>) {
  ^bb0(%in: i32, %scale: f32, %out: f32):
    %f = arith.sitofp %in : i32 to f32
    %p = arith.mulf %scale, %f : f32
    linalg.yield %p : f32
  }
  return
}

// -----

// An im2col for a 1 x 1 output of a stride-2 3x3 convolution on 4 x 4
// pixels: the unit loops oh, ow are kept, since dropping them would leave
// kh and kw indexing the pixels' 4-long rows with 3-long loops (an invalid
// op); and kh, kw walk only 3 of each row's 4 pixels, so they are no run of
// 9 and stay two loops. (ResNet-18's last stage failed to compile so.)
// CHECK-LABEL: func.func @im2col_unit_output
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}} : memref<2x8x4x4xf32>) outs(%{{.*}} : memref<2x1x1x8x3x3xf32>)
func.func @im2col_unit_output(%x: memref<2x8x4x4xf32>, %cols: memref<2x1x1x8x3x3xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, h, w, c, i, j) -> (n, c, h * 2 + i, w * 2 + j)>, affine_map<(n, h, w, c, i, j) -> (n, h, w, c, i, j)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<2x8x4x4xf32>) outs(%cols : memref<2x1x1x8x3x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  return
}
