// RUN: fqt-opt %s --fqt-insert-quantizers="dgrad=lbt:4" | FileCheck %s --check-prefix=DGRAD
// RUN: fqt-opt %s --fqt-insert-quantizers="wgrad=lbt:8" | FileCheck %s --check-prefix=WGRAD
// RUN: fqt-opt %s --fqt-insert-quantizers="dgrad=lbt:4 wgrad=lbt:3" | FileCheck %s --check-prefix=BOTH
// RUN: fqt-opt %s --fqt-insert-quantizers="dgrad=lbt:4 shared-grad=true" | FileCheck %s --check-prefix=SHARED
// RUN: fqt-opt %s --fqt-insert-quantizers="mode=integer dgrad=lbt:4 wgrad=lbt:4" | FileCheck %s --check-prefix=INTEGER
// RUN: fqt-opt %s --fqt-insert-quantizers="layer=fc:dgrad=lbt:5" | FileCheck %s --check-prefix=OVERRIDE
// RUN: fqt-opt %s --fqt-insert-quantizers="dgrad=lbt:4 layer=fc:dgrad=psq:4" | FileCheck %s --check-prefix=NOSTATE

// Kim et al.'s interval quantizer keeps its clipping factor gamma per layer
// (and per gradient path) as training state: init returns it uncalibrated
// (0), train_step reads it and returns the next one, grad_step only reads
// it, and the model description lists the new buffers where the signatures
// have them (after the params and state).

