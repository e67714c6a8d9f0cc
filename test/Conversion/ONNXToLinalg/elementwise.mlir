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

// -----

// Comparisons: unsigned integers compare unsigned, floats ordered.
// CHECK-LABEL: func.func @compare
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<3xi1>)
// CHECK: arith.cmpi ult, %{{.*}}, %{{.*}} : i8
// CHECK: linalg.generic
// CHECK: arith.cmpf ogt, %{{.*}}, %{{.*}} : f32
// CHECK: linalg.generic
// CHECK: arith.cmpi eq, %{{.*}}, %{{.*}} : i8
func.func @compare(%a: tensor<3xi8>, %b: tensor<3xi8>, %x: tensor<3xf32>, %y: tensor<3xf32>) -> (tensor<3xi1>, tensor<3xi1>, tensor<3xi1>) {
  %0 = onnx.Less %a, %b {onnx.unsigned_operands = array<i1: true, true>} : (tensor<3xi8>, tensor<3xi8>) -> tensor<3xi1>
  %1 = onnx.Greater %x, %y : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xi1>
  %2 = onnx.Equal %a, %b : (tensor<3xi8>, tensor<3xi8>) -> tensor<3xi1>
  return %0, %1, %2 : tensor<3xi1>, tensor<3xi1>, tensor<3xi1>
}

