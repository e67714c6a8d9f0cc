// RUN: fqt-opt %s --fqt-estimate-memory="limit=1500" -verify-diagnostics

// Over the limit: one error, for the function that needs the most (3 KiB;
// the other needs 2 KiB, also over the limit of 1.5 KiB, and gets none).
func.func @small(%a: tensor<256xf32>) -> tensor<256xf32> {
  %0 = arith.addf %a, %a : tensor<256xf32>
  return %0 : tensor<256xf32>
}

// expected-error @below {{'large' needs an estimated 3.0 KiB of memory, more than the limit of 1.5 KiB (--max-memory); a smaller --batch needs less}}
func.func @large(%a: tensor<256xf32>) -> tensor<256xf32> {
  %0 = arith.addf %a, %a : tensor<256xf32>
  %1 = arith.mulf %0, %0 : tensor<256xf32>
  return %1 : tensor<256xf32>
}
