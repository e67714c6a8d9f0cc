// RUN: fqt-opt %s --split-input-file --fqt-build-training --verify-diagnostics
// RUN: not fqt-opt %s --split-input-file --fqt-build-training="optimizer=rmsprop" 2>&1 | FileCheck %s --check-prefix=OPTIMIZER

// OPTIMIZER: error: unknown optimizer 'rmsprop'; expected sgd, momentum, nesterov, adagrad or adam

ml_program.global private @w(dense<0.5> : tensor<4x4xf32>) : tensor<4x4xf32>
func.func @forward(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %w = ml_program.global_load_const @w : tensor<4x4xf32>
  %a = onnx.MatMul %x, %w : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32>
  // expected-error @+1 {{no gradient rule for 'onnx.Ceil'; it lies between a parameter and the loss}}
  %b = onnx.Ceil %a : (tensor<3x4xf32>) -> tensor<3x4xf32>
  return %b : tensor<3x4xf32>
}

// -----

// Clip's bounds are scalars in ONNX; a per-column bound is refused.
ml_program.global private @w(dense<0.5> : tensor<4x4xf32>) : tensor<4x4xf32>
func.func @forward(%x: tensor<3x4xf32>, %lo: tensor<4xf32>) -> tensor<3x4xf32> {
  %w = ml_program.global_load_const @w : tensor<4x4xf32>
  %a = onnx.MatMul %x, %w : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32>
  %none = onnx.NoValue
  // expected-error @+1 {{training supports Clip with scalar min and max only}}
  %b = onnx.Clip %a, %lo, %none : (tensor<3x4xf32>, tensor<4xf32>, none) -> tensor<3x4xf32>
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

// A grouped convolution whose weight has the wrong number of input channels
// per group (4 / 2 = 2, not 1).
ml_program.global private @w(dense<0.5> : tensor<4x1x3x3xf32>) : tensor<4x1x3x3xf32>
func.func @forward(%x: tensor<2x4x5x5xf32>) -> tensor<2x4xf32> {
  %w = ml_program.global_load_const @w : tensor<4x1x3x3xf32>
  %none = onnx.NoValue
  // expected-error @+1 {{convolution with group = 2 needs input channels (4) and output channels (4) divisible by the group and a weight of [OC, C / group, KH, KW], got 'tensor<4x1x3x3xf32>'}}
  %y = onnx.Conv %x, %w, %none {group = 2 : si64, kernel_shape = [3, 3], pads = [1, 1, 1, 1]} : (tensor<2x4x5x5xf32>, tensor<4x1x3x3xf32>, none) -> tensor<2x4x5x5xf32>
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

// -----

ml_program.global private @w(dense<0.5> : tensor<4x6xf32>) : tensor<4x6xf32>
func.func @forward(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %w = ml_program.global_load_const @w : tensor<4x6xf32>
  %h = onnx.MatMul %x, %w : (tensor<2x4xf32>, tensor<4x6xf32>) -> tensor<2x6xf32>
  %start = onnx.Constant {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %end = onnx.Constant {value = dense<-100> : tensor<1xi64>} : () -> tensor<1xi64>
  %axis = onnx.Constant {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %step = onnx.Constant {value = dense<-2> : tensor<1xi64>} : () -> tensor<1xi64>
  // expected-error @+1 {{training does not support Slice with a negative step}}
  %s = onnx.Slice %h, %start, %end, %axis, %step : (tensor<2x6xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3xf32>
  return %s : tensor<2x3xf32>
}

// -----

ml_program.global private @w(dense<0.5> : tensor<4x4xf32>) : tensor<4x4xf32>
ml_program.global private @p(dense<2.0> : tensor<f32>) : tensor<f32>
func.func @forward(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %w = ml_program.global_load_const @w : tensor<4x4xf32>
  %p = ml_program.global_load_const @p : tensor<f32>
  %a = onnx.MatMul %x, %w : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32>
  // expected-error @+1 {{training does not support Pow with an exponent that depends on a parameter}}
  %b = onnx.Pow %a, %p : (tensor<3x4xf32>, tensor<f32>) -> tensor<3x4xf32>
  return %b : tensor<3x4xf32>
}

// -----

ml_program.global private @s(dense<1.0> : tensor<3xf32>) : tensor<3xf32>
ml_program.global private @b(dense<0.0> : tensor<3xf32>) : tensor<3xf32>
func.func @forward(%x: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %s = ml_program.global_load_const @s : tensor<3xf32>
  %b = ml_program.global_load_const @b : tensor<3xf32>
  %m = onnx.Constant {value = dense<0.0> : tensor<3xf32>} : () -> tensor<3xf32>
  // expected-error @+1 {{training-mode BatchNormalization needs its running mean and variance to be initializers}}
  %y, %rm, %rv = onnx.BatchNormalization %x, %s, %b, %m, %m {training_mode = 1 : si64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %y : tensor<4x3xf32>
}

// -----

ml_program.global private @s(dense<1.0> : tensor<3xf32>) : tensor<3xf32>
ml_program.global private @b(dense<0.0> : tensor<3xf32>) : tensor<3xf32>
ml_program.global private @m(dense<0.0> : tensor<3xf32>) : tensor<3xf32>
ml_program.global private @v(dense<1.0> : tensor<3xf32>) : tensor<3xf32>
func.func @forward(%x: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %s = ml_program.global_load_const @s : tensor<3xf32>
  %b = ml_program.global_load_const @b : tensor<3xf32>
  %m = ml_program.global_load_const @m : tensor<3xf32>
  %v = ml_program.global_load_const @v : tensor<3xf32>
  %y, %rm, %rv = onnx.BatchNormalization %x, %s, %b, %m, %v {training_mode = 1 : si64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  // expected-error @+1 {{running statistic 'm' is shared by two BatchNormalizations}}
  %z, %rm2, %rv2 = onnx.BatchNormalization %y, %s, %b, %m, %v {training_mode = 1 : si64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %z : tensor<4x3xf32>
}

// -----

ml_program.global private @w(dense<0.5> : tensor<4x4xf32>) : tensor<4x4xf32>
func.func @forward(%x: tensor<3x4xf32>, %n: tensor<1xi64>) -> tensor<3x2xf32> {
  %w = ml_program.global_load_const @w : tensor<4x4xf32>
  %a = onnx.MatMul %x, %w : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32>
  %zero = onnx.Constant {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %axis = onnx.Constant {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %none = onnx.NoValue
  // expected-error @+1 {{training needs static shapes, but this op's result has type 'tensor<3x?xf32>'}}
  %s = onnx.Slice %a, %zero, %n, %axis, %none : (tensor<3x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<3x?xf32>
  %c = onnx.Constant {value = dense<[3, 2]> : tensor<2xi64>} : () -> tensor<2xi64>
  %r = onnx.Reshape %s, %c : (tensor<3x?xf32>, tensor<2xi64>) -> tensor<3x2xf32>
  return %r : tensor<3x2xf32>
}

// -----

ml_program.global private @w(dense<0.5> : tensor<4x4xf32>) : tensor<4x4xf32>
func.func @forward(%x: tensor<3x4xf32>, %axes: tensor<1xi64>) -> tensor<3x1xf32> {
  %w = ml_program.global_load_const @w : tensor<4x4xf32>
  %a = onnx.MatMul %x, %w : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32>
  // expected-error @+1 {{training needs ReduceSum's axes to be a constant}}
  %s = onnx.ReduceSum %a, %axes : (tensor<3x4xf32>, tensor<1xi64>) -> tensor<3x1xf32>
  return %s : tensor<3x1xf32>
}

// -----

ml_program.global private @g(dense<1.0> : tensor<4xf32>) : tensor<4xf32>
func.func @forward(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %g = ml_program.global_load_const @g : tensor<4xf32>
  %none = onnx.NoValue
  // expected-error @+1 {{training does not support gradients through LayerNormalization's Mean and InvStdDev outputs}}
  %y, %mean, %isd = onnx.LayerNormalization %x, %g, %none : (tensor<3x4xf32>, tensor<4xf32>, none) -> (tensor<3x4xf32>, tensor<3x1xf32>, none)
  %z = onnx.Add %y, %mean : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  return %z : tensor<3x4xf32>
}

// -----

ml_program.global private @w(dense<0.5> : tensor<4xf32>) : tensor<4xf32>
func.func @forward(%x: tensor<3x4xf32>) -> tensor<3x1xf32> {
  %w = ml_program.global_load_const @w : tensor<4xf32>
  // expected-error @+1 {{training supports MatMul of static tensors of rank >= 2 only}}
  %a = onnx.MatMul %x, %w : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3xf32>
  %c = onnx.Constant {value = dense<[3, 1]> : tensor<2xi64>} : () -> tensor<2xi64>
  %r = onnx.Reshape %a, %c : (tensor<3xf32>, tensor<2xi64>) -> tensor<3x1xf32>
  return %r : tensor<3x1xf32>
}
