// RUN: fqt-opt %s --split-input-file --fqt-build-training="loss=mse" | FileCheck %s

// Attention-style scores: the bounds of the two Slices are computed from
// Shape (as PyTorch exports the split of a fused projection), so their
// results are unranked until the pass folds them; Q * K^T is a batched
// product of two activations: an onnx.MatMul forward, two float
// contractions backward, none of them tagged.

ml_program.global private @w(dense<0.5> : tensor<4x6xf32>) : tensor<4x6xf32>
func.func @forward(%x: tensor<2x3x4xf32>) -> tensor<2x3x3xf32> {
  %w = ml_program.global_load_const @w : tensor<4x6xf32>
  %h = onnx.MatMul %x, %w : (tensor<2x3x4xf32>, tensor<4x6xf32>) -> tensor<2x3x6xf32> loc("proj")
  %shape = onnx.Shape %h : (tensor<2x3x6xf32>) -> tensor<3xi64>
  %last = onnx.Constant {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %d = onnx.Gather %shape, %last : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %two = onnx.Constant {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64>
  %half = onnx.Div %d, %two : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %zero = onnx.Constant {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %none = onnx.NoValue
  %q = onnx.Slice %h, %zero, %half, %last, %none : (tensor<2x3x6xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<*xf32>
  %k = onnx.Slice %h, %half, %d, %last, %none : (tensor<2x3x6xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<*xf32>
  %kt = onnx.Transpose %k {perm = [0, 2, 1]} : (tensor<*xf32>) -> tensor<2x3x3xf32>
  %s = onnx.MatMul %q, %kt : (tensor<*xf32>, tensor<2x3x3xf32>) -> tensor<2x3x3xf32> loc("scores")
  return %s : tensor<2x3x3xf32>
}

// CHECK-LABEL: func.func @grad_step(
// CHECK: %[[H:[0-9a-zA-Z_]+]] = tensor.expand_shape %{{.*}} into tensor<2x3x6xf32>
// The shape computation is folded: 6, 6 / 2 = 3.
// CHECK-NOT: onnx.Shape
// CHECK-DAG: %[[SIX:[0-9a-zA-Z_]+]] = onnx.Constant {value = dense<6> : tensor<1xi64>}
// CHECK-DAG: %[[THREE:[0-9a-zA-Z_]+]] = onnx.Constant {value = dense<3> : tensor<1xi64>}
// CHECK: %[[Q:[0-9a-zA-Z_]+]] = onnx.Slice %[[H]], %{{.*}}, %[[THREE]], {{.*}} -> tensor<2x3x3xf32>
// CHECK: %[[K:[0-9a-zA-Z_]+]] = onnx.Slice %[[H]], %[[THREE]], %[[SIX]], {{.*}} -> tensor<2x3x3xf32>
// CHECK: %[[KT:[0-9a-zA-Z_]+]] = onnx.Transpose %[[K]]
// CHECK: onnx.MatMul %[[Q]], %[[KT]] : (tensor<2x3x3xf32>, tensor<2x3x3xf32>) -> tensor<2x3x3xf32>
// CHECK-NOT: fqt.product = {{.*}}layer = "scores"
// dQ = dS * KT^T and dKT = Q^T * dS, batched contractions (k innermost).
// CHECK: %[[DQ:[0-9a-zA-Z_]+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[DS:[0-9a-zA-Z_]+]], %[[KT]] :
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.mulf
// CHECK-NEXT: arith.addf
// CHECK: %[[DKT:[0-9a-zA-Z_]+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[Q]], %[[DS]] :
// Transpose back, then each Slice's gradient is its window in zeros of
// the input's shape; the two are summed.
// CHECK: %[[DK:[0-9a-zA-Z_]+]] = linalg.transpose ins(%[[DKT]] : {{.*}} permutation = [0, 2, 1]
// CHECK: %[[DKF:[0-9a-zA-Z_]+]] = tensor.insert_slice %[[DK]] into %{{.*}}[0, 0, 3] [2, 3, 3] [1, 1, 1] : tensor<2x3x3xf32> into tensor<2x3x6xf32>
// CHECK: %[[DQF:[0-9a-zA-Z_]+]] = tensor.insert_slice %[[DQ]] into %{{.*}}[0, 0, 0] [2, 3, 3] [1, 1, 1] : tensor<2x3x3xf32> into tensor<2x3x6xf32>
// CHECK: linalg.generic {{.*}} ins(%[[DKF]], %[[DQF]] :
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.addf
// CHECK: linalg.matmul {{.*}}layer = "proj", role = "wgrad"

// -----

// Split (one output unused), Concat, Gather on the data, a strided Slice
// and Where with a mask.

ml_program.global private @w(dense<0.5> : tensor<4x6xf32>) : tensor<4x6xf32>
func.func @forward(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = ml_program.global_load_const @w : tensor<4x6xf32>
  %h = onnx.MatMul %x, %w : (tensor<2x4xf32>, tensor<4x6xf32>) -> tensor<2x6xf32> loc("fc")
  %sizes = onnx.Constant {value = dense<[1, 2, 3]> : tensor<3xi64>} : () -> tensor<3xi64>
  %a, %b, %c = onnx.Split %h, %sizes {axis = 1 : si64} : (tensor<2x6xf32>, tensor<3xi64>) -> (tensor<2x1xf32>, tensor<2x2xf32>, tensor<2x3xf32>)
  %idx = onnx.Constant {value = dense<[2, -1, 0]> : tensor<3xi64>} : () -> tensor<3xi64>
  %g = onnx.Gather %c, %idx {axis = 1 : si64} : (tensor<2x3xf32>, tensor<3xi64>) -> tensor<2x3xf32>
  %cat = onnx.Concat %a, %g {axis = 1 : si64} : (tensor<2x1xf32>, tensor<2x3xf32>) -> tensor<2x4xf32>
  %mask = onnx.Constant {value = dense<[true, false, true, false]> : tensor<4xi1>} : () -> tensor<4xi1>
  %zero = onnx.Constant {value = dense<0.0> : tensor<f32>} : () -> tensor<f32>
  %y = onnx.Where %mask, %cat, %zero : (tensor<4xi1>, tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// CHECK-LABEL: func.func @grad_step(
// CHECK: %[[MASK:[0-9a-zA-Z_]+]] = onnx.Constant {value = dense<[true, false, true, false]>
// Where: dY where the mask holds, else 0.
// CHECK: %[[DCAT:[0-9a-zA-Z_]+]] = linalg.generic {{.*}} ins(%[[DY:[0-9a-zA-Z_]+]], %[[MASK]] : tensor<2x4xf32>, tensor<4xi1>)
// CHECK-NEXT: ^bb0(%[[D:[0-9a-zA-Z_]+]]: f32, %[[M:[0-9a-zA-Z_]+]]: i1, %{{.*}}: f32):
// CHECK-NEXT: %[[Z:[0-9a-zA-Z_]+]] = arith.constant 0.0
// CHECK-NEXT: arith.select %[[M]], %[[D]], %[[Z]]
// Concat: each input's window of dY.
// CHECK: %[[DG:[0-9a-zA-Z_]+]] = tensor.extract_slice %[[DCAT]][0, 1] [2, 3] [1, 1]
// CHECK: %[[DA:[0-9a-zA-Z_]+]] = tensor.extract_slice %[[DCAT]][0, 0] [2, 1] [1, 1]
// Gather: dX[i, j] sums dY[i, p] over the positions p whose (wrapped)
// index is j.
// CHECK: %[[DC:[0-9a-zA-Z_]+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[DG]], %{{.*}} : tensor<2x3xf32>, tensor<3xi64>) outs(%{{.*}} : tensor<2x3xf32>)
// CHECK: arith.cmpi slt
// CHECK: arith.cmpi eq
// Split: the outputs' gradients side by side, zeros for the unused one.
// CHECK: %[[Z2:[0-9a-zA-Z_]+]] = linalg.fill {{.*}} -> tensor<2x6xf32>
// CHECK: %[[S1:[0-9a-zA-Z_]+]] = tensor.insert_slice %[[DA]] into %[[Z2]][0, 0] [2, 1] [1, 1]
// CHECK-NEXT: %[[S2:[0-9a-zA-Z_]+]] = tensor.insert_slice %[[DC]] into %[[S1]][0, 3] [2, 3] [1, 1]
// CHECK: linalg.matmul {{.*}}layer = "fc", role = "wgrad"}} ins(%{{.*}}, %[[S2]] :

// -----

// A strided Slice: its gradient is a strided insert into zeros.

ml_program.global private @w(dense<0.5> : tensor<4x6xf32>) : tensor<4x6xf32>
func.func @forward(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %w = ml_program.global_load_const @w : tensor<4x6xf32>
  %h = onnx.MatMul %x, %w : (tensor<2x4xf32>, tensor<4x6xf32>) -> tensor<2x6xf32> loc("fc")
  %start = onnx.Constant {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %end = onnx.Constant {value = dense<100> : tensor<1xi64>} : () -> tensor<1xi64>
  %axis = onnx.Constant {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %step = onnx.Constant {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64>
  %s = onnx.Slice %h, %start, %end, %axis, %step : (tensor<2x6xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3xf32>
  return %s : tensor<2x3xf32>
}

// CHECK-LABEL: func.func @grad_step(
// CHECK: %[[DH:[0-9a-zA-Z_]+]] = tensor.insert_slice %{{.*}} into %{{.*}}[0, 1] [2, 3] [1, 2] : tensor<2x3xf32> into tensor<2x6xf32>
// CHECK: linalg.matmul {{.*}}layer = "fc", role = "wgrad"}} ins(%{{.*}}, %[[DH]] :
