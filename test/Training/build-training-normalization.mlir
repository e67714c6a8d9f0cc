// RUN: fqt-opt %s --split-input-file --fqt-build-training="loss=mse" | FileCheck %s

// BatchNormalization in training mode on an N x C input: batch statistics,
// the gradient through them, and the running statistics as state.

ml_program.global private @w(dense<0.5> : tensor<3x3xf32>) : tensor<3x3xf32>
ml_program.global private @scale(dense<1.5> : tensor<3xf32>) : tensor<3xf32>
ml_program.global private @bias(dense<0.1> : tensor<3xf32>) : tensor<3xf32>
ml_program.global private @mean(dense<0.0> : tensor<3xf32>) : tensor<3xf32>
ml_program.global private @var(dense<1.0> : tensor<3xf32>) : tensor<3xf32>
func.func @forward(%x: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %w = ml_program.global_load_const @w : tensor<3x3xf32>
  %s = ml_program.global_load_const @scale : tensor<3xf32>
  %b = ml_program.global_load_const @bias : tensor<3xf32>
  %m = ml_program.global_load_const @mean : tensor<3xf32>
  %v = ml_program.global_load_const @var : tensor<3xf32>
  %h = onnx.MatMul %x, %w : (tensor<4x3xf32>, tensor<3x3xf32>) -> tensor<4x3xf32> loc("fc")
  %y, %rm, %rv = onnx.BatchNormalization %h, %s, %b, %m, %v {training_mode = 1 : si64, momentum = 0.75 : f32} : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) loc("bn")
  return %y : tensor<4x3xf32>
}

// The running statistics are state: init returns their weights (the
// initializers' values).
// CHECK-LABEL: func.func @init(
// CHECK-SAME: %[[M:[^:]*]]: tensor<3xf32> {fqt.slot = #fqt.slot<weight, "mean">}, %[[V:[^:]*]]: tensor<3xf32> {fqt.slot = #fqt.slot<weight, "var">})
// CHECK-SAME: tensor<3xf32> {fqt.slot = #fqt.slot<state, "mean">}, tensor<3xf32> {fqt.slot = #fqt.slot<state, "var">})
// CHECK: return {{.*}}, %[[M]], %[[V]] :

