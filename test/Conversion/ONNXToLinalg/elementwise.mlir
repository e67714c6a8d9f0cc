// RUN: fqt-opt %s --split-input-file --fqt-convert-onnx-to-linalg | FileCheck %s

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @add_broadcast
// CHECK-SAME: (%[[A:.*]]: tensor<?x3xf32>, %[[B:.*]]: tensor<3xf32>)
// CHECK: %[[DIM:.*]] = tensor.dim %[[A]], %{{.*}} : tensor<?x3xf32>
// CHECK: %[[INIT:.*]] = tensor.empty(%[[DIM]]) : tensor<?x3xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[A]], %[[B]] : tensor<?x3xf32>, tensor<3xf32>) outs(%[[INIT]] : tensor<?x3xf32>)
// CHECK: arith.addf
// CHECK-NOT: onnx.
func.func @add_broadcast(%a: tensor<?x3xf32>, %b: tensor<3xf32>) -> tensor<?x3xf32> {
  %0 = onnx.Add %a, %b : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// A size-1 dimension broadcasts through a constant index.
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-LABEL: func.func @sub_mul_div
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[COL]], #{{.*}}]
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: arith.divf
func.func @sub_mul_div(%a: tensor<2x3xf32>, %b: tensor<2x1xf32>) -> tensor<2x3xf32> {
  %0 = onnx.Sub %a, %b : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xf32>
  %1 = onnx.Mul %0, %a : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %2 = onnx.Div %1, %a : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %2 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @add_i64
// CHECK: arith.addi
func.func @add_i64(%a: tensor<4xi64>, %b: tensor<i64>) -> tensor<4xi64> {
  %0 = onnx.Add %a, %b : (tensor<4xi64>, tensor<i64>) -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

// CHECK-LABEL: func.func @relu_dynamic
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>)
// CHECK: %[[DIM:.*]] = tensor.dim %[[X]]
// CHECK: tensor.empty(%[[DIM]]) : tensor<?x8xf32>
// CHECK: linalg.generic
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : f32
func.func @relu_dynamic(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = onnx.Relu %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @unary
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: arith.divf
// CHECK: math.tanh
// CHECK: math.exp
// CHECK: math.log
// CHECK: math.sqrt
// CHECK: arith.negf
// CHECK: math.absf
// CHECK: arith.divf
// CHECK: math.erf
func.func @unary(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = onnx.Sigmoid %x : (tensor<4xf32>) -> tensor<4xf32>
  %1 = onnx.Tanh %0 : (tensor<4xf32>) -> tensor<4xf32>
  %2 = onnx.Exp %1 : (tensor<4xf32>) -> tensor<4xf32>
  %3 = onnx.Log %2 : (tensor<4xf32>) -> tensor<4xf32>
  %4 = onnx.Sqrt %3 : (tensor<4xf32>) -> tensor<4xf32>
  %5 = onnx.Neg %4 : (tensor<4xf32>) -> tensor<4xf32>
  %6 = onnx.Abs %5 : (tensor<4xf32>) -> tensor<4xf32>
  %7 = onnx.Reciprocal %6 : (tensor<4xf32>) -> tensor<4xf32>
  %8 = onnx.Erf %7 : (tensor<4xf32>) -> tensor<4xf32>
  return %8 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @leaky_relu
// CHECK-DAG: %[[ALPHA:.*]] = arith.constant 1.000000e-01 : f32
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[SCALED:.*]] = arith.mulf %[[IN]], %[[ALPHA]]
// CHECK: %[[POS:.*]] = arith.cmpf ogt, %[[IN]]
// CHECK: arith.select %[[POS]], %[[IN]], %[[SCALED]]
func.func @leaky_relu(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = onnx.LeakyRelu %x {alpha = 0.1 : f32} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
