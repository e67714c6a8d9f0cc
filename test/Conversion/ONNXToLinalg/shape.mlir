// RUN: fqt-opt %s --split-input-file --fqt-convert-onnx-to-linalg | FileCheck %s

// CHECK-LABEL: func.func @constant
// CHECK: %[[C:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK: %[[I:.*]] = arith.constant dense<[3, 4]> : tensor<2xi64>
// CHECK: return %[[C]], %[[I]]
func.func @constant() -> (tensor<2xf32>, tensor<2xi64>) {
  %0 = onnx.Constant {value = dense<[1.0, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %1 = onnx.Constant {value_ints = [3, 4]} : () -> tensor<2xi64>
  return %0, %1 : tensor<2xf32>, tensor<2xi64>
}

// -----

// CHECK-LABEL: func.func @identity
// CHECK-SAME: (%[[X:.*]]: tensor<2xf32>)
// CHECK-NEXT: return %[[X]]
func.func @identity(%x: tensor<2xf32>) -> tensor<2xf32> {
  %0 = onnx.Identity %x : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// 0 copies the input dimension, -1 takes the rest.
// CHECK-LABEL: func.func @reshape
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1, 2]] : tensor<2x3x4xf32> into tensor<24xf32>
// CHECK: tensor.expand_shape %[[FLAT]] {{\[}}[0, 1]] output_shape [2, 12] : tensor<24xf32> into tensor<2x12xf32>
func.func @reshape(%x: tensor<2x3x4xf32>) -> tensor<2x12xf32> {
  %shape = onnx.Constant {value = dense<[0, -1]> : tensor<2xi64>} : () -> tensor<2xi64>
  %0 = onnx.Reshape %x, %shape : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<2x12xf32>
  return %0 : tensor<2x12xf32>
}

// -----

// A dynamic batch kept by 0; the shape from an arith.constant.
// CHECK-LABEL: func.func @reshape_dynamic
// CHECK-SAME: (%[[X:.*]]: tensor<?x6xf32>)
// CHECK: %[[DIM:.*]] = tensor.dim %[[X]]
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[X]]
// CHECK: tensor.expand_shape %[[FLAT]] {{\[}}[0, 1, 2]] output_shape [%[[DIM]], 2, 3] : tensor<?xf32> into tensor<?x2x3xf32>
func.func @reshape_dynamic(%x: tensor<?x6xf32>) -> tensor<?x2x3xf32> {
  %shape = arith.constant dense<[0, 2, 3]> : tensor<3xi64>
  %0 = onnx.Reshape %x, %shape : (tensor<?x6xf32>, tensor<3xi64>) -> tensor<?x2x3xf32>
  return %0 : tensor<?x2x3xf32>
}

// -----

// CHECK-LABEL: func.func @flatten
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2, 3]] : tensor<?x2x3x4xf32> into tensor<?x24xf32>
func.func @flatten(%x: tensor<?x2x3x4xf32>) -> tensor<?x24xf32> {
  %0 = onnx.Flatten %x : (tensor<?x2x3x4xf32>) -> tensor<?x24xf32>
  return %0 : tensor<?x24xf32>
}

// -----

// CHECK-LABEL: func.func @transpose
// CHECK: %[[INIT:.*]] = tensor.empty() : tensor<4x2x3xf32>
// CHECK: linalg.transpose ins(%{{.*}} : tensor<2x3x4xf32>) outs(%[[INIT]] : tensor<4x2x3xf32>) permutation = [2, 0, 1]
func.func @transpose(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %0 = onnx.Transpose %x {perm = [2, 0, 1]} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  return %0 : tensor<4x2x3xf32>
}

// -----

