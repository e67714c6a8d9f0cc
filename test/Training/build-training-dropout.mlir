// PyTorch's training-mode exports give every Dropout training_mode = true,
// also for a ratio of 0; such a Dropout is the identity, and so is its
// gradient. A Dropout that drops in training mode has no gradient rule.
// RUN: fqt-opt %s --split-input-file --fqt-build-training --verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @train_step(
// CHECK: onnx.Dropout
ml_program.global private @w(dense<0.5> : tensor<4x4xf32>) : tensor<4x4xf32>
func.func @forward(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %w = ml_program.global_load_const @w : tensor<4x4xf32>
  %a = onnx.MatMul %x, %w : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32>
  %ratio = onnx.Constant {value = dense<0.0> : tensor<f32>} : () -> tensor<f32>
  %training = onnx.Constant {value = dense<true> : tensor<i1>} : () -> tensor<i1>
  %b, %mask = onnx.Dropout %a, %ratio, %training : (tensor<3x4xf32>, tensor<f32>, tensor<i1>) -> (tensor<3x4xf32>, none)
  return %b : tensor<3x4xf32>
}

// -----

ml_program.global private @w(dense<0.5> : tensor<4x4xf32>) : tensor<4x4xf32>
func.func @forward(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %w = ml_program.global_load_const @w : tensor<4x4xf32>
  %a = onnx.MatMul %x, %w : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32>
  %ratio = onnx.Constant {value = dense<0.1> : tensor<f32>} : () -> tensor<f32>
  %training = onnx.Constant {value = dense<true> : tensor<i1>} : () -> tensor<i1>
  // expected-error @+1 {{training through Dropout with a training_mode input and a ratio other than a constant 0 is not supported}}
  %b, %mask = onnx.Dropout %a, %ratio, %training : (tensor<3x4xf32>, tensor<f32>, tensor<i1>) -> (tensor<3x4xf32>, none)
  return %b : tensor<3x4xf32>
}
