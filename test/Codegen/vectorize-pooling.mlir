// RUN: fqt-opt %s --split-input-file --fqt-vectorize-pooling="cpu-features=+avx512f" | FileCheck %s
// RUN: fqt-opt %s --split-input-file --fqt-vectorize-pooling="cpu-features=+avx512f parallel=1" | FileCheck %s --check-prefix=PAR

// A 2x2 window with stride 2: per output row, 32 input values of each of
// the two rows under it, their maximum, the maximum of even and odd lanes,
// the maximum with the output's 16 values; masked at the row's end.
// CHECK-LABEL: func.func @pool
// CHECK-NOT: linalg.pooling_nchw_max
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c16
// CHECK: vector.create_mask %{{.*}} : vector<32xi1>
// CHECK: vector.create_mask %{{.*}} : vector<16xi1>
// CHECK: vector.maskedload %{{.*}} : memref<1x2x9x13xf32>, vector<32xi1>, vector<32xf32> into vector<32xf32>
// CHECK: vector.maskedload %{{.*}} : memref<1x2x9x13xf32>, vector<32xi1>, vector<32xf32> into vector<32xf32>
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : vector<32xf32>
// CHECK-DAG: vector.shuffle %{{.*}}, %{{.*}} [0, 2, 4, {{.*}}, 30] : vector<32xf32>, vector<32xf32>
// CHECK-DAG: vector.shuffle %{{.*}}, %{{.*}} [1, 3, 5, {{.*}}, 31] : vector<32xf32>, vector<32xf32>
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: vector.maskedstore %{{.*}} : memref<1x2x4x6xf32>, vector<16xi1>, vector<16xf32>
// PAR-LABEL: func.func @pool
// PAR: scf.parallel
func.func @pool(%x: memref<1x2x9x13xf32>, %w: memref<2x2xf32>, %y: memref<1x2x4x6xf32>) {
  linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : memref<1x2x9x13xf32>, memref<2x2xf32>) outs(%y : memref<1x2x4x6xf32>)
  return
}

// -----

// Other windows and strides, and tensors, are left to linalg's loops.
// CHECK-LABEL: func.func @others
// CHECK: linalg.pooling_nchw_max {{.*}}strides = dense<1>
// CHECK: linalg.pooling_nchw_max {{.*}}ins(%{{.*}}, %{{.*}} : memref<1x2x9x9xf32>, memref<3x3xf32>)
// CHECK: linalg.pooling_nchw_max {{.*}} -> tensor<1x2x4x4xf32>
func.func @others(%x: memref<1x2x9x9xf32>, %w2: memref<2x2xf32>, %w3: memref<3x3xf32>,
                  %y: memref<1x2x8x8xf32>, %z: memref<1x2x4x4xf32>,
                  %t: tensor<1x2x9x9xf32>, %tw: tensor<2x2xf32>, %ty: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w2 : memref<1x2x9x9xf32>, memref<2x2xf32>) outs(%y : memref<1x2x8x8xf32>)
  linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w3 : memref<1x2x9x9xf32>, memref<3x3xf32>) outs(%z : memref<1x2x4x4xf32>)
  %r = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%t, %tw : tensor<1x2x9x9xf32>, tensor<2x2xf32>) outs(%ty : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %r : tensor<1x2x4x4xf32>
}

// -----