// CHECK-LABEL: func.func @transpose_default
// CHECK: linalg.transpose {{.*}} permutation = [1, 0]
func.func @transpose_default(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %0 = onnx.Transpose %x : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// CHECK-LABEL: func.func @concat
// CHECK-SAME: (%[[A:.*]]: tensor<2x3xf32>, %[[B:.*]]: tensor<2x1xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x4xf32>
// CHECK: %[[S0:.*]] = tensor.insert_slice %[[A]] into %[[E]][0, 0] [2, 3] [1, 1]
// CHECK: tensor.insert_slice %[[B]] into %[[S0]][0, 3] [2, 1] [1, 1]
func.func @concat(%a: tensor<2x3xf32>, %b: tensor<2x1xf32>) -> tensor<2x4xf32> {
  %0 = onnx.Concat %a, %b {axis = -1 : si64} : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// CHECK-LABEL: func.func @squeeze_unsqueeze
// CHECK: %[[S:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2]] : tensor<1x1x4xf32> into tensor<4xf32>
// CHECK: tensor.expand_shape %[[S]] {{\[}}[0, 1, 2]] output_shape [4, 1, 1] : tensor<4xf32> into tensor<4x1x1xf32>
func.func @squeeze_unsqueeze(%x: tensor<1x1x4xf32>) -> tensor<4x1x1xf32> {
  %axes = onnx.Constant {value = dense<[0, 1]> : tensor<2xi64>} : () -> tensor<2xi64>
  %0 = onnx.Squeeze %x, %axes : (tensor<1x1x4xf32>, tensor<2xi64>) -> tensor<4xf32>
  %axes2 = onnx.Constant {value = dense<[-1, 1]> : tensor<2xi64>} : () -> tensor<2xi64>
  %1 = onnx.Unsqueeze %0, %axes2 : (tensor<4xf32>, tensor<2xi64>) -> tensor<4x1x1xf32>
  return %1 : tensor<4x1x1xf32>
}

// -----

// Parameters: immutable ml_program globals become arith.constant.
// CHECK-LABEL: module
// CHECK-NOT: ml_program.global
// CHECK-LABEL: func.func @globals
// CHECK: %[[W:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK: return %[[W]]
module {
  ml_program.global private @w(dense<[1.0, 2.0]> : tensor<2xf32>) : tensor<2xf32>
  func.func @globals() -> tensor<2xf32> {
    %w = ml_program.global_load_const @w : tensor<2xf32>
    return %w : tensor<2xf32>
  }
}

// -----

// The dimensions of a static shape fold to a constant.
// CHECK-LABEL: func.func @shape
// CHECK: %[[C:.*]] = arith.constant dense<[3, 4]> : tensor<2xi64>
// CHECK: return %[[C]]
func.func @shape(%x: tensor<2x3x4xf32>) -> tensor<2xi64> {
  %0 = onnx.Shape %x {start = 1 : si64} : (tensor<2x3x4xf32>) -> tensor<2xi64>
  return %0 : tensor<2xi64>
}

// -----

// CHECK-LABEL: func.func @shape_dynamic
// CHECK-SAME: (%[[X:.*]]: tensor<?x3xf32>)
// CHECK-DAG: %[[C3:.*]] = arith.constant 3 : i64
// CHECK-DAG: %[[DIM:.*]] = tensor.dim %[[X]]
// CHECK: %[[D:.*]] = arith.index_cast %[[DIM]] : index to i64
// CHECK: tensor.from_elements %[[D]], %[[C3]] : tensor<2xi64>
func.func @shape_dynamic(%x: tensor<?x3xf32>) -> tensor<2xi64> {
  %0 = onnx.Shape %x : (tensor<?x3xf32>) -> tensor<2xi64>
  return %0 : tensor<2xi64>
}

// -----

// A shape known at run time only: a static result is all it takes.
// CHECK-LABEL: func.func @reshape_runtime_shape
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape
// CHECK: tensor.expand_shape %[[FLAT]] {{\[}}[0, 1]] output_shape [3, 2] : tensor<6xf32> into tensor<3x2xf32>
func.func @reshape_runtime_shape(%x: tensor<2x3xf32>, %shape: tensor<2xi64>) -> tensor<3x2xf32> {
  %0 = onnx.Reshape %x, %shape : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// A dynamic result reads the sizes: 0 copies the input's, -1 is the rest.
// CHECK-LABEL: func.func @reshape_runtime_dynamic
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[S:.*]]: tensor<2xi64>)
// CHECK: %[[E0:.*]] = tensor.extract %[[S]][%{{.*}}] : tensor<2xi64>
// CHECK: %[[I0:.*]] = arith.index_cast %[[E0]] : i64 to index
// CHECK: %[[Z0:.*]] = arith.cmpi eq, %[[I0]], %{{.*}} : index
// CHECK: %[[S0:.*]] = arith.select %[[Z0]], %{{.*}}, %[[I0]] : index
// CHECK: %[[N0:.*]] = arith.cmpi eq, %[[S0]], %{{.*}} : index
// CHECK: %[[REST:.*]] = arith.divui
// CHECK: %[[D0:.*]] = arith.select %[[N0]], %[[REST]], %[[S0]] : index
// CHECK: %[[D1:.*]] = arith.select
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[X]]
// CHECK: %[[CAST:.*]] = tensor.cast %[[FLAT]] : tensor<6xf32> to tensor<?xf32>
// CHECK: tensor.expand_shape %[[CAST]] {{\[}}[0, 1]] output_shape [%[[D0]], %[[D1]]]
func.func @reshape_runtime_dynamic(%x: tensor<2x3xf32>, %shape: tensor<2xi64>) -> tensor<?x?xf32> {
  %0 = onnx.Reshape %x, %shape : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// CHECK-LABEL: func.func @unsqueeze_runtime_axes
// CHECK: tensor.expand_shape %{{.*}} output_shape [3, 1, 4] : tensor<12xf32> into tensor<3x1x4xf32>
func.func @unsqueeze_runtime_axes(%x: tensor<3x4xf32>, %axes: tensor<1xi64>) -> tensor<3x1x4xf32> {
  %0 = onnx.Unsqueeze %x, %axes : (tensor<3x4xf32>, tensor<1xi64>) -> tensor<3x1x4xf32>
  return %0 : tensor<3x1x4xf32>
}

// -----

// CHECK-LABEL: func.func @constant_of_shape
// CHECK-SAME: (%[[S:.*]]: tensor<2xi64>)
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[SEVEN:.*]] = arith.constant 7 : i32
// CHECK: linalg.fill ins(%[[SEVEN]] : i32) outs(%{{.*}} : tensor<2x3xi32>)
// CHECK: %[[E:.*]] = tensor.extract %[[S]][%{{.*}}] : tensor<2xi64>
// CHECK: %[[N:.*]] = arith.index_cast %[[E]] : i64 to index
// CHECK: %[[EMPTY:.*]] = tensor.empty(%[[N]]) : tensor<?x3xf32>
// CHECK: linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]] : tensor<?x3xf32>)
func.func @constant_of_shape(%s: tensor<2xi64>) -> (tensor<2x3xi32>, tensor<?x3xf32>) {
  %0 = onnx.ConstantOfShape %s {value = dense<7> : tensor<1xi32>} : (tensor<2xi64>) -> tensor<2x3xi32>
  %1 = onnx.ConstantOfShape %s : (tensor<2xi64>) -> tensor<?x3xf32>
  return %0, %1 : tensor<2x3xi32>, tensor<?x3xf32>
}

