// RUN: fqt-opt %s --fqt-fuse-elementwise="generalize-named=1" | FileCheck %s
// RUN: fqt-opt %s --fqt-fuse-elementwise | FileCheck %s --check-prefix=NAMED

// With generalize-named (the GPU pipeline), a transpose and a map fuse into
// the elementwise op that reads them: one linalg.generic reading the
// untransposed input through the transposed map. Without it (the CPU
// pipeline) the named ops stay.
// CHECK-DAG: #[[T:.*]] = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @transpose_map_relu
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>, %[[B:.*]]: tensor<8x4xf32>)
// CHECK-NOT: linalg.transpose
// CHECK-NOT: linalg.map
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[T]], #[[ID]], #[[ID]]]
// CHECK-SAME: ins(%[[X]], %[[B]] : tensor<4x8xf32>, tensor<8x4xf32>)
// CHECK: arith.addf
// CHECK: arith.maximumf
// CHECK-NOT: linalg.generic
// CHECK: return %[[R]]
// NAMED-LABEL: func.func @transpose_map_relu
// NAMED: linalg.transpose
// NAMED: linalg.map
func.func @transpose_map_relu(%x: tensor<4x8xf32>, %b: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %e = tensor.empty() : tensor<8x4xf32>
  %t = linalg.transpose ins(%x : tensor<4x8xf32>) outs(%e : tensor<8x4xf32>) permutation = [1, 0]
  %e1 = tensor.empty() : tensor<8x4xf32>
  %s = linalg.map { arith.addf } ins(%t, %b : tensor<8x4xf32>, tensor<8x4xf32>) outs(%e1 : tensor<8x4xf32>)
  %e2 = tensor.empty() : tensor<8x4xf32>
  %zero = arith.constant 0.0 : f32
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<8x4xf32>) outs(%e2 : tensor<8x4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %m = arith.maximumf %v, %zero : f32
    linalg.yield %m : f32
  } -> tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}

// Max-pooling as the generic it is (its window is a reduction), so that the
// GPU pipeline can later fold the fill of its output into it.
// CHECK-LABEL: func.func @pooling
// CHECK-NOT: linalg.pooling_nchw_max
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]
// CHECK: arith.maximumf
// NAMED-LABEL: func.func @pooling
// NAMED: linalg.pooling_nchw_max
func.func @pooling(%x: tensor<2x3x8x8xf32>) -> tensor<2x3x4x4xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<2x3x4x4xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e : tensor<2x3x4x4xf32>) -> tensor<2x3x4x4xf32>
  %w = tensor.empty() : tensor<2x2xf32>
  %p = linalg.pooling_nchw_max {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
      ins(%x, %w : tensor<2x3x8x8xf32>, tensor<2x2xf32>) outs(%init : tensor<2x3x4x4xf32>) -> tensor<2x3x4x4xf32>
  return %p : tensor<2x3x4x4xf32>
}
