//===- GpuFoldFills.cpp - reductions that start from their fill value -----===//
//
// A filled output buffer and the reduction into it are two loop nests, and
// so two kernel launches on the GPU, where the reduction also loads and
// stores its output at every step. Here they become one nest whose
// reduction loops carry the accumulator in a register from the fill's
// constant (see the pass description in Passes.td).
//
//===----------------------------------------------------------------------===//

#include "fqt/Target/FillInitializer.h"
#include "fqt/Target/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace fqt {
#define GEN_PASS_DEF_FQTGPUFOLDFILLS
#include "fqt/Target/Passes.h.inc"
} // namespace fqt

using namespace mlir;

namespace {

/// The indices `map` gives for the loop induction variables `ivs` (one per
/// loop dimension): the variable itself for a dimension, an affine.apply
/// otherwise.
SmallVector<Value> indicesOf(OpBuilder &b, Location loc, AffineMap map,
                             ArrayRef<Value> ivs) {
  SmallVector<Value> indices;
  for (AffineExpr expr : map.getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
      indices.push_back(ivs[dim.getPosition()]);
      continue;
    }
    indices.push_back(affine::AffineApplyOp::create(
        b, loc, AffineMap::get(map.getNumDims(), 0, expr), ivs));
  }
  return indices;
}

struct FoldFillIntoReduction : OpRewritePattern<linalg::GenericOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics() || op.getNumReductionLoops() == 0 ||
        op.getNumParallelLoops() == 0)
      return rewriter.notifyMatchFailure(op, "not a bufferized reduction");
    // Every output (a range reduction has two, min and max) starts from a
    // fill.
    SmallVector<fqt::FillInitializer> inits;
    for (OpOperand &output : op.getDpsInitsMutable()) {
      if (!op.getMatchingIndexingMap(&output).isProjectedPermutation())
        return rewriter.notifyMatchFailure(op, "output map is not a "
                                               "projection");
      std::optional<fqt::FillInitializer> init =
          fqt::findFillInitializer(op, output.get());
      if (!init)
        return rewriter.notifyMatchFailure(op, "output is not just filled");
      inits.push_back(*init);
    }

    Location loc = op.getLoc();
    SmallVector<Range> ranges = cast<linalg::LinalgOp>(op.getOperation())
                                    .createLoopRanges(rewriter, loc);
    auto value = [&](OpFoldResult v) {
      return getValueOrCreateConstantIndexOp(rewriter, loc, v);
    };
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    SmallVector<Value> lbs, ubs, steps;
    SmallVector<unsigned> parallelDims, reductionDims;
    for (auto [dim, iterator] : llvm::enumerate(iterators)) {
      (iterator == utils::IteratorType::parallel ? parallelDims
                                                 : reductionDims)
          .push_back(dim);
      if (iterator == utils::IteratorType::parallel) {
        lbs.push_back(value(ranges[dim].offset));
        ubs.push_back(value(ranges[dim].size));
        steps.push_back(value(ranges[dim].stride));
      }
    }
    SmallVector<Value> starts;
    for (const fqt::FillInitializer &init : inits)
      starts.push_back(arith::ConstantOp::create(rewriter, loc, init.value));
    Block &body = op.getRegion().front();
    unsigned numInputs = op.getNumDpsInputs();
    scf::ParallelOp::create(
        rewriter, loc, lbs, ubs, steps,
        [&](OpBuilder &b, Location nloc, ValueRange parallelIvs) {
          SmallVector<Value> ivs(iterators.size());
          for (auto [dim, iv] : llvm::zip(parallelDims, parallelIvs))
            ivs[dim] = iv;
          // The reduction loops, outermost first, carrying the
          // accumulators.
          std::function<SmallVector<Value>(OpBuilder &, unsigned, ValueRange)>
              reduce = [&](OpBuilder &fb, unsigned level,
                           ValueRange accs) -> SmallVector<Value> {
            if (level == reductionDims.size()) {
              IRMapping mapping;
              for (OpOperand *input : op.getDpsInputOperands()) {
                Value in = input->get();
                Value loaded = in;
                if (isa<MemRefType>(in.getType()))
                  loaded = memref::LoadOp::create(
                      fb, nloc, in,
                      indicesOf(fb, nloc, op.getMatchingIndexingMap(input),
                                ivs));
                mapping.map(body.getArgument(input->getOperandNumber()),
                            loaded);
              }
              for (auto [i, acc] : llvm::enumerate(accs))
                mapping.map(body.getArgument(numInputs + i), acc);
              for (Operation &nested : body.without_terminator()) {
                if (auto index = dyn_cast<linalg::IndexOp>(nested)) {
                  mapping.map(index.getResult(), ivs[index.getDim()]);
                  continue;
                }
                fb.clone(nested, mapping);
              }
              SmallVector<Value> results;
              for (Value v :
                   cast<linalg::YieldOp>(body.getTerminator()).getValues())
                results.push_back(mapping.lookupOrDefault(v));
              return results;
            }
            unsigned dim = reductionDims[level];
            auto loop = scf::ForOp::create(
                fb, nloc, value(ranges[dim].offset), value(ranges[dim].size),
                value(ranges[dim].stride), accs,
                [&](OpBuilder &lb, Location, Value iv, ValueRange iter) {
                  ivs[dim] = iv;
                  scf::YieldOp::create(lb, nloc, reduce(lb, level + 1, iter));
                });
            return SmallVector<Value>(loop.getResults());
          };
          SmallVector<Value> results = reduce(b, 0, starts);
          for (auto [output, result] :
               llvm::zip(op.getDpsInitsMutable(), results))
            memref::StoreOp::create(
                b, nloc, result, output.get(),
                indicesOf(b, nloc, op.getMatchingIndexingMap(&output), ivs));
        });
    rewriter.eraseOp(op);
    for (const fqt::FillInitializer &init : inits)
      fqt::eraseFillInitializer(rewriter, init);
    return success();
  }
};

/// The allocation `v` is a view of (through view ops), or null for a
/// function argument: arguments may alias each other, so they count as one
/// buffer.
Value rootBuffer(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
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
    while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
      v = view.getViewSource();
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

/// Two 1-D parallel loops in a row (the two code sums of an integer
/// product's zero-point corrections, once their fills are folded) that touch
/// no buffer one writes and the other uses become one loop over the sum of
/// their lengths, each index running one of the two bodies: one launch
/// instead of two.
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

struct FQTGpuFoldFillsPass
    : fqt::impl::FQTGpuFoldFillsBase<FQTGpuFoldFillsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldFillIntoReduction>(&getContext());
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingOps);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     config)))
      return signalPassFailure();
    // Then the independent loops in a row, pairwise.
    RewritePatternSet merges(&getContext());
    merges.add<MergeIndependentLoops>(&getContext());
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(merges), config)))
      signalPassFailure();
  }
};

} // namespace
