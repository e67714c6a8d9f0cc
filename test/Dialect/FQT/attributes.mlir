// RUN: fqt-opt %s --split-input-file | FileCheck %s
// Round trip (print, parse, print) of every quantizer attribute.
// RUN: fqt-opt %s --split-input-file | fqt-opt --split-input-file | FileCheck %s

// CHECK-LABEL: func.func private @gradient_quantizers
// CHECK-SAME: fqt.bhq = #fqt.bhq<bits = 4>
// CHECK-SAME: fqt.lbt = #fqt.lbt<bits = 4>
// CHECK-SAME: fqt.percol = #fqt.percol<bits = 8>
// CHECK-SAME: fqt.psq = #fqt.psq<bits = 5>
// CHECK-SAME: fqt.ptq = #fqt.ptq<bits = 8>
func.func private @gradient_quantizers() attributes {
  fqt.ptq = #fqt.ptq<bits = 8>,
  fqt.psq = #fqt.psq<bits = 5>,
  fqt.percol = #fqt.percol<bits = 8>,
  fqt.bhq = #fqt.bhq<bits = 4>,
  fqt.lbt = #fqt.lbt<bits = 4>
}

// -----

// CHECK-LABEL: func.func private @forward_quantizers
// CHECK-SAME: fqt.act = #fqt.act<bits = 8>
// CHECK-SAME: fqt.none = #fqt.none
// CHECK-SAME: fqt.weight = #fqt.weight<bits = 2>
func.func private @forward_quantizers() attributes {
  fqt.act = #fqt.act<bits = 8>,
  fqt.weight = #fqt.weight<bits = 2>,
  fqt.none = #fqt.none
}

// -----

// Default rounding is elided; the other one is printed.
// CHECK-LABEL: func.func private @rounding
// CHECK-SAME: fqt.a = #fqt.ptq<bits = 4, rounding = nearest>
// CHECK-SAME: fqt.b = #fqt.ptq<bits = 4>
// CHECK-SAME: fqt.c = #fqt.act<bits = 8, rounding = stochastic>
// CHECK-SAME: fqt.d = #fqt.act<bits = 8>
func.func private @rounding() attributes {
  fqt.a = #fqt.ptq<bits = 4, rounding = nearest>,
  fqt.b = #fqt.ptq<bits = 4, rounding = stochastic>,
  fqt.c = #fqt.act<bits = 8, rounding = stochastic>,
  fqt.d = #fqt.act<bits = 8, rounding = nearest>
}

// -----

// LBT hyper-parameters: defaults elided, others printed in exponent form,
// in any order on input.
// CHECK-LABEL: func.func private @lbt_parameters
// CHECK-SAME: fqt.a = #fqt.lbt<bits = 4, alpha = 2.000000e-03>
// CHECK-SAME: fqt.b = #fqt.lbt<bits = 3, gamma_step = 5.000000e-04, gamma_min = 1.000000e-02>
// CHECK-SAME: fqt.c = #fqt.lbt<bits = 4>
func.func private @lbt_parameters() attributes {
  fqt.a = #fqt.lbt<bits = 4, alpha = 2.0e-3>,
  fqt.b = #fqt.lbt<gamma_min = 0.01, bits = 3, gamma_step = 5.0e-4>,
  fqt.c = #fqt.lbt<bits = 4, alpha = 1.0e-3, gamma_step = 0.001>
}

// -----

// Every bit-width of the range parses.
// CHECK-LABEL: func.func private @bit_widths
// CHECK-SAME: #fqt.psq<bits = 1>
// CHECK-SAME: #fqt.psq<bits = 8>
// CHECK-SAME: #fqt.lbt<bits = 2>
func.func private @bit_widths() attributes {
  fqt.a = #fqt.psq<bits = 1>,
  fqt.b = #fqt.psq<bits = 8>,
  fqt.c = #fqt.lbt<bits = 2>
}
