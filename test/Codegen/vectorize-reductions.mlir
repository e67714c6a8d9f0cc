// RUN: fqt-opt %s --split-input-file --fqt-vectorize-reductions="cpu-features=+avx,+avx2,+fma" | FileCheck %s --check-prefixes=CHECK,GENERIC
// RUN: fqt-opt %s --split-input-file --fqt-vectorize-reductions="cpu-features=+avx512f,+avx512bw,+avx512vnni" | FileCheck %s --check-prefixes=CHECK,VNNI

// Reductions over a contiguous innermost dimension as vector loops: 8 f32
// lanes with AVX, 16 with AVX-512.

// A quantizer's range: min and max over a whole tensor (viewed as one
// dimension of 130 contiguous elements) as a vector loop, a
// vector.reduction combined with the initial value, then a scalar
// remainder loop.
// CHECK-LABEL: func.func @minmax
// CHECK-NOT: linalg.generic
// CHECK: scf.for
// GENERIC: vector.load %{{.*}} : memref<130xf32>, vector<8xf32>
// VNNI: vector.load %{{.*}} : memref<130xf32>, vector<16xf32>
// CHECK: arith.minimumf %{{.*}} : vector<
// CHECK: arith.maximumf %{{.*}} : vector<
// CHECK: vector.reduction <minimumf>
// CHECK: vector.reduction <maximumf>
// CHECK: scf.for
// CHECK: arith.minimumf %{{.*}} : f32
// CHECK: arith.maximumf %{{.*}} : f32
// CHECK: memref.store
// CHECK: memref.store
func.func @minmax(%x: memref<10x13xf32>, %lo: memref<f32>, %hi: memref<f32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> ()>, affine_map<(i, j) -> ()>],
                  iterator_types = ["reduction", "reduction"]}
      ins(%x : memref<10x13xf32>) outs(%lo, %hi : memref<f32>, memref<f32>) {
  ^bb0(%v: f32, %l: f32, %h: f32):
    %a = arith.minimumf %v, %l : f32
    %b = arith.maximumf %v, %h : f32
    linalg.yield %a, %b : f32, f32
  }
  return
}

// -----

// Row sums of exp(x - m[i]) (softmax): the broadcast operand is loaded once
// per element and splat; the sum is reassociated across lanes, 16 partial
// sums on every target (two registers with AVX), so that every target
// rounds the same way.
// CHECK-LABEL: func.func @softmax_sum
// CHECK: vector.broadcast %{{.*}} : f32 to vector<16xf32>
// CHECK: arith.subf %{{.*}} : vector<16xf32>
// CHECK: math.exp %{{.*}} : vector<16xf32>
// CHECK: arith.addf %{{.*}} : vector<16xf32>
// CHECK: vector.reduction <add>
func.func @softmax_sum(%x: memref<64x10xf32>, %m: memref<64xf32>, %s: memref<64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x, %m : memref<64x10xf32>, memref<64xf32>) outs(%s : memref<64xf32>) {
  ^bb0(%v: f32, %mx: f32, %acc: f32):
    %d = arith.subf %v, %mx : f32
    %e = math.exp %d : f32
    %r = arith.addf %acc, %e : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// The sum of a filled tensor (ONNX ReduceSum of a ConstantOfShape): the
// fill fused into the reduction leaves a partial value defined above the
// body, which is splat like any other (it used to meet the vector
// accumulator as a scalar: an invalid arith.addf).
// CHECK-LABEL: func.func @sum_of_constant
// CHECK: %[[SPLAT:.*]] = vector.broadcast %{{.*}} : f32 to vector<
// CHECK: arith.addf %[[SPLAT]], %{{.*}} : vector<
// CHECK: vector.reduction <add>
func.func @sum_of_constant(%x: memref<2x3x40xf32>, %s: memref<f32>) {
  %c = arith.constant 5.000000e-01 : f32
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> ()>],
                  iterator_types = ["reduction", "reduction", "reduction"]}
      ins(%x : memref<2x3x40xf32>) outs(%s : memref<f32>) {
  ^bb0(%v: f32, %acc: f32):
    %r = arith.addf %c, %acc : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A column sum reads its input across rows: not contiguous along the
// reduction, left alone (LLVM vectorizes the parallel inner loop).
// CHECK-LABEL: func.func @column_sum
// CHECK: linalg.generic
func.func @column_sum(%x: memref<64x10xf32>, %s: memref<10xf32>) {
  linalg.generic {indexing_maps = [affine_map<(j, i) -> (i, j)>, affine_map<(j, i) -> (j)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<64x10xf32>) outs(%s : memref<10xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %r = arith.addf %acc, %v : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A sum of the running maximum is not a lane-wise reduction: left alone.
// CHECK-LABEL: func.func @chained
// CHECK: linalg.generic
func.func @chained(%x: memref<4x16xf32>, %m: memref<4xf32>, %s: memref<4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x16xf32>) outs(%m, %s : memref<4xf32>, memref<4xf32>) {
  ^bb0(%v: f32, %mx: f32, %acc: f32):
    %n = arith.maximumf %v, %mx : f32
    %r = arith.addf %acc, %n : f32
    linalg.yield %n, %r : f32, f32
  }
  return
}

// -----

// A per-tensor range (min and max of a whole buffer) over two dimensions is
// one vector loop over the buffer viewed as one dimension, with one
// horizontal reduction at the end, not one per row.
// CHECK-LABEL: func.func @whole_range
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0, 1]] : memref<50x12xf32> into memref<600xf32>
// CHECK: scf.for
// CHECK: vector.load %[[FLAT]]
// CHECK: arith.minimumf
// CHECK: arith.maximumf
// CHECK-COUNT-2: vector.reduction
// CHECK-NOT: vector.reduction
// CHECK: return
func.func @whole_range(%x: memref<50x12xf32>, %lo: memref<f32>, %hi: memref<f32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> ()>, affine_map<(i, j) -> ()>], iterator_types = ["reduction", "reduction"]}
      ins(%x : memref<50x12xf32>) outs(%lo, %hi : memref<f32>, memref<f32>) {
  ^bb0(%in: f32, %a: f32, %b: f32):
    %0 = arith.minimumf %in, %a : f32
    %1 = arith.maximumf %in, %b : f32
    linalg.yield %0, %1 : f32, f32
  }
  return
}

