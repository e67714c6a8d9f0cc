// RUN: fqt-opt %s --split-input-file --fqt-lower-training-ops | FileCheck %s
// RUN: fqt-opt %s --split-input-file --fqt-lower-training-ops --fqt-convert-onnx-to-linalg | FileCheck %s --check-prefix=LOWERED

// Standard momentum: V' = alpha V + (T > 0 ? beta : 1) G, X' = X - R V'.
// CHECK-LABEL: func.func @momentum
// CHECK-NOT: onnx.Momentum
// CHECK: linalg.generic
// CHECK: arith.cmpi sgt
// CHECK: arith.select
// CHECK: linalg.generic
// CHECK: arith.subf
// CHECK: return
func.func @momentum(%r: tensor<f32>, %t: tensor<i64>, %x: tensor<4xf32>,
                    %g: tensor<4xf32>, %v: tensor<4xf32>)
    -> (tensor<4xf32>, tensor<4xf32>) {
  %0:2 = onnx.Momentum %r, %t, %x, %g, %v {alpha = 0.9 : f32, beta = 1.0 : f32, mode = "standard", norm_coefficient = 0.0 : f32} : (tensor<f32>, tensor<i64>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  return %0#0, %0#1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// Two parameters: X1, X2, G1, G2, H1, H2 -> X1', X2', H1', H2'.
// CHECK-LABEL: func.func @adagrad_two
// CHECK-COUNT-4: linalg.generic
// CHECK-NOT: onnx.Adagrad
func.func @adagrad_two(%r: tensor<f32>, %t: tensor<i64>, %x1: tensor<2xf32>,
                       %x2: tensor<3xf32>, %g1: tensor<2xf32>,
                       %g2: tensor<3xf32>, %h1: tensor<2xf32>,
                       %h2: tensor<3xf32>)
    -> (tensor<2xf32>, tensor<3xf32>, tensor<2xf32>, tensor<3xf32>) {
  %0:4 = onnx.Adagrad %r, %t, %x1, %x2, %g1, %g2, %h1, %h2 {decay_factor = 0.1 : f32, epsilon = 1.0e-6 : f32, norm_coefficient = 0.0 : f32} : (tensor<f32>, tensor<i64>, tensor<2xf32>, tensor<3xf32>, tensor<2xf32>, tensor<3xf32>, tensor<2xf32>, tensor<3xf32>) -> (tensor<2xf32>, tensor<3xf32>, tensor<2xf32>, tensor<3xf32>)
  return %0#0, %0#1, %0#2, %0#3 : tensor<2xf32>, tensor<3xf32>, tensor<2xf32>, tensor<3xf32>
}

// -----

// Adam's norm_coefficient_post scales the updated parameter by 1 - 0.5.
// CHECK-LABEL: func.func @adam_post
// CHECK: %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK: math.powf
// CHECK: arith.mulf %[[HALF]]
func.func @adam_post(%r: tensor<f32>, %t: tensor<i64>, %x: tensor<4xf32>,
                     %g: tensor<4xf32>, %v: tensor<4xf32>, %h: tensor<4xf32>)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0:3 = onnx.Adam %r, %t, %x, %g, %v, %h {norm_coefficient_post = 0.5 : f32} : (tensor<f32>, tensor<i64>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return %0#0, %0#1, %0#2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// d(sum(a * b + a))/da = b + 1 and /db = a, from the reverse pass; the
// temporary function holding the differentiated sub-graph is gone.
// CHECK-LABEL: func.func @gradient
// CHECK-NOT: onnx.Gradient
// CHECK: return
// CHECK-NOT: __fqt_gradient_subgraph
// LOWERED-LABEL: func.func @gradient
// LOWERED-NOT: onnx.
// LOWERED: return
func.func @gradient(%a: tensor<3xf32>, %b: tensor<3xf32>)
    -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) {
  %0 = onnx.Mul %a, %b : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %1 = onnx.Add %0, %a : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %2:2 = onnx.Gradient %a, %b, %1 {xs = ["a", "b"], y = "c"} : (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>)
  return %1, %2#0, %2#1 : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>
}
