// Errors of the block quantizer specs.
// RUN: not fqt-opt %s --fqt-insert-quantizers="dgrad=rht:4/32" 2>&1 | FileCheck %s --check-prefix=ERR-ODD
// ERR-ODD: error: rht cannot transform the reduction of layer 'fc' (dgrad): no power of two >= 2 divides its 3 values; use blk
// RUN: not fqt-opt %s --fqt-insert-quantizers="dgrad=psq:4/32" 2>&1 | FileCheck %s --check-prefix=ERR-SIZE
// ERR-SIZE: error: malformed quantizer 'psq:4/32' for dgrad; expected none, KIND:BITS with KIND one of ptq, psq, psqz, bhq, percol, percolz, lbt, or KIND:BITS/SIZE with KIND blk or rht
// RUN: not fqt-opt %s --fqt-insert-quantizers="dgrad=blk:4/" 2>&1 | FileCheck %s --check-prefix=ERR-EMPTY
// ERR-EMPTY: error: malformed quantizer 'blk:4/' for dgrad
// RUN: not fqt-opt %s --fqt-insert-quantizers="act=rht:4/32" 2>&1 | FileCheck %s --check-prefix=ERR-ACT
// ERR-ACT: error: quantizer 'rht:4/32' cannot be used for act: the forward roles take none, ptq:B (per tensor) or blk:B/S
// RUN: not fqt-opt %s --fqt-insert-quantizers="wgrad=blk:1/32" 2>&1 | FileCheck %s --check-prefix=ERR-BITS
// ERR-BITS: error: invalid quantizer 'blk:1/32' for wgrad: #fqt.blk bits must be in [2, 8], got 1

#lhs = affine_map<(m, n, k) -> (m, k)>
#rhsT = affine_map<(m, n, k) -> (n, k)>
#out = affine_map<(m, n, k) -> (m, n)>
func.func @grad_step(%w: tensor<3x4xf32> {fqt.slot = #fqt.slot<param, "w">},
                     %dy: tensor<5x3xf32>,
                     %step: tensor<i64> {fqt.slot = #fqt.slot<hyper, "step">},
                     %seed: tensor<i64> {fqt.slot = #fqt.slot<hyper, "seed">})
    -> tensor<5x4xf32> {
  %c0 = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<5x4xf32>
  %z1 = linalg.fill ins(%c0 : f32) outs(%e1 : tensor<5x4xf32>) -> tensor<5x4xf32>
  %dx = linalg.matmul {fqt.product = {grad = 0 : i64, layer = "fc", role = "dgrad"}}
      ins(%dy, %w : tensor<5x3xf32>, tensor<3x4xf32>) outs(%z1 : tensor<5x4xf32>) -> tensor<5x4xf32>
  return %dx : tensor<5x4xf32>
}
