// RUN: fqt-opt %s --split-input-file --fqt-build-training --verify-diagnostics
// RUN: not fqt-opt %s --split-input-file --fqt-build-training="optimizer=rmsprop" 2>&1 | FileCheck %s --check-prefix=OPTIMIZER

// OPTIMIZER: error: unknown optimizer 'rmsprop'; expected sgd, momentum, nesterov, adagrad or adam

ml_program.global private @w(dense<0.5> : tensor<4x4xf32>) : tensor<4x4xf32>
func.func @forward(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %w = ml_program.global_load_const @w : tensor<4x4xf32>
  %a = onnx.MatMul %x, %w : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32>
  // expected-error @+1 {{no gradient rule for 'onnx.Abs'; it lies between a parameter and the loss}}
  %b = onnx.Abs %a : (tensor<3x4xf32>) -> tensor<3x4xf32>
  return %b : tensor<3x4xf32>
}

// -----

ml_program.global private @w(dense<0.5> : tensor<4x4xf32>) : tensor<4x4xf32>
// expected-error @+1 {{training needs static shapes, but the forward function has type '(tensor<?x4xf32>) -> tensor<?x4xf32>'; bind the batch size at import (--batch-size)}}
func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %w = ml_program.global_load_const @w : tensor<4x4xf32>
  %a = onnx.MatMul %x, %w : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  return %a : tensor<?x4xf32>
}

// -----

ml_program.global private @w(dense<0.5> : tensor<4x2x3x3xf32>) : tensor<4x2x3x3xf32>
func.func @forward(%x: tensor<2x4x5x5xf32>) -> tensor<2x4xf32> {
  %w = ml_program.global_load_const @w : tensor<4x2x3x3xf32>
  %none = onnx.NoValue
  // expected-error @+1 {{training does not support grouped convolutions (group = 2)}}
  %y = onnx.Conv %x, %w, %none {group = 2 : si64, kernel_shape = [3, 3], pads = [1, 1, 1, 1]} : (tensor<2x4x5x5xf32>, tensor<4x2x3x3xf32>, none) -> tensor<2x4x5x5xf32>
  %p = onnx.GlobalAveragePool %y : (tensor<2x4x5x5xf32>) -> tensor<2x4x1x1xf32>
  %f = onnx.Flatten %p : (tensor<2x4x1x1xf32>) -> tensor<2x4xf32>
  return %f : tensor<2x4xf32>
}

// -----

ml_program.global private @w(dense<0.5> : tensor<4x4xf32>) : tensor<4x4xf32>
// expected-error @+1 {{softmax-cross-entropy needs [batch, classes] f32 logits as the first result, got 'tensor<3x4x1xf32>'}}
func.func @forward(%x: tensor<3x4xf32>) -> tensor<3x4x1xf32> {
  %w = ml_program.global_load_const @w : tensor<4x4xf32>
  %a = onnx.MatMul %x, %w : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32>
  %s = onnx.Constant {value = dense<[3, 4, 1]> : tensor<3xi64>} : () -> tensor<3xi64>
  %r = onnx.Reshape %a, %s : (tensor<3x4xf32>, tensor<3xi64>) -> tensor<3x4x1xf32>
  return %r : tensor<3x4x1xf32>
}

// -----

// expected-error @+1 {{the model has no trainable float initializers}}
func.func @forward(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %r = onnx.Relu %x : (tensor<3x4xf32>) -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}

// -----

// expected-error @+1 {{no forward function 'forward' to train}}
module {
  func.func @main() {
    return
  }
}
