// RUN: fqt-opt %s --split-input-file --fqt-build-training="loss=mse" | FileCheck %s

// Windows that tile the input (2x2, stride 2): the pixels are the windows
// [N, C, OH, 2, OW, 2] in place (a reshape); the first maximum of each
// window is a reduction over (kh, kw) of that view, and dX over the same
// view is dY (NCHW, no transpose) where a position is its window's
// maximum; every map a projected permutation, no copy of the windows.
ml_program.global private @s(dense<0.5> : tensor<2x3x8x8xf32>) : tensor<2x3x8x8xf32>
func.func @forward(%x: tensor<2x3x8x8xf32>) -> tensor<2x3x4x4xf32> {
  %s = ml_program.global_load_const @s : tensor<2x3x8x8xf32>
  %h = onnx.Mul %x, %s : (tensor<2x3x8x8xf32>, tensor<2x3x8x8xf32>) -> tensor<2x3x8x8xf32>
  %p, %idx = onnx.MaxPool %h {kernel_shape = [2, 2], strides = [2, 2]} : (tensor<2x3x8x8xf32>) -> (tensor<2x3x4x4xf32>, none)
  return %p : tensor<2x3x4x4xf32>
}

// CHECK-DAG: #[[WINDOW:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d4, d3, d5)>
// CHECK-DAG: #[[PER_WINDOW:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[OF_POSITION:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d4)>
// CHECK-DAG: #[[ID6:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
// CHECK-LABEL: func.func @train_step(
// CHECK: %[[VIEW:.*]] = tensor.expand_shape %{{.*}} output_shape [2, 3, 4, 2, 4, 2] : tensor<384xf32> into tensor<2x3x4x2x4x2xf32>
// CHECK: %[[ARGMAX:.*]]:2 = linalg.generic {indexing_maps = [#[[WINDOW]], #[[PER_WINDOW]], #[[PER_WINDOW]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%[[VIEW]] : tensor<2x3x4x2x4x2xf32>) outs(%{{.*}}, %{{.*}} : tensor<2x3x4x4xf32>, tensor<2x3x4x4xi64>)
// CHECK: arith.cmpf ogt
// CHECK: %[[SPREAD:.*]] = linalg.generic {indexing_maps = [#[[OF_POSITION]], #[[OF_POSITION]], #[[ID6]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%[[ARGMAX]]#1, %{{.*}} : tensor<2x3x4x4xi64>, tensor<2x3x4x4xf32>) outs(%{{.*}} : tensor<2x3x4x2x4x2xf32>)
// CHECK: arith.cmpi eq
// CHECK: tensor.collapse_shape %[[SPREAD]]
// CHECK-NOT: linalg.transpose
// CHECK-NOT: tensor<2x4x4x3x2x2xf32>
// CHECK: return
