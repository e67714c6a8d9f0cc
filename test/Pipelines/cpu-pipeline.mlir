// The CPU pipeline takes fqt + linalg on tensors all the way to LLVM.
// RUN: fqt-opt %s --fqt-cpu-pipeline | FileCheck %s
// RUN: fqt-opt %s --fqt-cpu-pipeline | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=LLVMIR

// CHECK-LABEL: llvm.func @dgrad
// CHECK-NOT: fqt.
// CHECK-NOT: linalg.
// CHECK-NOT: memref.
// CHECK: llvm.uitofp
// CHECK: llvm.fmul
// CHECK: llvm.return

// LLVMIR-LABEL: define {{.*}} @dgrad(
// LLVMIR: uitofp i8 {{.*}} to float
// LLVMIR: fmul float
// LLVMIR: fadd float
func.func @dgrad(%g: tensor<16x10xi8>, %gs: tensor<16xf32>, %gz: tensor<16xf32>,
                 %w: tensor<32x10xi8>, %ws: tensor<f32>, %wz: tensor<f32>) -> tensor<16x32xf32> {
  %dx = fqt.qmatmul %g as #fqt.psq<bits = 4> scale(%gs, %gz), %w as #fqt.weight<bits = 8> scale(%ws, %wz) transposed
      : (tensor<16x10xi8>, tensor<16xf32>, tensor<16xf32>, tensor<32x10xi8>, tensor<f32>, tensor<f32>) -> tensor<16x32xf32>
  return %dx : tensor<16x32xf32>
}
