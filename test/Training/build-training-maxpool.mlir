// RUN: fqt-opt %s --split-input-file --fqt-build-training="loss=mse" | FileCheck %s

// Windows that tile the input (2x2, stride 2): the first maximum of each
// window is found from the input in place (the kernel's shape is an operand
// that is never read), then each pixel takes dY (NCHW, no transpose) where
// it is its window's maximum; no copy of the windows, no spread over them.
ml_program.global private @s(dense<0.5> : tensor<2x3x8x8xf32>) : tensor<2x3x8x8xf32>
func.func @forward(%x: tensor<2x3x8x8xf32>) -> tensor<2x3x4x4xf32> {
  %s = ml_program.global_load_const @s : tensor<2x3x8x8xf32>
  %h = onnx.Mul %x, %s : (tensor<2x3x8x8xf32>, tensor<2x3x8x8xf32>) -> tensor<2x3x8x8xf32>
  %p, %idx = onnx.MaxPool %h {kernel_shape = [2, 2], strides = [2, 2]} : (tensor<2x3x8x8xf32>) -> (tensor<2x3x4x4xf32>, none)
  return %p : tensor<2x3x4x4xf32>
}

// CHECK-DAG: #[[WINDOW:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 * 2 + d4, d3 * 2 + d5)>
// CHECK-DAG: #[[KERNEL:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>
// CHECK-DAG: #[[OF_PIXEL:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2 floordiv 2, d3 floordiv 2)>
// CHECK-LABEL: func.func @train_step(
// CHECK: %[[KSHAPE:.*]] = tensor.empty() : tensor<2x2xf32>
// CHECK: %[[ARGMAX:.*]]:2 = linalg.generic {indexing_maps = [#[[WINDOW]], #[[KERNEL]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%{{.*}}, %[[KSHAPE]] : tensor<2x3x8x8xf32>, tensor<2x2xf32>) outs(%{{.*}}, %{{.*}} : tensor<2x3x4x4xf32>, tensor<2x3x4x4xi64>)
// CHECK: arith.cmpf ogt
// CHECK: linalg.generic {indexing_maps = [#[[OF_PIXEL]], #[[OF_PIXEL]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[ARGMAX]]#1, %{{.*}} : tensor<2x3x4x4xi64>, tensor<2x3x4x4xf32>) outs(%{{.*}} : tensor<2x3x8x8xf32>)
// CHECK: arith.remui
// CHECK: arith.cmpi eq
// CHECK-NOT: linalg.transpose
// CHECK-NOT: tensor<2x4x4x3x2x2xf32>
// CHECK: return
