// RUN: fqt-opt %s --fqt-emulate-amx -verify-diagnostics

// The emulation follows the implicit stride of the instruction only (the
// one --fqt-amx-kernels emits); an explicit stride is refused.
func.func @explicit_stride(%a: memref<?xi8>, %stride: index) {
  %c0 = arith.constant 0 : index
  // expected-error @below {{failed to legalize operation 'amx.tile_load'}}
  %t = amx.tile_load %a[%c0], %stride : memref<?xi8> into !amx.tile<16x64xi8>
  amx.tile_store %a[%c0], %t, %stride : memref<?xi8>, !amx.tile<16x64xi8>
  return
}
