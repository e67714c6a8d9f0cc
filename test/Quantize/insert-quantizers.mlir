// RUN: fqt-opt %s --split-input-file --fqt-insert-quantizers | FileCheck %s --check-prefix=DEFAULT
// RUN: fqt-opt %s --split-input-file --fqt-insert-quantizers="dgrad=psq:4 wgrad=percol:8" | FileCheck %s --check-prefix=PSQ
// RUN: fqt-opt %s --split-input-file --fqt-insert-quantizers="dgrad=psqz:4 wgrad=percolz:8" | FileCheck %s --check-prefix=PSQZ
// RUN: fqt-opt %s --split-input-file --fqt-insert-quantizers="dgrad=bhq:5 shared-grad=true" | FileCheck %s --check-prefix=SHARED
// RUN: fqt-opt %s --split-input-file --fqt-insert-quantizers="mode=integer dgrad=psq:4" | FileCheck %s --check-prefix=INTEGER
// RUN: fqt-opt %s --split-input-file --fqt-insert-quantizers="act=none weight=none dgrad=none wgrad=none" | FileCheck %s --check-prefix=NONE
// RUN: fqt-opt %s --split-input-file --fqt-insert-quantizers="layer=fc:dgrad=none layer=fc:act=ptq:4" | FileCheck %s --check-prefix=OVERRIDE

// The three products of one linear layer as --fqt-build-training writes
// them: Y = X W^T, dX = dY W, dW = dY^T X.

