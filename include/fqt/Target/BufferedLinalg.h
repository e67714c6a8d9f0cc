//===- BufferedLinalg.h - linalg ops on buffers as loop bodies ---*- C++ -*-===//
//
// The GPU passes rewrite bufferized linalg.generic ops into loops and kernels
// of their own (a reduction with its accumulators in registers, a product's
// epilogue inside the tensor-core kernel): they read an operand at the
// indices its map gives, clone the op's body at a point of its iteration
// space, and compare buffers by the allocation their views start from.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_TARGET_BUFFEREDLINALG_H
#define FQT_TARGET_BUFFEREDLINALG_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"

namespace fqt {

/// The buffer a chain of view ops (subview, reshapes, casts) starts from;
/// `v` itself when it is no view.
mlir::Value viewSource(mlir::Value v);

/// The indices `map` gives at the point `ivs` of the iteration space: the
/// induction variable itself for a dimension, an affine.apply otherwise.
llvm::SmallVector<mlir::Value> indicesOf(mlir::OpBuilder &b,
                                         mlir::Location loc,
                                         mlir::AffineMap map,
                                         llvm::ArrayRef<mlir::Value> ivs);

/// Operand `operand` of `op` at the point `ivs`: a load of a buffer at the
/// indices of its map, or the scalar itself.
mlir::Value loadOperand(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::linalg::LinalgOp op, mlir::OpOperand *operand,
                        llvm::ArrayRef<mlir::Value> ivs);

/// The values `op`'s body yields at the point `ivs`, with `args` for its
/// block arguments (null for one the body does not use): the body cloned
/// at `b`, linalg.index read from `ivs`.
llvm::SmallVector<mlir::Value> inlineBody(mlir::OpBuilder &b,
                                          mlir::linalg::GenericOp op,
                                          mlir::ValueRange args,
                                          llvm::ArrayRef<mlir::Value> ivs);

} // namespace fqt

#endif // FQT_TARGET_BUFFEREDLINALG_H
