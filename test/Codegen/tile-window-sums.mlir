// RUN: fqt-opt %s --split-input-file --fqt-tile-window-sums="min-bytes=0 group-bytes=4000" | FileCheck %s
// RUN: fqt-opt %s --split-input-file --fqt-tile-window-sums | FileCheck %s --check-prefix=SMALL

#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#acc = affine_map<(m, n, k) -> (m, n)>
#cols = affine_map<(n, h, w, c, i, j) -> (n, 2 - h, 4 - w, c, i, j)>
#once = affine_map<(n, h, w, c, i, j) -> ()>
#window = affine_map<(n, h, w, c, i, j) -> (n, 2 - h, 4 - w)>
#position = affine_map<(n, h, w, c, i, j) -> (c, i, j)>
#shape = affine_map<(n, h, w, c, i, j) -> (h, w)>
#pixels = affine_map<(n, h, w, c, i, j) -> (n, c, 2 - h + i, 4 - w + j)>

// A data gradient's windows' sum over 6 samples of 3 x 5 windows (15 rows
// of the product each, 15 x 18 x 4 = 1080 bytes): groups of 3 samples
// (the largest divisor of 6 within 4000 bytes). Per group: the rows of the
// codes, the product and the row sums recomputed on them into fresh
// fills, the sum on the group's pixels, inserted back. The column sums and
// the scale are read whole. Without min-bytes=0 the 6 KB product stays
// whole.
// CHECK-LABEL: func.func @data_gradient
// CHECK-SAME: %[[A:[^:]*]]: tensor<90x8xi8>, %[[B:[^:]*]]: tensor<8x18xi8>
// CHECK: scf.for %[[G:.*]] = %c0 to %c6 step %c3 iter_args(%[[PIX:.*]] = %{{.*}}) -> (tensor<6x2x5x7xf32>)
// CHECK: %[[ROW:.*]] = arith.muli %[[G]], %{{.*}} : index
// CHECK: %[[AG:.*]] = tensor.extract_slice %[[A]][%[[ROW]], 0] [45, 8] [1, 1]
// CHECK: %[[FILL:.*]] = linalg.fill ins(%{{.*}} : i32) outs(%{{.*}} : tensor<45x18xi32>)
// CHECK: %[[P:.*]] = linalg.generic {{.*}} ins(%[[AG]], %[[B]] : tensor<45x8xi8>, tensor<8x18xi8>) outs(%[[FILL]] : tensor<45x18xi32>)
// CHECK: %[[PX:.*]] = tensor.expand_shape %[[P]] {{\[\[}}0, 1, 2], [3, 4, 5]] output_shape [3, 3, 5, 2, 3, 3]
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<45xi32>)
// CHECK: tensor.expand_shape %{{.*}} output_shape [3, 3, 5]
// CHECK: %[[OUT:.*]] = tensor.extract_slice %[[PIX]][%[[G]], 0, 0, 0] [3, 2, 5, 7] [1, 1, 1, 1]
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[PX]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<3x3x5x2x3x3xi32>, tensor<f32>, tensor<3x3x5xi32>, tensor<2x3x3xi32>, tensor<3x5xf32>) outs(%[[OUT]] : tensor<3x2x5x7xf32>)
// CHECK: tensor.insert_slice %[[SUM]] into %[[PIX]][%[[G]], 0, 0, 0] [3, 2, 5, 7] [1, 1, 1, 1]
// SMALL-LABEL: func.func @data_gradient
// SMALL-NOT: scf.for
func.func @data_gradient(%a: tensor<90x8xi8>, %b: tensor<8x18xi8>, %s: tensor<f32>, %colsums: tensor<2x3x3xi32>, %pixels: tensor<6x2x5x7xf32>) -> tensor<6x2x5x7xf32> {
  %zero = arith.constant 0 : i32
  %pe = tensor.empty() : tensor<90x18xi32>
  %pz = linalg.fill ins(%zero : i32) outs(%pe : tensor<90x18xi32>) -> tensor<90x18xi32>
  %p = linalg.generic {indexing_maps = [#lhs, #rhs, #acc], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<90x8xi8>, tensor<8x18xi8>) outs(%pz : tensor<90x18xi32>) {
  ^bb0(%x: i8, %y: i8, %o: i32):
    %xe = arith.extui %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %m = arith.muli %xe, %ye : i32
    %t = arith.addi %o, %m : i32
    linalg.yield %t : i32
  } -> tensor<90x18xi32>
  %re = tensor.empty() : tensor<90xi32>
  %rz = linalg.fill ins(%zero : i32) outs(%re : tensor<90xi32>) -> tensor<90xi32>
  %rows = linalg.generic {indexing_maps = [affine_map<(m, k) -> (m, k)>, affine_map<(m, k) -> (m)>], iterator_types = ["parallel", "reduction"]} ins(%a : tensor<90x8xi8>) outs(%rz : tensor<90xi32>) {
  ^bb0(%x: i8, %o: i32):
    %xe = arith.extui %x : i8 to i32
    %t = arith.addi %o, %xe : i32
    linalg.yield %t : i32
  } -> tensor<90xi32>
  %px = tensor.expand_shape %p [[0, 1, 2], [3, 4, 5]] output_shape [6, 3, 5, 2, 3, 3] : tensor<90x18xi32> into tensor<6x3x5x2x3x3xi32>
  %rx = tensor.expand_shape %rows [[0, 1, 2]] output_shape [6, 3, 5] : tensor<90xi32> into tensor<6x3x5xi32>
  %windows = tensor.empty() : tensor<3x5xf32>
  %sum = linalg.generic {indexing_maps = [#cols, #once, #window, #position, #shape, #pixels], iterator_types = ["parallel", "reduction", "reduction", "parallel", "reduction", "reduction"]} ins(%px, %s, %rx, %colsums, %windows : tensor<6x3x5x2x3x3xi32>, tensor<f32>, tensor<6x3x5xi32>, tensor<2x3x3xi32>, tensor<3x5xf32>) outs(%pixels : tensor<6x2x5x7xf32>) {
  ^bb0(%v: i32, %scale: f32, %r: i32, %c: i32, %unused: f32, %out: f32):
    %rc = arith.addi %r, %c : i32
    %d = arith.subi %v, %rc : i32
    %df = arith.sitofp %d : i32 to f32
    %m = arith.mulf %df, %scale : f32
    %o = arith.addf %out, %m : f32
    linalg.yield %o : f32
  } -> tensor<6x2x5x7xf32>
  return %sum : tensor<6x2x5x7xf32>
}

// -----

#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#acc = affine_map<(m, n, k) -> (m, n)>
#cols = affine_map<(n, h, w, c, i, j) -> (n, 2 - h, 4 - w, c, i, j)>
#shape = affine_map<(n, h, w, c, i, j) -> (h, w)>
#pixels = affine_map<(n, h, w, c, i, j) -> (n, c, 2 - h + i, 4 - w + j)>

// A product that is also read elsewhere is computed whole anyway: nothing
// is recomputed per group, and the sum stays whole too.
// CHECK-LABEL: func.func @product_read_twice
// CHECK-NOT: scf.for
// CHECK: return
func.func @product_read_twice(%a: tensor<90x8xi8>, %b: tensor<8x18xi8>, %pixels: tensor<6x2x5x7xf32>) -> (tensor<6x2x5x7xf32>, tensor<90x18xi32>) {
  %zero = arith.constant 0 : i32
  %pe = tensor.empty() : tensor<90x18xi32>
  %pz = linalg.fill ins(%zero : i32) outs(%pe : tensor<90x18xi32>) -> tensor<90x18xi32>
  %p = linalg.generic {indexing_maps = [#lhs, #rhs, #acc], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<90x8xi8>, tensor<8x18xi8>) outs(%pz : tensor<90x18xi32>) {
  ^bb0(%x: i8, %y: i8, %o: i32):
    %xe = arith.extui %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %m = arith.muli %xe, %ye : i32
    %t = arith.addi %o, %m : i32
    linalg.yield %t : i32
  } -> tensor<90x18xi32>
  %px = tensor.expand_shape %p [[0, 1, 2], [3, 4, 5]] output_shape [6, 3, 5, 2, 3, 3] : tensor<90x18xi32> into tensor<6x3x5x2x3x3xi32>
  %windows = tensor.empty() : tensor<3x5xf32>
  %sum = linalg.generic {indexing_maps = [#cols, #shape, #pixels], iterator_types = ["parallel", "reduction", "reduction", "parallel", "reduction", "reduction"]} ins(%px, %windows : tensor<6x3x5x2x3x3xi32>, tensor<3x5xf32>) outs(%pixels : tensor<6x2x5x7xf32>) {
  ^bb0(%v: i32, %unused: f32, %out: f32):
    %df = arith.sitofp %v : i32 to f32
    %o = arith.addf %out, %df : f32
    linalg.yield %o : f32
  } -> tensor<6x2x5x7xf32>
  return %sum, %p : tensor<6x2x5x7xf32>, tensor<90x18xi32>
}
