// RUN: fqt-opt %s --split-input-file --verify-diagnostics

func.func @result_shape(%q: tensor<8x4xi8>, %s: tensor<8xf32>, %z: tensor<8xf32>) {
  // expected-error @below {{'fqt.dequantize' op result shape [4x8] differs from codes shape [8x4]}}
  %x = fqt.dequantize %q scale(%s, %z) {quantizer = #fqt.psq<bits = 4>} : tensor<8x4xi8>, tensor<8xf32>, tensor<8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @scale_shape(%q: tensor<8x4xi8>, %s: tensor<4xf32>, %z: tensor<4xf32>) {
  // expected-error @below {{codes: scale shape [4] does not match the per-row shape [8] of #fqt.psq<bits = 4>}}
  %x = fqt.dequantize %q scale(%s, %z) {quantizer = #fqt.psq<bits = 4>} : tensor<8x4xi8>, tensor<4xf32>, tensor<4xf32> -> tensor<8x4xf32>
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
