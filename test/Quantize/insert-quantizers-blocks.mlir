// RUN: fqt-opt %s --split-input-file --fqt-insert-quantizers="mode=integer dgrad=blk:4/4 wgrad=blk:4/8" | FileCheck %s --check-prefix=BLK
// RUN: fqt-opt %s --split-input-file --fqt-insert-quantizers="mode=integer dgrad=rht:4/4 wgrad=rht:4/32" | FileCheck %s --check-prefix=RHT
// RUN: fqt-opt %s --split-input-file --fqt-insert-quantizers="mode=integer act=blk:8/8 weight=blk:8/16" | FileCheck %s --check-prefix=FWD

// The block quantizers on the three products of one linear layer: each
// block runs along the reduction of the product that reads the codes.

#lhs = affine_map<(m, n, k) -> (m, k)>
#rhsT = affine_map<(m, n, k) -> (n, k)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#lhsT = affine_map<(m, n, k) -> (k, m)>
#out = affine_map<(m, n, k) -> (m, n)>
func.func @grad_step(%w: tensor<4x16xf32> {fqt.slot = #fqt.slot<param, "w">},
                     %x: tensor<8x16xf32> {fqt.slot = #fqt.slot<input, "x">},
                     %dy: tensor<8x4xf32>,
                     %step: tensor<i64> {fqt.slot = #fqt.slot<hyper, "step">},
                     %seed: tensor<i64> {fqt.slot = #fqt.slot<hyper, "seed">})
    -> (tensor<8x4xf32>, tensor<8x16xf32>, tensor<4x16xf32>) {
  %c0 = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<8x4xf32>
  %z0 = linalg.fill ins(%c0 : f32) outs(%e0 : tensor<8x4xf32>) -> tensor<8x4xf32>
  %y = linalg.matmul indexing_maps = [#lhs, #rhsT, #out]
      {fqt.product = {grad = -1 : i64, layer = "fc", role = "fwd"}}
      ins(%x, %w : tensor<8x16xf32>, tensor<4x16xf32>) outs(%z0 : tensor<8x4xf32>) -> tensor<8x4xf32>
  %e1 = tensor.empty() : tensor<8x16xf32>
  %z1 = linalg.fill ins(%c0 : f32) outs(%e1 : tensor<8x16xf32>) -> tensor<8x16xf32>
  %dx = linalg.matmul {fqt.product = {grad = 0 : i64, layer = "fc", role = "dgrad"}}
      ins(%dy, %w : tensor<8x4xf32>, tensor<4x16xf32>) outs(%z1 : tensor<8x16xf32>) -> tensor<8x16xf32>
  %e2 = tensor.empty() : tensor<4x16xf32>
  %z2 = linalg.fill ins(%c0 : f32) outs(%e2 : tensor<4x16xf32>) -> tensor<4x16xf32>
  %dw = linalg.matmul indexing_maps = [#lhsT, #rhs, #out]
      {fqt.product = {grad = 0 : i64, layer = "fc", role = "wgrad"}}
      ins(%dy, %x : tensor<8x4xf32>, tensor<8x16xf32>) outs(%z2 : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %y, %dx, %dw : tensor<8x4xf32>, tensor<8x16xf32>, tensor<4x16xf32>
}

// dX = dY W: dY's blocks run along its columns (axis 1); dW = dY^T X: along
// its rows (axis 0).
// BLK-LABEL: func.func @grad_step(
// BLK-DAG: %[[G1:.*]], %[[G1S:.*]] = fqt.quantize %{{.*}} seed({{.*}}) {quantizer = #fqt.blk<bits = 4, size = 4, axis = 1>, stream = {{[0-9]+}} : i64} : tensor<8x4xf32> -> tensor<8x4xi8>, tensor<8x1xf32>
// BLK-DAG: %[[G2:.*]], %[[G2S:.*]] = fqt.quantize %{{.*}} seed({{.*}}) {quantizer = #fqt.blk<bits = 4, size = 8, axis = 0>, stream = {{[0-9]+}} : i64} : tensor<8x4xf32> -> tensor<8x4xi8>, tensor<1x4xf32>
// BLK: fqt.qmatmul %[[G1]] as #fqt.blk<bits = 4, size = 4, axis = 1> scale(%[[G1S]]), %{{.*}} as #fqt.weight<bits = 8>
// BLK: fqt.qmatmul %[[G2]] as #fqt.blk<bits = 4, size = 8, axis = 0> scale(%[[G2S]]) transposed, %{{.*}} as #fqt.act<bits = 8>

// rht: dY and the product's other operand, from its quantized forward value,
// transformed with the same signs along the reduction. dW's reduction has 8
// values, so its transform has 8 (not 32).
// RHT-LABEL: func.func @grad_step(
// RHT-DAG: %[[WD:.*]] = fqt.dequantize {{.*}} {quantizer = #fqt.weight<bits = 8>}
// RHT-DAG: %[[XD:.*]] = fqt.dequantize {{.*}} {quantizer = #fqt.act<bits = 8>}
// RHT-DAG: %[[G1:.*]], %{{.*}}, %{{.*}} = fqt.quantize %{{.*}} seed({{.*}}) {quantizer = #fqt.rht<bits = 4, size = 4, axis = 1, signs = [[S1:[0-9]+]]>, {{.*}} -> tensor<8x4xi8>, tensor<8x1xf32>, transform tensor<4xf32>
// RHT-DAG: %[[P1:.*]], %{{.*}}, %{{.*}} = fqt.quantize %[[WD]] seed({{.*}}) {quantizer = #fqt.rht<bits = 8, size = 4, axis = 0, signs = [[S1]]>, {{.*}} -> tensor<4x16xi8>, tensor<1x16xf32>, transform tensor<4xf32>
// RHT-DAG: %[[G2:.*]], %{{.*}}, %{{.*}} = fqt.quantize %{{.*}} seed({{.*}}) {quantizer = #fqt.rht<bits = 4, size = 8, axis = 0, signs = [[S2:[0-9]+]]>, {{.*}} -> tensor<8x4xi8>, tensor<1x4xf32>, transform tensor<8xf32>
// RHT-DAG: %[[P2:.*]], %{{.*}}, %{{.*}} = fqt.quantize %[[XD]] seed({{.*}}) {quantizer = #fqt.rht<bits = 8, size = 8, axis = 0, signs = [[S2]]>, {{.*}} -> tensor<8x16xi8>, tensor<1x16xf32>, transform tensor<8xf32>
// RHT: fqt.qmatmul %[[G1]] as #fqt.rht<bits = 4, size = 4, axis = 1, signs = [[S1]]> scale(%{{.*}}), %[[P1]] as #fqt.rht<bits = 8, size = 4, axis = 0, signs = [[S1]]>
// RHT: fqt.qmatmul %[[G2]] as #fqt.rht<bits = 4, size = 8, axis = 0, signs = [[S2]]> scale(%{{.*}}) transposed, %[[P2]] as #fqt.rht<bits = 8, size = 8, axis = 0, signs = [[S2]]>

// Forward roles: X and W quantized once, blocked along the forward
// product's reduction (their columns), rounded to nearest; the backward
// products read the same codes (their blocks then run across those
// products' reductions, which the integer lowering leaves to simulate).
// FWD-LABEL: func.func @grad_step(
// FWD-DAG: %[[XQ:.*]], %[[XS:.*]] = fqt.quantize %{{.*}} {quantizer = #fqt.blk<bits = 8, size = 8, axis = 1, rounding = nearest>{{.*}}} : tensor<8x16xf32> -> tensor<8x16xi8>, tensor<8x2xf32>
// FWD-DAG: %[[WQ:.*]], %[[WS:.*]] = fqt.quantize %{{.*}} {quantizer = #fqt.blk<bits = 8, size = 16, axis = 1, rounding = nearest>{{.*}}} : tensor<4x16xf32> -> tensor<4x16xi8>, tensor<4x1xf32>
// FWD-NOT: quantizer = #fqt.blk
// FWD: fqt.qmatmul %[[XQ]] {{.*}}, %[[WQ]] {{.*}} transposed
// FWD: fqt.qmatmul %{{.*}} as #fqt.ptq<bits = 8> {{.*}}, %[[WQ]]
// FWD: fqt.qmatmul %{{.*}} as #fqt.ptq<bits = 8> {{.*}} transposed, %[[XQ]]
