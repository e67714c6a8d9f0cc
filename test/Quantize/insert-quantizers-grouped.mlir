// RUN: fqt-opt %s --split-input-file --fqt-insert-quantizers="dgrad=psq:4 wgrad=percol:8" | FileCheck %s --check-prefix=SIM
// RUN: fqt-opt %s --split-input-file --fqt-insert-quantizers="mode=integer dgrad=psq:4 wgrad=percol:8" | FileCheck %s --check-prefix=INT
// RUN: fqt-opt %s --split-input-file --fqt-insert-quantizers="mode=integer dgrad=bhq:4" | FileCheck %s --check-prefix=BHQ

// The three products of a convolution with group 2 as --fqt-build-training
// writes them (1x1 kernel, C = OC = 4, N = 4 samples of 1x2 outputs): the
// group-1 matrices X [8, 4] (im2col), W [4, 2] and dY [8, 4], expanded to
// [.., 2 groups, ..] in their channel dimension, and one contraction over
// (g, m, n, k) per product.

#x = affine_map<(g, m, n, k) -> (m, g, k)>
#wT = affine_map<(g, m, n, k) -> (g, n, k)>
#w = affine_map<(g, m, n, k) -> (g, k, n)>
#dyT = affine_map<(g, m, n, k) -> (k, g, m)>
#xn = affine_map<(g, m, n, k) -> (k, g, n)>
#out = affine_map<(g, m, n, k) -> (m, g, n)>
#outw = affine_map<(g, m, n, k) -> (g, m, n)>
func.func @grad_step(%w: tensor<4x2xf32> {fqt.slot = #fqt.slot<param, "w">},
                     %x: tensor<8x4xf32> {fqt.slot = #fqt.slot<input, "x">},
                     %dy: tensor<8x4xf32>,
                     %step: tensor<i64> {fqt.slot = #fqt.slot<hyper, "step">},
                     %seed: tensor<i64> {fqt.slot = #fqt.slot<hyper, "seed">})
    -> (tensor<8x4xf32>, tensor<8x4xf32>, tensor<4x2xf32>) {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x2x2xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<8x2x2xf32>) -> tensor<8x2x2xf32>
  %ew = tensor.empty() : tensor<2x2x2xf32>
  %zw = linalg.fill ins(%c0 : f32) outs(%ew : tensor<2x2x2xf32>) -> tensor<2x2x2xf32>

  %x3 = tensor.expand_shape %x [[0], [1, 2]] output_shape [8, 2, 2] : tensor<8x4xf32> into tensor<8x2x2xf32>
  %w3 = tensor.expand_shape %w [[0, 1], [2]] output_shape [2, 2, 2] : tensor<4x2xf32> into tensor<2x2x2xf32>
  %y3 = linalg.generic {indexing_maps = [#x, #wT, #out], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x3, %w3 : tensor<8x2x2xf32>, tensor<2x2x2xf32>) outs(%z : tensor<8x2x2xf32>)
      attrs = {fqt.product = {grad = -1 : i64, groups = 2 : i64, layer = "gc", role = "fwd"}} {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x2x2xf32>
  %y = tensor.collapse_shape %y3 [[0], [1, 2]] : tensor<8x2x2xf32> into tensor<8x4xf32>

  %dy3 = tensor.expand_shape %dy [[0], [1, 2]] output_shape [8, 2, 2] : tensor<8x4xf32> into tensor<8x2x2xf32>
  %w3b = tensor.expand_shape %w [[0, 1], [2]] output_shape [2, 2, 2] : tensor<4x2xf32> into tensor<2x2x2xf32>
  %dx3 = linalg.generic {indexing_maps = [#x, #w, #out], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%dy3, %w3b : tensor<8x2x2xf32>, tensor<2x2x2xf32>) outs(%z : tensor<8x2x2xf32>)
      attrs = {fqt.product = {grad = 0 : i64, groups = 2 : i64, layer = "gc", role = "dgrad", samples = 4 : i64}} {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x2x2xf32>
  %dx = tensor.collapse_shape %dx3 [[0], [1, 2]] : tensor<8x2x2xf32> into tensor<8x4xf32>

  %dy3b = tensor.expand_shape %dy [[0], [1, 2]] output_shape [8, 2, 2] : tensor<8x4xf32> into tensor<8x2x2xf32>
  %x3b = tensor.expand_shape %x [[0], [1, 2]] output_shape [8, 2, 2] : tensor<8x4xf32> into tensor<8x2x2xf32>
  %dw3 = linalg.generic {indexing_maps = [#dyT, #xn, #outw], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%dy3b, %x3b : tensor<8x2x2xf32>, tensor<8x2x2xf32>) outs(%zw : tensor<2x2x2xf32>)
      attrs = {fqt.product = {grad = 0 : i64, groups = 2 : i64, layer = "gc", role = "wgrad", samples = 4 : i64}} {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x2x2xf32>
  %dw = tensor.collapse_shape %dw3 [[0, 1], [2]] : tensor<2x2x2xf32> into tensor<4x2xf32>
  return %y, %dx, %dw : tensor<8x4xf32>, tensor<8x4xf32>, tensor<4x2xf32>
}

// Simulate: the quantizers see the 2-D matrices, as for group 1 (X and W
// quantized once for all three products, dY per sample on the dgrad path
// and per column on the wgrad path); each grouped contraction reads the
// dequantized matrix split the same way.
// SIM-LABEL: func.func @grad_step(
// SIM-SAME: %[[W:[^:]*]]: tensor<4x2xf32> {{.*}}, %[[X:[^:]*]]: tensor<8x4xf32> {{.*}}, %[[DY:[^:]*]]: tensor<8x4xf32>
// SIM-DAG: %[[WQ:.*]], %[[WS:.*]], %[[WO:.*]] = fqt.quantize %[[W]] {quantizer = #fqt.weight<bits = 8>{{.*}} : tensor<4x2xf32> -> tensor<4x2xi8>, tensor<f32>
// SIM-DAG: %[[WD:.*]] = fqt.dequantize %[[WQ]]
// SIM-DAG: %[[XQ:.*]], %{{.*}}, %{{.*}} = fqt.quantize %[[X]] {quantizer = #fqt.act<bits = 8>{{.*}} : tensor<8x4xf32> -> tensor<8x4xi8>, tensor<f32>
// SIM-DAG: %[[XD:.*]] = fqt.dequantize %[[XQ]]
// SIM-DAG: %[[G1:.*]], %{{.*}}, %{{.*}} = fqt.quantize %[[DY]] seed({{.*}}) {quantizer = #fqt.psq<bits = 4>{{.*}} : tensor<8x4xf32> -> tensor<8x4xi8>, tensor<4xf32>, offset tensor<4xf32>
// SIM-DAG: %[[G1D:.*]] = fqt.dequantize %[[G1]]
// SIM-DAG: %[[G2:.*]], %{{.*}}, %{{.*}} = fqt.quantize %[[DY]] seed({{.*}}) {quantizer = #fqt.percol<bits = 8>{{.*}} : tensor<8x4xf32> -> tensor<8x4xi8>, tensor<4xf32>, offset tensor<4xf32>
// SIM-DAG: %[[G2D:.*]] = fqt.dequantize %[[G2]]
// SIM-DAG: %[[X3:.*]] = tensor.expand_shape %[[XD]] {{\[}}[0], [1, 2]]
// SIM-DAG: %[[W3:.*]] = tensor.expand_shape %[[WD]] {{\[}}[0, 1], [2]]
// SIM: linalg.generic {{.*}} ins(%[[X3]], %[[W3]] : {{.*}}) {{.*}} role = "fwd"
// SIM: %[[DY3:.*]] = tensor.expand_shape %[[G1D]] {{\[}}[0], [1, 2]]
// SIM: %[[W3B:.*]] = tensor.expand_shape %[[WD]] {{\[}}[0, 1], [2]]
// SIM: linalg.generic {{.*}} ins(%[[DY3]], %[[W3B]] : {{.*}}) {{.*}} role = "dgrad"
// SIM: %[[DY3B:.*]] = tensor.expand_shape %[[G2D]] {{\[}}[0], [1, 2]]
// SIM: %[[X3B:.*]] = tensor.expand_shape %[[XD]] {{\[}}[0], [1, 2]]
// SIM: linalg.generic {{.*}} ins(%[[DY3B]], %[[X3B]] : {{.*}}) {{.*}} role = "wgrad"
// SIM-NOT: fqt.qmatmul

// Integer: a loop over the groups of fqt.qmatmul on each group's block of
// the codes; per-tensor and per-sample scales serve every group, the
// per-column scales of the wgrad path are cut per group; the block of the
// result is inserted into the 2-D result the contraction's users read.
// INT-LABEL: func.func @grad_step(
// INT-DAG: %[[C2:.*]] = arith.constant 2 : index
// INT-DAG: %[[WQ:.*]], %[[WS:.*]], %[[WO:.*]] = fqt.quantize {{.*}} -> tensor<4x2xi8>, tensor<f32>, offset tensor<f32>
// INT-DAG: %[[XQ:.*]], %[[XS:.*]], %[[XO:.*]] = fqt.quantize {{.*}}#fqt.act<bits = 8>{{.*}} -> tensor<8x4xi8>, tensor<f32>, offset tensor<f32>
// INT-DAG: %[[G1:.*]], %[[G1S:.*]], %[[G1O:.*]] = fqt.quantize {{.*}}#fqt.psq<bits = 4>{{.*}} -> tensor<8x4xi8>, tensor<4xf32>, offset tensor<4xf32>
// INT-DAG: %[[G2:.*]], %[[G2S:.*]], %[[G2O:.*]] = fqt.quantize {{.*}}#fqt.percol<bits = 8>{{.*}} -> tensor<8x4xi8>, tensor<4xf32>, offset tensor<4xf32>
// INT: %[[Y:.*]] = scf.for %[[G:.*]] = %{{.*}} to %[[C2]] step %{{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (tensor<8x4xf32>)
// INT: %[[XB:.*]] = tensor.extract_slice %[[XQ]][0, %{{.*}}] [8, 2] [1, 1] : tensor<8x4xi8> to tensor<8x2xi8>
// INT: %[[WB:.*]] = tensor.extract_slice %[[WQ]][%{{.*}}, 0] [2, 2] [1, 1] : tensor<4x2xi8> to tensor<2x2xi8>
// INT: %[[P:.*]] = fqt.qmatmul %[[XB]] as #fqt.act<bits = 8> scale(%[[XS]], %[[XO]]), %[[WB]] as #fqt.weight<bits = 8> scale(%[[WS]], %[[WO]]) transposed {fqt.product = {{.*}}role = "fwd"{{.*}}} : {{.*}} -> tensor<8x2xf32>
// INT: %[[NEXT:.*]] = tensor.insert_slice %[[P]] into %[[ACC]][0, %{{.*}}] [8, 2] [1, 1]
// INT: scf.yield %[[NEXT]]
// INT: %[[DX:.*]] = scf.for
// INT: %[[GB:.*]] = tensor.extract_slice %[[G1]][0, %{{.*}}] [8, 2] [1, 1]
// INT: %[[WB2:.*]] = tensor.extract_slice %[[WQ]][%{{.*}}, 0] [2, 2] [1, 1]
// INT: fqt.qmatmul %[[GB]] as #fqt.psq<bits = 4> scale(%[[G1S]], %[[G1O]]), %[[WB2]] as #fqt.weight<bits = 8> scale(%[[WS]], %[[WO]]) {fqt.product = {{.*}}role = "dgrad"
// INT-SAME: (tensor<8x2xi8>, tensor<4xf32>, tensor<4xf32>, tensor<2x2xi8>, tensor<f32>, tensor<f32>) -> tensor<8x2xf32>
// INT: tensor.insert_slice {{.*}}[0, %{{.*}}] [8, 2] [1, 1] : tensor<8x2xf32> into tensor<8x4xf32>
// INT: %[[DW:.*]] = scf.for {{.*}} -> (tensor<4x2xf32>)
// INT: %[[GB2:.*]] = tensor.extract_slice %[[G2]][0, %{{.*}}] [8, 2] [1, 1]
// INT: %[[GS2:.*]] = tensor.extract_slice %[[G2S]][%{{.*}}] [2] [1] : tensor<4xf32> to tensor<2xf32>
// INT: %[[GO2:.*]] = tensor.extract_slice %[[G2O]][%{{.*}}] [2] [1] : tensor<4xf32> to tensor<2xf32>
// INT: %[[XB2:.*]] = tensor.extract_slice %[[XQ]][0, %{{.*}}] [8, 2] [1, 1]
// INT: fqt.qmatmul %[[GB2]] as #fqt.percol<bits = 8> scale(%[[GS2]], %[[GO2]]) transposed, %[[XB2]] as #fqt.act<bits = 8> scale(%[[XS]], %[[XO]]) {fqt.product = {{.*}}role = "wgrad"
// INT: tensor.insert_slice {{.*}}[%{{.*}}, 0] [2, 2] [1, 1] : tensor<2x2xf32> into tensor<4x2xf32>
// INT: return %[[Y]], %[[DX]], %[[DW]]
// INT-NOT: linalg.generic

// BHQ on the dgrad path: the transform rotates rows (whole samples), which
// the groups do not split; each group's product undoes it on its rows.
// BHQ-LABEL: func.func @grad_step(
// BHQ: %[[G:.*]], %[[GS:.*]], %[[GO:.*]], %[[T:.*]] = fqt.quantize {{.*}}#fqt.bhq<bits = 4>{{.*}} -> tensor<8x4xi8>, tensor<4xf32>, offset tensor<4xf32>, transform tensor<4x4xf32>
// BHQ: scf.for
// BHQ: %[[GB:.*]] = tensor.extract_slice %[[G]][0, %{{.*}}] [8, 2] [1, 1]
// BHQ: fqt.qmatmul %[[GB]] as #fqt.bhq<bits = 4> scale(%[[GS]], %[[GO]]) transform(%[[T]]), {{.*}}role = "dgrad"
