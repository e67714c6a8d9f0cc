// RUN: fqt-opt %s --split-input-file --verify-diagnostics --fqt-insert-quantizers="mode=integer" -o /dev/null

// A grouped tag on a contraction whose operand is not a split matrix.
#x = affine_map<(g, m, n, k) -> (m, g, k)>
#wT = affine_map<(g, m, n, k) -> (g, n, k)>
#out = affine_map<(g, m, n, k) -> (m, g, n)>
func.func @not_grouped(%x3: tensor<8x2x2xf32>, %w: tensor<4x2xf32> {fqt.slot = #fqt.slot<param, "w">}) -> tensor<8x2x2xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x2x2xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<8x2x2xf32>) -> tensor<8x2x2xf32>
  %w3 = tensor.expand_shape %w [[0, 1], [2]] output_shape [2, 2, 2] : tensor<4x2xf32> into tensor<2x2x2xf32>
  // expected-error @below {{fqt.product with groups = 2 marks a linalg.generic that is not a grouped product}}
  %y3 = linalg.generic {indexing_maps = [#x, #wT, #out], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x3, %w3 : tensor<8x2x2xf32>, tensor<2x2x2xf32>) outs(%z : tensor<8x2x2xf32>)
      attrs = {fqt.product = {grad = -1 : i64, groups = 2 : i64, layer = "gc", role = "fwd"}} {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x2x2xf32>
  return %y3 : tensor<8x2x2xf32>
}

// -----

// groups on a 2-D product: grouped products are contractions over groups.
func.func @grouped_matmul(%x: tensor<8x4xf32>, %w: tensor<4x4xf32> {fqt.slot = #fqt.slot<param, "w">}) -> tensor<8x4xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x4xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<8x4xf32>) -> tensor<8x4xf32>
  // expected-error @below {{fqt.product groups = 2 on a linalg.matmul; grouped products are linalg.generic contractions}}
  %y = linalg.matmul {fqt.product = {grad = -1 : i64, groups = 2 : i64, layer = "fc", role = "fwd"}}
      ins(%x, %w : tensor<8x4xf32>, tensor<4x4xf32>) outs(%z : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}