// -----

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @where_not
// CHECK-DAG: %[[TRUE:.*]] = arith.constant true
// CHECK: %[[NOT:.*]] = linalg.generic
// CHECK: arith.xori %{{.*}}, %[[TRUE]] : i1
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]], #[[ID]]]{{.*}} ins(%[[NOT]], %{{.*}}, %{{.*}} : tensor<2x3xi1>, tensor<3xf32>, tensor<2x3xf32>)
// CHECK-NEXT: ^bb0(%[[C:.*]]: i1, %[[X:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: arith.select %[[C]], %[[X]], %[[Y]] : f32
func.func @where_not(%c: tensor<2x3xi1>, %x: tensor<3xf32>, %y: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %n = onnx.Not %c : (tensor<2x3xi1>) -> tensor<2x3xi1>
  %0 = onnx.Where %n, %x, %y : (tensor<2x3xi1>, tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Cast: uint8 to float unsigned, to bool by comparing with 0.
// CHECK-LABEL: func.func @cast
// CHECK: arith.uitofp %{{.*}} : i8 to f32
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: arith.cmpf une, %{{.*}}, %{{.*}} : f32
// CHECK: arith.extsi %{{.*}} : i8 to i32
func.func @cast(%a: tensor<3xi8>, %f: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf16>, tensor<3xi1>, tensor<3xi32>) {
  %0 = onnx.Cast %a {onnx.unsigned_operands = array<i1: true>, to = 1 : si64} : (tensor<3xi8>) -> tensor<3xf32>
  %1 = onnx.Cast %f {to = 10 : si64} : (tensor<3xf32>) -> tensor<3xf16>
  %2 = onnx.Cast %f {to = 9 : si64} : (tensor<3xf32>) -> tensor<3xi1>
  %3 = onnx.Cast %a {to = 6 : si64} : (tensor<3xi8>) -> tensor<3xi32>
  return %0, %1, %2, %3 : tensor<3xf32>, tensor<3xf16>, tensor<3xi1>, tensor<3xi32>
}

// -----

// CHECK-LABEL: func.func @pow
// CHECK: ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: i64, %{{.*}}: f32):
// CHECK-NEXT: %[[F:.*]] = arith.sitofp %[[Y]] : i64 to f32
// CHECK-NEXT: math.powf %[[X]], %[[F]] : f32
// CHECK: math.ipowi %{{.*}}, %{{.*}} : i32
func.func @pow(%x: tensor<3xf32>, %y: tensor<3xi64>, %i: tensor<3xi32>, %j: tensor<3xi32>) -> (tensor<3xf32>, tensor<3xi32>) {
  %0 = onnx.Pow %x, %y : (tensor<3xf32>, tensor<3xi64>) -> tensor<3xf32>
  %1 = onnx.Pow %i, %j : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi32>
  return %0, %1 : tensor<3xf32>, tensor<3xi32>
}

// -----

// An integer base with a float exponent: in f64, truncated back.
// CHECK-LABEL: func.func @pow_int_float
// CHECK: %[[X:.*]] = arith.sitofp %{{.*}} : i32 to f64
// CHECK: %[[Y:.*]] = arith.extf %{{.*}} : f32 to f64
// CHECK: %[[P:.*]] = math.powf %[[X]], %[[Y]] : f64
// CHECK: arith.fptosi %[[P]] : f64 to i32
func.func @pow_int_float(%x: tensor<3xi32>, %y: tensor<3xf32>) -> tensor<3xi32> {
  %0 = onnx.Pow %x, %y : (tensor<3xi32>, tensor<3xf32>) -> tensor<3xi32>
  return %0 : tensor<3xi32>
}

// -----

// CHECK-LABEL: func.func @clip
// CHECK: ^bb0(%[[X:.*]]: f32, %[[LO:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[BELOW:.*]] = arith.cmpf olt, %[[X]], %[[LO]] : f32
// CHECK-NEXT: arith.select %[[BELOW]], %[[LO]], %[[X]] : f32
// CHECK: arith.minsi %{{.*}}, %{{.*}} : i8
func.func @clip(%x: tensor<3xf32>, %lo: tensor<f32>, %i: tensor<3xi8>, %hi: tensor<i8>) -> (tensor<3xf32>, tensor<3xi8>) {
  %none = onnx.NoValue
  %0 = onnx.Clip %x, %lo, %none : (tensor<3xf32>, tensor<f32>, none) -> tensor<3xf32>
  %1 = onnx.Clip %i, %none, %hi : (tensor<3xi8>, none, tensor<i8>) -> tensor<3xi8>
  return %0, %1 : tensor<3xf32>, tensor<3xi8>
}

// -----

// Inference: the identity, and an all-true mask.
// CHECK-LABEL: func.func @dropout_inference
// CHECK-SAME: (%[[X:.*]]: tensor<3xf32>)
// CHECK: %[[TRUE:.*]] = arith.constant true
// CHECK: %[[MASK:.*]] = linalg.fill ins(%[[TRUE]] : i1)
// CHECK: return %[[X]], %[[MASK]]
func.func @dropout_inference(%x: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xi1>) {
  %none = onnx.NoValue
  %0, %1 = onnx.Dropout %x, %none, %none : (tensor<3xf32>, none, none) -> (tensor<3xf32>, tensor<3xi1>)
  return %0, %1 : tensor<3xf32>, tensor<3xi1>
}

// -----

// training_mode at run time: a hash of the seed and the position draws
// u in [0, 1); kept where u >= ratio or not training, scaled by
// 1 / (1 - ratio) when training.
// CHECK-LABEL: func.func @dropout_training
// CHECK-SAME: (%[[X:.*]]: tensor<3xf32>, %[[R:.*]]: tensor<f32>, %[[T:.*]]: tensor<i1>)
// CHECK-DAG: %[[SEED:.*]] = arith.constant 5 : i64
// CHECK-DAG: %[[RATIO:.*]] = tensor.extract %[[R]][] : tensor<f32>
// CHECK-DAG: %[[TRAINING:.*]] = tensor.extract %[[T]][] : tensor<i1>
// CHECK: %[[SCALE:.*]] = arith.select %[[TRAINING]]
// CHECK: %[[G:.*]]:2 = linalg.generic {{.*}} ins(%[[X]] : tensor<3xf32>) outs(%{{.*}}, %{{.*}} : tensor<3xf32>, tensor<3xi1>)
// CHECK: %[[I:.*]] = linalg.index 0
// CHECK: arith.addi %{{.*}}, %[[SEED]] : i64
// CHECK: %[[U:.*]] = arith.mulf
// CHECK: %[[DRAWN:.*]] = arith.cmpf oge, %[[U]], %[[RATIO]] : f32
// CHECK: %[[NOT:.*]] = arith.xori %[[TRAINING]], %{{.*}} : i1
// CHECK: %[[KEPT:.*]] = arith.ori %[[DRAWN]], %[[NOT]] : i1
// CHECK: %[[SCALED:.*]] = arith.mulf %{{.*}}, %[[SCALE]] : f32
// CHECK: %[[OUT:.*]] = arith.select %[[KEPT]], %[[SCALED]], %{{.*}} : f32
// CHECK: linalg.yield %[[OUT]], %[[KEPT]] : f32, i1
// CHECK: return %[[G]]#0, %[[G]]#1
func.func @dropout_training(%x: tensor<3xf32>, %r: tensor<f32>, %t: tensor<i1>) -> (tensor<3xf32>, tensor<3xi1>) {
  %0, %1 = onnx.Dropout %x, %r, %t {seed = 5 : si64} : (tensor<3xf32>, tensor<f32>, tensor<i1>) -> (tensor<3xf32>, tensor<3xi1>)
  return %0, %1 : tensor<3xf32>, tensor<3xi1>
}

// -----

// Unsigned integer division.
// CHECK-LABEL: func.func @div_unsigned
// CHECK: arith.divui %{{.*}}, %{{.*}} : i8
func.func @div_unsigned(%a: tensor<3xi8>, %b: tensor<3xi8>) -> tensor<3xi8> {
  %0 = onnx.Div %a, %b {onnx.unsigned_operands = array<i1: true, true>} : (tensor<3xi8>, tensor<3xi8>) -> tensor<3xi8>
  return %0 : tensor<3xi8>
}

// -----

// CHECK-LABEL: func.func @hard_sigmoid_and_swish
// CHECK: linalg.generic
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: arith.addf
// CHECK: arith.maximumf
// CHECK: arith.minimumf
// CHECK: linalg.generic
// CHECK: arith.maximumf
// CHECK: %[[GATE:.*]] = arith.minimumf
// CHECK: arith.mulf %{{.*}}, %[[GATE]] : f32
func.func @hard_sigmoid_and_swish(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0 = onnx.HardSigmoid %x {alpha = 0.25 : f32, beta = 0.5 : f32} : (tensor<4xf32>) -> tensor<4xf32>
  %1 = onnx.HardSwish %x : (tensor<4xf32>) -> tensor<4xf32>
  return %0, %1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// The trigonometric, hyperbolic and rounding functions are one math op each.
// CHECK-LABEL: func.func @math_unary
// CHECK: math.sin
// CHECK: math.acos
// CHECK: math.atanh
// CHECK: math.floor
// CHECK: math.roundeven
// CHECK-NOT: onnx.
func.func @math_unary(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = onnx.Sin %x : (tensor<4xf32>) -> tensor<4xf32>
  %1 = onnx.Acos %0 : (tensor<4xf32>) -> tensor<4xf32>
  %2 = onnx.Atanh %1 : (tensor<4xf32>) -> tensor<4xf32>
  %3 = onnx.Floor %2 : (tensor<4xf32>) -> tensor<4xf32>
  %4 = onnx.Round %3 : (tensor<4xf32>) -> tensor<4xf32>
  return %4 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @activations
// CHECK: math.expm1
// CHECK: arith.cmpf ogt
// CHECK: arith.select
// CHECK: math.log1p
// CHECK: arith.maximumf
// CHECK: math.absf
// CHECK: arith.divf
// CHECK: arith.cmpf ogt, %{{.*}}, %cst
func.func @activations(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0 = onnx.Elu %x {alpha = 2.0 : f32} : (tensor<4xf32>) -> tensor<4xf32>
  %1 = onnx.Softplus %x : (tensor<4xf32>) -> tensor<4xf32>
  %2 = onnx.Softsign %x : (tensor<4xf32>) -> tensor<4xf32>
  %3 = onnx.ThresholdedRelu %x {alpha = 0.5 : f32} : (tensor<4xf32>) -> tensor<4xf32>
  return %0, %1, %2, %3 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// Variadic Max broadcasts all its operands into one generic; unsigned
// integers compare unsigned.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @max_min_variadic
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[SCALAR]], #[[ID]]]
// CHECK: arith.maximumf
// CHECK: arith.maximumf
// CHECK: linalg.generic
// CHECK: arith.minui
func.func @max_min_variadic(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %c: tensor<f32>, %u: tensor<3xi8>, %v: tensor<3xi8>) -> (tensor<2x3xf32>, tensor<3xi8>) {
  %0 = onnx.Max %a, %b, %c : (tensor<2x3xf32>, tensor<3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %1 = onnx.Min %u, %v {onnx.unsigned_operands = array<i1: true, true>} : (tensor<3xi8>, tensor<3xi8>) -> tensor<3xi8>
  return %0, %1 : tensor<2x3xf32>, tensor<3xi8>
}

// -----

// CHECK-LABEL: func.func @logic
// CHECK: arith.andi
// CHECK: arith.ori
// CHECK: arith.xori
func.func @logic(%a: tensor<4xi1>, %b: tensor<4xi1>) -> tensor<4xi1> {
  %0 = onnx.And %a, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %1 = onnx.Or %0, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %2 = onnx.Xor %1, %a : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  return %2 : tensor<4xi1>
}

// -----

// Integer Mod takes the divisor's sign; fmod = 1 the dividend's.
// CHECK-LABEL: func.func @mod
// CHECK: arith.remsi
// CHECK: arith.xori
// CHECK: arith.addi
// CHECK: arith.select
// CHECK: linalg.generic
// CHECK: arith.remf
// CHECK-NEXT: linalg.yield
func.func @mod(%a: tensor<4xi32>, %b: tensor<4xi32>, %x: tensor<4xf32>, %y: tensor<4xf32>) -> (tensor<4xi32>, tensor<4xf32>) {
  %0 = onnx.Mod %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  %1 = onnx.Mod %x, %y {fmod = 1 : si64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0, %1 : tensor<4xi32>, tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @bitshift
// CHECK: arith.shli
// CHECK: arith.cmpi ult
// CHECK: linalg.generic
// CHECK: arith.shrui
func.func @bitshift(%x: tensor<3xi8>, %y: tensor<3xi8>) -> (tensor<3xi8>, tensor<3xi8>) {
  %0 = onnx.BitShift %x, %y {direction = "LEFT", onnx.unsigned_operands = array<i1: true, true>} : (tensor<3xi8>, tensor<3xi8>) -> tensor<3xi8>
  %1 = onnx.BitShift %x, %y {direction = "RIGHT", onnx.unsigned_operands = array<i1: true, true>} : (tensor<3xi8>, tensor<3xi8>) -> tensor<3xi8>
  return %0, %1 : tensor<3xi8>, tensor<3xi8>
}

// -----

// CHECK-LABEL: func.func @sign_isnan_isinf
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpf olt
// CHECK: linalg.generic
// CHECK: arith.cmpf uno
// CHECK: linalg.generic
// CHECK: arith.cmpf oeq, %{{.*}}, %cst
// CHECK-NOT: arith.cmpf oeq
// CHECK: return
func.func @sign_isnan_isinf(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xi1>, tensor<4xi1>) {
  %0 = onnx.Sign %x : (tensor<4xf32>) -> tensor<4xf32>
  %1 = onnx.IsNaN %x : (tensor<4xf32>) -> tensor<4xi1>
  %2 = onnx.IsInf %x {detect_negative = 0 : si64} : (tensor<4xf32>) -> tensor<4xi1>
  return %0, %1, %2 : tensor<4xf32>, tensor<4xi1>, tensor<4xi1>
}

// -----

// CHECK-LABEL: func.func @shrink
// CHECK: arith.cmpf olt
// CHECK: arith.cmpf ogt
// CHECK: arith.addf
// CHECK: arith.subf
func.func @shrink(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = onnx.Shrink %x {bias = 1.5 : f32, lambd = 1.5 : f32} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
