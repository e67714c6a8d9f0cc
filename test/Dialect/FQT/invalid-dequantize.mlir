// RUN: fqt-opt %s --split-input-file --verify-diagnostics

func.func @result_shape(%q: tensor<8x4xi8>, %s: tensor<8xf32>, %z: tensor<8xf32>) {
  // expected-error @below {{'fqt.dequantize' op result shape [4x8] differs from codes shape [8x4]}}
  %x = fqt.dequantize %q scale(%s, %z) {quantizer = #fqt.psq<bits = 4>} : tensor<8x4xi8>, tensor<8xf32>, tensor<8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @scale_shape(%q: tensor<8x4xi8>, %s: tensor<3xf32>, %z: tensor<3xf32>) {
  // expected-error @below {{codes: scale shape [3] does not match the per-row shape [8] of #fqt.psq<bits = 4> on a tensor of shape [8x4], nor [G] for G row groups dividing the rows}}
  %x = fqt.dequantize %q scale(%s, %z) {quantizer = #fqt.psq<bits = 4>} : tensor<8x4xi8>, tensor<3xf32>, tensor<3xf32> -> tensor<8x4xf32>
  return
}

// -----

// Row groups: 4 scales for 8 rows, each scaling 2 consecutive rows.
func.func @row_groups(%q: tensor<8x4xi8>, %s: tensor<4xf32>, %z: tensor<4xf32>) -> tensor<8x4xf32> {
  %x = fqt.dequantize %q scale(%s, %z) {quantizer = #fqt.psq<bits = 4>} : tensor<8x4xi8>, tensor<4xf32>, tensor<4xf32> -> tensor<8x4xf32>
  return %x : tensor<8x4xf32>
}

// -----

func.func @bhq_scale_not_transform_groups(%q: tensor<8x4xi8>, %s: tensor<8xf32>, %z: tensor<8xf32>, %t: tensor<4x4xf32>) {
  // expected-error @below {{codes: scale shape [8] does not match the 4 row groups of the transform}}
  %x = fqt.dequantize %q scale(%s, %z) transform(%t) {quantizer = #fqt.bhq<bits = 4>} : tensor<8x4xi8>, tensor<8xf32>, tensor<8xf32>, tensor<4x4xf32> -> tensor<8x4xf32>
  return
}

// -----

func.func @narrow(%q: tensor<8x4xi4>, %s: tensor<8xf32>, %z: tensor<8xf32>) {
  // expected-error @below {{codes: code type 'i4' is narrower than the 5 bits of #fqt.psq<bits = 5>}}
  %x = fqt.dequantize %q scale(%s, %z) {quantizer = #fqt.psq<bits = 5>} : tensor<8x4xi4>, tensor<8xf32>, tensor<8xf32> -> tensor<8x4xf32>
  return
}

// -----

func.func @bhq_missing_transform(%q: tensor<8x4xi8>, %s: tensor<8xf32>, %z: tensor<8xf32>) {
  // expected-error @below {{codes: #fqt.bhq<bits = 5> needs its inverse transform}}
  %x = fqt.dequantize %q scale(%s, %z) {quantizer = #fqt.bhq<bits = 5>} : tensor<8x4xi8>, tensor<8xf32>, tensor<8xf32> -> tensor<8x4xf32>
  return
}

// -----

func.func @missing_offset(%q: tensor<8x4xi8>, %s: tensor<f32>) {
  // expected-error @below {{codes: #fqt.act<bits = 8> needs an offset}}
  %x = fqt.dequantize %q scale(%s) {quantizer = #fqt.act<bits = 8>} : tensor<8x4xi8>, tensor<f32> -> tensor<8x4xf32>
  return
}
