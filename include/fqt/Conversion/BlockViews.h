//===- BlockViews.h - blocks along a dimension, Hadamard ---------*- C++ -*-===//
//
// The block quantizers (#fqt.blk, #fqt.rht) scale blocks of `size`
// consecutive values along one dimension. These helpers give the view of a
// tensor with that dimension split into [blocks, size], and the randomized
// Walsh-Hadamard transform T = H D / sqrt(size) on such a view, as
// log2(size) butterfly stages (O(size log size) per block, no dense matrix).
//
//===----------------------------------------------------------------------===//

#ifndef FQT_CONVERSION_BLOCKVIEWS_H
#define FQT_CONVERSION_BLOCKVIEWS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"

namespace fqt {

/// `value` (static shape) padded with zeros along `axis` to a multiple of
/// `size` and seen with that dimension split into [blocks, size]: rank + 1,
/// the block's values at dimension axis + 1.
mlir::Value splitBlocks(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::Value value, int64_t axis, int64_t size);

/// The inverse of splitBlocks: `view` merged back along `axis` and cut to
/// the shape of `like`.
mlir::Value mergeBlocks(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::Value view, int64_t axis, mlir::Value like);

/// `size` random signs (f32 +1 or -1): -1 where the Philox uniform of
/// (seed, step, stream, j) is below 1/2.
mlir::Value buildRandomSigns(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::Value seed, mlir::Value step,
                             int64_t stream, int64_t size);

/// T x = H (D x) / sqrt(size) on every block of a splitBlocks view (the
/// block's values at dimension `valueDim`), D = diag(signs); with
/// `inverse`, T^T y = D (H y) / sqrt(size). f32, a fixed order of
/// operations (the signs, log2(size) stages of x0 + x1 | x0 - x1 pairing
/// values 1, 2, 4, ... apart, then the factor).
mlir::Value applyHadamard(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value view, int64_t valueDim,
                          mlir::Value signs, bool inverse);

} // namespace fqt

#endif // FQT_CONVERSION_BLOCKVIEWS_H
