// RUN: fqt-opt %s --split-input-file --fqt-estimate-memory="report=true" -verify-diagnostics | FileCheck %s

// The argument (1 KiB) is live throughout; each result from its op to its
// last use: %0 + %1 are live together at the mulf (3 KiB), then %0 dies;
// %1 + %2 at the second addf (3 KiB again).
// CHECK-LABEL: func.func @chain
// CHECK-SAME: attributes {fqt.peak_memory = 3072 : i64}
// expected-remark @below {{peak memory estimate of 'chain': 3.0 KiB (3072 bytes)}}
func.func @chain(%a: tensor<256xf32>) -> tensor<256xf32> {
  %0 = arith.addf %a, %a : tensor<256xf32>
  %1 = arith.mulf %0, %0 : tensor<256xf32>
  %2 = arith.addf %1, %a : tensor<256xf32>
  return %2 : tensor<256xf32>
}

// -----

// A value used inside a loop lives until the loop ends; the loop's own
// temporaries are not counted. i8 elements are one byte each: at the loop,
// the argument (256 B), its init %e (1 KiB) and its result (1 KiB).
// CHECK-LABEL: func.func @loop
// CHECK-SAME: attributes {fqt.peak_memory = 2304 : i64}
// expected-remark @below {{peak memory estimate of 'loop': 2.2 KiB (2304 bytes)}}
func.func @loop(%a: tensor<256xi8>, %n: index) -> tensor<256xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %e = tensor.empty() : tensor<256xf32>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %e) -> (tensor<256xf32>) {
    %t = arith.uitofp %a : tensor<256xi8> to tensor<256xf32>
    %s = arith.addf %acc, %t : tensor<256xf32>
    scf.yield %s : tensor<256xf32>
  }
  return %r : tensor<256xf32>
}
