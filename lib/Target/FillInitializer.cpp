//===- FillInitializer.cpp - the constant a buffer was filled with --------===//

#include "fqt/Target/FillInitializer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

/// Whether `op` only reads `buffer`: a copy from it, a load, or a linalg
/// op that takes it as an input only.
static bool onlyReads(Operation *op, Value buffer) {
  if (auto copy = dyn_cast<memref::CopyOp>(op))
    return copy.getTarget() != buffer;
  if (isa<memref::LoadOp>(op))
    return true;
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
    return !llvm::is_contained(linalgOp.getDpsInits(), buffer);
  return false;
}

/// The last op before `before` in its block that names `buffer` (as an
/// operand of itself or of an op nested in it), or null; with
/// `skipReaders`, the last one that may write it. `buffer` being an
/// allocation, every alias of it (a view) is made by such an op, which
/// counts as a writer.
static Operation *lastWriter(Operation *before, Value buffer,
                             bool skipReaders = false) {
  for (Operation *op = before->getPrevNode(); op; op = op->getPrevNode()) {
    bool names = false;
    op->walk([&](Operation *nested) {
      if (llvm::is_contained(nested->getOperands(), buffer))
        names = true;
    });
    if (names && !(skipReaders && onlyReads(op, buffer)))
      return op;
  }
  return nullptr;
}

/// The constant `fill` writes, where it fills exactly `buffer` with an
/// arith.constant.
static TypedAttr filledConstant(Operation *op, Value buffer) {
  auto fill = dyn_cast_or_null<linalg::FillOp>(op);
  if (!fill || fill.getDpsInits().size() != 1 ||
      fill.getDpsInits()[0] != buffer)
    return {};
  auto constant = fill.getInputs()[0].getDefiningOp<arith::ConstantOp>();
  return constant ? dyn_cast<TypedAttr>(constant.getValue()) : TypedAttr();
}

static bool isLocalAllocation(Value buffer, Block *block) {
  auto alloc = buffer.getDefiningOp<memref::AllocOp>();
  return alloc && alloc->getBlock() == block;
}

std::optional<fqt::FillInitializer>
fqt::findFillInitializer(Operation *reader, Value buffer) {
  Block *block = reader->getBlock();
  if (!isLocalAllocation(buffer, block))
    return std::nullopt;
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(reader))
    if (llvm::is_contained(linalgOp.getDpsInputs(), buffer))
      return std::nullopt;
  Operation *writer = lastWriter(reader, buffer);
  if (TypedAttr value = filledConstant(writer, buffer))
    return FillInitializer{value, {writer}, {}};

  // A copy of a filled buffer (bufferization copies a fill that two ops
  // start from).
  auto copy = dyn_cast_or_null<memref::CopyOp>(writer);
  if (!copy || copy.getTarget() != buffer)
    return std::nullopt;
  Value source = copy.getSource();
  if (!isLocalAllocation(source, block))
    return std::nullopt;
  // Other copies of the same filled buffer may come between.
  Operation *fill = lastWriter(copy, source, /*skipReaders=*/true);
  TypedAttr value = filledConstant(fill, source);
  if (!value)
    return std::nullopt;
  FillInitializer init{value, {copy}, {}};
  bool otherReaders = llvm::any_of(source.getUsers(), [&](Operation *user) {
    return user != fill && user != copy && !isa<memref::DeallocOp>(user);
  });
  if (!otherReaders) {
    init.writers.push_back(fill);
    init.deadBuffers.push_back(source);
  }
  return init;
}

void fqt::eraseFillInitializer(RewriterBase &rewriter,
                               const FillInitializer &init) {
  for (Operation *writer : init.writers)
    rewriter.eraseOp(writer);
  for (Value buffer : init.deadBuffers) {
    for (Operation *user : llvm::make_early_inc_range(buffer.getUsers()))
      if (isa<memref::DeallocOp>(user))
        rewriter.eraseOp(user);
    if (buffer.use_empty())
      rewriter.eraseOp(buffer.getDefiningOp());
  }
}
