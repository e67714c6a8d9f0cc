// RUN: fqt-opt %s --fqt-cpu-pipeline="entry-points=1 vectorize=0 openmp=0" | FileCheck %s
// RUN: fqt-opt %s --fqt-cpu-pipeline="entry-points=1 vectorize=0 openmp=0 workspace=0" | FileCheck %s --check-prefix=ALLOC

// A step's temporaries live in the workspace the runtime passes (listed in
// its description as an argument before the results), so the step
// allocates and frees nothing; with workspace=0 it mallocs and frees them.

// CHECK: fqt_model_info_text("{{.*}}function step\0Aarg input x f32 4x8\0Aarg workspace workspace i8 {{[0-9]+}}\0Aresult loss loss f32 scalar\0Aend
// CHECK-LABEL: llvm.func @step(
// CHECK-NOT: @malloc
// CHECK-NOT: @free
// CHECK: llvm.return

// ALLOC: fqt_model_info_text("{{.*}}function step\0Aarg input x f32 4x8\0Aresult loss loss f32 scalar\0Aend
// ALLOC-LABEL: llvm.func @step(
// ALLOC: llvm.call @malloc
// ALLOC: llvm.call @free

#id = affine_map<(d0, d1) -> (d0, d1)>
#all = affine_map<(d0, d1) -> ()>
module attributes {fqt.program = #fqt.program<loss = "mse", optimizer = "sgd", lr = 1.000000e-01>} {
  func.func @step(%x: tensor<4x8xf32> {fqt.slot = #fqt.slot<input, "x">})
      -> (tensor<f32> {fqt.slot = #fqt.slot<loss, "loss">}) {
    %empty = tensor.empty() : tensor<4x8xf32>
    %sq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%x : tensor<4x8xf32>) outs(%empty : tensor<4x8xf32>) {
    ^bb0(%a: f32, %o: f32):
      %m = arith.mulf %a, %a : f32
      linalg.yield %m : f32
    } -> tensor<4x8xf32>
    %zero = arith.constant 0.0 : f32
    %init = tensor.empty() : tensor<f32>
    %acc = linalg.fill ins(%zero : f32) outs(%init : tensor<f32>) -> tensor<f32>
    %sum = linalg.generic {indexing_maps = [#id, #all], iterator_types = ["reduction", "reduction"]}
        ins(%sq : tensor<4x8xf32>) outs(%acc : tensor<f32>) {
    ^bb0(%a: f32, %o: f32):
      %s = arith.addf %a, %o : f32
      linalg.yield %s : f32
    } -> tensor<f32>
    return %sum : tensor<f32>
  }
}
