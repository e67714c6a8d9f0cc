// RUN: fqt-opt %s --fqt-build-training | FileCheck %s

// Grouped convolutions: a depthwise one (group 4, 3x3, padded, with bias;
// its input needs no gradient) and one with group 2 (1x1, two input and
// three output channels per group). Each product is one contraction over
// (g, m, n, k) of the group-1 matrices (X's im2col matrix [N*OH*OW,
// C*KH*KW], W as [OC, C/G*KH*KW], dY as [N*OH*OW, OC]) expanded to
// [G, size / G] in their channel dimension, tagged with the groups; the
// backward products read the very expanded matrices of the forward one.

// CHECK-DAG: #[[LHS:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d0, d3)>
// CHECK-DAG: #[[RHST:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d0, d2)>
// CHECK-DAG: #[[RHS:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
// CHECK-DAG: #[[LHST:.*]] = affine_map<(d0, d1, d2, d3) -> (d3, d0, d1)>
// CHECK-DAG: #[[RHSW:.*]] = affine_map<(d0, d1, d2, d3) -> (d3, d0, d2)>
// CHECK-DAG: #[[OUTW:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>

// CHECK-LABEL: func.func @grad_step(
// CHECK-SAME: %[[W:[^:]*]]: tensor<4x1x3x3xf32> {{.*}}, %[[B:[^:]*]]: tensor<4xf32> {{.*}}, %[[V:[^:]*]]: tensor<6x2x1x1xf32>
// Depthwise forward: X [18, 36] as [18, 4, 9], W [4, 9] as [4, 1, 9].
// CHECK: %[[XCOL:.*]] = tensor.expand_shape %{{.*}} output_shape [18, 36]
// CHECK: %[[WMAT:.*]] = tensor.expand_shape %{{.*}} output_shape [4, 9]
// CHECK: %[[X3:.*]] = tensor.expand_shape %[[XCOL]] {{\[}}[0], [1, 2]] output_shape [18, 4, 9] : tensor<18x36xf32> into tensor<18x4x9xf32>
// CHECK: %[[W3:.*]] = tensor.expand_shape %[[WMAT]] {{\[}}[0, 1], [2]] output_shape [4, 1, 9] : tensor<4x9xf32> into tensor<4x1x9xf32>
// CHECK: %[[Y3:.*]] = linalg.generic {indexing_maps = [#[[LHS]], #[[RHST]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[X3]], %[[W3]] : tensor<18x4x9xf32>, tensor<4x1x9xf32>) outs(%{{.*}} : tensor<18x4x1xf32>)
// CHECK-SAME: fqt.product = {grad = -1 : i64, groups = 4 : i64, layer = "dw", role = "fwd"}
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: tensor.collapse_shape %[[Y3]] {{\[}}[0], [1, 2]] : tensor<18x4x1xf32> into tensor<18x4xf32>
// Group 2 forward: X [18, 4] as [18, 2, 2], W [6, 2] as [2, 3, 2].
// CHECK: %[[XCOL2:.*]] = tensor.expand_shape %{{.*}} output_shape [18, 4]
// CHECK: %[[VMAT:.*]] = tensor.expand_shape %{{.*}} output_shape [6, 2]
// CHECK: linalg.generic {indexing_maps = [#[[LHS]], #[[RHST]], #[[OUT]]]
// CHECK-SAME: tensor<18x2x2xf32>, tensor<2x3x2xf32>) outs(%{{.*}} : tensor<18x2x3xf32>)
// CHECK-SAME: fqt.product = {grad = -1 : i64, groups = 2 : i64, layer = "gc", role = "fwd"}
// Group 2 dX = dY W per group: dY [18, 6] as [18, 2, 3].
// CHECK: %[[DY:.*]] = tensor.expand_shape %{{.*}} output_shape [18, 6]
// CHECK: %[[DY3:.*]] = tensor.expand_shape %[[DY]] {{\[}}[0], [1, 2]] output_shape [18, 2, 3]
// CHECK: %[[V3:.*]] = tensor.expand_shape %[[VMAT]] {{\[}}[0, 1], [2]] output_shape [2, 3, 2]
// CHECK: linalg.generic {indexing_maps = [#[[LHS]], #[[RHS]], #[[OUT]]]
// CHECK-SAME: ins(%[[DY3]], %[[V3]] : tensor<18x2x3xf32>, tensor<2x3x2xf32>) outs(%{{.*}} : tensor<18x2x2xf32>)
// CHECK-SAME: fqt.product = {grad = 0 : i64, groups = 2 : i64, layer = "gc", role = "dgrad", samples = 2 : i64}
// Group 2 dW = dY^T X per group, [2, 3, 2] collapsed to W's [6, 2].
// CHECK: %[[DY3B:.*]] = tensor.expand_shape %[[DY]] {{\[}}[0], [1, 2]] output_shape [18, 2, 3]
// CHECK: %[[X3B:.*]] = tensor.expand_shape %[[XCOL2]] {{\[}}[0], [1, 2]] output_shape [18, 2, 2]
// CHECK: %[[DV:.*]] = linalg.generic {indexing_maps = [#[[LHST]], #[[RHSW]], #[[OUTW]]]
// CHECK-SAME: ins(%[[DY3B]], %[[X3B]] : tensor<18x2x3xf32>, tensor<18x2x2xf32>) outs(%{{.*}} : tensor<2x3x2xf32>)
// CHECK-SAME: fqt.product = {grad = 0 : i64, groups = 2 : i64, layer = "gc", role = "wgrad", samples = 2 : i64}
// CHECK: tensor.collapse_shape %[[DV]] {{\[}}[0, 1], [2]] : tensor<2x3x2xf32> into tensor<6x2xf32>
// Depthwise dW only (no dgrad: the input needs no gradient).
// CHECK-NOT: groups = 4 : i64, layer = "dw", role = "dgrad"
// CHECK: linalg.generic {indexing_maps = [#[[LHST]], #[[RHSW]], #[[OUTW]]]
// CHECK-SAME: tensor<18x4x1xf32>, tensor<18x4x9xf32>) outs(%{{.*}} : tensor<4x1x9xf32>)
// CHECK-SAME: fqt.product = {grad = 0 : i64, groups = 4 : i64, layer = "dw", role = "wgrad", samples = 2 : i64}
// CHECK: return

