// RUN: fqt-opt %s --fqt-convert-onnx-to-linalg --fqt-cpu-pipeline \
// RUN:   | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | FileCheck %s

// An imported-style MLP (parameters as ml_program globals, a dynamic batch):
// Gemm (transB, bias) -> Relu -> MatMul -> Add, lowered from onnx ops.

module {
  ml_program.global private @w1(dense<[[1.0, 2.0], [3.0, 4.0], [-1.0, 0.0]]> : tensor<3x2xf32>) : tensor<3x2xf32>
  ml_program.global private @b1(dense<[0.5, -10.0, 3.0]> : tensor<3xf32>) : tensor<3xf32>
  ml_program.global private @w2(dense<[[2.0], [1.0], [1.0]]> : tensor<3x1xf32>) : tensor<3x1xf32>

  func.func private @printMemrefF32(memref<*xf32>)

  func.func @forward(%x: tensor<?x2xf32>) -> tensor<?x1xf32> {
    %w1 = ml_program.global_load_const @w1 : tensor<3x2xf32>
    %b1 = ml_program.global_load_const @b1 : tensor<3xf32>
    %w2 = ml_program.global_load_const @w2 : tensor<3x1xf32>
    %c = onnx.Constant {value = dense<0.25> : tensor<1xf32>} : () -> tensor<1xf32>
    %0 = onnx.Gemm %x, %w1, %b1 {transB = 1 : si64} : (tensor<?x2xf32>, tensor<3x2xf32>, tensor<3xf32>) -> tensor<?x3xf32>
    %1 = onnx.Relu %0 : (tensor<?x3xf32>) -> tensor<?x3xf32>
    %2 = onnx.MatMul %1, %w2 : (tensor<?x3xf32>, tensor<3x1xf32>) -> tensor<?x1xf32>
    %3 = onnx.Add %2, %c : (tensor<?x1xf32>, tensor<1xf32>) -> tensor<?x1xf32>
    return %3 : tensor<?x1xf32>
  }

  func.func @main() {
    // x W1^T + b1 = [[3.5, -3, 2], [0.5, -8, 1]]; Relu; times W2 = [9, 2];
    // plus 0.25.
    %x = arith.constant dense<[[1.0, 1.0], [2.0, -1.0]]> : tensor<2x2xf32>
    %xd = tensor.cast %x : tensor<2x2xf32> to tensor<?x2xf32>
    %y = call @forward(%xd) : (tensor<?x2xf32>) -> tensor<?x1xf32>
    %m = bufferization.to_buffer %y : tensor<?x1xf32> to memref<?x1xf32>
    %u = memref.cast %m : memref<?x1xf32> to memref<*xf32>
    // CHECK: sizes = [2, 1]
    // CHECK-NEXT: [9.25]
    // CHECK-NEXT: [2.25]
    call @printMemrefF32(%u) : (memref<*xf32>) -> ()
    return
  }
}