// The max-pooling gradient's first maximum of 2x2 windows, over the input
// viewed as [N, C, OH, 2, OW, 2]: per output row, both input rows 32 values
// at a time, their even and odd lanes (the four values of 16 windows), and
// the loops' compare-and-select chain in (kh, kw) order on vectors.
// CHECK-LABEL: func.func @window_argmax
// CHECK-NOT: linalg.generic
// CHECK: %[[ROWS:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0], [1], [2], [3], [4, 5]] : memref<1x2x3x2x5x2xf32> into memref<1x2x3x2x10xf32>
// CHECK: scf.for %{{.*}} step %c16
// CHECK: vector.maskedload %[[ROWS]]{{.*}} : memref<1x2x3x2x10xf32>, vector<32xi1>, vector<32xf32> into vector<32xf32>
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 2, 4, {{.*}}, 30] : vector<32xf32>, vector<32xf32>
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [1, 3, 5, {{.*}}, 31] : vector<32xf32>, vector<32xf32>
// CHECK: vector.maskedload %[[ROWS]]
// CHECK-COUNT-4: arith.cmpf ogt, %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: vector.maskedstore %{{.*}} : memref<1x2x3x5xf32>, vector<16xi1>, vector<16xf32>
// CHECK: vector.maskedstore %{{.*}} : memref<1x2x3x5xi64>, vector<16xi1>, vector<16xi64>
// PAR-LABEL: func.func @window_argmax
// PAR: scf.parallel
func.func @window_argmax(%x: memref<1x2x3x2x5x2xf32>, %max: memref<1x2x3x5xf32>, %first: memref<1x2x3x5xi64>) {
  linalg.generic {indexing_maps = [affine_map<(n, c, oh, ow, i, j) -> (n, c, oh, i, ow, j)>, affine_map<(n, c, oh, ow, i, j) -> (n, c, oh, ow)>, affine_map<(n, c, oh, ow, i, j) -> (n, c, oh, ow)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%x : memref<1x2x3x2x5x2xf32>) outs(%max, %first : memref<1x2x3x5xf32>, memref<1x2x3x5xi64>) {
  ^bb0(%in: f32, %m: f32, %f: i64):
    %i = linalg.index 4 : index
    %j = linalg.index 5 : index
    %c2 = arith.constant 2 : index
    %i2 = arith.muli %i, %c2 : index
    %p = arith.addi %i2, %j : index
    %pos = arith.index_cast %p : index to i64
    %better = arith.cmpf ogt, %in, %m : f32
    %nm = arith.select %better, %in, %m : f32
    %nf = arith.select %better, %pos, %f : i64
    linalg.yield %nm, %nf : f32, i64
  }
  return
}

// -----

// A non-strict maximum (the last of equal values) is not the loops' first
// maximum: left alone.
// CHECK-LABEL: func.func @window_argmax_oge
// CHECK: linalg.generic
// PAR-LABEL: func.func @window_argmax_oge
func.func @window_argmax_oge(%x: memref<1x2x3x2x5x2xf32>, %max: memref<1x2x3x5xf32>, %first: memref<1x2x3x5xi64>) {
  linalg.generic {indexing_maps = [affine_map<(n, c, oh, ow, i, j) -> (n, c, oh, i, ow, j)>, affine_map<(n, c, oh, ow, i, j) -> (n, c, oh, ow)>, affine_map<(n, c, oh, ow, i, j) -> (n, c, oh, ow)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%x : memref<1x2x3x2x5x2xf32>) outs(%max, %first : memref<1x2x3x5xf32>, memref<1x2x3x5xi64>) {
  ^bb0(%in: f32, %m: f32, %f: i64):
    %i = linalg.index 4 : index
    %j = linalg.index 5 : index
    %c2 = arith.constant 2 : index
    %i2 = arith.muli %i, %c2 : index
    %p = arith.addi %i2, %j : index
    %pos = arith.index_cast %p : index to i64
    %better = arith.cmpf oge, %in, %m : f32
    %nm = arith.select %better, %in, %m : f32
    %nf = arith.select %better, %pos, %f : i64
    linalg.yield %nm, %nf : f32, i64
  }
  return
}

// -----

// dY spread to each 2x2 window's maximum, over the windows view: per (n, c,
// oh, kh), 16 windows' positions and dY loaded once, one select for kw = 0
// and one for kw = 1, interleaved into the row's 32 values.
// CHECK-LABEL: func.func @window_spread
// CHECK-NOT: linalg.generic
// CHECK: %[[ROWS:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0], [1], [2], [3], [4, 5]] : memref<1x2x3x2x5x2xf32> into memref<1x2x3x2x10xf32>
// CHECK: vector.maskedload %{{.*}} : memref<1x2x3x5xi64>, vector<16xi1>, vector<16xi64> into vector<16xi64>
// CHECK: vector.maskedload %{{.*}} : memref<1x2x3x5xf32, strided<[60, 30, 10, 1]>>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// CHECK-COUNT-2: arith.cmpi eq, %{{.*}}, %{{.*}} : vector<16xi64>
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 16, 1, 17, {{.*}}, 15, 31] : vector<16xf32>, vector<16xf32>
// CHECK: vector.maskedstore %[[ROWS]]{{.*}} : memref<1x2x3x2x10xf32>, vector<32xi1>, vector<32xf32>
// PAR-LABEL: func.func @window_spread
// PAR: scf.parallel
func.func @window_spread(%first: memref<1x2x3x5xi64>, %dy: memref<1x2x3x5xf32, strided<[60, 30, 10, 1]>>, %dx: memref<1x2x3x2x5x2xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, c, oh, i, ow, j) -> (n, c, oh, ow)>, affine_map<(n, c, oh, i, ow, j) -> (n, c, oh, ow)>, affine_map<(n, c, oh, i, ow, j) -> (n, c, oh, i, ow, j)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%first, %dy : memref<1x2x3x5xi64>, memref<1x2x3x5xf32, strided<[60, 30, 10, 1]>>) outs(%dx : memref<1x2x3x2x5x2xf32>) {
  ^bb0(%f: i64, %g: f32, %o: f32):
    %i = linalg.index 3 : index
    %j = linalg.index 5 : index
    %c2 = arith.constant 2 : index
    %i2 = arith.muli %i, %c2 : index
    %p = arith.addi %i2, %j : index
    %self = arith.index_cast %p : index to i64
    %hit = arith.cmpi eq, %self, %f : i64
    %zero = arith.constant 0.0 : f32
    %v = arith.select %hit, %g, %zero : f32
    linalg.yield %v : f32
  }
  return
}
