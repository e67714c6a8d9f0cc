// RUN: fqt-opt %s --split-input-file --verify-diagnostics

func.func @missing_scale_keyword(%q: tensor<4xi8>, %s: tensor<f32>, %z: tensor<f32>) {
  // expected-error @below {{expected 'scale'}}
  %x = fqt.dequantize %q (%s, %z) {quantizer = #fqt.act<bits = 8>} : tensor<4xi8>, tensor<f32>, tensor<f32> -> tensor<4xf32>
  return
}

// -----

func.func @missing_quantizer(%a: tensor<4x8xi8>, %as: tensor<f32>, %az: tensor<f32>) {
  // expected-error @below {{expected 'as'}}
  %r = fqt.qmatmul %a scale(%as, %az), %a scale(%as, %az)
      : (tensor<4x8xi8>, tensor<f32>, tensor<f32>, tensor<4x8xi8>, tensor<f32>, tensor<f32>) -> tensor<4x4xf32>
  return
}

// -----

func.func @seed_without_step(%x: tensor<4xf32>, %seed: i64) {
  // expected-error @below {{expected ','}}
  %q, %s, %z = fqt.quantize %x seed(%seed) {quantizer = #fqt.ptq<bits = 4>} : tensor<4xf32> -> tensor<4xi8>, tensor<f32>, offset tensor<f32>
  return
}

// -----

func.func @type_count(%q: tensor<4xi8>, %s: tensor<f32>, %z: tensor<f32>) {
  // expected-error @below {{number of operands and types do not match: got 3 operands and 2 types}}
  %x = fqt.dequantize %q scale(%s, %z) {quantizer = #fqt.act<bits = 8>} : tensor<4xi8>, tensor<f32> -> tensor<4xf32>
  return
}