#lhs = affine_map<(m, n, k) -> (m, k)>
#rhsT = affine_map<(m, n, k) -> (n, k)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#lhsT = affine_map<(m, n, k) -> (k, m)>
#out = affine_map<(m, n, k) -> (m, n)>
module attributes {fqt.program = #fqt.program<loss = "mse", optimizer = "sgd", lr = 1.000000e-02>} {
func.func @init() -> (tensor<3x4xf32> {fqt.slot = #fqt.slot<param, "w">}) {
  %w = arith.constant dense<1.0> : tensor<3x4xf32>
  return %w : tensor<3x4xf32>
}
func.func @train_step(%w: tensor<3x4xf32> {fqt.slot = #fqt.slot<param, "w">},
                      %x: tensor<5x4xf32> {fqt.slot = #fqt.slot<input, "x">},
                      %step: tensor<i64> {fqt.slot = #fqt.slot<hyper, "step">},
                      %seed: tensor<i64> {fqt.slot = #fqt.slot<hyper, "seed">})
    -> (tensor<f32> {fqt.slot = #fqt.slot<loss, "loss">}, tensor<3x4xf32> {fqt.slot = #fqt.slot<param, "w">}) {
  %c0 = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<5x3xf32>
  %z0 = linalg.fill ins(%c0 : f32) outs(%e0 : tensor<5x3xf32>) -> tensor<5x3xf32>
  %y = linalg.matmul indexing_maps = [#lhs, #rhsT, #out]
      {fqt.product = {grad = -1 : i64, layer = "fc", role = "fwd"}}
      ins(%x, %w : tensor<5x4xf32>, tensor<3x4xf32>) outs(%z0 : tensor<5x3xf32>) -> tensor<5x3xf32>
  %dy = arith.mulf %y, %y : tensor<5x3xf32>
  %e1 = tensor.empty() : tensor<5x4xf32>
  %z1 = linalg.fill ins(%c0 : f32) outs(%e1 : tensor<5x4xf32>) -> tensor<5x4xf32>
  %dx = linalg.matmul {fqt.product = {grad = 0 : i64, layer = "fc", role = "dgrad"}}
      ins(%dy, %w : tensor<5x3xf32>, tensor<3x4xf32>) outs(%z1 : tensor<5x4xf32>) -> tensor<5x4xf32>
  %e2 = tensor.empty() : tensor<3x4xf32>
  %z2 = linalg.fill ins(%c0 : f32) outs(%e2 : tensor<3x4xf32>) -> tensor<3x4xf32>
  %dw = linalg.matmul indexing_maps = [#lhsT, #rhs, #out]
      {fqt.product = {grad = 0 : i64, layer = "fc", role = "wgrad"}}
      ins(%dy, %x : tensor<5x3xf32>, tensor<5x4xf32>) outs(%z2 : tensor<3x4xf32>) -> tensor<3x4xf32>
  %l = arith.constant dense<0.0> : tensor<f32>
  %w2 = arith.subf %w, %dw : tensor<3x4xf32>
  return %l, %w2 : tensor<f32>, tensor<3x4xf32>
}
func.func @grad_step(%w: tensor<3x4xf32> {fqt.slot = #fqt.slot<param, "w">},
                     %x: tensor<5x4xf32> {fqt.slot = #fqt.slot<input, "x">},
                     %dy: tensor<5x3xf32>,
                     %step: tensor<i64> {fqt.slot = #fqt.slot<hyper, "step">},
                     %seed: tensor<i64> {fqt.slot = #fqt.slot<hyper, "seed">})
    -> (tensor<5x4xf32>, tensor<3x4xf32> {fqt.slot = #fqt.slot<grad, "w">}) {
  %c0 = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<5x4xf32>
  %z1 = linalg.fill ins(%c0 : f32) outs(%e1 : tensor<5x4xf32>) -> tensor<5x4xf32>
  %dx = linalg.matmul {fqt.product = {grad = 0 : i64, layer = "fc", role = "dgrad"}}
      ins(%dy, %w : tensor<5x3xf32>, tensor<3x4xf32>) outs(%z1 : tensor<5x4xf32>) -> tensor<5x4xf32>
  %e2 = tensor.empty() : tensor<3x4xf32>
  %z2 = linalg.fill ins(%c0 : f32) outs(%e2 : tensor<3x4xf32>) -> tensor<3x4xf32>
  %dw = linalg.matmul indexing_maps = [#lhsT, #rhs, #out]
      {fqt.product = {grad = 0 : i64, layer = "fc", role = "wgrad"}}
      ins(%dy, %x : tensor<5x3xf32>, tensor<5x4xf32>) outs(%z2 : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %dx, %dw : tensor<5x4xf32>, tensor<3x4xf32>
}
}

// The policy joins the program's configuration for the runtime.
// DGRAD: fqt.program = #fqt.program<loss = "mse", optimizer = "sgd", lr = 1.000000e-02, quantizers = {act = "ptq:8", dgrad = "lbt:4", mode = "simulate", weight = "ptq:8", wgrad = "ptq:8"}>
// DGRAD-LABEL: func.func @init()
// DGRAD-SAME: -> (tensor<3x4xf32> {fqt.slot = #fqt.slot<param, "w">}, tensor<f32> {fqt.slot = #fqt.slot<state, "fc.dgrad.lbt_gamma">})
// DGRAD: %[[UNCAL:.*]] = arith.constant dense<0.000000e+00> : tensor<f32>
// DGRAD: return %{{.*}}, %[[UNCAL]]
// DGRAD-LABEL: func.func @train_step(
// DGRAD-SAME: %{{[^:]*}}: tensor<3x4xf32> {fqt.slot = #fqt.slot<param, "w">}, %[[GAMMA:[^:]*]]: tensor<f32> {fqt.slot = #fqt.slot<state, "fc.dgrad.lbt_gamma">}, %{{[^:]*}}: tensor<5x4xf32> {fqt.slot = #fqt.slot<input
// DGRAD-SAME: -> (tensor<f32> {fqt.slot = #fqt.slot<loss, "loss">}, tensor<3x4xf32> {fqt.slot = #fqt.slot<param, "w">}, tensor<f32> {fqt.slot = #fqt.slot<state, "fc.dgrad.lbt_gamma">})
// Before calibration (state 0) the step quantizes with gamma = 1: min-max.
// DGRAD: %[[RAW:.*]] = tensor.extract %[[GAMMA]][] : tensor<f32>
// DGRAD: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// DGRAD: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// DGRAD: %[[CAL:.*]] = arith.cmpf ogt, %[[RAW]], %[[ZERO]] : f32
// DGRAD: %[[EFF:.*]] = arith.select %[[CAL]], %[[RAW]], %[[ONE]] : f32
// DGRAD: %[[DY:.*]] = arith.mulf
// DGRAD: fqt.quantize %[[DY]] seed(%{{.*}}, %{{.*}}) {quantizer = #fqt.ptq<bits = 8>
// DGRAD: fqt.quantize %[[DY]] seed(%{{.*}}, %{{.*}}) gamma(%[[EFF]]) {quantizer = #fqt.lbt<bits = 4>, stream = {{[0-9]+}} : i64} : tensor<5x3xf32> -> tensor<5x3xi8>, tensor<f32>
// The update reads the unquantized dY: max|g|, then (if it is not 0) the
// calibration loop or one move by the clipped fraction at tau = 1e-3 / 15.
// DGRAD: %[[AMAX:.*]] = linalg.generic {{.*}} ins(%[[DY]] : tensor<5x3xf32>) outs(%{{.*}} : tensor<f32>)
// DGRAD: math.absf
// DGRAD: arith.maximumf
// DGRAD: %[[AMAXV:.*]] = tensor.extract %[[AMAX]][]
// DGRAD: %[[HAS:.*]] = arith.cmpf ogt, %[[AMAXV]], %{{.*}} : f32
// DGRAD: %[[NEXT:.*]] = scf.if %[[HAS]] -> (f32) {
// DGRAD: %[[CALIBRATED:.*]] = arith.cmpf ogt, %[[RAW]], %{{.*}} : f32
// DGRAD: scf.if %[[CALIBRATED]] -> (f32) {
// DGRAD: %[[THR:.*]] = arith.mulf %[[EFF]], %[[AMAXV]] : f32
// DGRAD: linalg.generic {{.*}} ins(%[[DY]] : tensor<5x3xf32>) outs(%{{.*}} : tensor<i64>)
// DGRAD: arith.cmpf ogt, %{{.*}}, %[[THR]] : f32
// DGRAD: arith.constant 1.500000e+01 : f32
// DGRAD: arith.constant 6.66666674E-5 : f32
// DGRAD: arith.constant 1.000000e-03 : f32
// DGRAD: arith.addf %[[RAW]], %{{.*}} : f32
// DGRAD: arith.maximumf %{{.*}}, %{{.*}} : f32
// DGRAD: arith.minimumf
// DGRAD: } else {
// DGRAD: scf.while (%[[G:.*]] = %{{.*}}, %[[M:.*]] = %{{.*}}, %{{.*}} = %{{.*}}) : (f32, f32, i64) -> (f32, f32, i64) {
// DGRAD: arith.mulf %[[G]], %[[AMAXV]] : f32
// DGRAD: arith.constant 9.990000e-01 : f32
// DGRAD: scf.condition
// DGRAD: } else {
// DGRAD-NEXT: scf.yield %[[RAW]] : f32
// DGRAD: %[[NEXTT:.*]] = tensor.from_elements %[[NEXT]] : tensor<f32>
// DGRAD: return %{{.*}}, %{{.*}}, %[[NEXTT]] : tensor<f32>, tensor<3x4xf32>, tensor<f32>
// grad_step reads gamma and returns no state.
// DGRAD-LABEL: func.func @grad_step(
// DGRAD-SAME: %[[GGAMMA:[^:]*]]: tensor<f32> {fqt.slot = #fqt.slot<state, "fc.dgrad.lbt_gamma">}
// DGRAD-SAME: -> (tensor<5x4xf32>, tensor<3x4xf32> {fqt.slot = #fqt.slot<grad, "w">}) {
// DGRAD: tensor.extract %[[GGAMMA]][]
// DGRAD: fqt.quantize %{{.*}} gamma(%{{.*}}) {quantizer = #fqt.lbt<bits = 4>}
// DGRAD-NOT: scf.while
// DGRAD: return

// WGRAD-LABEL: func.func @init(
// WGRAD-SAME: #fqt.slot<state, "fc.wgrad.lbt_gamma">
// WGRAD-LABEL: func.func @train_step(
// WGRAD-SAME: #fqt.slot<state, "fc.wgrad.lbt_gamma">
// WGRAD-DAG: fqt.quantize %{{.*}} gamma(%{{.*}}) {quantizer = #fqt.lbt<bits = 8>
// WGRAD-DAG: fqt.quantize %{{.*}} seed(%{{.*}}, %{{.*}}) {quantizer = #fqt.ptq<bits = 8>
// WGRAD-DAG: arith.constant 3.9215688E-6 : f32
// WGRAD-NOT: dgrad.lbt_gamma

// Two lbt paths: two independent quantizers, two gammas (tau = 1e-3 / 7 for
// the 3-bit one).
// BOTH-LABEL: func.func @train_step(
// BOTH-SAME: %{{[^:]*}}: tensor<f32> {fqt.slot = #fqt.slot<state, "fc.dgrad.lbt_gamma">}, %{{[^:]*}}: tensor<f32> {fqt.slot = #fqt.slot<state, "fc.wgrad.lbt_gamma">}
// BOTH-SAME: -> ({{.*}}, tensor<f32> {fqt.slot = #fqt.slot<state, "fc.dgrad.lbt_gamma">}, tensor<f32> {fqt.slot = #fqt.slot<state, "fc.wgrad.lbt_gamma">})
// BOTH-DAG: fqt.quantize {{.*}} {quantizer = #fqt.lbt<bits = 4>
// BOTH-DAG: fqt.quantize {{.*}} {quantizer = #fqt.lbt<bits = 3>
// BOTH-DAG: arith.constant 1.42857141E-4 : f32
// BOTH: return {{.*}} : tensor<f32>, tensor<3x4xf32>, tensor<f32>, tensor<f32>

// Kim et al.'s arrangement: dY quantized once, one gamma for both products.
// SHARED: quantizers = {act = "ptq:8", dgrad = "lbt:4", mode = "simulate", weight = "ptq:8", wgrad = "lbt:4"}
// SHARED-LABEL: func.func @train_step(
// SHARED-COUNT-1: fqt.quantize {{.*}}lbt
// SHARED-NOT: fqt.quantize {{.*}}lbt
// SHARED-NOT: wgrad.lbt_gamma
// SHARED: return {{.*}} : tensor<f32>, tensor<3x4xf32>, tensor<f32>

// INTEGER-LABEL: func.func @train_step(
// INTEGER: fqt.qmatmul %{{.*}} as #fqt.lbt<bits = 4> scale(%{{.*}}), %{{.*}} as #fqt.weight<bits = 8>
// INTEGER: fqt.qmatmul %{{.*}} as #fqt.lbt<bits = 4> scale(%{{.*}}) transposed, %{{.*}} as #fqt.act<bits = 8>
// INTEGER: return {{.*}} : tensor<f32>, tensor<3x4xf32>, tensor<f32>, tensor<f32>

// OVERRIDE-LABEL: func.func @train_step(
// OVERRIDE-SAME: #fqt.slot<state, "fc.dgrad.lbt_gamma">
// OVERRIDE: fqt.quantize {{.*}} gamma({{.*}}) {quantizer = #fqt.lbt<bits = 5>

// An override back to psq leaves no lbt quantizer, hence no gamma state.
// NOSTATE-NOT: lbt_gamma
// NOSTATE-NOT: #fqt.lbt
