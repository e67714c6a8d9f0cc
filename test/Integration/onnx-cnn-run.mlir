// RUN: fqt-opt %s --fqt-convert-onnx-to-linalg --fqt-cpu-pipeline \
// RUN:   | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | FileCheck %s

// A small CNN head lowered from onnx ops: Conv (pad 1, bias) -> MaxPool ->
// GlobalAveragePool -> Flatten -> Reshape -> ReduceSum, on one 1x1x3x3
// image.

module {
  ml_program.global private @w(dense<1.0> : tensor<2x1x3x3xf32>) : tensor<2x1x3x3xf32>
  ml_program.global private @b(dense<[0.0, -100.0]> : tensor<2xf32>) : tensor<2xf32>

  func.func private @printMemrefF32(memref<*xf32>)

  func.func @forward(%x: tensor<1x1x3x3xf32>) -> (tensor<1x2xf32>, tensor<1x1xf32>) {
    %w = ml_program.global_load_const @w : tensor<2x1x3x3xf32>
    %b = ml_program.global_load_const @b : tensor<2xf32>
    %0 = onnx.Conv %x, %w, %b {kernel_shape = [3, 3], pads = [1, 1, 1, 1]}
        : (tensor<1x1x3x3xf32>, tensor<2x1x3x3xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
    %1, %none = onnx.MaxPool %0 {kernel_shape = [2, 2], strides = [1, 1]}
        : (tensor<1x2x3x3xf32>) -> (tensor<1x2x2x2xf32>, none)
    %2 = onnx.GlobalAveragePool %1 : (tensor<1x2x2x2xf32>) -> tensor<1x2x1x1xf32>
    %3 = onnx.Flatten %2 : (tensor<1x2x1x1xf32>) -> tensor<1x2xf32>
    %shape = onnx.Constant {value = dense<[-1]> : tensor<1xi64>} : () -> tensor<1xi64>
    %4 = onnx.Reshape %3, %shape : (tensor<1x2xf32>, tensor<1xi64>) -> tensor<2xf32>
    %axes = onnx.Constant {value = dense<[0]> : tensor<1xi64>} : () -> tensor<1xi64>
    %5 = onnx.ReduceSum %4, %axes : (tensor<2xf32>, tensor<1xi64>) -> tensor<1xf32>
    %6 = onnx.Unsqueeze %5, %axes : (tensor<1xf32>, tensor<1xi64>) -> tensor<1x1xf32>
    return %3, %6 : tensor<1x2xf32>, tensor<1x1xf32>
  }

  func.func @main() {
    // x = 1..9 row-major. The all-ones 3x3 kernel with zero padding sums
    // each 3x3 neighbourhood: [[12, 21, 16], [27, 45, 33], [24, 39, 28]].
    // 2x2 max pool: [[45, 45], [45, 45]]; average 45; channel 1 has bias
    // -100: -55. Their sum: -10.
    %x = arith.constant dense<[[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]]> : tensor<1x1x3x3xf32>
    %y:2 = call @forward(%x) : (tensor<1x1x3x3xf32>) -> (tensor<1x2xf32>, tensor<1x1xf32>)
    %m = bufferization.to_buffer %y#0 : tensor<1x2xf32> to memref<1x2xf32>
    %u = memref.cast %m : memref<1x2xf32> to memref<*xf32>
    // CHECK: sizes = [1, 2]
    // CHECK-NEXT: [45, -55]
    call @printMemrefF32(%u) : (memref<*xf32>) -> ()
    %s = bufferization.to_buffer %y#1 : tensor<1x1xf32> to memref<1x1xf32>
    %su = memref.cast %s : memref<1x1xf32> to memref<*xf32>
    // CHECK: sizes = [1, 1]
    // CHECK-NEXT: [-10]
    call @printMemrefF32(%su) : (memref<*xf32>) -> ()
    return
  }
}
