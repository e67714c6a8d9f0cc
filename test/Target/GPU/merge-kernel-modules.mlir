// RUN: fqt-opt %s --split-input-file --verify-diagnostics --fqt-gpu-merge-kernel-modules | FileCheck %s

// Three outlined modules become one; each kernel is named after its module
// and every launch points at the merged module.
// CHECK-LABEL: module attributes {gpu.container_module}
// CHECK: gpu.module @step_kernel {
// CHECK-DAG: gpu.func @step_kernel(
// CHECK-DAG: gpu.func @step_kernel_0(
// CHECK-DAG: gpu.func @step_kernel_1(
// CHECK: }
// CHECK-NOT: gpu.module
// CHECK-LABEL: func.func @step
// CHECK: gpu.launch_func @step_kernel::@step_kernel blocks
// CHECK: gpu.launch_func @step_kernel::@step_kernel_0 blocks
// CHECK: gpu.launch_func @step_kernel::@step_kernel_1 blocks
module attributes {gpu.container_module} {
  gpu.module @step_kernel {
    gpu.func @step_kernel(%m: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @step_kernel_0 {
    gpu.func @step_kernel(%m: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @step_kernel_1 {
    gpu.func @step_kernel(%m: memref<4xf32>) kernel {
      gpu.return
    }
  }
  func.func @step(%m: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @step_kernel::@step_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    gpu.launch_func @step_kernel_0::@step_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    gpu.launch_func @step_kernel_1::@step_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    return
  }
}

// -----

// Modules already compiled for different targets are not mixed.
module attributes {gpu.container_module} {
  gpu.module @a [#nvvm.target<chip = "sm_80">] {
  }
  // expected-error @below {{kernel modules with different targets cannot be merged}}
  gpu.module @b [#nvvm.target<chip = "sm_90">] {
  }
}
