// RUN: fqt-opt %s --fqt-cpu-pipeline | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | FileCheck %s
// RUN: fqt-opt %s --fqt-cpu-pipeline="cpu-features=+sse4.2" | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | FileCheck %s
// RUN: fqt-opt %s --fqt-cpu-pipeline="vectorize=0" | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN:   | FileCheck %s

// fqt.qmatmul on integer codes (--fqt-lower-qmatmul, then the vector
// kernels of the host, of a plain SSE target, or scalar loops) against the
// simulate semantics written out: dequantize both operands, f32 product.
// Sizes 13 x 29 x 37 leave remainders in every kernel dimension. Each line
// prints 1 when max|integer - simulate| <= 1e-5 max|simulate|.

#id = affine_map<(i, j) -> (i, j)>

// Codes ((i * a + j * 7 + b) mod p) - s, as i8.
func.func @codes_13x37(%a: i32, %b: i32, %p: i32, %s: i32) -> tensor<13x37xi8> {
  %e = tensor.empty() : tensor<13x37xi8>
  %r = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<13x37xi8>) {
  ^bb0(%o: i8):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %ii = arith.index_cast %i : index to i32
    %jj = arith.index_cast %j : index to i32
    %c7 = arith.constant 7 : i32
    %x = arith.muli %ii, %a : i32
    %y = arith.muli %jj, %c7 : i32
    %z = arith.addi %x, %y : i32
    %w = arith.addi %z, %b : i32
    %m = arith.remui %w, %p : i32
    %v = arith.subi %m, %s : i32
    %t = arith.trunci %v : i32 to i8
    linalg.yield %t : i8
  } -> tensor<13x37xi8>
  return %r : tensor<13x37xi8>
}

// Codes ((i * a + j * 7 + b) mod p) - s, as i8.
func.func @codes_37x13(%a: i32, %b: i32, %p: i32, %s: i32) -> tensor<37x13xi8> {
  %e = tensor.empty() : tensor<37x13xi8>
  %r = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<37x13xi8>) {
  ^bb0(%o: i8):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %ii = arith.index_cast %i : index to i32
    %jj = arith.index_cast %j : index to i32
    %c7 = arith.constant 7 : i32
    %x = arith.muli %ii, %a : i32
    %y = arith.muli %jj, %c7 : i32
    %z = arith.addi %x, %y : i32
    %w = arith.addi %z, %b : i32
    %m = arith.remui %w, %p : i32
    %v = arith.subi %m, %s : i32
    %t = arith.trunci %v : i32 to i8
    linalg.yield %t : i8
  } -> tensor<37x13xi8>
  return %r : tensor<37x13xi8>
}

// Codes ((i * a + j * 7 + b) mod p) - s, as i8.
func.func @codes_37x29(%a: i32, %b: i32, %p: i32, %s: i32) -> tensor<37x29xi8> {
  %e = tensor.empty() : tensor<37x29xi8>
  %r = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<37x29xi8>) {
  ^bb0(%o: i8):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %ii = arith.index_cast %i : index to i32
    %jj = arith.index_cast %j : index to i32
    %c7 = arith.constant 7 : i32
    %x = arith.muli %ii, %a : i32
    %y = arith.muli %jj, %c7 : i32
    %z = arith.addi %x, %y : i32
    %w = arith.addi %z, %b : i32
    %m = arith.remui %w, %p : i32
    %v = arith.subi %m, %s : i32
    %t = arith.trunci %v : i32 to i8
    linalg.yield %t : i8
  } -> tensor<37x29xi8>
  return %r : tensor<37x29xi8>
}

// Codes ((i * a + j * 7 + b) mod p) - s, as i8.
func.func @codes_29x37(%a: i32, %b: i32, %p: i32, %s: i32) -> tensor<29x37xi8> {
  %e = tensor.empty() : tensor<29x37xi8>
  %r = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<29x37xi8>) {
  ^bb0(%o: i8):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %ii = arith.index_cast %i : index to i32
    %jj = arith.index_cast %j : index to i32
    %c7 = arith.constant 7 : i32
    %x = arith.muli %ii, %a : i32
    %y = arith.muli %jj, %c7 : i32
    %z = arith.addi %x, %y : i32
    %w = arith.addi %z, %b : i32
    %m = arith.remui %w, %p : i32
    %v = arith.subi %m, %s : i32
    %t = arith.trunci %v : i32 to i8
    linalg.yield %t : i8
  } -> tensor<29x37xi8>
  return %r : tensor<29x37xi8>
}

