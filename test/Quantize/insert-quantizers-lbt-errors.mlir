// RUN: fqt-opt %s --split-input-file --verify-diagnostics --fqt-insert-quantizers="dgrad=lbt:4"
// RUN: not fqt-opt %s --split-input-file --fqt-insert-quantizers="act=lbt:4" 2>&1 | FileCheck %s --check-prefix=ERR-ACT
// RUN: not fqt-opt %s --split-input-file --fqt-insert-quantizers="weight=lbt:4" 2>&1 | FileCheck %s --check-prefix=ERR-WEIGHT
// RUN: not fqt-opt %s --split-input-file --fqt-insert-quantizers="dgrad=lbt:1" 2>&1 | FileCheck %s --check-prefix=ERR-BITS
// RUN: not fqt-opt %s --split-input-file --fqt-insert-quantizers="layer=fc:wgrad=lbt:9" 2>&1 | FileCheck %s --check-prefix=ERR-OVERRIDE

// ERR-ACT: error: quantizer 'lbt:4' cannot be used for act: the forward roles take none, ptq:B (per tensor) or blk:B/S
// ERR-WEIGHT: error: quantizer 'lbt:4' cannot be used for weight
// ERR-BITS: error: invalid quantizer 'lbt:1' for dgrad: #fqt.lbt bits must be in [2, 8], got 1
// ERR-OVERRIDE: error: invalid quantizer 'lbt:9' for wgrad: #fqt.lbt bits must be in [2, 8], got 9

// The gamma state is named after the layer, and the model description the
// runtime reads separates fields by whitespace.
func.func @train_step(%w: tensor<3x4xf32> {fqt.slot = #fqt.slot<param, "w">},
                      %dy: tensor<5x3xf32>,
                      %step: tensor<i64> {fqt.slot = #fqt.slot<hyper, "step">},
                      %seed: tensor<i64> {fqt.slot = #fqt.slot<hyper, "seed">})
    -> (tensor<5x4xf32>, tensor<3x4xf32> {fqt.slot = #fqt.slot<param, "w">}) {
  %c0 = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<5x4xf32>
  %z1 = linalg.fill ins(%c0 : f32) outs(%e1 : tensor<5x4xf32>) -> tensor<5x4xf32>
  // expected-error @below {{lbt keeps a clipping factor per layer, named after the layer, but layer 'my fc' contains whitespace}}
  %dx = linalg.matmul {fqt.product = {grad = 0 : i64, layer = "my fc", role = "dgrad"}}
      ins(%dy, %w : tensor<5x3xf32>, tensor<3x4xf32>) outs(%z1 : tensor<5x4xf32>) -> tensor<5x4xf32>
  return %dx, %w : tensor<5x4xf32>, tensor<3x4xf32>
}

// -----

// Stochastic rounding needs the step's seed and step.
func.func @train_step(%w: tensor<3x4xf32> {fqt.slot = #fqt.slot<param, "w">},
                      %dy: tensor<5x3xf32>)
    -> (tensor<5x4xf32>, tensor<3x4xf32> {fqt.slot = #fqt.slot<param, "w">}) {
  %c0 = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<5x4xf32>
  %z1 = linalg.fill ins(%c0 : f32) outs(%e1 : tensor<5x4xf32>) -> tensor<5x4xf32>
  // expected-error @below {{#fqt.lbt<bits = 4> rounds stochastically, but function 'train_step' has no seed/step arguments}}
  %dx = linalg.matmul {fqt.product = {grad = 0 : i64, layer = "fc", role = "dgrad"}}
      ins(%dy, %w : tensor<5x3xf32>, tensor<3x4xf32>) outs(%z1 : tensor<5x4xf32>) -> tensor<5x4xf32>
  return %dx, %w : tensor<5x4xf32>, tensor<3x4xf32>
}
