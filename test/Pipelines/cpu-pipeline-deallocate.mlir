// RUN: fqt-opt %s --fqt-cpu-pipeline="vectorize=0" | FileCheck %s --check-prefix=KEEP
// RUN: fqt-opt %s --fqt-cpu-pipeline="vectorize=0 deallocate=1" | FileCheck %s --check-prefix=FREE

// Without entry points, the temporary between the two products is only
// freed with `deallocate` (what fqt-run asks for); the result is returned
// as a buffer the caller owns either way.
// KEEP-LABEL: llvm.func @two_products
// KEEP-NOT: llvm.call @free
// FREE-LABEL: llvm.func @two_products
// FREE: llvm.call @free
// FREE-NOT: llvm.call @free
// FREE: llvm.return
func.func @two_products(%a: tensor<8x8xf32>, %b: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  %t = linalg.matmul ins(%a, %b : tensor<8x8xf32>, tensor<8x8xf32>) outs(%z : tensor<8x8xf32>) -> tensor<8x8xf32>
  %u = linalg.matmul ins(%t, %b : tensor<8x8xf32>, tensor<8x8xf32>) outs(%z : tensor<8x8xf32>) -> tensor<8x8xf32>
  return %u : tensor<8x8xf32>
}
