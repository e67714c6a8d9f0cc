// Malformed input gives one diagnostic with file and position, and a
// non-zero exit.
// RUN: not fqt-opt %s 2>&1 | FileCheck %s

// CHECK: bad-input.mlir:[[@LINE+2]]:{{[0-9]+}}: error: custom op 'fqt.quantise' is unknown
func.func @typo(%x: tensor<4xf32>) {
  %q, %s, %z = fqt.quantise %x {quantizer = #fqt.act<bits = 8>} : tensor<4xf32> -> tensor<4xi8>, tensor<f32>, offset tensor<f32>
  return
}
