// Round trip (print, parse, print) of a representative set of onnx ops:
// absent optional inputs as onnx.NoValue, optional outputs typed none,
// variadic operands and results, defaulted and explicit attributes.
// RUN: fqt-opt %s --split-input-file | fqt-opt --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @gemm_no_c
// CHECK: %[[NONE:.*]] = onnx.NoValue
// CHECK: onnx.Gemm %{{.*}}, %{{.*}}, %[[NONE]] {beta = 5.000000e-01 : f32, transB = 1 : si64}
// CHECK-SAME: : (tensor<8x4xf32>, tensor<16x4xf32>, none) -> tensor<8x16xf32>
func.func @gemm_no_c(%a: tensor<8x4xf32>, %b: tensor<16x4xf32>) -> tensor<8x16xf32> {
  %none = onnx.NoValue
  %y = onnx.Gemm %a, %b, %none {beta = 0.5 : f32, transB = 1 : si64}
      : (tensor<8x4xf32>, tensor<16x4xf32>, none) -> tensor<8x16xf32>
  return %y : tensor<8x16xf32>
}

// -----

// Attributes equal to the schema default are elided when printed.
// CHECK-LABEL: func.func @gemm_with_c
// CHECK-SAME: (%[[A:.*]]: tensor<8x4xf32>, %[[B:.*]]: tensor<4x16xf32>, %[[C:.*]]: tensor<16xf32>)
// CHECK: onnx.Gemm %[[A]], %[[B]], %[[C]] : (tensor<8x4xf32>, tensor<4x16xf32>, tensor<16xf32>) -> tensor<8x16xf32>
func.func @gemm_with_c(%a: tensor<8x4xf32>, %b: tensor<4x16xf32>, %c: tensor<16xf32>) -> tensor<8x16xf32> {
  %y = onnx.Gemm %a, %b, %c {alpha = 1.0 : f32, transA = 0 : si64}
      : (tensor<8x4xf32>, tensor<4x16xf32>, tensor<16xf32>) -> tensor<8x16xf32>
  return %y : tensor<8x16xf32>
}

// -----

// CHECK-LABEL: func.func @conv
// CHECK: onnx.Conv %{{.*}}, %{{.*}}, %{{.*}} {dilations = [1, 1], kernel_shape = [3, 3], pads = [1, 1, 1, 1], strides = [2, 2]}
// CHECK-SAME: : (tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>) -> tensor<1x16x16x16xf32>
// CHECK: onnx.Conv {{.*}} {auto_pad = "SAME_UPPER", kernel_shape = [3, 3]} : (tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32>, none) -> tensor<1x16x32x32xf32>
func.func @conv(%x: tensor<1x3x32x32xf32>, %w: tensor<16x3x3x3xf32>, %b: tensor<16xf32>)
    -> (tensor<1x16x16x16xf32>, tensor<1x16x32x32xf32>) {
  %y = onnx.Conv %x, %w, %b {dilations = [1, 1], group = 1 : si64, kernel_shape = [3, 3],
                             pads = [1, 1, 1, 1], strides = [2, 2]}
      : (tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>) -> tensor<1x16x16x16xf32>
  %none = onnx.NoValue
  %z = onnx.Conv %x, %w, %none {auto_pad = "SAME_UPPER", kernel_shape = [3, 3]}
      : (tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32>, none) -> tensor<1x16x32x32xf32>
  return %y, %z : tensor<1x16x16x16xf32>, tensor<1x16x32x32xf32>
}

// -----

