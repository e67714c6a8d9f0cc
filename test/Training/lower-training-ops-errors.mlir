// RUN: fqt-opt %s --split-input-file --verify-diagnostics --fqt-lower-training-ops

func.func @lists_of_unequal_length(%r: tensor<f32>, %t: tensor<i64>,
                                   %x: tensor<4xf32>, %g: tensor<4xf32>)
    -> tensor<4xf32> {
  // expected-error @+1 {{Momentum: expected X, G and 1 state tensor(s) per parameter, 3 lists of equal length, but got 2 tensors}}
  %0 = onnx.Momentum %r, %t, %x, %g {alpha = 0.9 : f32, beta = 1.0 : f32, mode = "standard", norm_coefficient = 0.0 : f32} : (tensor<f32>, tensor<i64>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @unknown_mode(%r: tensor<f32>, %t: tensor<i64>, %x: tensor<4xf32>,
                        %g: tensor<4xf32>, %v: tensor<4xf32>)
    -> (tensor<4xf32>, tensor<4xf32>) {
  // expected-error @+1 {{Momentum: unknown mode 'heavy-ball'}}
  %0:2 = onnx.Momentum %r, %t, %x, %g, %v {alpha = 0.9 : f32, beta = 1.0 : f32, mode = "heavy-ball", norm_coefficient = 0.0 : f32} : (tensor<f32>, tensor<i64>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  return %0#0, %0#1 : tensor<4xf32>, tensor<4xf32>
}

// -----

func.func @float_step(%r: tensor<f32>, %t: tensor<f32>, %x: tensor<4xf32>,
                      %g: tensor<4xf32>, %h: tensor<4xf32>)
    -> (tensor<4xf32>, tensor<4xf32>) {
  // expected-error @+1 {{Adagrad: the iteration count T must be an i64 scalar}}
  %0:2 = onnx.Adagrad %r, %t, %x, %g, %h : (tensor<f32>, tensor<f32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  return %0#0, %0#1 : tensor<4xf32>, tensor<4xf32>
}

// -----

func.func @integer_xs(%a: tensor<3xi64>, %b: tensor<3xf32>) -> tensor<3xi64> {
  %0 = onnx.Cast %a {to = 1 : si64} : (tensor<3xi64>) -> tensor<3xf32>
  %1 = onnx.Mul %0, %b : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  // expected-error @+1 {{Gradient: xs[0] must be a statically shaped f32 tensor of the output's type, but it is 'tensor<3xi64>'}}
  %2 = onnx.Gradient %a, %1 {xs = ["a"], y = "c"} : (tensor<3xi64>, tensor<3xf32>) -> tensor<3xi64>
  return %2 : tensor<3xi64>
}

// -----

func.func @no_rule(%a: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{no gradient rule}}
  %0 = onnx.Ceil %a : (tensor<3xf32>) -> tensor<3xf32>
  %1 = onnx.Gradient %a, %0 {xs = ["a"], y = "c"} : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %1 : tensor<3xf32>
}