// -----

// A float sum of a whole buffer keeps its rows (collapsing would change how
// it is reassociated, and so its bits); so does a strided input.
// CHECK-LABEL: func.func @whole_sum_and_strided
// CHECK-NOT: memref.collapse_shape
// CHECK: return
func.func @whole_sum_and_strided(%x: memref<50x12xf32>, %s: memref<f32>,
                                 %y: memref<50x12xf32, strided<[16, 1]>>, %m: memref<f32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> ()>], iterator_types = ["reduction", "reduction"]}
      ins(%x : memref<50x12xf32>) outs(%s : memref<f32>) {
  ^bb0(%in: f32, %a: f32):
    %0 = arith.addf %in, %a : f32
    linalg.yield %0 : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> ()>], iterator_types = ["reduction", "reduction"]}
      ins(%y : memref<50x12xf32, strided<[16, 1]>>) outs(%m : memref<f32>) {
  ^bb0(%in: f32, %a: f32):
    %0 = arith.maximumf %in, %a : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// A float sum over every dimension but the channel (a bias gradient,
// [N, C, H, W] -> [C]): the channels are the lanes (16 on every target:
// the same bits everywhere), each summing its own terms in the loops'
// order; 16 channel rows of 16 values at a time transposed by shuffles and
// added one vector after the other (lanes past C or W load -0.0).
// CHECK-LABEL: func.func @channel_sum
// CHECK: %[[VIEW:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0], [1], [2, 3]] : memref<2x20x3x7xf32> into memref<2x20x21xf32>
// CHECK: arith.constant dense<-0.000000e+00> : vector<16xf32>
// CHECK: vector.maskedload %{{.*}} : memref<20xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// CHECK: scf.for
// CHECK: scf.for %{{.*}} step %c16
// CHECK-COUNT-16: vector.maskedload %[[VIEW]]
// CHECK-COUNT-64: vector.shuffle
// CHECK-COUNT-16: arith.addf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: vector.maskedstore %{{.*}} : memref<20xf32>, vector<16xi1>, vector<16xf32>
// CHECK-NOT: vector.reduction
func.func @channel_sum(%x: memref<2x20x3x7xf32>, %s: memref<20xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (c)>], iterator_types = ["reduction", "parallel", "reduction", "reduction"]} ins(%x : memref<2x20x3x7xf32>) outs(%s : memref<20xf32>) {
  ^bb0(%in: f32, %out: f32):
    %a = arith.addf %in, %out : f32
    linalg.yield %a : f32
  }
  return
}

// -----