// CHECK-LABEL: func.func @slice
// CHECK: %[[NONE:.*]] = onnx.NoValue
// CHECK: onnx.Slice %{{.*}}, %{{.*}}, %{{.*}}, %[[NONE]], %[[NONE]] : (tensor<8x16xf32>, tensor<1xi64>, tensor<1xi64>, none, none) -> tensor<4x16xf32>
// CHECK: onnx.Slice %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[NONE]] : (tensor<8x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<8x4xf32>
func.func @slice(%x: tensor<8x16xf32>, %starts: tensor<1xi64>, %ends: tensor<1xi64>,
                 %axes: tensor<1xi64>) -> (tensor<4x16xf32>, tensor<8x4xf32>) {
  %none = onnx.NoValue
  %y = onnx.Slice %x, %starts, %ends, %none, %none
      : (tensor<8x16xf32>, tensor<1xi64>, tensor<1xi64>, none, none) -> tensor<4x16xf32>
  %z = onnx.Slice %x, %starts, %ends, %axes, %none
      : (tensor<8x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<8x4xf32>
  return %y, %z : tensor<4x16xf32>, tensor<8x4xf32>
}

// -----

// Inference: the optional running statistics are not requested (none).
// Training: all three outputs.
// CHECK-LABEL: func.func @batch_normalization
// CHECK: %[[Y:.*]], %{{.*}}, %{{.*}} = onnx.BatchNormalization {{.*}} {epsilon = 1.000000e-03 : f32}
// CHECK-SAME: -> (tensor<2x3x4x4xf32>, none, none)
// CHECK: onnx.BatchNormalization {{.*}} {momentum = 5.000000e-01 : f32, training_mode = 1 : si64}
// CHECK-SAME: -> (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>)
func.func @batch_normalization(%x: tensor<2x3x4x4xf32>, %scale: tensor<3xf32>, %b: tensor<3xf32>,
                               %mean: tensor<3xf32>, %var: tensor<3xf32>)
    -> (tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>) {
  %y, %rm0, %rv0 = onnx.BatchNormalization %x, %scale, %b, %mean, %var {epsilon = 1.0e-3 : f32}
      : (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>)
      -> (tensor<2x3x4x4xf32>, none, none)
  %t, %rm, %rv = onnx.BatchNormalization %x, %scale, %b, %mean, %var
      {momentum = 0.5 : f32, training_mode = 1 : si64}
      : (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>)
      -> (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>)
  return %y, %t, %rm, %rv : tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>
}

// -----

// CHECK-LABEL: func.func @dropout
// CHECK: %[[NONE:.*]] = onnx.NoValue
// CHECK: onnx.Dropout %{{.*}}, %[[NONE]], %[[NONE]] {seed = 7 : si64} : (tensor<8x4xf32>, none, none) -> (tensor<8x4xf32>, none)
// CHECK: onnx.Dropout %{{.*}}, %{{.*}}, %{{.*}} : (tensor<8x4xf32>, tensor<f32>, tensor<i1>) -> (tensor<8x4xf32>, tensor<8x4xi1>)
func.func @dropout(%x: tensor<8x4xf32>, %ratio: tensor<f32>, %training: tensor<i1>)
    -> (tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xi1>) {
  %none = onnx.NoValue
  %y, %unused = onnx.Dropout %x, %none, %none {seed = 7 : si64}
      : (tensor<8x4xf32>, none, none) -> (tensor<8x4xf32>, none)
  %z, %mask = onnx.Dropout %x, %ratio, %training
      : (tensor<8x4xf32>, tensor<f32>, tensor<i1>) -> (tensor<8x4xf32>, tensor<8x4xi1>)
  return %y, %z, %mask : tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xi1>
}

// -----

// CHECK-LABEL: func.func @concat_split
// CHECK: %[[CAT:.*]] = onnx.Concat %{{.*}}, %{{.*}}, %{{.*}} {axis = 1 : si64} : (tensor<2x3xf32>, tensor<2x4xf32>, tensor<2x5xf32>) -> tensor<2x12xf32>
// CHECK: onnx.Concat %{{.*}} {axis = 0 : si64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: onnx.Split %[[CAT]], %{{.*}} {axis = 1 : si64} : (tensor<2x12xf32>, tensor<2xi64>) -> (tensor<2x5xf32>, tensor<2x7xf32>)
func.func @concat_split(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>, %c: tensor<2x5xf32>, %sizes: tensor<2xi64>)
    -> (tensor<2x3xf32>, tensor<2x5xf32>, tensor<2x7xf32>) {
  %cat = onnx.Concat %a, %b, %c {axis = 1 : si64}
      : (tensor<2x3xf32>, tensor<2x4xf32>, tensor<2x5xf32>) -> tensor<2x12xf32>
  %one = onnx.Concat %a {axis = 0 : si64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %s0, %s1 = onnx.Split %cat, %sizes {axis = 1 : si64}
      : (tensor<2x12xf32>, tensor<2xi64>) -> (tensor<2x5xf32>, tensor<2x7xf32>)
  return %one, %s0, %s1 : tensor<2x3xf32>, tensor<2x5xf32>, tensor<2x7xf32>
}

// -----

// CHECK-LABEL: func.func @constant
// CHECK: onnx.Constant {value = dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
// CHECK: onnx.Constant {value = dense<[2, 3]> : tensor<2xi64>} : () -> tensor<2xi64>
// CHECK: onnx.Constant {value_ints = [4, 5]} : () -> tensor<2xi64>
// CHECK: onnx.ConstantOfShape %{{.*}} {value = dense<0.000000e+00> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<2x3xf32>
func.func @constant() -> (tensor<2x2xf32>, tensor<2xi64>, tensor<2x3xf32>) {
  %w = onnx.Constant {value = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
  %shape = onnx.Constant {value = dense<[2, 3]> : tensor<2xi64>} : () -> tensor<2xi64>
  %ints = onnx.Constant {value_ints = [4, 5]} : () -> tensor<2xi64>
  %zeros = onnx.ConstantOfShape %shape {value = dense<0.0> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<2x3xf32>
  return %w, %ints, %zeros : tensor<2x2xf32>, tensor<2xi64>, tensor<2x3xf32>
}

// -----

// A small MLP training step's loss: attributes of every kind (si64, f32, str,
// i64 array), dynamic shapes.
// CHECK-LABEL: func.func @mlp_loss
// CHECK: onnx.MatMul
// CHECK: onnx.Add
// CHECK: onnx.Relu
// CHECK: onnx.LeakyRelu {{.*}} {alpha = 2.000000e-01 : f32}
// CHECK: onnx.Reshape {{.*}} : (tensor<?x16xf32>, tensor<2xi64>) -> tensor<?x16xf32>
// CHECK: onnx.Transpose {{.*}} {perm = [1, 0]}
// CHECK: onnx.ReduceMean {{.*}} {axes = [1], keepdims = 0 : si64}
// CHECK: onnx.Cast {{.*}} {to = 7 : si64} : (tensor<?xi32>) -> tensor<?xi64>
// CHECK: onnx.SoftmaxCrossEntropyLoss {{.*}} {reduction = "sum"} : (tensor<?x16xf32>, tensor<?xi64>, none) -> (tensor<f32>, none)
func.func @mlp_loss(%x: tensor<?x8xf32>, %w: tensor<8x16xf32>, %b: tensor<16xf32>,
                    %labels: tensor<?xi32>, %shape: tensor<2xi64>)
    -> (tensor<f32>, tensor<?xf32>, tensor<16x?xf32>) {
  %none = onnx.NoValue
  %mm = onnx.MatMul %x, %w : (tensor<?x8xf32>, tensor<8x16xf32>) -> tensor<?x16xf32>
  %add = onnx.Add %mm, %b : (tensor<?x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %relu = onnx.Relu %add : (tensor<?x16xf32>) -> tensor<?x16xf32>
  %leaky = onnx.LeakyRelu %relu {alpha = 0.2 : f32} : (tensor<?x16xf32>) -> tensor<?x16xf32>
  %r = onnx.Reshape %leaky, %shape : (tensor<?x16xf32>, tensor<2xi64>) -> tensor<?x16xf32>
  %t = onnx.Transpose %r {perm = [1, 0]} : (tensor<?x16xf32>) -> tensor<16x?xf32>
  %mean = onnx.ReduceMean %r {axes = [1], keepdims = 0 : si64} : (tensor<?x16xf32>) -> tensor<?xf32>
  %l = onnx.Cast %labels {to = 7 : si64} : (tensor<?xi32>) -> tensor<?xi64>
  %loss, %logp = onnx.SoftmaxCrossEntropyLoss %r, %l, %none {reduction = "sum"}
      : (tensor<?x16xf32>, tensor<?xi64>, none) -> (tensor<f32>, none)
  return %loss, %mean, %t : tensor<f32>, tensor<?xf32>, tensor<16x?xf32>
}

// -----

// CHECK-LABEL: func.func @pool_and_norm
// CHECK: onnx.MaxPool {{.*}} {kernel_shape = [2, 2], strides = [2, 2]} : (tensor<1x3x8x8xf32>) -> (tensor<1x3x4x4xf32>, none)
// CHECK: onnx.GlobalAveragePool
// CHECK: onnx.LayerNormalization {{.*}} : (tensor<4x16xf32>, tensor<16xf32>, none) -> (tensor<4x16xf32>, tensor<4x1xf32>, tensor<4x1xf32>)
func.func @pool_and_norm(%x: tensor<1x3x8x8xf32>, %h: tensor<4x16xf32>, %g: tensor<16xf32>)
    -> (tensor<1x3x4x4xf32>, tensor<1x3x1x1xf32>, tensor<4x16xf32>) {
  %none = onnx.NoValue
  %p, %idx = onnx.MaxPool %x {kernel_shape = [2, 2], strides = [2, 2]}
      : (tensor<1x3x8x8xf32>) -> (tensor<1x3x4x4xf32>, none)
  %gap = onnx.GlobalAveragePool %x : (tensor<1x3x8x8xf32>) -> tensor<1x3x1x1xf32>
  %y, %m, %inv = onnx.LayerNormalization %h, %g, %none {axis = -1 : si64}
      : (tensor<4x16xf32>, tensor<16xf32>, none) -> (tensor<4x16xf32>, tensor<4x1xf32>, tensor<4x1xf32>)
  return %p, %gap, %y : tensor<1x3x4x4xf32>, tensor<1x3x1x1xf32>, tensor<4x16xf32>
}

// -----

// CHECK-LABEL: func.func @coverage_ops
// CHECK: onnx.Max {{.*}} : (tensor<2x3xf32>, tensor<3xf32>, tensor<f32>) -> tensor<2x3xf32>
// CHECK: onnx.Mod {{.*}} {fmod = 1 : si64}
// CHECK: onnx.BitShift {{.*}} {direction = "LEFT"}
// CHECK: onnx.ReduceL2 {{.*}} {axes = [1], keepdims = 0 : si64}
// CHECK: onnx.ArgMax {{.*}} {axis = 1 : si64, select_last_index = 1 : si64}
// CHECK: onnx.GatherElements
// CHECK: onnx.Trilu {{.*}} : (tensor<2x3xf32>, none) -> tensor<2x3xf32>
// CHECK: onnx.CumSum
func.func @coverage_ops(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %c: tensor<f32>,
                        %u: tensor<3xi8>, %i: tensor<2x3xi64>, %axis: tensor<i64>)
    -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<3xi8>, tensor<2xf32>,
        tensor<2x1xi64>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %none = onnx.NoValue
  %0 = onnx.Max %a, %b, %c : (tensor<2x3xf32>, tensor<3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %1 = onnx.Mod %a, %a {fmod = 1 : si64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %2 = onnx.BitShift %u, %u {direction = "LEFT"} : (tensor<3xi8>, tensor<3xi8>) -> tensor<3xi8>
  %3 = onnx.ReduceL2 %a {axes = [1], keepdims = 0 : si64} : (tensor<2x3xf32>) -> tensor<2xf32>
  %4 = onnx.ArgMax %a {axis = 1 : si64, select_last_index = 1 : si64} : (tensor<2x3xf32>) -> tensor<2x1xi64>
  %5 = onnx.GatherElements %a, %i {axis = 0 : si64} : (tensor<2x3xf32>, tensor<2x3xi64>) -> tensor<2x3xf32>
  %6 = onnx.Trilu %a, %none : (tensor<2x3xf32>, none) -> tensor<2x3xf32>
  %7 = onnx.CumSum %a, %axis : (tensor<2x3xf32>, tensor<i64>) -> tensor<2x3xf32>
  return %0, %1, %2, %3, %4, %5, %6, %7 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<3xi8>, tensor<2xf32>,
      tensor<2x1xi64>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}
