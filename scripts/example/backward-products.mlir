// The two backward products of a linear layer y = x * W (x: 4x3, W: 3x2),
// in fully quantized form, as fqt's quantizer insertion produces them:
//   dX = dY * W^T   with dY quantized per sample (PSQ, 4 bits) and the
//                   8-bit weight saved by the forward pass;
//   dW = X^T * dY   with the 8-bit activation saved by the forward pass and
//                   dY quantized per column (8 bits).
// Codes and scales are given; `scripts/run.sh` compiles and runs this file.

func.func @backward(
    %g4: tensor<4x2xi8>, %g4s: tensor<4xf32>, %g4z: tensor<4xf32>,
    %g8: tensor<4x2xi8>, %g8s: tensor<2xf32>, %g8z: tensor<2xf32>,
    %x: tensor<4x3xi8>, %xs: tensor<f32>, %xz: tensor<f32>,
    %w: tensor<3x2xi8>, %ws: tensor<f32>, %wz: tensor<f32>)
    -> (tensor<4x3xf32>, tensor<3x2xf32>) {
  %dx = fqt.qmatmul %g4 as #fqt.psq<bits = 4> scale(%g4s, %g4z),
                    %w as #fqt.weight<bits = 8> scale(%ws, %wz) transposed
      : (tensor<4x2xi8>, tensor<4xf32>, tensor<4xf32>, tensor<3x2xi8>, tensor<f32>, tensor<f32>) -> tensor<4x3xf32>
  %dw = fqt.qmatmul %x as #fqt.act<bits = 8> scale(%xs, %xz) transposed,
                    %g8 as #fqt.percol<bits = 8> scale(%g8s, %g8z)
      : (tensor<4x3xi8>, tensor<f32>, tensor<f32>, tensor<4x2xi8>, tensor<2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  return %dx, %dw : tensor<4x3xf32>, tensor<3x2xf32>
}

func.func private @printMemrefF32(memref<*xf32>)

func.func @main() {
  // dY, 4 samples x 2 outputs, in 4-bit per-sample codes (0..15).
  %g4 = arith.constant dense<[[0, 15], [7, 8], [15, 0], [3, 12]]> : tensor<4x2xi8>
  %g4s = arith.constant dense<[0.02, 0.001, 0.05, 0.004]> : tensor<4xf32>
  %g4z = arith.constant dense<[-0.15, -0.0075, -0.375, -0.03]> : tensor<4xf32>
  // The same dY in 8-bit per-column codes (0..255).
  %g8 = arith.constant dense<[[0, 255], [119, 136], [255, 0], [51, 204]]> : tensor<4x2xi8>
  %g8s = arith.constant dense<[0.0029, 0.0029]> : tensor<2xf32>
  %g8z = arith.constant dense<[-0.37, -0.37]> : tensor<2xf32>
  // Saved forward activation and weight (8-bit per tensor).
  %x = arith.constant dense<[[128, 200, 0], [255, 64, 32], [10, 20, 30], [90, 180, 250]]> : tensor<4x3xi8>
  %xs = arith.constant dense<0.01> : tensor<f32>
  %xz = arith.constant dense<-1.28> : tensor<f32>
  %w = arith.constant dense<[[100, 156], [128, 0], [255, 64]]> : tensor<3x2xi8>
  %ws = arith.constant dense<0.004> : tensor<f32>
  %wz = arith.constant dense<-0.512> : tensor<f32>
  %dx, %dw = call @backward(%g4, %g4s, %g4z, %g8, %g8s, %g8z, %x, %xs, %xz, %w, %ws, %wz)
      : (tensor<4x2xi8>, tensor<4xf32>, tensor<4xf32>, tensor<4x2xi8>, tensor<2xf32>, tensor<2xf32>,
         tensor<4x3xi8>, tensor<f32>, tensor<f32>, tensor<3x2xi8>, tensor<f32>, tensor<f32>)
      -> (tensor<4x3xf32>, tensor<3x2xf32>)
  %dxm = bufferization.to_buffer %dx : tensor<4x3xf32> to memref<4x3xf32>
  %dxu = memref.cast %dxm : memref<4x3xf32> to memref<*xf32>
  call @printMemrefF32(%dxu) : (memref<*xf32>) -> ()
  %dwm = bufferization.to_buffer %dw : tensor<3x2xf32> to memref<3x2xf32>
  %dwu = memref.cast %dwm : memref<3x2xf32> to memref<*xf32>
  call @printMemrefF32(%dwu) : (memref<*xf32>) -> ()
  return
}
