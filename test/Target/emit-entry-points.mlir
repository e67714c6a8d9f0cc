// RUN: fqt-opt %s --split-input-file --fqt-emit-entry-points --verify-diagnostics | FileCheck %s

// One wrapper per described function: buffer i of the pointer array becomes
// a descriptor with offset 0 and row-major strides of argument i.

module attributes {fqt.model_info = "fqt-model 1\0Afunction step\0Aarg param w f32 2x3\0Aarg hyper lr f32 scalar\0Aresult loss loss f32 scalar\0Aend\0A"} {
  func.func @step(%w: memref<2x3xf32>, %lr: memref<f32>, %loss: memref<f32>) {
    return
  }
}

// CHECK-LABEL: func.func @fqt_step(
// CHECK-SAME: %[[BUFS:.*]]: !llvm.ptr)
// CHECK: %[[S0:.*]] = llvm.getelementptr %[[BUFS]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK: %[[P0:.*]] = llvm.load %[[S0]] : !llvm.ptr -> !llvm.ptr
// CHECK: llvm.insertvalue %[[P0]], %{{.*}}[0] : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>
// CHECK: %[[W:.*]] = builtin.unrealized_conversion_cast %{{.*}} : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)> to memref<2x3xf32>
// CHECK: llvm.getelementptr %[[BUFS]][1]
// CHECK: builtin.unrealized_conversion_cast %{{.*}} : !llvm.struct<(ptr, ptr, i64)> to memref<f32>
// CHECK: llvm.getelementptr %[[BUFS]][2]
// CHECK: call @step(%[[W]], %{{.*}}, %{{.*}}) : (memref<2x3xf32>, memref<f32>, memref<f32>) -> ()
// CHECK-LABEL: func.func @fqt_model_info() -> !llvm.ptr
// CHECK: llvm.mlir.addressof @fqt_model_info_text

// -----

// expected-error @+1 {{no 'fqt.model_info' description; run --fqt-build-training first}}
module {
}

// -----

module attributes {fqt.model_info = "fqt-model 1\0Afunction step\0Aarg param w f32 2x3\0Aend\0A"} {
  // expected-error @+1 {{expected 1 memref arguments and no results (run one-shot-bufferize with identity layouts and --buffer-results-to-out-params first)}}
  func.func @step(%w: tensor<2x3xf32>) -> tensor<2x3xf32> {
    return %w : tensor<2x3xf32>
  }
}

// -----

module attributes {fqt.model_info = "fqt-model 1\0Afunction step\0Aarg param w f32 2x3\0Aend\0A"} {
  // expected-error @+1 {{argument of type 'memref<2x3xf32, strided<[?, ?], offset: ?>>' is not a statically shaped row-major memref}}
  func.func @step(%w: memref<2x3xf32, strided<[?, ?], offset: ?>>) {
    return
  }
}

// -----

// expected-error @+1 {{the model description lists 'missing', which the module does not define}}
module attributes {fqt.model_info = "fqt-model 1\0Afunction missing\0Aend\0A"} {
}
