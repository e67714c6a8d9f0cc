//===- GpuMergeParallelLoops.cpp - independent loops as one launch --------===//
//
// After linalg's parallel loops, every top-level scf.parallel of a GPU
// program is a kernel launch. Those in a row that share no buffer one of
// them writes (an integer product's two code sums, a step's parameter
// updates, the dgrad and wgrad codes of one dY) are merged, pairwise, into
// one loop whose indices run either body (see the pass description).
//
//===----------------------------------------------------------------------===//

#include "fqt/Target/BufferedLinalg.h"
#include "fqt/Target/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <numeric>

namespace fqt {
#define GEN_PASS_DEF_FQTGPUMERGEPARALLELLOOPS
#include "fqt/Target/Passes.h.inc"
} // namespace fqt

using namespace mlir;

namespace {

/// The allocation `v` is a view of (through view ops), or null for a
/// function argument: arguments may alias each other, so they count as one
/// buffer.
Value rootBuffer(Value v) {
  v = fqt::viewSource(v);
  if (v.getDefiningOp<memref::AllocOp>())
    return v;
  return Value();
}

/// The buffers (rootBuffer) a loop nest loads from and stores to; false
/// where it does anything else with memory, or reaches memory that is
/// neither an allocation nor an argument.
bool collectAccesses(scf::ParallelOp loop, SmallVectorImpl<Value> &reads,
                     SmallVectorImpl<Value> &writes) {
  auto known = [](Value v) {
    v = fqt::viewSource(v);
    return isa<BlockArgument>(v) || v.getDefiningOp<memref::AllocOp>();
  };
  WalkResult result = loop.getBody()->walk([&](Operation *op) {
    if (auto load = dyn_cast<memref::LoadOp>(op)) {
      reads.push_back(rootBuffer(load.getMemRef()));
      return known(load.getMemRef()) ? WalkResult::advance()
                                     : WalkResult::interrupt();
    }
    if (auto store = dyn_cast<memref::StoreOp>(op)) {
      writes.push_back(rootBuffer(store.getMemRef()));
      return known(store.getMemRef()) ? WalkResult::advance()
                                      : WalkResult::interrupt();
    }
    if (isa<scf::ForOp, scf::YieldOp, scf::ReduceOp, scf::IfOp>(op) ||
        isMemoryEffectFree(op))
      return WalkResult::advance();
    return WalkResult::interrupt();
  });
  return !result.wasInterrupted();
}

/// Whether `a` and `b` name a common buffer (null, the arguments, included).
bool intersects(ArrayRef<Value> a, ArrayRef<Value> b) {
  return llvm::any_of(a, [&](Value v) { return llvm::is_contained(b, v); });
}

/// A loop over [0, n) with step 1 and no reductions: its n, or null.
Value simpleExtent(scf::ParallelOp loop) {
  if (loop.getNumLoops() != 1 || !loop.getInitVals().empty() ||
      !isConstantIntValue(loop.getLowerBound()[0], 0) ||
      !isConstantIntValue(loop.getStep()[0], 1))
    return Value();
  return loop.getUpperBound()[0];
}

/// Two 1-D parallel loops in a row that touch no buffer one writes and the
/// other uses become one loop over the sum of their lengths, each index
/// running one of the two bodies: one launch instead of two.
struct MergeIndependentLoops : OpRewritePattern<scf::ParallelOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(scf::ParallelOp second,
                                PatternRewriter &rewriter) const override {
    // The loop before, past allocations and ops without memory effects.
    Operation *prev = second->getPrevNode();
    while (prev && (isa<memref::AllocOp>(prev) || isMemoryEffectFree(prev)))
      prev = prev->getPrevNode();
    auto first = dyn_cast_or_null<scf::ParallelOp>(prev);
    if (!first)
      return rewriter.notifyMatchFailure(second, "no loop just before");
    Value n1 = simpleExtent(first), n2 = simpleExtent(second);
    if (!n1 || !n2)
      return rewriter.notifyMatchFailure(second, "not 1-D loops from 0");
    SmallVector<Value> reads1, writes1, reads2, writes2;
    if (!collectAccesses(first, reads1, writes1) ||
        !collectAccesses(second, reads2, writes2) ||
        intersects(writes1, reads2) || intersects(writes1, writes2) ||
        intersects(writes2, reads1))
      return rewriter.notifyMatchFailure(second, "the loops share a buffer");

    Location loc = second.getLoc();
    rewriter.setInsertionPoint(second);
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    Value total = arith::AddIOp::create(rewriter, loc, n1, n2);
    scf::ParallelOp::create(
        rewriter, loc, ValueRange{zero}, ValueRange{total}, ValueRange{one},
        [&](OpBuilder &b, Location nloc, ValueRange ivs) {
          Value i = ivs[0];
          Value inFirst =
              arith::CmpIOp::create(b, nloc, arith::CmpIPredicate::ult, i, n1);
          auto clone = [&](OpBuilder &ib, scf::ParallelOp loop, Value iv) {
            IRMapping mapping;
            mapping.map(loop.getInductionVars()[0], iv);
            for (Operation &op : loop.getBody()->without_terminator())
              ib.clone(op, mapping);
          };
          scf::IfOp::create(
              b, nloc, inFirst,
              [&](OpBuilder &tb, Location tl) {
                clone(tb, first, i);
                scf::YieldOp::create(tb, tl);
              },
              [&](OpBuilder &eb, Location el) {
                clone(eb, second, arith::SubIOp::create(eb, el, i, n1));
                scf::YieldOp::create(eb, el);
              });
        });
    rewriter.eraseOp(second);
    rewriter.eraseOp(first);
    return success();
  }
};

struct FQTGpuMergeParallelLoopsPass
    : fqt::impl::FQTGpuMergeParallelLoopsBase<FQTGpuMergeParallelLoopsPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    // Every top-level loop nest over one dimension, so that any two can
    // merge.
    IRRewriter rewriter(&getContext());
    for (Block &block : fn.getBody())
      for (auto loop : llvm::make_early_inc_range(block.getOps<scf::ParallelOp>())) {
        if (loop.getNumLoops() < 2 || !loop.getInitVals().empty())
          continue;
        std::vector<unsigned> all(loop.getNumLoops());
        std::iota(all.begin(), all.end(), 0u);
        rewriter.setInsertionPoint(loop);
        collapseParallelLoops(rewriter, loop, {all});
      }
    RewritePatternSet patterns(&getContext());
    patterns.add<MergeIndependentLoops>(&getContext());
    if (failed(applyPatternsGreedily(fn, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