// -----

// CHECK: #[[IN:.*]] = affine_map<(d0, d1, d2) -> (d1, 0)>
// CHECK-LABEL: func.func @expand
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #{{.*}}]{{.*}} ins(%{{.*}} : tensor<3x1xf32>) outs(%{{.*}} : tensor<2x3x6xf32>)
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[A]]
func.func @expand(%x: tensor<3x1xf32>, %s: tensor<3xi64>) -> tensor<2x3x6xf32> {
  %0 = onnx.Expand %x, %s : (tensor<3x1xf32>, tensor<3xi64>) -> tensor<2x3x6xf32>
  return %0 : tensor<2x3x6xf32>
}

// -----

// CHECK-LABEL: func.func @range
// CHECK-SAME: (%[[START:.*]]: tensor<f32>, %[[LIMIT:.*]]: tensor<f32>, %[[DELTA:.*]]: tensor<f32>)
// CHECK-DAG: %[[S:.*]] = tensor.extract %[[START]][]
// CHECK-DAG: %[[D:.*]] = tensor.extract %[[DELTA]][]
// CHECK-DAG: %[[L:.*]] = tensor.extract %[[LIMIT]][]
// CHECK: %[[SPAN:.*]] = arith.subf %[[L]], %[[S]]
// CHECK: %[[Q:.*]] = arith.divf %[[SPAN]], %[[D]]
// CHECK: math.ceil %[[Q]]
// CHECK: linalg.generic
// CHECK: %[[I:.*]] = linalg.index 0
// CHECK: %[[I64:.*]] = arith.index_cast %[[I]] : index to i64
// CHECK: %[[F:.*]] = arith.sitofp %[[I64]] : i64 to f32
// CHECK: %[[OFF:.*]] = arith.mulf %[[F]], %[[D]]
// CHECK: arith.addf %[[S]], %[[OFF]]
func.func @range(%start: tensor<f32>, %limit: tensor<f32>, %delta: tensor<f32>) -> tensor<?xf32> {
  %0 = onnx.Range %start, %limit, %delta : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// CHECK-LABEL: func.func @slice
// CHECK-SAME: (%[[X:.*]]: tensor<20x10xf32>)
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<3x10xf32>)
// CHECK: %[[I:.*]] = linalg.index 0
// CHECK: %[[J:.*]] = linalg.index 1
// CHECK: tensor.extract %[[X]][%{{.*}}, %{{.*}}] : tensor<20x10xf32>
func.func @slice(%x: tensor<20x10xf32>) -> tensor<3x10xf32> {
  %starts = onnx.Constant {value = dense<[0]> : tensor<1xi64>} : () -> tensor<1xi64>
  %ends = onnx.Constant {value = dense<[3]> : tensor<1xi64>} : () -> tensor<1xi64>
  %none = onnx.NoValue
  %0 = onnx.Slice %x, %starts, %ends, %none, %none : (tensor<20x10xf32>, tensor<1xi64>, tensor<1xi64>, none, none) -> tensor<3x10xf32>
  return %0 : tensor<3x10xf32>
}

