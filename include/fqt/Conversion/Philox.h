//===- Philox.h - Philox-4x32-10 in arith -----------------------*- C++ -*-===//
//
// The counter-based generator behind stochastic rounding, emitted as `arith`
// ops so that it runs unchanged inside any loop body, on any target, with no
// state: the same (seed, step, stream, index) gives the same bits on the CPU
// and on the GPU.
//
// Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2,
// 3", SC'11), as in Random123's philox.h: ten rounds of
//
//   (hi0, lo0) = 0xD2511F53 * c0        (32 x 32 -> 64-bit product)
//   (hi1, lo1) = 0xCD9E8D57 * c2
//   c = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
//
// with the key bumped by (0x9E3779B9, 0xBB67AE85) before rounds 2..10. It
// reproduces Random123's known-answer vectors (checked by
// test/Integration/quantize-philox-run.mlir).
//
// Key and counter layout of fqt's streams. Every noise value depends only on
// the four 64-bit integers (seed, step, stream, index):
//
//   key     = (lo32(seed), hi32(seed))
//   counter = (lo32(index / 4), hi32(index / 4), lo32(step), lo32(stream))
//
// where `index` is the row-major linear index of the element in the
// quantized tensor, `step` the training step and `stream` the quantizer's
// `stream` attribute (fqt.quantize rejects streams outside [0, 2^32)). One
// block of Philox serves four consecutive elements: element `index` takes
// output word `index % 4`, and its uniform float is the top 24 bits of that
// word times 2^-24, exact in f32 and in [0, 1). (The runtime's gradient
// quantizer, fqt/Runtime/Philox.h, uses the same layout.) The high word of
// `step` is not used: noise repeats after 2^32 steps.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_CONVERSION_PHILOX_H
#define FQT_CONVERSION_PHILOX_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/Value.h"

#include <array>

namespace fqt {

/// Emits Philox-4x32-10 on four i32 counter words and two i32 key words and
/// returns the four i32 output words. Works on scalars and on vectors of i32
/// alike (every op is elementwise).
std::array<mlir::Value, 4>
buildPhilox4x32x10(mlir::OpBuilder &builder, mlir::Location loc,
                   std::array<mlir::Value, 4> counter,
                   std::array<mlir::Value, 2> key);

/// Emits the uniform f32 in [0, 1) of element `index` of the stream keyed by
/// (`seed`, `step`, `stream`), all four i64 values, with the layout documented
/// above: one Philox block per element, of which one word is used.
mlir::Value buildPhiloxUniform(mlir::OpBuilder &builder, mlir::Location loc,
                               mlir::Value seed, mlir::Value step,
                               mlir::Value stream, mlir::Value index);

/// Emits the four uniforms of Philox block `block` (i64) of the stream keyed
/// by (`seed`, `step`, `stream`): those of elements 4 * block .. 4 * block +
/// 3, in order. Code that visits four consecutive elements per block draws
/// a quarter of the blocks buildPhiloxUniform does.
std::array<mlir::Value, 4>
buildPhiloxBlockUniforms(mlir::OpBuilder &builder, mlir::Location loc,
                         mlir::Value seed, mlir::Value step, mlir::Value stream,
                         mlir::Value block);

/// Of the four uniforms of a block, the one of `lane` (an index or integer
/// value in [0, 4)).
mlir::Value selectPhiloxLane(mlir::OpBuilder &builder, mlir::Location loc,
                             const std::array<mlir::Value, 4> &uniforms,
                             mlir::Value lane);

} // namespace fqt

#endif // FQT_CONVERSION_PHILOX_H
