// RUN: fqt-opt %s --split-input-file --verify-diagnostics

func.func @none_quantizer(%x: tensor<4x4xf32>) {
  // expected-error @below {{'fqt.quantize' op codes: #fqt.none is not a quantizer of codes}}
  %q, %s = fqt.quantize %x {quantizer = #fqt.none} : tensor<4x4xf32> -> tensor<4x4xi8>, tensor<f32>
  return
}

// -----

func.func @narrow_codes(%x: tensor<4x4xf32>) {
  // expected-error @below {{codes: code type 'i4' is narrower than the 8 bits of #fqt.weight<bits = 8>}}
  %q, %s, %z = fqt.quantize %x {quantizer = #fqt.weight<bits = 8>} : tensor<4x4xf32> -> tensor<4x4xi4>, tensor<f32>, offset tensor<f32>
  return
}

// -----

func.func @per_row_scale_shape(%x: tensor<32x10xf32>, %seed: i64, %step: i64) {
  // expected-error @below {{codes: scale shape [10] does not match the per-row shape [32] of #fqt.psq<bits = 4> on a tensor of shape [32x10]}}
  %q, %s, %z = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.psq<bits = 4>} : tensor<32x10xf32> -> tensor<32x10xi8>, tensor<10xf32>, offset tensor<10xf32>
  return
}

// -----

func.func @per_tensor_scale_shape(%x: tensor<32x10xf32>, %seed: i64, %step: i64) {
  // expected-error @below {{codes: scale shape [1] does not match the per-tensor shape [] of #fqt.ptq<bits = 4>}}
  %q, %s, %z = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.ptq<bits = 4>} : tensor<32x10xf32> -> tensor<32x10xi8>, tensor<1xf32>, offset tensor<1xf32>
  return
}

// -----

func.func @per_column_scale_shape(%x: tensor<8x4x3xf32>, %seed: i64, %step: i64) {
  // expected-error @below {{codes: scale shape [4] does not match the per-column shape [4x3] of #fqt.percol<bits = 8>}}
  %q, %s, %z = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.percol<bits = 8>} : tensor<8x4x3xf32> -> tensor<8x4x3xi8>, tensor<4xf32>, offset tensor<4xf32>
  return
}

// -----

func.func @per_column_of_vector(%x: tensor<8xf32>, %seed: i64, %step: i64) {
  // expected-error @below {{codes: #fqt.percol<bits = 8> scales per column, which a tensor of rank 1 does not have}}
  %q, %s, %z = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.percol<bits = 8>} : tensor<8xf32> -> tensor<8xi8>, tensor<f32>, offset tensor<f32>
  return
}

// -----

func.func @bhq_two_rows(%x: tensor<2x16xf32>, %seed: i64, %step: i64) {
  // expected-error @below {{codes: #fqt.bhq<bits = 4> needs at least 3 rows, got 2}}
  %q, %s, %z, %t = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.bhq<bits = 4>} : tensor<2x16xf32> -> tensor<2x16xi8>, tensor<2xf32>, offset tensor<2xf32>, transform tensor<2x2xf32>
  return
}

// -----

func.func @bhq_without_transform(%x: tensor<8x16xf32>, %seed: i64, %step: i64) {
  // expected-error @below {{codes: #fqt.bhq<bits = 4> needs its inverse transform}}
  %q, %s, %z = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.bhq<bits = 4>} : tensor<8x16xf32> -> tensor<8x16xi8>, tensor<8xf32>, offset tensor<8xf32>
  return
}

// -----

func.func @bhq_transform_shape(%x: tensor<8x16xf32>, %seed: i64, %step: i64) {
  // expected-error @below {{codes: transform shape [16x16] is not G x G for G row groups dividing the 8 rows}}
  %q, %s, %z, %t = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.bhq<bits = 4>} : tensor<8x16xf32> -> tensor<8x16xi8>, tensor<8xf32>, offset tensor<8xf32>, transform tensor<16x16xf32>
  return
}

// -----

func.func @bhq_transform_not_square(%x: tensor<8x16xf32>, %seed: i64, %step: i64) {
  // expected-error @below {{codes: transform shape [4x2] is not G x G for G row groups dividing the 8 rows}}
  %q, %s, %z, %t = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.bhq<bits = 4>} : tensor<8x16xf32> -> tensor<8x16xi8>, tensor<8xf32>, offset tensor<8xf32>, transform tensor<4x2xf32>
  return
}

// -----

func.func @bhq_groups_not_dividing(%x: tensor<8x16xf32>, %seed: i64, %step: i64) {
  // expected-error @below {{codes: transform shape [3x3] is not G x G for G row groups dividing the 8 rows}}
  %q, %s, %z, %t = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.bhq<bits = 4>} : tensor<8x16xf32> -> tensor<8x16xi8>, tensor<8xf32>, offset tensor<8xf32>, transform tensor<3x3xf32>
  return
}

// -----