#lhs = affine_map<(m, n, k) -> (m, k)>
#rhsT = affine_map<(m, n, k) -> (n, k)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#lhsT = affine_map<(m, n, k) -> (k, m)>
#out = affine_map<(m, n, k) -> (m, n)>
func.func @grad_step(%w: tensor<3x4xf32> {fqt.slot = #fqt.slot<param, "w">},
                     %x: tensor<5x4xf32> {fqt.slot = #fqt.slot<input, "x">},
                     %dy: tensor<5x3xf32>,
                     %step: tensor<i64> {fqt.slot = #fqt.slot<hyper, "step">},
                     %seed: tensor<i64> {fqt.slot = #fqt.slot<hyper, "seed">})
    -> (tensor<5x3xf32>, tensor<5x4xf32>, tensor<3x4xf32>) {
  %c0 = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<5x3xf32>
  %z0 = linalg.fill ins(%c0 : f32) outs(%e0 : tensor<5x3xf32>) -> tensor<5x3xf32>
  %y = linalg.matmul indexing_maps = [#lhs, #rhsT, #out]
      {fqt.product = {grad = -1 : i64, layer = "fc", role = "fwd"}}
      ins(%x, %w : tensor<5x4xf32>, tensor<3x4xf32>) outs(%z0 : tensor<5x3xf32>) -> tensor<5x3xf32>
  %e1 = tensor.empty() : tensor<5x4xf32>
  %z1 = linalg.fill ins(%c0 : f32) outs(%e1 : tensor<5x4xf32>) -> tensor<5x4xf32>
  %dx = linalg.matmul {fqt.product = {grad = 0 : i64, layer = "fc", role = "dgrad"}}
      ins(%dy, %w : tensor<5x3xf32>, tensor<3x4xf32>) outs(%z1 : tensor<5x4xf32>) -> tensor<5x4xf32>
  %e2 = tensor.empty() : tensor<3x4xf32>
  %z2 = linalg.fill ins(%c0 : f32) outs(%e2 : tensor<3x4xf32>) -> tensor<3x4xf32>
  %dw = linalg.matmul indexing_maps = [#lhsT, #rhs, #out]
      {fqt.product = {grad = 0 : i64, layer = "fc", role = "wgrad"}}
      ins(%dy, %x : tensor<5x3xf32>, tensor<5x4xf32>) outs(%z2 : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %y, %dx, %dw : tensor<5x3xf32>, tensor<5x4xf32>, tensor<3x4xf32>
}

// Chen et al.'s setup by default: 8-bit forward, 8-bit per-tensor gradients.
// The weight and the activation are quantized once and read by the forward
// and the backward products.
// DEFAULT-LABEL: func.func @grad_step(
// DEFAULT-SAME: %[[W:[^:]*]]: tensor<3x4xf32> {{.*}}, %[[X:[^:]*]]: tensor<5x4xf32> {{.*}}, %[[DY:[^:]*]]: tensor<5x3xf32>, %[[STEP:[^:]*]]: tensor<i64> {{.*}}, %[[SEED:[^:]*]]: tensor<i64>
// DEFAULT-DAG: %[[S:.*]] = tensor.extract %[[SEED]][]
// DEFAULT-DAG: %[[T:.*]] = tensor.extract %[[STEP]][]
// DEFAULT-DAG: %[[WQ:.*]], %[[WS:.*]], %[[WO:.*]] = fqt.quantize %[[W]] {quantizer = #fqt.weight<bits = 8>, stream = {{[0-9]+}} : i64}
// DEFAULT-DAG: %[[WD:.*]] = fqt.dequantize %[[WQ]] scale(%[[WS]], %[[WO]]) {quantizer = #fqt.weight<bits = 8>}
// DEFAULT-DAG: %[[XQ:.*]], %[[XS:.*]], %[[XO:.*]] = fqt.quantize %[[X]] {quantizer = #fqt.act<bits = 8>
// DEFAULT-DAG: %[[XD:.*]] = fqt.dequantize %[[XQ]]
// DEFAULT-DAG: %[[G1:.*]], %{{.*}}, %{{.*}} = fqt.quantize %[[DY]] seed(%[[S]], %[[T]]) {quantizer = #fqt.ptq<bits = 8>, stream = [[DG:[0-9]+]] : i64}
// DEFAULT-DAG: %[[G2:.*]], %{{.*}}, %{{.*}} = fqt.quantize %[[DY]] seed(%[[S]], %[[T]]) {quantizer = #fqt.ptq<bits = 8>, stream = [[WG:[0-9]+]] : i64}
// DEFAULT: linalg.matmul {{.*}} ins(%[[XD]], %[[WD]] :
// DEFAULT: linalg.matmul {{.*}} ins(%{{.*}}, %[[WD]] :
// DEFAULT: linalg.matmul {{.*}} ins(%{{.*}}, %[[XD]] :

// The two gradient paths quantize dY independently, as Chen et al.'s code.
// PSQ-LABEL: func.func @grad_step(
// PSQ-DAG: fqt.quantize %{{.*}} seed(%{{.*}}, %{{.*}}) {quantizer = #fqt.psq<bits = 4>, stream = {{[0-9]+}} : i64} : tensor<5x3xf32> -> tensor<5x3xi8>, tensor<5xf32>, offset tensor<5xf32>
// PSQ-DAG: fqt.quantize %{{.*}} seed(%{{.*}}, %{{.*}}) {quantizer = #fqt.percol<bits = 8>, stream = {{[0-9]+}} : i64} : tensor<5x3xf32> -> tensor<5x3xi8>, tensor<3xf32>, offset tensor<3xf32>

// psqz and percolz: the same quantizers with 0 on each group's grid.
// PSQZ-LABEL: func.func @grad_step(
// PSQZ-DAG: fqt.quantize %{{.*}} seed(%{{.*}}, %{{.*}}) {quantizer = #fqt.psq<bits = 4, zero = snapped>, stream = {{[0-9]+}} : i64} : tensor<5x3xf32> -> tensor<5x3xi8>, tensor<5xf32>, offset tensor<5xf32>
// PSQZ-DAG: fqt.quantize %{{.*}} seed(%{{.*}}, %{{.*}}) {quantizer = #fqt.percol<bits = 8, zero = snapped>, stream = {{[0-9]+}} : i64} : tensor<5x3xf32> -> tensor<5x3xi8>, tensor<3xf32>, offset tensor<3xf32>

// With shared-grad one quantized dY (here BHQ, with its transform) feeds
// both products: only one gradient quantize op.
// SHARED-LABEL: func.func @grad_step(
// SHARED: fqt.quantize %{{.*}} seed({{.*}}) {quantizer = #fqt.bhq<bits = 5>, {{.*}} -> tensor<5x3xi8>, tensor<5xf32>, offset tensor<5xf32>, transform tensor<5x5xf32>
// SHARED-NOT: fqt.quantize {{.*}}bhq

// Integer mode: the products run on the codes.
// INTEGER-LABEL: func.func @grad_step(
// INTEGER-NOT: linalg.matmul
// INTEGER: fqt.qmatmul {{.*}} as #fqt.act<bits = 8> scale({{.*}}), {{.*}} as #fqt.weight<bits = 8> scale({{.*}}) transposed
// INTEGER: fqt.qmatmul {{.*}} as #fqt.psq<bits = 4> scale({{.*}}), {{.*}} as #fqt.weight<bits = 8>
// INTEGER: fqt.qmatmul {{.*}} as #fqt.ptq<bits = 8> scale({{.*}}) transposed, {{.*}} as #fqt.act<bits = 8>
// INTEGER-NOT: linalg.matmul

// NONE-LABEL: func.func @grad_step(
// NONE-NOT: fqt.quantize

// A per-layer override replaces the roles it names only.
// OVERRIDE-LABEL: func.func @grad_step(
// OVERRIDE-DAG: fqt.quantize %{{.*}} {quantizer = #fqt.act<bits = 4>
// OVERRIDE-DAG: fqt.quantize %{{.*}} {quantizer = #fqt.weight<bits = 8>
// OVERRIDE-DAG: fqt.quantize %{{.*}} seed({{.*}}) {quantizer = #fqt.ptq<bits = 8>
// OVERRIDE-NOT: fqt.quantize

// Errors.
// RUN: not fqt-opt %s --split-input-file --fqt-insert-quantizers="mode=integer dgrad=bhq:4 shared-grad=true" 2>&1 | FileCheck %s --check-prefix=ERR-BHQ
// ERR-BHQ: error: bhq cannot quantize the transposed gradient of layer 'fc' (wgrad) in integer mode
// RUN: not fqt-opt %s --fqt-insert-quantizers="mode=fast" 2>&1 | FileCheck %s --check-prefix=ERR-MODE
// ERR-MODE: error: unknown mode 'fast'; expected simulate or integer
// RUN: not fqt-opt %s --fqt-insert-quantizers="layer=fc:bias=none" 2>&1 | FileCheck %s --check-prefix=ERR-OVERRIDE
// ERR-OVERRIDE: error: malformed layer override 'fc:bias=none'; expected NODE:ROLE=QUANTIZER
// RUN: not fqt-opt %s --fqt-insert-quantizers="act=psq:8" 2>&1 | FileCheck %s --check-prefix=ERR-ACT
// ERR-ACT: error: quantizer 'psq:8' cannot be used for act: the forward roles take none, ptq:B (per tensor) or blk:B/S
// RUN: not fqt-opt %s --fqt-insert-quantizers="dgrad=weight:8" 2>&1 | FileCheck %s --check-prefix=ERR-FWD
// ERR-FWD: error: quantizer 'weight:8' is a forward quantizer; dgrad takes ptq, psq, psqz, bhq, percol, percolz, lbt, blk or rht
