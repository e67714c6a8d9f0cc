//===- FuseElementwise.cpp - elementwise fusion without recomputation -----===//

#include "fqt/Codegen/Passes.h"

#include "WindowSum.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace fqt {
#define GEN_PASS_DEF_FQTFUSEELEMENTWISE
#include "fqt/Codegen/Passes.h.inc"
} // namespace fqt

using namespace mlir;
using namespace fqt;

/// Fuse a single-use producer into a consumer that reads each of its
/// elements exactly once.
static bool readsEachElementOnce(OpOperand *fused) {
  Operation *producer = fused->get().getDefiningOp();
  if (!producer || !producer->hasOneUse())
    return false;
  auto consumer = dyn_cast<linalg::LinalgOp>(fused->getOwner());
  if (!consumer)
    return false;
  return consumer.getMatchingIndexingMap(fused).isPermutation();
}

/// Whether the consumer of `fused` visits each element of it exactly once:
/// every result of its indexing map is a distinct loop d or, reversed,
/// (size - 1) - d, and the operand's sizes are the loops' (a windows' sum
/// visits its columns from the last window to the first).
static bool readsEachElementOnceInSomeOrder(OpOperand *fused) {
  auto consumer = dyn_cast<linalg::LinalgOp>(fused->getOwner());
  auto type = dyn_cast<RankedTensorType>(fused->get().getType());
  if (!consumer || !type || !type.hasStaticShape())
    return false;
  AffineMap map = consumer.getMatchingIndexingMap(fused);
  SmallVector<int64_t> loops = consumer.getStaticLoopRanges();
  if (map.getNumResults() != map.getNumDims())
    return false;
  llvm::SmallBitVector seen(map.getNumDims());
  for (auto [result, size] : llvm::zip(map.getResults(), type.getShape())) {
    bool matched = false;
    for (unsigned d = 0, e = map.getNumDims(); d < e && !matched; ++d) {
      if (seen[d] || loops[d] != size)
        continue;
      AffineExpr loop = getAffineDimExpr(d, map.getContext());
      matched = result == loop || result == (size - 1) - loop;
      if (matched)
        seen.set(d);
    }
    if (!matched)
      return false;
  }
  return true;
}

/// An elementwise linalg.generic whose only result has a single use.
static bool isElementwiseWithOneUse(Operation *op) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  return generic && generic->getNumResults() == 1 && generic->hasOneUse() &&
         generic.getNumParallelLoops() == generic.getNumLoops();
}

/// The elementwise producer of a windows' sum's columns (the data
/// gradient's dequantizing epilogue), read once per element.
static bool isEpilogueOfWindowSum(OpOperand *fused) {
  return isElementwiseWithOneUse(fused->get().getDefiningOp()) &&
         isWindowSum(fused->getOwner()) &&
         readsEachElementOnceInSomeOrder(fused);
}

/// The columns reach the windows' sum through a tensor.expand_shape (the
/// product's rows split into (n, oh, ow)): expand the epilogue instead, so
/// that it meets the sum.
static bool expandsEpilogueOfWindowSum(OpOperand *reshaped) {
  auto expand = dyn_cast<tensor::ExpandShapeOp>(reshaped->getOwner());
  if (!expand || !expand->hasOneUse() ||
      !isElementwiseWithOneUse(reshaped->get().getDefiningOp()))
    return false;
  OpOperand &use = *expand->getUses().begin();
  return isWindowSum(use.getOwner()) && readsEachElementOnceInSomeOrder(&use);
}

void fqt::populateFuseElementwisePatterns(RewritePatternSet &patterns,
                                          bool epiloguesIntoWindowSums) {
  linalg::populateElementwiseOpsFusionPatterns(
      patterns, [epiloguesIntoWindowSums](OpOperand *fused) {
        return readsEachElementOnce(fused) ||
               (epiloguesIntoWindowSums && isEpilogueOfWindowSum(fused));
      });
  if (epiloguesIntoWindowSums)
    linalg::populateFoldReshapeOpsByExpansionPatterns(
        patterns, expandsEpilogueOfWindowSum);
}

namespace {
/// A linalg.transpose, linalg.map or NCHW pooling as the linalg.generic it
/// is.
template <typename NamedOp> struct GeneralizeNamed : OpRewritePattern<NamedOp> {
  using OpRewritePattern<NamedOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(NamedOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics())
      return rewriter.notifyMatchFailure(op, "not on tensors");
    return linalg::generalizeNamedOp(rewriter,
                                     cast<linalg::LinalgOp>(op.getOperation()));
  }
};

struct FQTFuseElementwisePass
    : fqt::impl::FQTFuseElementwiseBase<FQTFuseElementwisePass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    if (generalizeNamed)
      patterns.add<GeneralizeNamed<linalg::TransposeOp>,
                   GeneralizeNamed<linalg::MapOp>,
                   GeneralizeNamed<linalg::PoolingNchwMaxOp>,
                   GeneralizeNamed<linalg::PoolingNchwSumOp>>(&getContext());
    populateFuseElementwisePatterns(patterns, epiloguesIntoWindowSums);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
