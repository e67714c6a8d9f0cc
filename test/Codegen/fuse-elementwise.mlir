// RUN: fqt-opt %s --split-input-file --fqt-fuse-elementwise | FileCheck %s
// RUN: fqt-opt %s --split-input-file --fqt-fuse-elementwise="epilogues-into-window-sums=1" | FileCheck %s --check-prefix=WSUM

#id = affine_map<(i, j) -> (i, j)>

// Two elementwise ops become one; the product's operand producer is not
// fused into the matmul, and a producer with two uses stays.
// CHECK-LABEL: func.func @chain
// CHECK: %[[E:.*]] = linalg.generic
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK-NOT: linalg.generic
// CHECK: linalg.matmul ins(%[[E]]
func.func @chain(%x: tensor<4x8xf32>, %w: tensor<8x3xf32>, %acc: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%v: f32, %o: f32):
    %m = arith.mulf %v, %v : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.addf %v, %v : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %r = linalg.matmul ins(%b, %w : tensor<4x8xf32>, tensor<8x3xf32>) outs(%acc : tensor<4x3xf32>) -> tensor<4x3xf32>
  return %r : tensor<4x3xf32>
}

// -----

#id = affine_map<(i, j) -> (i, j)>

// A producer read by a contraction generic (its map drops a loop) stays, so
// that each code is computed once, not once per output column.
// CHECK-LABEL: func.func @contraction
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
func.func @contraction(%x: tensor<4x8xi8>, %w: tensor<8x3xi8>, %acc: tensor<4x3xi32>) -> tensor<4x3xi32> {
  %e = tensor.empty() : tensor<4x8xi8>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xi8>) outs(%e : tensor<4x8xi8>) {
  ^bb0(%v: i8, %o: i8):
    %m = arith.addi %v, %v : i8
    linalg.yield %m : i8
  } -> tensor<4x8xi8>
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<4x8xi8>, tensor<8x3xi8>) outs(%acc : tensor<4x3xi32>) {
  ^bb0(%p: i8, %q: i8, %c: i32):
    %pe = arith.extui %p : i8 to i32
    %qe = arith.extsi %q : i8 to i32
    %m = arith.muli %pe, %qe : i32
    %s = arith.addi %c, %m : i32
    linalg.yield %s : i32
  } -> tensor<4x3xi32>
  return %r : tensor<4x3xi32>
}

// -----

#id2 = affine_map<(m, k) -> (m, k)>
#scalar = affine_map<(m, k) -> ()>
#row = affine_map<(m, k) -> (m)>
#column = affine_map<(m, k) -> (k)>

