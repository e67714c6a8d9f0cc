//===- FuseElementwise.cpp - elementwise fusion without recomputation -----===//

#include "fqt/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
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

void fqt::populateFuseElementwisePatterns(RewritePatternSet &patterns) {
  linalg::populateElementwiseOpsFusionPatterns(patterns, readsEachElementOnce);
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
    populateFuseElementwisePatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