// Code column sums (the zero-point correction of an integer product,
// [K, N] -> [N]): the columns are the lanes of vector accumulators carried
// through the loop over rows in order (16 i32 lanes with AVX-512: one
// vector per block of 16 columns; 8 with AVX2: two); each row's codes one
// vector load, widened and added.
// CHECK-LABEL: func.func @code_column_sums
// CHECK-NOT: linalg.generic
// CHECK: scf.for %[[FIRST:.*]] = %{{.*}} to %{{.*}} step
// VNNI: %[[INIT:.*]] = vector.load %{{.*}}[%{{.*}}] : memref<16xi32>, vector<16xi32>
// VNNI: %[[SUMS:.*]] = scf.for %[[ROW:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[INIT]]) -> (vector<16xi32>)
// VNNI: %[[CODES:.*]] = vector.load %{{.*}}[%[[ROW]], %{{.*}}] : memref<40x16xi8, strided<[16, 1], offset: ?>>, vector<16xi8>
// VNNI: %[[WIDE:.*]] = arith.extui %[[CODES]] : vector<16xi8> to vector<16xi32>
// VNNI: arith.addi %{{.*}}, %{{.*}} : vector<16xi32>
// VNNI: vector.store %[[SUMS]]
// GENERIC: scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (vector<8xi32>, vector<8xi32>)
// GENERIC-COUNT-2: arith.extui %{{.*}} : vector<8xi8> to vector<8xi32>
func.func @code_column_sums(%x: memref<40x16xi8, strided<[16, 1], offset: ?>>, %s: memref<16xi32>) {
  linalg.generic {indexing_maps = [affine_map<(k, n) -> (k, n)>, affine_map<(k, n) -> (n)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<40x16xi8, strided<[16, 1], offset: ?>>) outs(%s : memref<16xi32>) {
  ^bb0(%v: i8, %acc: i32):
    %w = arith.extui %v : i8 to i32
    %r = arith.addi %acc, %w : i32
    linalg.yield %r : i32
  }
  return
}

// -----

// Nine columns (a 3x3 kernel's): one masked vector, masked loads and a
// masked store.
// CHECK-LABEL: func.func @masked_column_sums
// CHECK: %[[MASK:.*]] = vector.create_mask %{{.*}} : vector<
// CHECK: vector.maskedload %{{.*}}, %[[MASK]]
// CHECK: scf.for
// CHECK: vector.maskedload %{{.*}}, %[[MASK]]
// CHECK: vector.maskedstore %{{.*}}, %[[MASK]]
func.func @masked_column_sums(%x: memref<40x9xi8>, %s: memref<9xi32>) {
  linalg.generic {indexing_maps = [affine_map<(k, n) -> (k, n)>, affine_map<(k, n) -> (n)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<40x9xi8>) outs(%s : memref<9xi32>) {
  ^bb0(%v: i8, %acc: i32):
    %w = arith.extui %v : i8 to i32
    %r = arith.addi %acc, %w : i32
    linalg.yield %r : i32
  }
  return
}

// -----

// A float column sum over two reduction loops: every column still adds its
// terms in the loops' order (no horizontal reduction): 48 columns as three
// vectors per block with AVX-512.
// CHECK-LABEL: func.func @float_column_sums
// CHECK-NOT: vector.reduction
// VNNI: scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>)
// VNNI: scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>)
// VNNI-COUNT-3: arith.addf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK-NOT: vector.reduction
func.func @float_column_sums(%x: memref<4x8x48xf32>, %s: memref<48xf32>) {
  linalg.generic {indexing_maps = [affine_map<(a, k, n) -> (a, k, n)>, affine_map<(a, k, n) -> (n)>],
                  iterator_types = ["reduction", "reduction", "parallel"]}
      ins(%x : memref<4x8x48xf32>) outs(%s : memref<48xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %r = arith.addf %acc, %v : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A range over 600 values: four vectors at a time into four sets of
// accumulators (min and max give the same value in any order), the sets
// combined, then the one-vector loop and the scalar remainder. A float sum
// keeps one set (its bits depend on the order).
// CHECK-LABEL: func.func @range_in_four_sets
// VNNI: scf.for {{.*}} step %c64 iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// VNNI-COUNT-4: arith.minimumf %{{.*}}, %{{.*}} : vector<16xf32>
// VNNI: scf.yield
// VNNI-COUNT-3: arith.minimumf %{{.*}}, %{{.*}} : vector<16xf32>
// VNNI: scf.for {{.*}} step %c16 iter_args
// VNNI: vector.reduction <minimumf>
// VNNI: vector.reduction <maximumf>
// VNNI: scf.for {{.*}} step %c16{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (vector<16xf32>)
// VNNI: vector.reduction <add>
func.func @range_in_four_sets(%x: memref<600xf32>, %lo: memref<f32>, %hi: memref<f32>, %s: memref<f32>) {
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>, affine_map<(i) -> ()>], iterator_types = ["reduction"]}
      ins(%x : memref<600xf32>) outs(%lo, %hi : memref<f32>, memref<f32>) {
  ^bb0(%in: f32, %a: f32, %b: f32):
    %0 = arith.minimumf %in, %a : f32
    %1 = arith.maximumf %in, %b : f32
    linalg.yield %0, %1 : f32, f32
  }
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>], iterator_types = ["reduction"]}
      ins(%x : memref<600xf32>) outs(%s : memref<f32>) {
  ^bb0(%in: f32, %a: f32):
    %0 = arith.addf %in, %a : f32
    linalg.yield %0 : f32
  }
  return
}
