// RUN: fqt-opt %s --split-input-file --verify-diagnostics

// expected-error @below {{#fqt.blk bits must be in [2, 8], got 1}}
func.func private @blk_one_bit() attributes {fqt.q = #fqt.blk<bits = 1, size = 32, axis = 1>}

// -----

// expected-error @below {{#fqt.blk size must be positive, got 0}}
func.func private @blk_empty_blocks() attributes {fqt.q = #fqt.blk<bits = 4, size = 0, axis = 1>}

// -----

// expected-error @below {{#fqt.blk axis must be a dimension (>= 0), got -1}}
func.func private @blk_negative_axis() attributes {fqt.q = #fqt.blk<bits = 4, size = 32, axis = -1>}

// -----

// expected-error @below {{#fqt.rht signs must be a stream in [0, 2^32), got 4294967296}}
func.func private @rht_signs_beyond_32_bits() attributes {fqt.q = #fqt.rht<bits = 4, size = 16, axis = 1, signs = 4294967296>}

// -----

// expected-error @below {{#fqt.rht size must be a power of two in [2, 4096], got 24}}
func.func private @rht_not_power_of_two() attributes {fqt.q = #fqt.rht<bits = 4, size = 24, axis = 1, signs = 0>}

// -----

// expected-error @below {{#fqt.rht rounds stochastically: its random signs use the rounding's seed and step}}
func.func private @rht_nearest() attributes {fqt.q = #fqt.rht<bits = 4, size = 16, axis = 1, signs = 0, rounding = nearest>}

// -----

func.func @blk_scale_shape(%x: tensor<8x80xf32>, %seed: i64, %step: i64) {
  // expected-error @below {{codes: scale shape [8x2] does not match the per-block shape [8x3] of #fqt.blk<bits = 4, size = 32, axis = 1> on a tensor of shape [8x80]}}
  %q, %s = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.blk<bits = 4, size = 32, axis = 1>} : tensor<8x80xf32> -> tensor<8x80xi8>, tensor<8x2xf32>
  return
}

// -----

func.func @blk_axis_beyond_rank(%x: tensor<8x80xf32>, %seed: i64, %step: i64) {
  // expected-error @below {{codes: #fqt.blk<bits = 4, size = 32, axis = 2> scales per block, which a tensor of rank 2 does not have}}
  %q, %s = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.blk<bits = 4, size = 32, axis = 2>} : tensor<8x80xf32> -> tensor<8x80xi8>, tensor<8x3xf32>
  return
}

// -----

func.func @rht_blocks_do_not_divide(%x: tensor<8x80xf32>, %seed: i64, %step: i64) {
  // expected-error @below {{codes: #fqt.rht<bits = 4, size = 32, axis = 1, signs = 0> transforms blocks of 32, which do not divide the 80 values of dimension 1}}
  %q, %s, %t = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.rht<bits = 4, size = 32, axis = 1, signs = 0>} : tensor<8x80xf32> -> tensor<8x80xi8>, tensor<8x3xf32>, transform tensor<32xf32>
  return
}

// -----

func.func @rht_without_signs(%x: tensor<8x64xf32>, %seed: i64, %step: i64) {
  // expected-error @below {{codes: #fqt.rht<bits = 4, size = 32, axis = 1, signs = 0> needs its signs as transform}}
  %q, %s = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.rht<bits = 4, size = 32, axis = 1, signs = 0>} : tensor<8x64xf32> -> tensor<8x64xi8>, tensor<8x2xf32>
  return
}

// -----

func.func @blk_with_offset(%x: tensor<8x64xf32>, %seed: i64, %step: i64) {
  // expected-error @below {{codes: symmetric #fqt.blk<bits = 4, size = 32, axis = 1> has no offset}}
  %q, %s, %z = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.blk<bits = 4, size = 32, axis = 1>} : tensor<8x64xf32> -> tensor<8x64xi8>, tensor<8x2xf32>, offset tensor<8x2xf32>
  return
}

// -----

func.func @rht_partner_differs(%a: tensor<8x64xi8>, %as: tensor<8x4xf32>, %b: tensor<64x5xi8>, %bs: tensor<4x5xf32>) {
  // expected-error @below {{an #fqt.rht operand needs an #fqt.rht partner of the same size and signs}}
  %c = fqt.qmatmul %a as #fqt.rht<bits = 4, size = 16, axis = 1, signs = 9> scale(%as), %b as #fqt.rht<bits = 8, size = 16, axis = 0, signs = 8> scale(%bs) : (tensor<8x64xi8>, tensor<8x4xf32>, tensor<64x5xi8>, tensor<4x5xf32>) -> tensor<8x5xf32>
  return
}

// -----

func.func @rht_partner_missing(%a: tensor<8x64xi8>, %as: tensor<8x4xf32>, %b: tensor<64x5xi8>, %bs: tensor<f32>) {
  // expected-error @below {{an #fqt.rht operand needs an #fqt.rht partner of the same size and signs}}
  %c = fqt.qmatmul %a as #fqt.rht<bits = 4, size = 16, axis = 1, signs = 9> scale(%as), %b as #fqt.lbt<bits = 8> scale(%bs) : (tensor<8x64xi8>, tensor<8x4xf32>, tensor<64x5xi8>, tensor<f32>) -> tensor<8x5xf32>
  return
}

// -----

func.func @rht_not_along_k(%a: tensor<64x8xi8>, %as: tensor<4x8xf32>, %b: tensor<64x5xi8>, %bs: tensor<4x5xf32>) {
  // expected-error @below {{#fqt.rht operands must be transformed along the reduction}}
  %c = fqt.qmatmul %a as #fqt.rht<bits = 4, size = 16, axis = 0, signs = 9> scale(%as), %b as #fqt.rht<bits = 8, size = 16, axis = 0, signs = 9> scale(%bs) : (tensor<64x8xi8>, tensor<4x8xf32>, tensor<64x5xi8>, tensor<4x5xf32>) -> tensor<8x5xf32>
  return
}

// -----

func.func @rht_product_with_transform(%a: tensor<8x64xi8>, %as: tensor<8x4xf32>, %t: tensor<16xf32>, %b: tensor<64x5xi8>, %bs: tensor<4x5xf32>) {
  // expected-error @below {{lhs: an #fqt.rht operand of a product takes no transform (the product is the same in the transformed domain)}}
  %c = fqt.qmatmul %a as #fqt.rht<bits = 4, size = 16, axis = 1, signs = 9> scale(%as) transform(%t), %b as #fqt.rht<bits = 8, size = 16, axis = 0, signs = 9> scale(%bs) : (tensor<8x64xi8>, tensor<8x4xf32>, tensor<16xf32>, tensor<64x5xi8>, tensor<4x5xf32>) -> tensor<8x5xf32>
  return
}
