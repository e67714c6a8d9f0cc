// RUN: fqt-opt %s --split-input-file --fqt-prepare-entry-point-bufferization --verify-diagnostics | FileCheck %s

// The runtime owns the buffers: the described functions never write into
// their arguments; other functions are left alone.

module attributes {fqt.model_info = "fqt-model 1\0Afunction step\0Aarg param w f32 2x3\0Aresult loss loss f32 scalar\0Aend\0A"} {
  func.func @step(%w: tensor<2x3xf32>) -> tensor<f32> {
    %c = arith.constant dense<0.0> : tensor<f32>
    return %c : tensor<f32>
  }
  func.func @helper(%x: tensor<2xf32>) -> tensor<2xf32> {
    return %x : tensor<2xf32>
  }
}

// CHECK-LABEL: func.func @step(
// CHECK-SAME: %{{.*}}: tensor<2x3xf32> {bufferization.writable = false})
// CHECK-LABEL: func.func @helper(
// CHECK-SAME: %{{.*}}: tensor<2xf32>)

// -----

// expected-error @+1 {{no 'fqt.model_info' description; run --fqt-build-training first}}
module {
}