// -----

// Axes known at run time: each dimension selects its start, step and size.
// CHECK-LABEL: func.func @slice_runtime_axes
// CHECK-SAME: (%[[X:.*]]: tensor<20x10xf32>, %{{.*}}: tensor<1xi64>, %{{.*}}: tensor<1xi64>, %[[AXES:.*]]: tensor<1xi64>, %[[STEPS:.*]]: tensor<1xi64>)
// CHECK: %[[STEP:.*]] = tensor.extract %[[STEPS]]
// CHECK: %[[AXIS:.*]] = tensor.extract %[[AXES]]
// CHECK: arith.ceildivsi %{{.*}}, %[[STEP]] : i64
// CHECK: %[[IS0:.*]] = arith.cmpi eq, %{{.*}}, %c0_i64
// CHECK: %[[START0:.*]] = arith.select %[[IS0]]
// CHECK: %[[STEP0:.*]] = arith.select %[[IS0]], %[[STEP]], %c1_i64
// CHECK: %[[IS1:.*]] = arith.cmpi eq, %{{.*}}, %c1_i64
// CHECK: tensor.empty(%{{.*}}, %{{.*}}) : tensor<?x?xf32>
// CHECK: linalg.generic
// CHECK: %[[I:.*]] = linalg.index 0
// CHECK: %[[I64:.*]] = arith.index_cast %[[I]] : index to i64
// CHECK: %[[MUL:.*]] = arith.muli %[[I64]], %[[STEP0]]
// CHECK: arith.addi %[[START0]], %[[MUL]]
// CHECK: tensor.extract %[[X]]
func.func @slice_runtime_axes(%x: tensor<20x10xf32>, %starts: tensor<1xi64>, %ends: tensor<1xi64>, %axes: tensor<1xi64>, %steps: tensor<1xi64>) -> tensor<?x?xf32> {
  %0 = onnx.Slice %x, %starts, %ends, %axes, %steps : (tensor<20x10xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// CHECK-LABEL: func.func @split
// CHECK-SAME: (%[[X:.*]]: tensor<2x6xf32>
// CHECK: %[[A:.*]] = tensor.extract_slice %[[X]][0, 0] [2, 2] [1, 1] : tensor<2x6xf32> to tensor<2x2xf32>
// CHECK: %[[B:.*]] = tensor.extract_slice %[[X]][0, 2] [2, 4] [1, 1] : tensor<2x6xf32> to tensor<2x4xf32>
// CHECK: return %[[A]], %[[B]]
func.func @split(%x: tensor<2x6xf32>, %split: tensor<2xi64>) -> (tensor<2x2xf32>, tensor<2x4xf32>) {
  %0, %1 = onnx.Split %x, %split {axis = 1 : si64} : (tensor<2x6xf32>, tensor<2xi64>) -> (tensor<2x2xf32>, tensor<2x4xf32>)
  return %0, %1 : tensor<2x2xf32>, tensor<2x4xf32>
}

// -----

// Equal parts of a dynamic axis.
// CHECK-LABEL: func.func @split_equal_dynamic
// CHECK: %[[DIM:.*]] = tensor.dim
// CHECK: %[[PART:.*]] = arith.divui %[[DIM]], %c2
// CHECK: tensor.extract_slice %{{.*}}[0] [%[[PART]]] [1]
// CHECK: tensor.extract_slice %{{.*}}[%[[PART]]] [%[[PART]]] [1]
func.func @split_equal_dynamic(%x: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>) {
  %none = onnx.NoValue
  %0, %1 = onnx.Split %x, %none : (tensor<?xf32>, none) -> (tensor<?xf32>, tensor<?xf32>)
  return %0, %1 : tensor<?xf32>, tensor<?xf32>
}

// -----

// CHECK: #[[IDX:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @gather
// CHECK-SAME: (%[[X:.*]]: tensor<5x4xf32>, %[[I:.*]]: tensor<2x3xi64>)
// CHECK: linalg.generic {indexing_maps = [#[[IDX]], #{{.*}}]{{.*}} ins(%[[I]] : tensor<2x3xi64>) outs(%{{.*}} : tensor<5x2x3xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: i64, %{{.*}}: f32):
// CHECK: %[[INDEX:.*]] = arith.index_cast %[[IN]] : i64 to index
// CHECK: %[[NEG:.*]] = arith.cmpi slt, %[[INDEX]], %c0
// CHECK: %[[WRAPPED:.*]] = arith.addi %[[INDEX]], %c4
// CHECK: %[[K:.*]] = arith.select %[[NEG]], %[[WRAPPED]], %[[INDEX]]
// CHECK: %[[ROW:.*]] = linalg.index 0
// CHECK: tensor.extract %[[X]][%[[ROW]], %[[K]]] : tensor<5x4xf32>
func.func @gather(%x: tensor<5x4xf32>, %i: tensor<2x3xi64>) -> tensor<5x2x3xf32> {
  %0 = onnx.Gather %x, %i {axis = 1 : si64} : (tensor<5x4xf32>, tensor<2x3xi64>) -> tensor<5x2x3xf32>
  return %0 : tensor<5x2x3xf32>
}

// -----

// CHECK-LABEL: func.func @gather_elements
// CHECK-SAME: (%[[DATA:.*]]: tensor<3x3xf32>, %[[IDX:.*]]: tensor<2x3xi64>)
// CHECK: linalg.generic {{.*}} ins(%[[IDX]] : tensor<2x3xi64>)
// CHECK: %[[I:.*]] = linalg.index 0
// CHECK: tensor.extract %[[DATA]][%[[I]], %{{.*}}]
func.func @gather_elements(%data: tensor<3x3xf32>, %idx: tensor<2x3xi64>) -> tensor<2x3xf32> {
  %0 = onnx.GatherElements %data, %idx {axis = 1 : si64} : (tensor<3x3xf32>, tensor<2x3xi64>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @trilu
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>, %[[K:.*]]: tensor<i64>)
// CHECK: %[[KV:.*]] = tensor.extract %[[K]][]
// CHECK: linalg.generic
// CHECK: arith.subi
// CHECK: arith.cmpi sle, %{{.*}}, %[[KV]]
func.func @trilu(%x: tensor<2x3x4xf32>, %k: tensor<i64>) -> tensor<2x3x4xf32> {
  %0 = onnx.Trilu %x, %k {upper = 0 : si64} : (tensor<2x3x4xf32>, tensor<i64>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// Tile reads input[i mod size]; a result size known at run time only is the
// input's times the repeat.
// CHECK-LABEL: func.func @tile
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[R:.*]]: tensor<2xi64>)
// CHECK: tensor.extract %[[R]]
// CHECK: %[[SIZE:.*]] = arith.muli
// CHECK: tensor.empty(%[[SIZE]]) : tensor<4x?xf32>
// CHECK: linalg.generic
// CHECK: arith.remui
// CHECK: arith.remui
// CHECK: tensor.extract %[[X]]
func.func @tile(%x: tensor<2x3xf32>, %r: tensor<2xi64>) -> tensor<4x?xf32> {
  %0 = onnx.Tile %x, %r : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<4x?xf32>
  return %0 : tensor<4x?xf32>
}

// -----

// CHECK-LABEL: func.func @eyelike
// CHECK: linalg.generic
// CHECK: %[[I:.*]] = linalg.index 0
// CHECK: %[[J:.*]] = linalg.index 1
// CHECK: %[[K:.*]] = arith.addi %[[I]], %c1
// CHECK: arith.cmpi eq, %[[K]], %[[J]]
func.func @eyelike(%x: tensor<3x4xf32>) -> tensor<3x4xi32> {
  %0 = onnx.EyeLike %x {dtype = 6 : si64, k = 1 : si64} : (tensor<3x4xf32>) -> tensor<3x4xi32>
  return %0 : tensor<3x4xi32>
}

// -----

// Each output element of DepthToSpace / SpaceToDepth is read from its input
// position.
// CHECK-LABEL: func.func @depth_space
// CHECK: linalg.generic
// CHECK: tensor.extract %{{.*}} : tensor<1x8x2x3xf32>
// CHECK: linalg.generic
// CHECK: tensor.extract %{{.*}} : tensor<1x2x4x6xf32>
func.func @depth_space(%x: tensor<1x8x2x3xf32>) -> (tensor<1x2x4x6xf32>, tensor<1x8x2x3xf32>) {
  %0 = onnx.DepthToSpace %x {blocksize = 2 : si64, mode = "CRD"} : (tensor<1x8x2x3xf32>) -> tensor<1x2x4x6xf32>
  %1 = onnx.SpaceToDepth %0 {blocksize = 2 : si64} : (tensor<1x2x4x6xf32>) -> tensor<1x8x2x3xf32>
  return %0, %1 : tensor<1x2x4x6xf32>, tensor<1x8x2x3xf32>
}
