// The CPU pipeline takes fqt + linalg on tensors all the way to LLVM.
// RUN: fqt-opt %s --fqt-cpu-pipeline="simulate-qmatmul=1" | FileCheck %s
// RUN: fqt-opt %s --fqt-cpu-pipeline="simulate-qmatmul=1" | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=LLVMIR
// RUN: fqt-opt %s --fqt-cpu-pipeline="cpu-features=+avx,+avx2,+fma" | FileCheck %s --check-prefix=AVX2
// RUN: fqt-opt %s --fqt-cpu-pipeline="cpu-features=+avx512f,+avx512bw,+avx512vnni" | FileCheck %s --check-prefix=VNNI
// RUN: fqt-opt %s --fqt-cpu-pipeline="cpu-features=+sse4.2" | FileCheck %s --check-prefix=GENERIC

// Simulate: dequantized codes, f32 product.
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

// Integer products: the host's integer kernel, then the f32 epilogue.
// AVX2-LABEL: llvm.func @dgrad
// AVX2: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// AVX2: llvm.sitofp
// VNNI-LABEL: llvm.func @dgrad
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VNNI: llvm.sitofp
// GENERIC-LABEL: llvm.func @dgrad
// GENERIC-NOT: llvm.call_intrinsic
// GENERIC: llvm.mul %{{.*}} : vector<4xi32>
// GENERIC: llvm.sitofp
func.func @dgrad(%g: tensor<16x10xi8>, %gs: tensor<16xf32>, %gz: tensor<16xf32>,
                 %w: tensor<32x10xi8>, %ws: tensor<f32>, %wz: tensor<f32>) -> tensor<16x32xf32> {
  %dx = fqt.qmatmul %g as #fqt.psq<bits = 4> scale(%gs, %gz), %w as #fqt.weight<bits = 8> scale(%ws, %wz) transposed
      : (tensor<16x10xi8>, tensor<16xf32>, tensor<16xf32>, tensor<32x10xi8>, tensor<f32>, tensor<f32>) -> tensor<16x32xf32>
  return %dx : tensor<16x32xf32>
}
