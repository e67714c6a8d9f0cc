//===- LowerStridedCopies.cpp - Strided copies as loops -------------------===//
//
// Bufferized padding and slicing leave memref.copy ops into and out of
// strided views. MLIR lowers those to a call of the C runner's generic
// memrefCopy, which walks the elements one by one with index arithmetic;
// as linalg.copy they become loops that LLVM unrolls and vectorizes.
//
//===----------------------------------------------------------------------===//

#include "fqt/Codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace fqt {
#define GEN_PASS_DEF_FQTLOWERSTRIDEDCOPIES
#include "fqt/Codegen/Passes.h.inc"
} // namespace fqt

using namespace mlir;

namespace {

/// memref.copy between buffers of which one is strided (an interior view of
/// a padded tensor, a strided scatter of a pooling gradient) lowers to a call
/// of the C runner's generic memrefCopy, which walks the elements one by one
/// with index arithmetic; a linalg.copy becomes loops that LLVM unrolls and
/// vectorizes. Copies between contiguous buffers stay (memrefCopy uses
/// memcpy for them).
struct StridedCopyToLinalg : OpRewritePattern<memref::CopyOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(memref::CopyOp op,
                                PatternRewriter &rewriter) const override {
    if (!fqt::isStridedCopy(op))
      return rewriter.notifyMatchFailure(op, "contiguous (memcpy) or unranked");
    rewriter.setInsertionPoint(op);
    linalg::CopyOp::create(rewriter, op.getLoc(), ValueRange{op.getSource()},
                           ValueRange{op.getTarget()});
    rewriter.eraseOp(op);
    return success();
  }
};

struct FQTLowerStridedCopiesPass
    : fqt::impl::FQTLowerStridedCopiesBase<FQTLowerStridedCopiesPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<StridedCopyToLinalg>(&getContext());
    GreedyRewriteConfig config;
    config.setMaxIterations(1);
    (void)applyPatternsGreedily(getOperation(), std::move(patterns), config);
  }
};

} // namespace

bool fqt::isStridedCopy(Operation *op) {
  auto copy = dyn_cast<memref::CopyOp>(op);
  if (!copy)
    return false;
  auto source = dyn_cast<MemRefType>(copy.getSource().getType());
  auto target = dyn_cast<MemRefType>(copy.getTarget().getType());
  return source && target &&
         !(source.getLayout().isIdentity() && target.getLayout().isIdentity());
}
