// RUN: fqt-opt %s --split-input-file --fqt-quantize-before-im2col | FileCheck %s

// A 3x3 convolution's im2col (stride 1, padding 1: every padded element is
// read) quantized per tensor, to nearest: the padded input is quantized and
// its codes gathered the same way.

// CHECK-LABEL: func.func @conv_input
// CHECK: %[[P:.*]] = tensor.pad
// CHECK: %[[Q:.*]], %[[S:.*]], %[[O:.*]] = fqt.quantize %[[P]] {quantizer = #fqt.act<bits = 8>, stream = 2 : i64} : tensor<2x1x6x6xf32> -> tensor<2x1x6x6xi8>, tensor<f32>, offset tensor<f32>
// CHECK: %[[G:.*]] = linalg.generic {{.*}} ins(%[[Q]] : tensor<2x1x6x6xi8>) outs(%{{.*}} : tensor<2x4x4x1x3x3xi8>)
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[G]] {{.*}} : tensor<2x4x4x1x3x3xi8> into tensor<288xi8>
// CHECK: %[[E:.*]] = tensor.expand_shape %[[C]] {{.*}} : tensor<288xi8> into tensor<32x9xi8>
// CHECK: return %[[E]], %[[S]], %[[O]]
#window = affine_map<(n, oh, ow, c, kh, kw) -> (n, c, oh + kh, ow + kw)>
#id6 = affine_map<(n, oh, ow, c, kh, kw) -> (n, oh, ow, c, kh, kw)>
func.func @conv_input(%x: tensor<2x1x4x4xf32>) -> (tensor<32x9xi8>, tensor<f32>, tensor<f32>) {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<2x1x4x4xf32> to tensor<2x1x6x6xf32>
  %e = tensor.empty() : tensor<2x4x4x1x3x3xf32>
  %g = linalg.generic {indexing_maps = [#window, #id6], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%p : tensor<2x1x6x6xf32>) outs(%e : tensor<2x4x4x1x3x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<2x4x4x1x3x3xf32>
  %c = tensor.collapse_shape %g [[0, 1, 2, 3, 4, 5]] : tensor<2x4x4x1x3x3xf32> into tensor<288xf32>
  %m = tensor.expand_shape %c [[0, 1]] output_shape [32, 9] : tensor<288xf32> into tensor<32x9xf32>
  %q, %s, %o = fqt.quantize %m {quantizer = #fqt.act<bits = 8>, stream = 2 : i64} : tensor<32x9xf32> -> tensor<32x9xi8>, tensor<f32>, offset tensor<f32>
  return %q, %s, %o : tensor<32x9xi8>, tensor<f32>, tensor<f32>
}

// -----

// Stride 2 skips rows and columns of the input (its range could differ),
// and a stochastic quantizer's noise follows the element's index in what
// it quantizes: both stay.

// CHECK-LABEL: func.func @stays
// CHECK: fqt.quantize %{{.*}} {quantizer = #fqt.act<bits = 8>} : tensor<8x9xf32>
// CHECK: fqt.quantize %{{.*}} seed(%{{.*}}, %{{.*}}) {quantizer = #fqt.ptq<bits = 8>} : tensor<32x9xf32>
#strided = affine_map<(n, oh, ow, c, kh, kw) -> (n, c, 2 * oh + kh, 2 * ow + kw)>
#window = affine_map<(n, oh, ow, c, kh, kw) -> (n, c, oh + kh, ow + kw)>
#id6 = affine_map<(n, oh, ow, c, kh, kw) -> (n, oh, ow, c, kh, kw)>
func.func @stays(%p: tensor<2x1x6x6xf32>, %seed: i64) -> (tensor<8x9xi8>, tensor<32x9xi8>) {
  %e = tensor.empty() : tensor<2x2x2x1x3x3xf32>
  %g = linalg.generic {indexing_maps = [#strided, #id6], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%p : tensor<2x1x6x6xf32>) outs(%e : tensor<2x2x2x1x3x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<2x2x2x1x3x3xf32>
  %c = tensor.collapse_shape %g [[0, 1, 2, 3, 4, 5]] : tensor<2x2x2x1x3x3xf32> into tensor<72xf32>
  %m = tensor.expand_shape %c [[0, 1]] output_shape [8, 9] : tensor<72xf32> into tensor<8x9xf32>
  %q, %s, %o = fqt.quantize %m {quantizer = #fqt.act<bits = 8>} : tensor<8x9xf32> -> tensor<8x9xi8>, tensor<f32>, offset tensor<f32>

  %e2 = tensor.empty() : tensor<2x4x4x1x3x3xf32>
  %g2 = linalg.generic {indexing_maps = [#window, #id6], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%p : tensor<2x1x6x6xf32>) outs(%e2 : tensor<2x4x4x1x3x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<2x4x4x1x3x3xf32>
  %c2 = tensor.collapse_shape %g2 [[0, 1, 2, 3, 4, 5]] : tensor<2x4x4x1x3x3xf32> into tensor<288xf32>
  %m2 = tensor.expand_shape %c2 [[0, 1]] output_shape [32, 9] : tensor<288xf32> into tensor<32x9xf32>
  %q2, %s2, %o2 = fqt.quantize %m2 seed(%seed, %seed) {quantizer = #fqt.ptq<bits = 8>} : tensor<32x9xf32> -> tensor<32x9xi8>, tensor<f32>, offset tensor<f32>
  return %q, %q2 : tensor<8x9xi8>, tensor<32x9xi8>
}