// Prints whether %x is within 1e-5 of the largest magnitude of %y.
func.func @close(%x: tensor<13x29xf32>, %y: tensor<13x29xf32>) {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<f32>
  %init = linalg.fill ins(%zero : f32) outs(%e0 : tensor<f32>) -> tensor<f32>
  %r:2 = linalg.generic {indexing_maps = [#id, #id, affine_map<(i, j) -> ()>, affine_map<(i, j) -> ()>],
                         iterator_types = ["reduction", "reduction"]}
      ins(%x, %y : tensor<13x29xf32>, tensor<13x29xf32>) outs(%init, %init : tensor<f32>, tensor<f32>) {
  ^bb0(%a: f32, %b: f32, %err: f32, %mag: f32):
    %d = arith.subf %a, %b : f32
    %ad = math.absf %d : f32
    %ab = math.absf %b : f32
    %e = arith.maximumf %err, %ad : f32
    %m = arith.maximumf %mag, %ab : f32
    linalg.yield %e, %m : f32, f32
  } -> (tensor<f32>, tensor<f32>)
  %err = tensor.extract %r#0[] : tensor<f32>
  %mag = tensor.extract %r#1[] : tensor<f32>
  %tol = arith.constant 1.0e-5 : f32
  %lim = arith.mulf %mag, %tol : f32
  %ok = arith.cmpf ole, %err, %lim : f32
  %nz = arith.cmpf ogt, %mag, %zero : f32
  %both = arith.andi %ok, %nz : i1
  vector.print %both : i1
  return
}

func.func @main() {
  %c0 = arith.constant 0 : i32
  %c3 = arith.constant 3 : i32
  %c5 = arith.constant 5 : i32
  %c11 = arith.constant 11 : i32
  %c16 = arith.constant 16 : i32
  %c31 = arith.constant 31 : i32
  %c127 = arith.constant 127 : i32
  %c255 = arith.constant 255 : i32
  %c256 = arith.constant 256 : i32
  // Unsigned 8-bit codes (0..255), 4-bit codes (0..15), signed 8-bit (-127..127).
  %a8 = call @codes_13x37(%c31, %c5, %c256, %c0) : (i32, i32, i32, i32) -> tensor<13x37xi8>
  %a4 = call @codes_13x37(%c11, %c3, %c16, %c0) : (i32, i32, i32, i32) -> tensor<13x37xi8>
  %at8 = call @codes_37x13(%c31, %c3, %c256, %c0) : (i32, i32, i32, i32) -> tensor<37x13xi8>
  %ats = call @codes_37x13(%c11, %c5, %c255, %c127) : (i32, i32, i32, i32) -> tensor<37x13xi8>
  %b8 = call @codes_37x29(%c11, %c0, %c256, %c0) : (i32, i32, i32, i32) -> tensor<37x29xi8>
  %bt8 = call @codes_29x37(%c31, %c11, %c256, %c0) : (i32, i32, i32, i32) -> tensor<29x37xi8>

  %s = arith.constant dense<0.03125> : tensor<f32>
  %o = arith.constant dense<-1.5> : tensor<f32>
  %s2 = arith.constant dense<0.0078125> : tensor<f32>
  %o2 = arith.constant dense<0.25> : tensor<f32>
  %rs = arith.constant dense<[0.1, 0.2, 0.3, 0.05, 1.0, 2.0, 0.7, 0.01, 0.5, 0.25, 3.0, 0.125, 0.9]> : tensor<13xf32>
  %ro = arith.constant dense<[-1.0, -0.5, 0.0, -2.0, -0.1, -3.0, -0.7, -0.01, -0.5, -0.25, 1.0, -0.125, -0.9]> : tensor<13xf32>

  // dX = dY W^T: per-sample 4-bit dY, per-tensor weight stored transposed.
  %q1 = fqt.qmatmul %a4 as #fqt.psq<bits = 4> scale(%rs, %ro), %bt8 as #fqt.weight<bits = 8> scale(%s, %o) transposed
      : (tensor<13x37xi8>, tensor<13xf32>, tensor<13xf32>, tensor<29x37xi8>, tensor<f32>, tensor<f32>) -> tensor<13x29xf32>
  %d1a = fqt.dequantize %a4 scale(%rs, %ro) {quantizer = #fqt.psq<bits = 4>} : tensor<13x37xi8>, tensor<13xf32>, tensor<13xf32> -> tensor<13x37xf32>
  %d1b = fqt.dequantize %bt8 scale(%s, %o) {quantizer = #fqt.weight<bits = 8>} : tensor<29x37xi8>, tensor<f32>, tensor<f32> -> tensor<29x37xf32>
  %z1 = call @zeros() : () -> tensor<13x29xf32>
  %r1 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%d1a, %d1b : tensor<13x37xf32>, tensor<29x37xf32>) outs(%z1 : tensor<13x29xf32>) -> tensor<13x29xf32>
  // CHECK: 1
  call @close(%q1, %r1) : (tensor<13x29xf32>, tensor<13x29xf32>) -> ()

  // Forward: per-tensor activation times a weight [K, N].
  %q2 = fqt.qmatmul %a8 as #fqt.act<bits = 8> scale(%s2, %o2), %b8 as #fqt.weight<bits = 8> scale(%s, %o)
      : (tensor<13x37xi8>, tensor<f32>, tensor<f32>, tensor<37x29xi8>, tensor<f32>, tensor<f32>) -> tensor<13x29xf32>
  %d2a = fqt.dequantize %a8 scale(%s2, %o2) {quantizer = #fqt.act<bits = 8>} : tensor<13x37xi8>, tensor<f32>, tensor<f32> -> tensor<13x37xf32>
  %d2b = fqt.dequantize %b8 scale(%s, %o) {quantizer = #fqt.weight<bits = 8>} : tensor<37x29xi8>, tensor<f32>, tensor<f32> -> tensor<37x29xf32>
  %r2 = linalg.matmul ins(%d2a, %d2b : tensor<13x37xf32>, tensor<37x29xf32>) outs(%z1 : tensor<13x29xf32>) -> tensor<13x29xf32>
  // CHECK-NEXT: 1
  call @close(%q2, %r2) : (tensor<13x29xf32>, tensor<13x29xf32>) -> ()

  // dW = dY^T X: per-tensor 8-bit dY stored [K, M].
  %q3 = fqt.qmatmul %at8 as #fqt.ptq<bits = 8> scale(%s2, %o) transposed, %b8 as #fqt.act<bits = 8> scale(%s, %o2)
      : (tensor<37x13xi8>, tensor<f32>, tensor<f32>, tensor<37x29xi8>, tensor<f32>, tensor<f32>) -> tensor<13x29xf32>
  %d3a = fqt.dequantize %at8 scale(%s2, %o) {quantizer = #fqt.ptq<bits = 8>} : tensor<37x13xi8>, tensor<f32>, tensor<f32> -> tensor<37x13xf32>
  %d3b = fqt.dequantize %b8 scale(%s, %o2) {quantizer = #fqt.act<bits = 8>} : tensor<37x29xi8>, tensor<f32>, tensor<f32> -> tensor<37x29xf32>
  %r3 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%d3a, %d3b : tensor<37x13xf32>, tensor<37x29xf32>) outs(%z1 : tensor<13x29xf32>) -> tensor<13x29xf32>
  // CHECK-NEXT: 1
  call @close(%q3, %r3) : (tensor<13x29xf32>, tensor<13x29xf32>) -> ()

  // Signed LBT codes (no offset) transposed, times unsigned activations.
  %q4 = fqt.qmatmul %ats as #fqt.lbt<bits = 8> scale(%s2) transposed, %b8 as #fqt.act<bits = 8> scale(%s, %o2)
      : (tensor<37x13xi8>, tensor<f32>, tensor<37x29xi8>, tensor<f32>, tensor<f32>) -> tensor<13x29xf32>
  %d4a = fqt.dequantize %ats scale(%s2) {quantizer = #fqt.lbt<bits = 8>} : tensor<37x13xi8>, tensor<f32> -> tensor<37x13xf32>
  %r4 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%d4a, %d3b : tensor<37x13xf32>, tensor<37x29xf32>) outs(%z1 : tensor<13x29xf32>) -> tensor<13x29xf32>
  // CHECK-NEXT: 1
  call @close(%q4, %r4) : (tensor<13x29xf32>, tensor<13x29xf32>) -> ()

  // Per-column dY on the wgrad path: one scale per output row m.
  %q5 = fqt.qmatmul %at8 as #fqt.percol<bits = 8> scale(%rs, %ro) transposed, %b8 as #fqt.act<bits = 8> scale(%s, %o2)
      : (tensor<37x13xi8>, tensor<13xf32>, tensor<13xf32>, tensor<37x29xi8>, tensor<f32>, tensor<f32>) -> tensor<13x29xf32>
  %d5a = fqt.dequantize %at8 scale(%rs, %ro) {quantizer = #fqt.percol<bits = 8>} : tensor<37x13xi8>, tensor<13xf32>, tensor<13xf32> -> tensor<37x13xf32>
  %r5 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%d5a, %d3b : tensor<37x13xf32>, tensor<37x29xf32>) outs(%z1 : tensor<13x29xf32>) -> tensor<13x29xf32>
  // CHECK-NEXT: 1
  call @close(%q5, %r5) : (tensor<13x29xf32>, tensor<13x29xf32>) -> ()

  // BHQ: per-row codes of T dY and the inverse transform on the result rows.
  %t = call @transform() : () -> tensor<13x13xf32>
  %q6 = fqt.qmatmul %a4 as #fqt.bhq<bits = 4> scale(%rs, %ro) transform(%t), %b8 as #fqt.weight<bits = 8> scale(%s, %o)
      : (tensor<13x37xi8>, tensor<13xf32>, tensor<13xf32>, tensor<13x13xf32>, tensor<37x29xi8>, tensor<f32>, tensor<f32>) -> tensor<13x29xf32>
  %d6a = fqt.dequantize %a4 scale(%rs, %ro) transform(%t) {quantizer = #fqt.bhq<bits = 4>} : tensor<13x37xi8>, tensor<13xf32>, tensor<13xf32>, tensor<13x13xf32> -> tensor<13x37xf32>
  %r6 = linalg.matmul ins(%d6a, %d2b : tensor<13x37xf32>, tensor<37x29xf32>) outs(%z1 : tensor<13x29xf32>) -> tensor<13x29xf32>
  // CHECK-NEXT: 1
  call @close(%q6, %r6) : (tensor<13x29xf32>, tensor<13x29xf32>) -> ()
  return
}

func.func @zeros() -> tensor<13x29xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<13x29xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<13x29xf32>) -> tensor<13x29xf32>
  return %z : tensor<13x29xf32>
}

// T[i][j] = (i == j) + 0.01 * ((i + 2 j) mod 5).
func.func @transform() -> tensor<13x13xf32> {
  %e = tensor.empty() : tensor<13x13xf32>
  %r = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<13x13xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %c2 = arith.constant 2 : index
    %c5 = arith.constant 5 : index
    %j2 = arith.muli %j, %c2 : index
    %s = arith.addi %i, %j2 : index
    %m = arith.remui %s, %c5 : index
    %mi = arith.index_cast %m : index to i32
    %mf = arith.sitofp %mi : i32 to f32
    %h = arith.constant 0.01 : f32
    %off = arith.mulf %mf, %h : f32
    %eq = arith.cmpi eq, %i, %j : index
    %one = arith.constant 1.0 : f32
    %zero = arith.constant 0.0 : f32
    %d = arith.select %eq, %one, %zero : f32
    %v = arith.addf %d, %off : f32
    linalg.yield %v : f32
  } -> tensor<13x13xf32>
  return %r : tensor<13x13xf32>
}
