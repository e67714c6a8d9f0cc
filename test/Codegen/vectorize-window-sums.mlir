// RUN: fqt-opt %s --split-input-file --fqt-vectorize-window-sums | FileCheck %s
// RUN: fqt-opt %s --split-input-file --fqt-vectorize-window-sums="parallel=1" | FileCheck %s --check-prefix=PAR

// The windows of a 3x3, stride-1 convolution (3 rows of 20 windows, 2
// channels: K = 18 values per window) added back into 5 x 22 pixels. Per
// row of windows from the last and segment of 16 windows from the last:
// the segment's 16 x 18 columns as two 16 x 16 tiles (masked: columns past
// 18, windows past 20) transposed by shuffles into a [32][16] scratch of
// the sample; then for every (kw, c, kh) the 16 windows' values (one
// vector), a masked load of the pixels they add to, an add and a masked
// store.
// CHECK-LABEL: func.func @window_sum
// CHECK-NOT: linalg.generic
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0, 1, 2, 3, 4, 5]] : memref<1x3x20x2x3x3xf32> into memref<1080xf32>
// CHECK: %[[SCRATCH:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x32x16xf32>
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for
// CHECK: vector.create_mask %{{.*}} : vector<16xi1>
// CHECK: scf.for
// CHECK-COUNT-16: vector.maskedload %[[FLAT]][%{{.*}}], %{{.*}}, %{{.*}} : memref<1080xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// CHECK-COUNT-64: vector.shuffle
// CHECK-COUNT-16: vector.store %{{.*}}, %[[SCRATCH]]
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for
// CHECK: vector.load %[[SCRATCH]]
// CHECK: vector.maskedload %{{.*}} : memref<1x2x5x22xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// CHECK: arith.addf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: vector.maskedstore %{{.*}} : memref<1x2x5x22xf32>, vector<16xi1>, vector<16xf32>
// CHECK: memref.dealloc %[[SCRATCH]]
// PAR-LABEL: func.func @window_sum
// PAR: scf.parallel
func.func @window_sum(%cols: memref<1x3x20x2x3x3xf32>, %shape: memref<3x20xf32>, %pixels: memref<1x2x5x22xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, h, w, c, i, j) -> (n, 2 - h, 19 - w, c, i, j)>, affine_map<(n, h, w, c, i, j) -> (h, w)>, affine_map<(n, h, w, c, i, j) -> (n, c, 2 - h + i, 19 - w + j)>], iterator_types = ["parallel", "reduction", "reduction", "parallel", "reduction", "reduction"]} ins(%cols, %shape : memref<1x3x20x2x3x3xf32>, memref<3x20xf32>) outs(%pixels : memref<1x2x5x22xf32>) {
  ^bb0(%in: f32, %unused: f32, %out: f32):
    %s = arith.addf %out, %in : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Stride 2: the windows of a row add to every other pixel; left to loops.
// CHECK-LABEL: func.func @strided
// CHECK: linalg.generic
// CHECK-NOT: vector.shuffle
func.func @strided(%cols: memref<1x3x10x2x3x3xf32>, %shape: memref<3x10xf32>, %pixels: memref<1x2x7x21xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, h, w, c, i, j) -> (n, 2 - h, 9 - w, c, i, j)>, affine_map<(n, h, w, c, i, j) -> (h, w)>, affine_map<(n, h, w, c, i, j) -> (n, c, (2 - h) * 2 + i, (9 - w) * 2 + j)>], iterator_types = ["parallel", "reduction", "reduction", "parallel", "reduction", "reduction"]} ins(%cols, %shape : memref<1x3x10x2x3x3xf32>, memref<3x10xf32>) outs(%pixels : memref<1x2x7x21xf32>) {
  ^bb0(%in: f32, %unused: f32, %out: f32):
    %s = arith.addf %out, %in : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A product instead of a sum: left to loops.
// CHECK-LABEL: func.func @not_a_sum
// CHECK: linalg.generic
// CHECK-NOT: vector.shuffle
func.func @not_a_sum(%cols: memref<1x3x20x2x3x3xf32>, %shape: memref<3x20xf32>, %pixels: memref<1x2x5x22xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, h, w, c, i, j) -> (n, 2 - h, 19 - w, c, i, j)>, affine_map<(n, h, w, c, i, j) -> (h, w)>, affine_map<(n, h, w, c, i, j) -> (n, c, 2 - h + i, 19 - w + j)>], iterator_types = ["parallel", "reduction", "reduction", "parallel", "reduction", "reduction"]} ins(%cols, %shape : memref<1x3x20x2x3x3xf32>, memref<3x20xf32>) outs(%pixels : memref<1x2x5x22xf32>) {
  ^bb0(%in: f32, %unused: f32, %out: f32):
    %s = arith.mulf %out, %in : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// The windows' sum with a dequantizing epilogue fused in: the i32 product
// read as the columns, a scale read once (loaded before the loops, one
// splat), row sums read per window (a scalar load per row, broadcast) and
// column sums per kernel position (one masked vector load per tile). Each
// row of a tile computes the epilogue on 16 lanes before the transpose.
// CHECK-LABEL: func.func @epilogue
// CHECK-NOT: linalg.generic
// CHECK: %[[P:.*]] = memref.collapse_shape %{{.*}} : memref<1x3x20x2x3x3xi32> into memref<1080xi32>
// CHECK: %[[SCALE:.*]] = memref.load %{{.*}}[] : memref<f32>
// CHECK: vector.broadcast %[[SCALE]] : f32 to vector<16xf32>
// CHECK: %[[R:.*]] = memref.collapse_shape %{{.*}} : memref<1x3x20xi32> into memref<60xi32>
// CHECK: %[[C:.*]] = memref.collapse_shape %{{.*}} : memref<2x3x3xi32> into memref<18xi32>
// CHECK: scf.for
// CHECK: vector.maskedload %[[C]][%{{.*}}], %{{.*}}, %{{.*}} : memref<18xi32>, vector<16xi1>, vector<16xi32> into vector<16xi32>
// CHECK: vector.maskedload %[[P]][%{{.*}}], %{{.*}}, %{{.*}} : memref<1080xi32>, vector<16xi1>, vector<16xi32> into vector<16xi32>
// CHECK: memref.load %[[R]][%{{.*}}] : memref<60xi32>
// CHECK: arith.sitofp %{{.*}} : vector<16xi32> to vector<16xf32>
// CHECK: arith.mulf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK-COUNT-64: vector.shuffle
// CHECK: arith.addf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: vector.maskedstore
func.func @epilogue(%p: memref<1x3x20x2x3x3xi32>, %s: memref<f32>, %rows: memref<1x3x20xi32>, %cols: memref<2x3x3xi32>, %shape: memref<3x20xf32>, %pixels: memref<1x2x5x22xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, h, w, c, i, j) -> (n, 2 - h, 19 - w, c, i, j)>, affine_map<(n, h, w, c, i, j) -> ()>, affine_map<(n, h, w, c, i, j) -> (n, 2 - h, 19 - w)>, affine_map<(n, h, w, c, i, j) -> (c, i, j)>, affine_map<(n, h, w, c, i, j) -> (h, w)>, affine_map<(n, h, w, c, i, j) -> (n, c, 2 - h + i, 19 - w + j)>], iterator_types = ["parallel", "reduction", "reduction", "parallel", "reduction", "reduction"]} ins(%p, %s, %rows, %cols, %shape : memref<1x3x20x2x3x3xi32>, memref<f32>, memref<1x3x20xi32>, memref<2x3x3xi32>, memref<3x20xf32>) outs(%pixels : memref<1x2x5x22xf32>) {
  ^bb0(%v: i32, %scale: f32, %r: i32, %c: i32, %unused: f32, %out: f32):
    %rc = arith.addi %r, %c : i32
    %d = arith.subi %v, %rc : i32
    %df = arith.sitofp %d : i32 to f32
    %m = arith.mulf %df, %scale : f32
    %a = arith.addf %out, %m : f32
    linalg.yield %a : f32
  }
  return
}

// -----

// An input read per channel only (its lanes would be a gather): left to
// loops.
// CHECK-LABEL: func.func @per_channel
// CHECK: linalg.generic
// CHECK-NOT: vector.shuffle
func.func @per_channel(%cols: memref<1x3x20x2x3x3xf32>, %scale: memref<2xf32>, %shape: memref<3x20xf32>, %pixels: memref<1x2x5x22xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, h, w, c, i, j) -> (n, 2 - h, 19 - w, c, i, j)>, affine_map<(n, h, w, c, i, j) -> (c)>, affine_map<(n, h, w, c, i, j) -> (h, w)>, affine_map<(n, h, w, c, i, j) -> (n, c, 2 - h + i, 19 - w + j)>], iterator_types = ["parallel", "reduction", "reduction", "parallel", "reduction", "reduction"]} ins(%cols, %scale, %shape : memref<1x3x20x2x3x3xf32>, memref<2xf32>, memref<3x20xf32>) outs(%pixels : memref<1x2x5x22xf32>) {
  ^bb0(%in: f32, %s: f32, %unused: f32, %out: f32):
    %m = arith.mulf %in, %s : f32
    %a = arith.addf %out, %m : f32
    linalg.yield %a : f32
  }
  return
}
