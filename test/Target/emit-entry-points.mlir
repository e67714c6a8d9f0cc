// RUN: fqt-opt %s --split-input-file --fqt-emit-entry-points --verify-diagnostics | FileCheck %s

// One wrapper per step function: buffer i of the pointer array becomes a
// descriptor with offset 0 and row-major strides of argument i. The runtime's
// description is written from the functions' #fqt.slot and the module's
// #fqt.program: the out-parameters that bufferization made of the results
// (after the last argument-only slot, here `lr`) are its `result` lines.

module attributes {fqt.program = #fqt.program<loss = "mse", optimizer = "momentum", lr = 5.000000e-02, quantizers = {act = "ptq:8", dgrad = "psq:4", mode = "integer", weight = "ptq:8", wgrad = "ptq:8"}>} {
  func.func @step(%w: memref<2x3xf32> {fqt.slot = #fqt.slot<param, "w">},
                  %lr: memref<f32> {fqt.slot = #fqt.slot<hyper, "lr">},
                  %loss: memref<f32> {fqt.slot = #fqt.slot<loss, "loss">},
                  %w2: memref<2x3xf32> {fqt.slot = #fqt.slot<param, "w">}) {
    return
  }
  func.func private @helper(%x: memref<2xf32>) {
    return
  }
}

// CHECK: llvm.mlir.global internal constant @fqt_model_info_text("fqt-model 1\0Aloss mse\0Aoptimizer momentum lr=5.000000e-02\0Aquantizers act=ptq:8 weight=ptq:8 dgrad=psq:4 wgrad=ptq:8 mode=integer\0Afunction step\0Aarg param w f32 2x3\0Aarg hyper lr f32 scalar\0Aresult loss loss f32 scalar\0Aresult param w f32 2x3\0Aend\0A\00")
// CHECK-LABEL: func.func @fqt_step(
// CHECK-SAME: %[[BUFS:.*]]: !llvm.ptr)
// CHECK: %[[S0:.*]] = llvm.getelementptr %[[BUFS]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK: %[[P0:.*]] = llvm.load %[[S0]] : !llvm.ptr -> !llvm.ptr
// CHECK: llvm.insertvalue %[[P0]], %{{.*}}[0] : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>
// CHECK: %[[W:.*]] = builtin.unrealized_conversion_cast %{{.*}} : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)> to memref<2x3xf32>
// CHECK: llvm.getelementptr %[[BUFS]][1]
// CHECK: builtin.unrealized_conversion_cast %{{.*}} : !llvm.struct<(ptr, ptr, i64)> to memref<f32>
// CHECK: llvm.getelementptr %[[BUFS]][2]
// CHECK: llvm.getelementptr %[[BUFS]][3]
// CHECK: call @step(%[[W]], %{{.*}}, %{{.*}}, %{{.*}}) : (memref<2x3xf32>, memref<f32>, memref<f32>, memref<2x3xf32>) -> ()
// CHECK-NOT: func.func @fqt_helper
// CHECK-LABEL: func.func @fqt_model_info() -> !llvm.ptr
// CHECK: llvm.mlir.addressof @fqt_model_info_text

// -----

// expected-error @+1 {{no step functions (public functions whose arguments and results carry fqt.slot); run --fqt-build-training first}}
module {
}

// -----

module {
  // expected-error @+1 {{expected memref arguments and no results (run one-shot-bufferize with identity layouts and --buffer-results-to-out-params first)}}
  func.func @step(%w: tensor<2x3xf32> {fqt.slot = #fqt.slot<input, "w">}) -> (tensor<2x3xf32> {fqt.slot = #fqt.slot<output, "y">}) {
    return %w : tensor<2x3xf32>
  }
}

// -----

module {
  // expected-error @+1 {{argument of type 'memref<2x3xf32, strided<[?, ?], offset: ?>>' is not a statically shaped row-major memref}}
  func.func @step(%w: memref<2x3xf32, strided<[?, ?], offset: ?>> {fqt.slot = #fqt.slot<input, "w">}) {
    return
  }
}

// -----

module {
  // expected-error @+1 {{step function 'step' has no weight, input, label or hyper argument: the runtime cannot tell its arguments from its results}}
  func.func @step(%w: memref<2x3xf32> {fqt.slot = #fqt.slot<param, "w">}) {
    return
  }
}
