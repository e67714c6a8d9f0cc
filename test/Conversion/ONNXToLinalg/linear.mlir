// RUN: fqt-opt %s --split-input-file --fqt-convert-onnx-to-linalg | FileCheck %s

// Gemm with transB, alpha, beta and a broadcast C, on a dynamic batch.
// CHECK-LABEL: func.func @gemm
// CHECK-SAME: (%[[A:.*]]: tensor<?x4xf32>, %[[B:.*]]: tensor<3x4xf32>, %[[C:.*]]: tensor<3xf32>)
// CHECK-DAG: %[[ALPHA:.*]] = arith.constant 2.000000e+00 : f32
// CHECK-DAG: %[[BETA:.*]] = arith.constant 5.000000e-01 : f32
// CHECK: %[[BT:.*]] = linalg.transpose ins(%[[B]] : tensor<3x4xf32>) outs(%{{.*}} : tensor<4x3xf32>) permutation = [1, 0]
// CHECK: %[[DIM:.*]] = tensor.dim %[[A]]
// CHECK: %[[INIT:.*]] = tensor.empty(%[[DIM]]) : tensor<?x3xf32>
// CHECK: %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[INIT]] : tensor<?x3xf32>)
// CHECK: %[[MM:.*]] = linalg.matmul ins(%[[A]], %[[BT]] : tensor<?x4xf32>, tensor<4x3xf32>) outs(%[[ZERO]] : tensor<?x3xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[MM]], %[[C]] : tensor<?x3xf32>, tensor<3xf32>)
// CHECK: ^bb0(%[[Y:.*]]: f32, %[[CV:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[AY:.*]] = arith.mulf %[[Y]], %[[ALPHA]]
// CHECK: %[[BC:.*]] = arith.mulf %[[CV]], %[[BETA]]
// CHECK: arith.addf %[[AY]], %[[BC]]
func.func @gemm(%a: tensor<?x4xf32>, %b: tensor<3x4xf32>, %c: tensor<3xf32>) -> tensor<?x3xf32> {
  %0 = onnx.Gemm %a, %b, %c {transB = 1 : si64, alpha = 2.0 : f32, beta = 0.5 : f32}
      : (tensor<?x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// No C: the product alone; transA transposes A.
// CHECK-LABEL: func.func @gemm_no_c
// CHECK: linalg.transpose
// CHECK: %[[MM:.*]] = linalg.matmul
// CHECK-NOT: linalg.generic
// CHECK: return %[[MM]]
func.func @gemm_no_c(%a: tensor<4x2xf32>, %b: tensor<4x3xf32>) -> tensor<2x3xf32> {
  %none = onnx.NoValue
  %0 = onnx.Gemm %a, %b, %none {transA = 1 : si64} : (tensor<4x2xf32>, tensor<4x3xf32>, none) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @matmul_2d
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<4x5xf32>) outs(%{{.*}} : tensor<?x5xf32>)
func.func @matmul_2d(%a: tensor<?x4xf32>, %b: tensor<4x5xf32>) -> tensor<?x5xf32> {
  %0 = onnx.MatMul %a, %b : (tensor<?x4xf32>, tensor<4x5xf32>) -> tensor<?x5xf32>
  return %0 : tensor<?x5xf32>
}

// -----

// Batched: B's leading size-1 dimension broadcasts.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2, d3) -> (0, d3, d2)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @matmul_batched
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @matmul_batched(%a: tensor<?x2x4xf32>, %b: tensor<1x4x5xf32>) -> tensor<?x2x5xf32> {
  %0 = onnx.MatMul %a, %b : (tensor<?x2x4xf32>, tensor<1x4x5xf32>) -> tensor<?x2x5xf32>
  return %0 : tensor<?x2x5xf32>
}

// -----

// Matrix times vector.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @matvec
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], iterator_types = ["parallel", "reduction"]}
func.func @matvec(%a: tensor<3x4xf32>, %b: tensor<4xf32>) -> tensor<3xf32> {
  %0 = onnx.MatMul %a, %b : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// CHECK-LABEL: func.func @conv
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x5x5xf32>, %[[W:.*]]: tensor<4x2x3x3xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK: %[[P:.*]] = tensor.pad %[[X]] low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: tensor<1x2x5x5xf32> to tensor<1x2x7x7xf32>
// CHECK: %[[CONV:.*]] = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK-SAME: ins(%[[P]], %[[W]] : tensor<1x2x7x7xf32>, tensor<4x2x3x3xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[CONV]], %[[B]] : tensor<1x4x3x3xf32>, tensor<4xf32>)
// CHECK: arith.addf
func.func @conv(%x: tensor<1x2x5x5xf32>, %w: tensor<4x2x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x3x3xf32> {
  %0 = onnx.Conv %x, %w, %b {kernel_shape = [3, 3], pads = [1, 1, 1, 1], strides = [2, 2]}
      : (tensor<1x2x5x5xf32>, tensor<4x2x3x3xf32>, tensor<4xf32>) -> tensor<1x4x3x3xf32>
  return %0 : tensor<1x4x3x3xf32>
}

// -----

// CHECK-LABEL: func.func @conv_no_bias
// CHECK-NOT: tensor.pad
// CHECK: %[[CONV:.*]] = linalg.conv_2d_nchw_fchw
// CHECK-NOT: linalg.generic
// CHECK: return %[[CONV]]
func.func @conv_no_bias(%x: tensor<?x1x4x4xf32>, %w: tensor<2x1x2x2xf32>) -> tensor<?x2x3x3xf32> {
  %none = onnx.NoValue
  %0 = onnx.Conv %x, %w, %none : (tensor<?x1x4x4xf32>, tensor<2x1x2x2xf32>, none) -> tensor<?x2x3x3xf32>
  return %0 : tensor<?x2x3x3xf32>
}

// -----

// Group 2: the channels split into [group, channels / group] (X's and the
// result's, W's output channels), linalg.conv_2d_ngchw_gfchw, the result
// collapsed back to NCHW before the bias.
// CHECK-LABEL: func.func @conv_grouped
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x5x5xf32>, %[[W:.*]]: tensor<6x2x3x3xf32>, %[[B:.*]]: tensor<6xf32>)
// CHECK: %[[P:.*]] = tensor.pad %[[X]] low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: %[[XG:.*]] = tensor.expand_shape %[[P]] {{\[}}[0], [1, 2], [3], [4]] output_shape [1, 2, 2, 7, 7] : tensor<1x4x7x7xf32> into tensor<1x2x2x7x7xf32>
// CHECK: %[[WG:.*]] = tensor.expand_shape %[[W]] {{\[}}[0, 1], [2], [3], [4]] output_shape [2, 3, 2, 3, 3] : tensor<6x2x3x3xf32> into tensor<2x3x2x3x3xf32>
// CHECK: %[[CONV:.*]] = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK-SAME: ins(%[[XG]], %[[WG]] : tensor<1x2x2x7x7xf32>, tensor<2x3x2x3x3xf32>) outs(%{{.*}} : tensor<1x2x3x3x3xf32>)
// CHECK: %[[Y:.*]] = tensor.collapse_shape %[[CONV]] {{\[}}[0], [1, 2], [3], [4]] : tensor<1x2x3x3x3xf32> into tensor<1x6x3x3xf32>
// CHECK: linalg.generic {{.*}} ins(%[[Y]], %[[B]] : tensor<1x6x3x3xf32>, tensor<6xf32>)
func.func @conv_grouped(%x: tensor<1x4x5x5xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>) -> tensor<1x6x3x3xf32> {
  %0 = onnx.Conv %x, %w, %b {group = 2 : si64, kernel_shape = [3, 3], pads = [1, 1, 1, 1], strides = [2, 2]}
      : (tensor<1x4x5x5xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x3x3xf32>
  return %0 : tensor<1x6x3x3xf32>
}

// -----

// Depthwise (group = channels) on a dynamic batch: one channel per group.
// CHECK-LABEL: func.func @conv_depthwise
// CHECK-SAME: (%[[X:.*]]: tensor<?x3x4x4xf32>, %[[W:.*]]: tensor<3x1x2x2xf32>)
// CHECK: %[[N:.*]] = tensor.dim %[[X]], %c0
// CHECK: %[[XG:.*]] = tensor.expand_shape %[[X]] {{\[}}[0], [1, 2], [3], [4]] output_shape [%{{.*}}, 3, 1, 4, 4] : tensor<?x3x4x4xf32> into tensor<?x3x1x4x4xf32>
// CHECK: %[[WG:.*]] = tensor.expand_shape %[[W]] {{.*}} : tensor<3x1x2x2xf32> into tensor<3x1x1x2x2xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x3x1x3x3xf32>
// CHECK: %[[CONV:.*]] = linalg.conv_2d_ngchw_gfchw {{.*}} ins(%[[XG]], %[[WG]] : tensor<?x3x1x4x4xf32>, tensor<3x1x1x2x2xf32>)
// CHECK: %[[Y:.*]] = tensor.collapse_shape %[[CONV]] {{.*}} : tensor<?x3x1x3x3xf32> into tensor<?x3x3x3xf32>
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
func.func @conv_depthwise(%x: tensor<?x3x4x4xf32>, %w: tensor<3x1x2x2xf32>) -> tensor<?x3x3x3xf32> {
  %none = onnx.NoValue
  %0 = onnx.Conv %x, %w, %none {group = 3 : si64} : (tensor<?x3x4x4xf32>, tensor<3x1x2x2xf32>, none) -> tensor<?x3x3x3xf32>
  return %0 : tensor<?x3x3x3xf32>
}

// -----

// SAME_LOWER: the odd padding goes first (none is odd here).
// CHECK-LABEL: func.func @conv_same_lower
// CHECK: tensor.pad %{{.*}} low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
func.func @conv_same_lower(%x: tensor<1x1x5x5xf32>, %w: tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32> {
  %none = onnx.NoValue
  %0 = onnx.Conv %x, %w, %none {auto_pad = "SAME_LOWER", strides = [2, 2]} : (tensor<1x1x5x5xf32>, tensor<1x1x3x3xf32>, none) -> tensor<1x1x3x3xf32>
  return %0 : tensor<1x1x3x3xf32>
}

// -----

// ConvTranspose: the input dilated by the strides into zeros, padded by
// (kernel - 1) - pads = 1 (H) and 0 (W); the kernel flipped with its channel
// dimensions swapped; then a stride-1 convolution.
// CHECK-DAG: #[[FLIP:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d0, -d2 + 2, -d3 + 2)>
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d4, d2 + d5, d3 + d6)>
// CHECK-DAG: #[[KER:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d4, d5, d6)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @conv_transpose
// CHECK-SAME: (%[[X:.*]]: tensor<1x1x3x3xf32>, %[[W:.*]]: tensor<1x2x3x3xf32>)
// CHECK: %[[ZEROS:.*]] = linalg.fill {{.*}} -> tensor<1x1x9x5xf32>
// CHECK: %[[DILATED:.*]] = tensor.insert_slice %[[X]] into %[[ZEROS]][0, 0, 1, 0] [1, 1, 3, 3] [1, 1, 3, 2]
// CHECK: %[[FLIPPED:.*]] = linalg.generic {indexing_maps = [#[[FLIP]], #{{.*}}]{{.*}} ins(%[[W]] : tensor<1x2x3x3xf32>) outs(%{{.*}} : tensor<2x1x3x3xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[KER]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
// CHECK-SAME: ins(%[[DILATED]], %[[FLIPPED]] : tensor<1x1x9x5xf32>, tensor<2x1x3x3xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @conv_transpose(%x: tensor<1x1x3x3xf32>, %w: tensor<1x2x3x3xf32>) -> tensor<1x2x7x3xf32> {
  %none = onnx.NoValue
  %0 = onnx.ConvTranspose %x, %w, %none {pads = [1, 2, 1, 2], strides = [3, 2]} : (tensor<1x1x3x3xf32>, tensor<1x2x3x3xf32>, none) -> tensor<1x2x7x3xf32>
  return %0 : tensor<1x2x7x3xf32>
}

// -----

// Pads beyond kernel - 1 crop the input; the bias is added per channel.
// CHECK-LABEL: func.func @conv_transpose_1d_crop
// CHECK: %[[DILATED:.*]] = tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 0] [1, 1, 3] [1, 1, 1] : tensor<1x1x3xf32> into tensor<1x1x4xf32>
// CHECK: %[[CROPPED:.*]] = tensor.extract_slice %[[DILATED]][0, 0, 1] [1, 1, 3] [1, 1, 1] : tensor<1x1x4xf32> to tensor<1x1x3xf32>
// CHECK: %[[CONV:.*]] = linalg.generic {{.*}} ins(%[[CROPPED]], %{{.*}} : tensor<1x1x3xf32>, tensor<1x1x2xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[CONV]], %{{.*}} : tensor<1x1x2xf32>, tensor<1xf32>)
// CHECK: arith.addf
func.func @conv_transpose_1d_crop(%x: tensor<1x1x3xf32>, %w: tensor<1x1x2xf32>, %b: tensor<1xf32>) -> tensor<1x1x2xf32> {
  %0 = onnx.ConvTranspose %x, %w, %b {pads = [2, 0]} : (tensor<1x1x3xf32>, tensor<1x1x2xf32>, tensor<1xf32>) -> tensor<1x1x2xf32>
  return %0 : tensor<1x1x2xf32>
}
