// RUN: fqt-opt %s --split-input-file --verify-diagnostics --fqt-gpu-device-memory | FileCheck %s

// A step function (its buffers carry #fqt.slot): arguments are copied into managed
// buffers on entry, the out-parameter (the one result) is not read but
// copied back before the return; a temporary only kernels use is device
// memory, freed on a stream that is waited for.
// CHECK-LABEL: func.func @step
// CHECK-SAME: (%[[X:[^:]*]]: memref<4xf32> {fqt.slot = #fqt.slot<input, "x">}, %[[OUT:[^:]*]]: memref<4xf32> {fqt.slot = #fqt.slot<output, "y">})
// CHECK-DAG: %[[OUTD:.*]] = gpu.alloc  host_shared () : memref<4xf32>
// CHECK-DAG: %[[XD:.*]] = gpu.alloc  host_shared () : memref<4xf32>
// CHECK-DAG: memref.copy %[[X]], %[[XD]]
// CHECK-NOT: memref.copy %[[OUT]]
// CHECK: %[[TS:.*]] = gpu.wait async
// CHECK: %[[T:.*]], %[[TA:.*]] = gpu.alloc async [%[[TS]]] () : memref<4xf32>
// CHECK: gpu.wait [%[[TA]]]
// CHECK: gpu.launch_func @k::@k {{.*}} args(%[[XD]] : memref<4xf32>, %[[T]] : memref<4xf32>)
// CHECK: gpu.launch_func @k::@k {{.*}} args(%[[T]] : memref<4xf32>, %[[OUTD]] : memref<4xf32>)
// CHECK: %[[S:.*]] = gpu.wait async
// CHECK: %[[F:.*]] = gpu.dealloc async [%[[S]]] %[[T]]
// CHECK: gpu.wait [%[[F]]]
// CHECK: memref.copy %[[OUTD]], %[[OUT]]
// CHECK-DAG: gpu.dealloc async {{.*}} %[[XD]]
// CHECK-DAG: gpu.dealloc async {{.*}} %[[OUTD]]
// CHECK: return
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.dealloc
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @k(%a: memref<4xf32>, %b: memref<4xf32>) kernel {
      gpu.return
    }
  }
  func.func @step(%x: memref<4xf32> {fqt.slot = #fqt.slot<input, "x">},
                  %out: memref<4xf32> {fqt.slot = #fqt.slot<output, "y">}) {
    %c1 = arith.constant 1 : index
    %t = memref.alloc() : memref<4xf32>
    gpu.launch_func @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>, %t : memref<4xf32>)
    gpu.launch_func @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%t : memref<4xf32>, %out : memref<4xf32>)
    memref.dealloc %t : memref<4xf32>
    return
  }
  // Not a step function: only its temporaries change.
  // CHECK-LABEL: func.func @helper
  // CHECK-SAME: (%[[Y:.*]]: memref<4xf32>)
  // CHECK-NOT: memref.copy
  // CHECK: gpu.alloc  host_shared () : memref<4xf32>
  func.func @helper(%y: memref<4xf32>) {
    %t = memref.alloc() : memref<4xf32>
    memref.copy %y, %t : memref<4xf32> to memref<4xf32>
    return
  }
}

// -----

module {
  // expected-error @below {{step function 'step' has no weight, input, label or hyper argument: the runtime cannot tell its arguments from its results}}
  func.func @step(%x: memref<4xf32> {fqt.slot = #fqt.slot<param, "x">}) {
    return
  }
}

// -----

module {
  // expected-error @below {{argument #0 has a dynamic shape; the GPU target needs statically shaped entry arguments}}
  func.func @step(%x: memref<?xf32> {fqt.slot = #fqt.slot<input, "x">}) {
    return
  }
}

// -----

// A constant read by a kernel gets a managed copy for the call; one that is
// only copied from (as `init` does) stays in the host image.
// CHECK-LABEL: func.func @constants
// CHECK: %[[G0:.*]] = memref.get_global @kernel_constant
// CHECK-NEXT: %[[D:.*]] = gpu.alloc  host_shared () : memref<4xf32>
// CHECK-NEXT: memref.copy %[[G0]], %[[D]]
// CHECK: %[[G1:.*]] = memref.get_global @copied_constant
// CHECK-NEXT: memref.copy %[[G1]], %{{.*}}
// CHECK: gpu.launch_func @k::@k {{.*}} args(%[[D]] : memref<4xf32>)
// CHECK: gpu.dealloc async {{.*}} %[[D]]
// CHECK: return
module attributes {gpu.container_module} {
  memref.global "private" constant @kernel_constant : memref<4xf32> = dense<1.0>
  memref.global "private" constant @copied_constant : memref<4xf32> = dense<2.0>
  gpu.module @k {
    gpu.func @k(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }
  func.func @constants(%out: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    %g = memref.get_global @kernel_constant : memref<4xf32>
    %h = memref.get_global @copied_constant : memref<4xf32>
    memref.copy %h, %out : memref<4xf32> to memref<4xf32>
    gpu.launch_func @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%g : memref<4xf32>)
    return
  }
}

// -----

// Device memory for what only kernels touch, through views too; managed
// memory for what the host reads or writes, or copies with memref.copy.
// CHECK-LABEL: func.func @kinds
// CHECK: %[[KERNELS:.*]], %{{.*}} = gpu.alloc async [%{{.*}}] () : memref<8xf32>
// CHECK: %[[VIEWED:.*]], %{{.*}} = gpu.alloc async [%{{.*}}] () : memref<8xf32>
// CHECK: %[[LOADED:.*]] = gpu.alloc  host_shared () : memref<8xf32>
// CHECK: %[[LOADEDVIEW:.*]] = gpu.alloc  host_shared () : memref<8xf32>
// CHECK: %[[COPIED:.*]] = gpu.alloc  host_shared () : memref<8xf32>
// CHECK: %[[FILLED:.*]], %{{.*}} = gpu.alloc async [%{{.*}}] () : memref<8xf32>
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @k(%a: memref<8xf32>, %b: memref<4xf32, strided<[1], offset: 4>>) kernel {
      gpu.return
    }
  }
  func.func @kinds(%out: memref<8xf32>) -> f32 {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %zero = arith.constant 0.0 : f32
    %kernels = memref.alloc() : memref<8xf32>
    %viewed = memref.alloc() : memref<8xf32>
    %loaded = memref.alloc() : memref<8xf32>
    %loaded_view = memref.alloc() : memref<8xf32>
    %copied = memref.alloc() : memref<8xf32>
    %filled = memref.alloc() : memref<8xf32>
    %v = memref.subview %viewed[4] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 4>>
    gpu.launch_func @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%kernels : memref<8xf32>, %v : memref<4xf32, strided<[1], offset: 4>>)
    %x = memref.load %loaded[%c0] : memref<8xf32>
    %w = memref.subview %loaded_view[4] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 4>>
    memref.store %x, %w[%c0] : memref<4xf32, strided<[1], offset: 4>>
    memref.copy %copied, %out : memref<8xf32> to memref<8xf32>
    gpu.memset %filled, %zero : memref<8xf32>, f32
    memref.dealloc %kernels : memref<8xf32>
    memref.dealloc %viewed : memref<8xf32>
    memref.dealloc %loaded : memref<8xf32>
    memref.dealloc %loaded_view : memref<8xf32>
    memref.dealloc %copied : memref<8xf32>
    memref.dealloc %filled : memref<8xf32>
    return %x : f32
  }
}