ml_program.global private @w(dense<0.5> : tensor<4x1x3x3xf32>) : tensor<4x1x3x3xf32>
ml_program.global private @b(dense<0.1> : tensor<4xf32>) : tensor<4xf32>
ml_program.global private @v(dense<0.25> : tensor<6x2x1x1xf32>) : tensor<6x2x1x1xf32>
func.func @forward(%x: tensor<2x4x3x3xf32> {onnx.name = "input"}) -> (tensor<2x6xf32> {onnx.name = "logits"}) {
  %w = ml_program.global_load_const @w : tensor<4x1x3x3xf32>
  %b = ml_program.global_load_const @b : tensor<4xf32>
  %v = ml_program.global_load_const @v : tensor<6x2x1x1xf32>
  %none = onnx.NoValue
  %h = onnx.Conv %x, %w, %b {group = 4 : si64, kernel_shape = [3, 3], pads = [1, 1, 1, 1]} : (tensor<2x4x3x3xf32>, tensor<4x1x3x3xf32>, tensor<4xf32>) -> tensor<2x4x3x3xf32> loc("dw")
  %y = onnx.Conv %h, %v, %none {group = 2 : si64, kernel_shape = [1, 1]} : (tensor<2x4x3x3xf32>, tensor<6x2x1x1xf32>, none) -> tensor<2x6x3x3xf32> loc("gc")
  %p = onnx.GlobalAveragePool %y : (tensor<2x6x3x3xf32>) -> tensor<2x6x1x1xf32>
  %f = onnx.Flatten %p : (tensor<2x6x1x1xf32>) -> tensor<2x6xf32>
  return %f : tensor<2x6xf32>
}