func.func @bhq_too_few_groups(%x: tensor<8x16xf32>, %seed: i64, %step: i64) {
  // expected-error @below {{codes: #fqt.bhq<bits = 4> needs at least 3 row groups, got 2}}
  %q, %s, %z, %t = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.bhq<bits = 4>} : tensor<8x16xf32> -> tensor<8x16xi8>, tensor<8xf32>, offset tensor<8xf32>, transform tensor<2x2xf32>
  return
}

// -----

func.func @transform_not_bhq(%x: tensor<8x16xf32>, %seed: i64, %step: i64) {
  // expected-error @below {{codes: only #fqt.bhq and #fqt.rht have a transform, not #fqt.psq<bits = 4>}}
  %q, %s, %z, %t = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.psq<bits = 4>} : tensor<8x16xf32> -> tensor<8x16xi8>, tensor<8xf32>, offset tensor<8xf32>, transform tensor<8x8xf32>
  return
}

// -----

func.func @missing_offset(%x: tensor<8x16xf32>, %seed: i64, %step: i64) {
  // expected-error @below {{codes: #fqt.ptq<bits = 4> needs an offset}}
  %q, %s = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.ptq<bits = 4>} : tensor<8x16xf32> -> tensor<8x16xi8>, tensor<f32>
  return
}

// -----

func.func @symmetric_with_offset(%x: tensor<8x16xf32>, %seed: i64, %step: i64, %gamma: f32) {
  // expected-error @below {{codes: symmetric #fqt.lbt<bits = 4> has no offset}}
  %q, %s, %z = fqt.quantize %x seed(%seed, %step) gamma(%gamma) {quantizer = #fqt.lbt<bits = 4>} : tensor<8x16xf32> -> tensor<8x16xi8>, tensor<f32>, offset tensor<f32>
  return
}

// -----

func.func @offset_shape(%x: tensor<8x16xf32>, %seed: i64, %step: i64) {
  // expected-error @below {{codes: offset shape [] differs from scale shape [8]}}
  %q, %s, %z = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.psq<bits = 4>} : tensor<8x16xf32> -> tensor<8x16xi8>, tensor<8xf32>, offset tensor<f32>
  return
}

// -----

func.func @stochastic_without_seed(%x: tensor<8x16xf32>) {
  // expected-error @below {{stochastic rounding of #fqt.psq<bits = 4> needs seed(%seed, %step)}}
  %q, %s, %z = fqt.quantize %x {quantizer = #fqt.psq<bits = 4>} : tensor<8x16xf32> -> tensor<8x16xi8>, tensor<8xf32>, offset tensor<8xf32>
  return
}

// -----

func.func @nearest_with_seed(%x: tensor<8x16xf32>, %seed: i64, %step: i64) {
  // expected-error @below {{nearest rounding of #fqt.act<bits = 8> takes no seed}}
  %q, %s, %z = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.act<bits = 8>} : tensor<8x16xf32> -> tensor<8x16xi8>, tensor<f32>, offset tensor<f32>
  return
}

// -----

func.func @lbt_without_gamma(%x: tensor<8x16xf32>, %seed: i64, %step: i64) {
  // expected-error @below {{#fqt.lbt<bits = 4> needs its clipping factor gamma(%gamma)}}
  %q, %s = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.lbt<bits = 4>} : tensor<8x16xf32> -> tensor<8x16xi4>, tensor<f32>
  return
}

// -----

func.func @gamma_not_lbt(%x: tensor<8x16xf32>, %seed: i64, %step: i64, %gamma: f32) {
  // expected-error @below {{only #fqt.lbt takes gamma, not #fqt.ptq<bits = 4>}}
  %q, %s, %z = fqt.quantize %x seed(%seed, %step) gamma(%gamma) {quantizer = #fqt.ptq<bits = 4>} : tensor<8x16xf32> -> tensor<8x16xi8>, tensor<f32>, offset tensor<f32>
  return
}

// -----

func.func @codes_shape(%x: tensor<8x16xf32>) {
  // expected-error @below {{codes shape [16x8] differs from input shape [8x16]}}
  %q, %s, %z = fqt.quantize %x {quantizer = #fqt.act<bits = 8>} : tensor<8x16xf32> -> tensor<16x8xi8>, tensor<f32>, offset tensor<f32>
  return
}

// -----

func.func @float_codes(%x: tensor<8x16xf32>) {
  // expected-error @below {{result #0 must be ranked tensor of signless integer values}}
  %q, %s, %z = fqt.quantize %x {quantizer = #fqt.act<bits = 8>} : tensor<8x16xf32> -> tensor<8x16xf16>, tensor<f32>, offset tensor<f32>
  return
}

// -----

func.func @not_a_quantizer(%x: tensor<8x16xf32>) {
  // expected-error @below {{attribute 'quantizer' failed to satisfy constraint: fqt quantizer attribute}}
  %q, %s, %z = fqt.quantize %x {quantizer = 8 : i32} : tensor<8x16xf32> -> tensor<8x16xi8>, tensor<f32>, offset tensor<f32>
  return
}
