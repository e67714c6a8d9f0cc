// RUN: fqt-opt %s --split-input-file --fqt-insert-quantizers="mode=integer dgrad=bhq:5" -verify-diagnostics | FileCheck %s

// The dgrad product of a convolution as --fqt-build-training writes it: dY
// is the [N*OH*OW, OC] matrix (here 4 samples of 3 positions) and the tag
// says how many samples its rows hold. BHQ groups whole samples: a 4 x 4
// transform, not 12 x 12.

// CHECK-LABEL: func.func @conv_dgrad(
// CHECK: %[[Q:.*]], %[[S:.*]], %[[O:.*]], %[[T:.*]] = fqt.quantize %{{.*}} seed({{.*}}) {quantizer = #fqt.bhq<bits = 5>{{.*}}} : tensor<12x5xf32> -> tensor<12x5xi8>, tensor<4xf32>, offset tensor<4xf32>, transform tensor<4x4xf32>
// CHECK: fqt.qmatmul %[[Q]] as #fqt.bhq<bits = 5> scale(%[[S]], %[[O]]) transform(%[[T]]),
func.func @conv_dgrad(%w: tensor<5x6xf32> {fqt.slot = #fqt.slot<param, "w">},
                      %dy: tensor<12x5xf32>,
                      %step: tensor<i64> {fqt.slot = #fqt.slot<hyper, "step">},
                      %seed: tensor<i64> {fqt.slot = #fqt.slot<hyper, "seed">}) -> tensor<12x6xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<12x6xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<12x6xf32>) -> tensor<12x6xf32>
  %dx = linalg.matmul {fqt.product = {grad = 0 : i64, layer = "conv", role = "dgrad", samples = 4 : i64}}
      ins(%dy, %w : tensor<12x5xf32>, tensor<5x6xf32>) outs(%z : tensor<12x6xf32>) -> tensor<12x6xf32>
  return %dx : tensor<12x6xf32>
}

// -----

// Without the tag every row is a sample.
// CHECK-LABEL: func.func @linear_dgrad(
// CHECK: fqt.quantize {{.*}} transform tensor<12x12xf32>
func.func @linear_dgrad(%w: tensor<5x6xf32> {fqt.slot = #fqt.slot<param, "w">},
                        %dy: tensor<12x5xf32>,
                        %step: tensor<i64> {fqt.slot = #fqt.slot<hyper, "step">},
                        %seed: tensor<i64> {fqt.slot = #fqt.slot<hyper, "seed">}) -> tensor<12x6xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<12x6xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<12x6xf32>) -> tensor<12x6xf32>
  %dx = linalg.matmul {fqt.product = {grad = 0 : i64, layer = "fc", role = "dgrad"}}
      ins(%dy, %w : tensor<12x5xf32>, tensor<5x6xf32>) outs(%z : tensor<12x6xf32>) -> tensor<12x6xf32>
  return %dx : tensor<12x6xf32>
}

// -----

// Two samples are too few to group, however many rows they hold.
func.func @two_samples(%w: tensor<5x6xf32> {fqt.slot = #fqt.slot<param, "w">},
                       %dy: tensor<12x5xf32>,
                       %step: tensor<i64> {fqt.slot = #fqt.slot<hyper, "step">},
                       %seed: tensor<i64> {fqt.slot = #fqt.slot<hyper, "seed">}) -> tensor<12x6xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<12x6xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<12x6xf32>) -> tensor<12x6xf32>
  // expected-error @below {{#fqt.bhq<bits = 5> needs at least 3 rows (samples) to group, but the gradient has 2; use a larger batch or psq}}
  %dx = linalg.matmul {fqt.product = {grad = 0 : i64, layer = "conv", role = "dgrad", samples = 2 : i64}}
      ins(%dy, %w : tensor<12x5xf32>, tensor<5x6xf32>) outs(%z : tensor<12x6xf32>) -> tensor<12x6xf32>
  return %dx : tensor<12x6xf32>
}

// -----

func.func @samples_not_dividing(%w: tensor<5x6xf32> {fqt.slot = #fqt.slot<param, "w">},
                                %dy: tensor<12x5xf32>,
                                %step: tensor<i64> {fqt.slot = #fqt.slot<hyper, "step">},
                                %seed: tensor<i64> {fqt.slot = #fqt.slot<hyper, "seed">}) -> tensor<12x6xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<12x6xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<12x6xf32>) -> tensor<12x6xf32>
  // expected-error @below {{fqt.product samples 5 does not divide the rows of the gradient}}
  %dx = linalg.matmul {fqt.product = {grad = 0 : i64, layer = "conv", role = "dgrad", samples = 5 : i64}}
      ins(%dy, %w : tensor<12x5xf32>, tensor<5x6xf32>) outs(%z : tensor<12x6xf32>) -> tensor<12x6xf32>
  return %dx : tensor<12x6xf32>
}