// train_step takes and returns them, updated as ONNX's running_mean and
// running_var outputs say: running * momentum + batch * (1 - momentum).
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: %[[RM:[^:]*]]: tensor<3xf32> {fqt.slot = #fqt.slot<state, "mean">}
// CHECK-SAME: %[[RV:[^:]*]]: tensor<3xf32> {fqt.slot = #fqt.slot<state, "var">}
// CHECK-SAME: -> (tensor<f32> {fqt.slot = #fqt.slot<loss, "loss">}, {{.*}}, tensor<3xf32> {fqt.slot = #fqt.slot<state, "mean">}, tensor<3xf32> {fqt.slot = #fqt.slot<state, "var">})
// CHECK: %[[H:[0-9a-zA-Z_]+]] = linalg.matmul {{.*}}layer = "fc", role = "fwd"
// CHECK: onnx.BatchNormalization %[[H]], %{{.*}}, %{{.*}}, %[[RM]], %[[RV]] {momentum = 7.500000e-01 : f32, training_mode = 1 : si64}
// The batch sums times 1/4 (the count) and 1 - momentum.
// CHECK: %[[NEWM:[0-9a-zA-Z_]+]] = linalg.generic {{.*}} ins(%[[RM]], %{{.*}} :
// CHECK: arith.constant 7.500000e-01
// CHECK: arith.constant 6.250000e-02
// CHECK: %[[NEWV:[0-9a-zA-Z_]+]] = linalg.generic {{.*}} ins(%[[RV]], %{{.*}} :
// CHECK: return %{{.*}}, %[[NEWM]], %[[NEWV]] :

// eval_step normalizes with the running statistics (inference mode).
// CHECK-LABEL: func.func @eval_step(
// CHECK-SAME: %[[EM:[^:]*]]: tensor<3xf32> {fqt.slot = #fqt.slot<state, "mean">}
// CHECK-SAME: %[[EV:[^:]*]]: tensor<3xf32> {fqt.slot = #fqt.slot<state, "var">}
// CHECK: onnx.BatchNormalization %{{.*}}, %{{.*}}, %{{.*}}, %[[EM]], %[[EV]] {momentum = 7.500000e-01 : f32} :

// grad_step: the reverse pass. x^ = (x - mean) * r, r = 1/sqrt(var + eps),
// g = dY * scale, dX = r * (g - mean(g) - x^ * mean(g * x^)).
// CHECK-LABEL: func.func @grad_step(
// CHECK-NOT: fqt.slot = #fqt.slot<state
// CHECK-SAME: -> (
// CHECK: %[[H2:[0-9a-zA-Z_]+]] = linalg.matmul {{.*}}layer = "fc", role = "fwd"
// CHECK: onnx.BatchNormalization %[[H2]]
// CHECK: %[[CENTERED:[0-9a-zA-Z_]+]] = linalg.generic {{.*}} ins(%[[H2]], %{{.*}} : tensor<4x3xf32>, tensor<1x3xf32>)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.subf
// CHECK: arith.constant 9.99999974E-6
// CHECK-NEXT: arith.addf
// CHECK-NEXT: math.sqrt
// CHECK: arith.divf
// CHECK: %[[XHAT:[0-9a-zA-Z_]+]] = linalg.generic {{.*}} ins(%[[CENTERED]], %[[R:[0-9a-zA-Z_]+]] :
// CHECK: %[[G:[0-9a-zA-Z_]+]] = linalg.generic {{.*}} ins(%[[DY:[0-9a-zA-Z_]+]], %arg1 : tensor<4x3xf32>, tensor<3xf32>)
// CHECK: %[[DX:[0-9a-zA-Z_]+]] = linalg.generic {{.*}} ins(%[[G]], %[[MG:[0-9a-zA-Z_]+]], %[[XHAT]], %[[MGX:[0-9a-zA-Z_]+]], %[[R]] :
// CHECK-NEXT: ^bb0(%[[A0:[0-9a-zA-Z_]+]]: f32, %[[A1:[0-9a-zA-Z_]+]]: f32, %[[A2:[0-9a-zA-Z_]+]]: f32, %[[A3:[0-9a-zA-Z_]+]]: f32, %[[A4:[0-9a-zA-Z_]+]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[T0:[0-9a-zA-Z_]+]] = arith.subf %[[A0]], %[[A1]]
// CHECK-NEXT: %[[T1:[0-9a-zA-Z_]+]] = arith.mulf %[[A2]], %[[A3]]
// CHECK-NEXT: %[[T2:[0-9a-zA-Z_]+]] = arith.subf %[[T0]], %[[T1]]
// CHECK-NEXT: arith.mulf %[[T2]], %[[A4]]
// dScale = sum over the batch of dY * x^; dBias = sum of dY.
// CHECK: %[[DYX:[0-9a-zA-Z_]+]] = linalg.generic {{.*}} ins(%[[DY]], %[[XHAT]] :
// CHECK: %[[DSCALE:[0-9a-zA-Z_]+]] = linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%[[DYX]] :
// CHECK: %[[DBIAS:[0-9a-zA-Z_]+]] = linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%[[DY]] :
// The weight gradient of the layer before reads dX.
// CHECK: %[[DW:[0-9a-zA-Z_]+]] = linalg.matmul {{.*}}layer = "fc", role = "wgrad"}} ins(%{{.*}}, %[[DX]] :
// CHECK: return %{{.*}}, %[[DW]], %[[DSCALE]], %[[DBIAS]] :

// -----

// BatchNormalization in inference mode on NCHW: fixed statistics, so dX is
// dY * scale / sqrt(var + eps) per channel, with no batch reductions, and
// no state.

ml_program.global private @scale(dense<1.5> : tensor<2xf32>) : tensor<2xf32>
ml_program.global private @bias(dense<0.1> : tensor<2xf32>) : tensor<2xf32>
ml_program.global private @mean(dense<0.2> : tensor<2xf32>) : tensor<2xf32>
ml_program.global private @var(dense<4.0> : tensor<2xf32>) : tensor<2xf32>
func.func @forward(%x: tensor<2x2x3x3xf32>) -> tensor<2x2x3x3xf32> {
  %s = ml_program.global_load_const @scale : tensor<2xf32>
  %b = ml_program.global_load_const @bias : tensor<2xf32>
  %m = ml_program.global_load_const @mean : tensor<2xf32>
  %v = ml_program.global_load_const @var : tensor<2xf32>
  %t = onnx.Tanh %x : (tensor<2x2x3x3xf32>) -> tensor<2x2x3x3xf32>
  %y, %rm, %rv = onnx.BatchNormalization %t, %s, %b, %m, %v {epsilon = 0.5 : f32} : (tensor<2x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<2x2x3x3xf32>, none, none)
  return %y : tensor<2x2x3x3xf32>
}

// CHECK-LABEL: func.func @grad_step(
// CHECK-SAME: %[[S:[^:]*]]: tensor<2xf32> {fqt.slot = #fqt.slot<param, "scale">}
// CHECK-NOT: fqt.slot = #fqt.slot<state
// CHECK-SAME: -> (
// CHECK: %[[MEAN:[0-9a-zA-Z_]+]] = ml_program.global_load_const @mean
// CHECK: %[[VAR:[0-9a-zA-Z_]+]] = ml_program.global_load_const @var
// CHECK: %[[VARC:[0-9a-zA-Z_]+]] = tensor.expand_shape %[[VAR]] {{.*}} into tensor<2x1x1xf32>
// CHECK: %[[R:[0-9a-zA-Z_]+]] = linalg.generic {{.*}} ins(%[[VARC]] :
// CHECK: arith.constant 5.000000e-01
// CHECK: math.sqrt
// CHECK: %[[XHAT:[0-9a-zA-Z_]+]] = linalg.generic
// The input needs no gradient, so the next products are dScale and dBias.
// CHECK: %[[DYX:[0-9a-zA-Z_]+]] = linalg.generic {{.*}} ins(%{{.*}}, %[[XHAT]] :
// CHECK: %[[DSCALE:[0-9a-zA-Z_]+]] = linalg.generic {{.*}} iterator_types = ["reduction", "parallel", "reduction", "reduction"]} ins(%[[DYX]] :
// CHECK: return %{{.*}}, %[[DSCALE]], %{{.*}} :

// -----

// The same with a parameter before it: dX = dY * scale * r.

ml_program.global private @w(dense<0.5> : tensor<2x2x1x1xf32>) : tensor<2x2x1x1xf32>
ml_program.global private @scale(dense<1.5> : tensor<2xf32>) : tensor<2xf32>
ml_program.global private @bias(dense<0.1> : tensor<2xf32>) : tensor<2xf32>
ml_program.global private @mean(dense<0.2> : tensor<2xf32>) : tensor<2xf32>
ml_program.global private @var(dense<4.0> : tensor<2xf32>) : tensor<2xf32>
func.func @forward(%x: tensor<2x2x3x3xf32>) -> tensor<2x2x3x3xf32> {
  %w = ml_program.global_load_const @w : tensor<2x2x1x1xf32>
  %s = ml_program.global_load_const @scale : tensor<2xf32>
  %b = ml_program.global_load_const @bias : tensor<2xf32>
  %m = ml_program.global_load_const @mean : tensor<2xf32>
  %v = ml_program.global_load_const @var : tensor<2xf32>
  %none = onnx.NoValue
  %c = onnx.Conv %x, %w, %none {kernel_shape = [1, 1]} : (tensor<2x2x3x3xf32>, tensor<2x2x1x1xf32>, none) -> tensor<2x2x3x3xf32> loc("conv")
  %y, %rm, %rv = onnx.BatchNormalization %c, %s, %b, %m, %v : (tensor<2x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<2x2x3x3xf32>, none, none)
  return %y : tensor<2x2x3x3xf32>
}

// CHECK-LABEL: func.func @grad_step(
// CHECK-SAME: %[[S:[^:]*]]: tensor<2xf32> {fqt.slot = #fqt.slot<param, "scale">}
// CHECK: %[[SC:[0-9a-zA-Z_]+]] = tensor.expand_shape %[[S]] {{.*}} into tensor<2x1x1xf32>
// CHECK: math.sqrt
// CHECK: %[[DX:[0-9a-zA-Z_]+]] = linalg.generic {{.*}} ins(%{{.*}}, %[[SC]], %[[R:[0-9a-zA-Z_]+]] : tensor<2x2x3x3xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.mulf
// CHECK-NEXT: arith.mulf
// CHECK-NEXT: linalg.yield
// CHECK: linalg.matmul {{.*}}layer = "conv", role = "wgrad"

// -----

// LayerNormalization over the last axis: statistics per row, the same
// gradient formula with means over the normalized axis, and dScale, dB
// summed over the rows.

ml_program.global private @w(dense<0.5> : tensor<4x4xf32>) : tensor<4x4xf32>
ml_program.global private @g(dense<1.5> : tensor<4xf32>) : tensor<4xf32>
ml_program.global private @b(dense<0.1> : tensor<4xf32>) : tensor<4xf32>
func.func @forward(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %w = ml_program.global_load_const @w : tensor<4x4xf32>
  %g = ml_program.global_load_const @g : tensor<4xf32>
  %b = ml_program.global_load_const @b : tensor<4xf32>
  %h = onnx.MatMul %x, %w : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32> loc("fc")
  %y, %mean, %isd = onnx.LayerNormalization %h, %g, %b {axis = -1 : si64, epsilon = 1.0e-3 : f32} : (tensor<3x4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<3x4xf32>, none, none)
  return %y : tensor<3x4xf32>
}

// CHECK-LABEL: func.func @grad_step(
// CHECK-SAME: %[[G:[^:]*]]: tensor<4xf32> {fqt.slot = #fqt.slot<param, "g">}
// CHECK: %[[H:[0-9a-zA-Z_]+]] = linalg.matmul {{.*}}role = "fwd"
// CHECK: onnx.LayerNormalization %[[H]]
// The row means: reductions over the last axis.
// CHECK: %[[SUM:[0-9a-zA-Z_]+]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[H]] : tensor<3x4xf32>)
// CHECK: tensor.expand_shape %[[SUM]] {{.*}} into tensor<3x1xf32>
// CHECK: arith.constant 2.500000e-01
// CHECK: arith.constant 1.000000e-03
// CHECK: math.sqrt
// CHECK: %[[XHAT:[0-9a-zA-Z_]+]] = linalg.generic {{.*}} ins(%{{.*}}, %[[R:[0-9a-zA-Z_]+]] : tensor<3x4xf32>, tensor<3x1xf32>)
// CHECK: %[[SG:[0-9a-zA-Z_]+]] = linalg.generic {{.*}} ins(%[[DY:[0-9a-zA-Z_]+]], %[[G]] : tensor<3x4xf32>, tensor<4xf32>)
// CHECK: %[[DX:[0-9a-zA-Z_]+]] = linalg.generic {{.*}} ins(%[[SG]], %{{.*}}, %[[XHAT]], %{{.*}}, %[[R]] : tensor<3x4xf32>, tensor<3x1xf32>, tensor<3x4xf32>, tensor<3x1xf32>, tensor<3x1xf32>)
// CHECK: %[[DYX:[0-9a-zA-Z_]+]] = linalg.generic {{.*}} ins(%[[DY]], %[[XHAT]] :
// CHECK: %[[DG:[0-9a-zA-Z_]+]] = linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%[[DYX]] : tensor<3x4xf32>) outs(%{{.*}} : tensor<4xf32>)
// CHECK: %[[DB:[0-9a-zA-Z_]+]] = linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%[[DY]] : tensor<3x4xf32>) outs(%{{.*}} : tensor<4xf32>)
// CHECK: %[[DW:[0-9a-zA-Z_]+]] = linalg.matmul {{.*}}role = "wgrad"}} ins(%{{.*}}, %[[DX]] :
// CHECK: return %{{.*}}, %[[DW]], %[[DG]], %[[DB]] :

// -----

// LayerNormalization from axis 1 of a rank-3 tensor: the statistics reduce
// dimensions 1 and 2; Scale [3, 4] and B [4] broadcast over them.

ml_program.global private @g(dense<1.5> : tensor<3x4xf32>) : tensor<3x4xf32>
ml_program.global private @b(dense<0.1> : tensor<4xf32>) : tensor<4xf32>
func.func @forward(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %g = ml_program.global_load_const @g : tensor<3x4xf32>
  %b = ml_program.global_load_const @b : tensor<4xf32>
  %y, %mean, %isd = onnx.LayerNormalization %x, %g, %b {axis = 1 : si64} : (tensor<2x3x4xf32>, tensor<3x4xf32>, tensor<4xf32>) -> (tensor<2x3x4xf32>, none, none)
  return %y : tensor<2x3x4xf32>
}

// CHECK-LABEL: func.func @grad_step(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x3x4xf32> {fqt.slot = #fqt.slot<input
// CHECK: %[[SUM:[0-9a-zA-Z_]+]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "reduction"]} ins(%[[X]] : tensor<2x3x4xf32>)
// CHECK: tensor.expand_shape %[[SUM]] {{.*}} into tensor<2x1x1xf32>
// CHECK: arith.constant 0.0833333358
// CHECK: math.sqrt
// CHECK: %[[XHAT:[0-9a-zA-Z_]+]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<2x3x4xf32>, tensor<2x1x1xf32>)
// CHECK: %[[DYX:[0-9a-zA-Z_]+]] = linalg.generic {{.*}} ins(%[[DY:[0-9a-zA-Z_]+]], %[[XHAT]] :
// CHECK: %[[DG:[0-9a-zA-Z_]+]] = linalg.generic {{.*}} iterator_types = ["reduction", "parallel", "parallel"]} ins(%[[DYX]] : tensor<2x3x4xf32>) outs(%{{.*}} : tensor<3x4xf32>)
// CHECK: %[[DB:[0-9a-zA-Z_]+]] = linalg.generic {{.*}} iterator_types = ["reduction", "reduction", "parallel"]} ins(%[[DY]] : tensor<2x3x4xf32>) outs(%{{.*}} : tensor<4xf32>)
// CHECK: return %{{.*}}, %[[DG]], %[[DB]] :

// -----

// The decomposed LayerNorm of older exports: ReduceMean, Sub, Pow (2),
// ReduceMean, Add, Sqrt, Div; and a ReduceSum with constant axes.

ml_program.global private @w(dense<0.5> : tensor<4x4xf32>) : tensor<4x4xf32>
func.func @forward(%x: tensor<3x4xf32>) -> tensor<3x1xf32> {
  %w = ml_program.global_load_const @w : tensor<4x4xf32>
  %h = onnx.MatMul %x, %w : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32> loc("fc")
  %mu = onnx.ReduceMean %h {axes = [-1]} : (tensor<3x4xf32>) -> tensor<3x1xf32>
  %c = onnx.Sub %h, %mu : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  %two = onnx.Constant {value = dense<2.0> : tensor<f32>} : () -> tensor<f32>
  %sq = onnx.Pow %c, %two : (tensor<3x4xf32>, tensor<f32>) -> tensor<3x4xf32>
  %var = onnx.ReduceMean %sq {axes = [-1]} : (tensor<3x4xf32>) -> tensor<3x1xf32>
  %eps = onnx.Constant {value = dense<1.0e-5> : tensor<f32>} : () -> tensor<f32>
  %ve = onnx.Add %var, %eps : (tensor<3x1xf32>, tensor<f32>) -> tensor<3x1xf32>
  %sd = onnx.Sqrt %ve : (tensor<3x1xf32>) -> tensor<3x1xf32>
  %n = onnx.Div %c, %sd : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  %axes = onnx.Constant {value = dense<[1]> : tensor<1xi64>} : () -> tensor<1xi64>
  %s = onnx.ReduceSum %n, %axes : (tensor<3x4xf32>, tensor<1xi64>) -> tensor<3x1xf32>
  return %s : tensor<3x1xf32>
}

// CHECK-LABEL: func.func @grad_step(
// ReduceSum: dY [3, 1] broadcast back over the reduced axis.
// CHECK: %[[DN:[0-9a-zA-Z_]+]] = linalg.generic {indexing_maps = [#[[BCAST:.*]], #{{.*}}], iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<3x1xf32>) outs(%{{.*}} : tensor<3x4xf32>)
// CHECK-NEXT: ^bb0(%[[IN:[0-9a-zA-Z_]+]]: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[IN]]
// Pow with the constant exponent 2: 2 * x * dY, a product (powf is not
// defined for negative bases).
// CHECK: ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<3x4xf32>, tensor<3x4xf32>, tensor<f32>)
// CHECK-NEXT: ^bb0(%[[D:[0-9a-zA-Z_]+]]: f32, %[[X:[0-9a-zA-Z_]+]]: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[TWO:[0-9a-zA-Z_]+]] = arith.constant 2.000000e+00
// CHECK-NEXT: %[[T:[0-9a-zA-Z_]+]] = arith.mulf %[[X]], %[[TWO]]
// CHECK-NEXT: arith.mulf %[[D]], %[[T]]
// ReduceMean: dY broadcast back, times 1/4.
// CHECK: ins(%{{.*}} : tensor<3x1xf32>) outs(%{{.*}} : tensor<3x4xf32>)
// CHECK: arith.constant 2.500000e-01
// CHECK-NOT: math.powf
// CHECK: linalg.matmul {{.*}}role = "wgrad"
