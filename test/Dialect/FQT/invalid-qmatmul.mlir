// RUN: fqt-opt %s --split-input-file --verify-diagnostics

func.func @contraction(%a: tensor<4x8xi8>, %as: tensor<f32>, %az: tensor<f32>,
                       %b: tensor<6x3xi8>, %bs: tensor<f32>, %bz: tensor<f32>) {
  // expected-error @below {{'fqt.qmatmul' op contraction sizes differ: lhs has 8, rhs has 6}}
  %r = fqt.qmatmul %a as #fqt.act<bits = 8> scale(%as, %az), %b as #fqt.weight<bits = 8> scale(%bs, %bz)
      : (tensor<4x8xi8>, tensor<f32>, tensor<f32>, tensor<6x3xi8>, tensor<f32>, tensor<f32>) -> tensor<4x3xf32>
  return
}

// -----

// The transpose flag changes which dimension is contracted.
func.func @contraction_transposed(%a: tensor<4x8xi8>, %as: tensor<f32>, %az: tensor<f32>,
                                  %b: tensor<8x3xi8>, %bs: tensor<f32>, %bz: tensor<f32>) {
  // expected-error @below {{contraction sizes differ: lhs has 8, rhs has 3}}
  %r = fqt.qmatmul %a as #fqt.act<bits = 8> scale(%as, %az), %b as #fqt.weight<bits = 8> scale(%bs, %bz) transposed
      : (tensor<4x8xi8>, tensor<f32>, tensor<f32>, tensor<8x3xi8>, tensor<f32>, tensor<f32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @result_shape(%a: tensor<4x8xi8>, %as: tensor<f32>, %az: tensor<f32>,
                        %b: tensor<8x3xi8>, %bs: tensor<f32>, %bz: tensor<f32>) {
  // expected-error @below {{result shape [3x4] is not the product shape [4x3]}}
  %r = fqt.qmatmul %a as #fqt.act<bits = 8> scale(%as, %az), %b as #fqt.weight<bits = 8> scale(%bs, %bz)
      : (tensor<4x8xi8>, tensor<f32>, tensor<f32>, tensor<8x3xi8>, tensor<f32>, tensor<f32>) -> tensor<3x4xf32>
  return
}

// -----

func.func @rank(%a: tensor<2x4x8xi8>, %as: tensor<f32>, %az: tensor<f32>,
                %b: tensor<8x3xi8>, %bs: tensor<f32>, %bz: tensor<f32>) {
  // expected-error @below {{operands and result must be matrices, got ranks 3, 2 -> 2}}
  %r = fqt.qmatmul %a as #fqt.act<bits = 8> scale(%as, %az), %b as #fqt.weight<bits = 8> scale(%bs, %bz)
      : (tensor<2x4x8xi8>, tensor<f32>, tensor<f32>, tensor<8x3xi8>, tensor<f32>, tensor<f32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @rhs_scale(%a: tensor<4x8xi8>, %as: tensor<4xf32>, %az: tensor<4xf32>,
                     %b: tensor<8x3xi8>, %bs: tensor<8xf32>, %bz: tensor<8xf32>) {
  // expected-error @below {{rhs: scale shape [8] does not match the per-column shape [3] of #fqt.percol<bits = 8> on a tensor of shape [8x3]}}
  %r = fqt.qmatmul %a as #fqt.psq<bits = 4> scale(%as, %az), %b as #fqt.percol<bits = 8> scale(%bs, %bz)
      : (tensor<4x8xi8>, tensor<4xf32>, tensor<4xf32>, tensor<8x3xi8>, tensor<8xf32>, tensor<8xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @lhs_bits(%a: tensor<4x8xi4>, %as: tensor<f32>, %az: tensor<f32>,
                    %b: tensor<8x3xi8>, %bs: tensor<f32>, %bz: tensor<f32>) {
  // expected-error @below {{lhs: code type 'i4' is narrower than the 8 bits of #fqt.act<bits = 8>}}
  %r = fqt.qmatmul %a as #fqt.act<bits = 8> scale(%as, %az), %b as #fqt.weight<bits = 8> scale(%bs, %bz)
      : (tensor<4x8xi4>, tensor<f32>, tensor<f32>, tensor<8x3xi8>, tensor<f32>, tensor<f32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @bhq_transposed(%a: tensor<8x4xi8>, %as: tensor<8xf32>, %az: tensor<8xf32>, %t: tensor<8x8xf32>,
                          %b: tensor<8x3xi8>, %bs: tensor<f32>, %bz: tensor<f32>) {
  // expected-error @below {{a #fqt.bhq lhs cannot be transposed: its transform mixes the rows of the product}}
  %r = fqt.qmatmul %a as #fqt.bhq<bits = 4> scale(%as, %az) transform(%t) transposed, %b as #fqt.weight<bits = 8> scale(%bs, %bz)
      : (tensor<8x4xi8>, tensor<8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8x3xi8>, tensor<f32>, tensor<f32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @rhs_none(%a: tensor<4x8xi8>, %as: tensor<f32>, %az: tensor<f32>,
                    %b: tensor<8x3xi8>, %bs: tensor<f32>) {
  // expected-error @below {{rhs: #fqt.none is not a quantizer of codes}}
  %r = fqt.qmatmul %a as #fqt.act<bits = 8> scale(%as, %az), %b as #fqt.none scale(%bs)
      : (tensor<4x8xi8>, tensor<f32>, tensor<f32>, tensor<8x3xi8>, tensor<f32>) -> tensor<4x3xf32>
  return
}
