// RUN: fqt-opt %s --split-input-file --verify-diagnostics --fqt-lower-quantize --fqt-test-philox

// The stream is one 32-bit word of the Philox counter.
func.func @negative_stream(%x: tensor<4x8xf32>, %seed: i64, %step: i64) -> tensor<4x8xi8> {
  // expected-error @below {{'fqt.quantize' op stream -1 does not fit the 32-bit stream word of the Philox counter; use a stream in [0, 2^32)}}
  %q, %s, %z = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.ptq<bits = 4>, stream = -1 : i64}
      : tensor<4x8xf32> -> tensor<4x8xi8>, tensor<f32>, offset tensor<f32>
  return %q : tensor<4x8xi8>
}

// -----

func.func @wide_stream(%x: tensor<4x8xf32>, %seed: i64, %step: i64) -> tensor<4x8xi8> {
  // expected-error @below {{'fqt.quantize' op stream 4294967296 does not fit the 32-bit stream word of the Philox counter}}
  %q, %s, %z = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.psq<bits = 4>, stream = 4294967296 : i64}
      : tensor<4x8xf32> -> tensor<4x8xi8>, tensor<4xf32>, offset tensor<4xf32>
  return %q : tensor<4x8xi8>
}

// -----

// Row groups (4 scales for 12 rows) are a reshape of the whole tensor, which
// needs every size.
func.func @row_groups_dynamic(%x: tensor<12x?xf32>, %seed: i64, %step: i64) -> tensor<12x?xi8> {
  // expected-error @below {{'fqt.quantize' op quantizing 4 row groups needs static input sizes}}
  %q, %s, %z = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.psq<bits = 4>, stream = 1 : i64}
      : tensor<12x?xf32> -> tensor<12x?xi8>, tensor<4xf32>, offset tensor<4xf32>
  return %q : tensor<12x?xi8>
}

// -----

// Block quantizers split an axis of a static shape into blocks.
func.func @blocks_dynamic(%x: tensor<?x64xf32>, %seed: i64, %step: i64) -> tensor<?x64xi8> {
  // expected-error @below {{'fqt.quantize' op block quantizers need static input sizes}}
  %q, %s = fqt.quantize %x seed(%seed, %step) {quantizer = #fqt.blk<bits = 4, size = 32, axis = 1>, stream = 1 : i64}
      : tensor<?x64xf32> -> tensor<?x64xi8>, tensor<?x2xf32>
  return %q : tensor<?x64xi8>
}

// -----

// The Philox test hook only fills declarations of the documented types.
// expected-error @below {{expected a declaration of type '(i64, i64, i64, i64) -> f32'}}
func.func private @fqt_test_philox_uniform(i64, i64, i64) -> f32