// A data gradient's epilogue (i32 product, scale, row sums, column sums to
// f32 columns) whose columns reach a windows' sum through an expand_shape
// (windows visited from the last): with epilogues-into-window-sums the
// reshape moves onto the epilogue's operands and the epilogue goes into the
// sum, which reads the i32 product itself; without it both stay.
// CHECK-LABEL: func.func @epilogue_into_window_sum
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK: tensor.expand_shape %{{.*}} : tensor<10x18xf32> into tensor<1x2x5x2x3x3xf32>
// WSUM-LABEL: func.func @epilogue_into_window_sum
// WSUM-DAG: %[[P:.*]] = tensor.expand_shape %{{.*}} {{\[\[}}0, 1, 2], [3, 4, 5]] output_shape [1, 2, 5, 2, 3, 3] : tensor<10x18xi32> into tensor<1x2x5x2x3x3xi32>
// WSUM-DAG: %[[R:.*]] = tensor.expand_shape %{{.*}} {{\[\[}}0, 1, 2]] output_shape [1, 2, 5] : tensor<10xi32> into tensor<1x2x5xi32>
// WSUM-DAG: %[[C:.*]] = tensor.expand_shape %{{.*}} {{\[\[}}0, 1, 2]] output_shape [2, 3, 3] : tensor<18xi32> into tensor<2x3x3xi32>
// WSUM: %[[SUM:.*]] = linalg.generic
// WSUM-SAME: iterator_types = ["parallel", "reduction", "reduction", "parallel", "reduction", "reduction"]
// WSUM-SAME: ins(%[[P]], %{{.*}}, %[[R]], %[[C]], %{{.*}} : tensor<1x2x5x2x3x3xi32>, tensor<f32>, tensor<1x2x5xi32>, tensor<2x3x3xi32>, tensor<2x5xf32>)
// WSUM: arith.sitofp
// WSUM: arith.addf %{{.*}}, %{{.*}} : f32
// WSUM: linalg.yield
// WSUM-NOT: linalg.generic
// WSUM: return %[[SUM]]
func.func @epilogue_into_window_sum(%p: tensor<10x18xi32>, %s: tensor<f32>, %rows: tensor<10xi32>, %cols: tensor<18xi32>, %pixels: tensor<1x2x4x7xf32>) -> tensor<1x2x4x7xf32> {
  %e = tensor.empty() : tensor<10x18xf32>
  %f = linalg.generic {indexing_maps = [#id2, #scalar, #row, #column, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%p, %s, %rows, %cols : tensor<10x18xi32>, tensor<f32>, tensor<10xi32>, tensor<18xi32>) outs(%e : tensor<10x18xf32>) {
  ^bb0(%v: i32, %scale: f32, %r: i32, %c: i32, %o: f32):
    %vf = arith.sitofp %v : i32 to f32
    %rc = arith.addi %r, %c : i32
    %rcf = arith.sitofp %rc : i32 to f32
    %d = arith.subf %vf, %rcf : f32
    %m = arith.mulf %d, %scale : f32
    linalg.yield %m : f32
  } -> tensor<10x18xf32>
  %x = tensor.expand_shape %f [[0, 1, 2], [3, 4, 5]] output_shape [1, 2, 5, 2, 3, 3] : tensor<10x18xf32> into tensor<1x2x5x2x3x3xf32>
  %shape = tensor.empty() : tensor<2x5xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(n, h, w, c, i, j) -> (n, 1 - h, 4 - w, c, i, j)>, affine_map<(n, h, w, c, i, j) -> (h, w)>, affine_map<(n, h, w, c, i, j) -> (n, c, 1 - h + i, 4 - w + j)>], iterator_types = ["parallel", "reduction", "reduction", "parallel", "reduction", "reduction"]}
      ins(%x, %shape : tensor<1x2x5x2x3x3xf32>, tensor<2x5xf32>) outs(%pixels : tensor<1x2x4x7xf32>) {
  ^bb0(%in: f32, %unused: f32, %out: f32):
    %a = arith.addf %out, %in : f32
    linalg.yield %a : f32
  } -> tensor<1x2x4x7xf32>
  return %sum : tensor<1x2x4x7xf32>
}

// -----

#id2 = affine_map<(m, k) -> (m, k)>

// An elementwise producer whose result reaches a transpose (an output map
// that is a permutation: not a windows' sum) through an expand_shape stays
// as it is: the transposes have their own vector code.
// WSUM-LABEL: func.func @expand_into_transpose
// WSUM: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// WSUM: tensor.expand_shape %{{.*}} : tensor<6x4xf32> into tensor<2x3x4xf32>
// WSUM: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel"]
func.func @expand_into_transpose(%x: tensor<6x4xf32>) -> tensor<2x4x3xf32> {
  %e = tensor.empty() : tensor<6x4xf32>
  %a = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<6x4xf32>) outs(%e : tensor<6x4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %m = arith.mulf %v, %v : f32
    linalg.yield %m : f32
  } -> tensor<6x4xf32>
  %b = tensor.expand_shape %a [[0, 1], [2]] output_shape [2, 3, 4] : tensor<6x4xf32> into tensor<2x3x4xf32>
  %t = tensor.empty() : tensor<2x4x3xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(n, c, h) -> (n, h, c)>, affine_map<(n, c, h) -> (n, c, h)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%b : tensor<2x3x4xf32>) outs(%t : tensor<2x4x3xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  } -> tensor<2x4x3xf32>
  return %r : tensor<2x4x3xf32>
}
