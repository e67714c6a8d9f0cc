//===- FillInitializer.h - the constant a buffer was filled with -*- C++ -*-===//
//
// Bufferized products and reductions start from their output buffer's
// contents, which are most often a constant just written by linalg.fill.
// The GPU passes start such a reduction from the constant in a register
// instead, and drop the fill (a kernel launch of its own).
//
//===----------------------------------------------------------------------===//

#ifndef FQT_TARGET_FILLINITIALIZER_H
#define FQT_TARGET_FILLINITIALIZER_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/PatternMatch.h"

namespace fqt {

/// What `linalg.fill` made of a buffer before the op that reads it as its
/// initial value.
struct FillInitializer {
  /// The constant every element holds.
  mlir::TypedAttr value;
  /// The fill, and the copy between the filled buffer and this one where
  /// there is one: the ops to erase once the reader starts from `value`.
  llvm::SmallVector<mlir::Operation *> writers;
  /// Buffers (memref.alloc results) left without a reader once the writers
  /// are gone.
  llvm::SmallVector<mlir::Value> deadBuffers;
};

/// The constant `buffer` holds when `reader` runs: `buffer` is a
/// memref.alloc of `reader`'s block, the last op before `reader` that
/// names it is `linalg.fill` of an arith.constant (or a `memref.copy` from
/// such a filled buffer of the block), and `reader` does not also read it
/// as an input. std::nullopt otherwise.
std::optional<FillInitializer> findFillInitializer(mlir::Operation *reader,
                                                   mlir::Value buffer);

/// Erases the writers of `init` and its dead buffers.
void eraseFillInitializer(mlir::RewriterBase &rewriter,
                          const FillInitializer &init);

} // namespace fqt

#endif // FQT_TARGET_FILLINITIALIZER_H
