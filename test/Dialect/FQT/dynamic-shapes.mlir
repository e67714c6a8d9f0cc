// Static and dynamic sizes mix: a dynamic size matches any size, so the
// verifiers accept these and keep rejecting the static mismatches.
// RUN: fqt-opt %s --split-input-file --verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @compatible
func.func @compatible(%g: tensor<?x4xf32>, %seed: i64, %step: i64,
                      %w: tensor<4x?xi8>, %ws: tensor<f32>, %wz: tensor<f32>) -> tensor<8x?xf32> {
  // CHECK: fqt.quantize {{.*}} : tensor<?x4xf32> -> tensor<8x4xi8>, tensor<?xf32>, offset tensor<?xf32>
  %q, %s, %z = fqt.quantize %g seed(%seed, %step) {quantizer = #fqt.psq<bits = 4>}
      : tensor<?x4xf32> -> tensor<8x4xi8>, tensor<?xf32>, offset tensor<?xf32>
  // CHECK: fqt.qmatmul
  %r = fqt.qmatmul %q as #fqt.psq<bits = 4> scale(%s, %z), %w as #fqt.weight<bits = 8> scale(%ws, %wz)
      : (tensor<8x4xi8>, tensor<?xf32>, tensor<?xf32>, tensor<4x?xi8>, tensor<f32>, tensor<f32>) -> tensor<8x?xf32>
  return %r : tensor<8x?xf32>
}

// -----

// BHQ on a dynamic batch is checked at run time, not rejected here.
// CHECK-LABEL: func.func @bhq_dynamic_rows
func.func @bhq_dynamic_rows(%g: tensor<?x4xf32>, %seed: i64, %step: i64) -> tensor<?x?xf32> {
  %q, %s, %z, %t = fqt.quantize %g seed(%seed, %step) {quantizer = #fqt.bhq<bits = 4>}
      : tensor<?x4xf32> -> tensor<?x4xi8>, tensor<?xf32>, offset tensor<?xf32>, transform tensor<?x?xf32>
  return %t : tensor<?x?xf32>
}

// -----

func.func @static_mismatch_remains(%g: tensor<?x4xf32>, %seed: i64, %step: i64) {
  // expected-error @below {{codes: scale shape [?x4] does not match the per-row shape [?]}}
  %q, %s, %z = fqt.quantize %g seed(%seed, %step) {quantizer = #fqt.psq<bits = 4>}
      : tensor<?x4xf32> -> tensor<?x4xi8>, tensor<?x4xf32>, offset tensor<?x4xf32>
  return
}
