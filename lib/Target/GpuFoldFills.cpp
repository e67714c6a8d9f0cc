//===- GpuFoldFills.cpp - reductions that start from their fill value -----===//
//
// A filled output buffer and the reduction into it are two loop nests, and
// so two kernel launches on the GPU, where the reduction also loads and
// stores its output at every step. Here they become one nest whose
// reduction loops carry the accumulator in a register from the fill's
// constant (see the pass description in Passes.td).
//
//===----------------------------------------------------------------------===//

#include "fqt/Target/BufferedLinalg.h"
#include "fqt/Target/FillInitializer.h"
#include "fqt/Target/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace fqt {
#define GEN_PASS_DEF_FQTGPUFOLDFILLS
#include "fqt/Target/Passes.h.inc"
} // namespace fqt

using namespace mlir;

namespace {

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
              SmallVector<Value> args;
              for (OpOperand *input : op.getDpsInputOperands())
                args.push_back(fqt::loadOperand(fb, nloc, op, input, ivs));
              llvm::append_range(args, accs);
              return fqt::inlineBody(fb, op, args, ivs);
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
                fqt::indicesOf(b, nloc, op.getMatchingIndexingMap(&output),
                               ivs));
        });
    rewriter.eraseOp(op);
    for (const fqt::FillInitializer &init : inits)
      fqt::eraseFillInitializer(rewriter, init);
    return success();
  }
};

/// A scatter: a reduction whose output is indexed by every parallel
/// dimension directly and, in its other dimensions, by sums of reduction
/// dimensions (the adjoint of overlapping convolution windows adds each
/// window into out[n, c, oh + kh, ow + kw]). Several iterations meet at one
/// element, so no accumulator can live in a register; but each thread of
/// the parallel dimensions owns its slab of the output (out[n, c, :, :]),
/// so it fills that slab itself and then adds into it in the order of the
/// reduction loops. The fill is no launch of its own.
struct FoldFillIntoScatter : OpRewritePattern<linalg::GenericOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics() || op.getNumReductionLoops() == 0 ||
        op.getNumParallelLoops() == 0 || op.getNumDpsInits() != 1)
      return rewriter.notifyMatchFailure(op, "not a bufferized reduction");
    OpOperand &output = op.getDpsInitsMutable()[0];
    AffineMap map = op.getMatchingIndexingMap(&output);
    if (map.isProjectedPermutation())
      return rewriter.notifyMatchFailure(op, "a plain reduction");
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    // Output dimension -> the parallel loop indexing it, or -1 for a
    // dimension indexed by reduction loops only.
    SmallVector<int64_t> ownedBy;
    unsigned parallelSeen = 0;
    for (AffineExpr result : map.getResults()) {
      auto dim = dyn_cast<AffineDimExpr>(result);
      if (dim &&
          iterators[dim.getPosition()] == utils::IteratorType::parallel) {
        ownedBy.push_back(dim.getPosition());
        ++parallelSeen;
        continue;
      }
      for (auto [loop, iterator] : llvm::enumerate(iterators))
        if (iterator == utils::IteratorType::parallel &&
            result.isFunctionOfDim(loop))
          return rewriter.notifyMatchFailure(op, "parallel and reduction "
                                                 "loops share a dimension");
      ownedBy.push_back(-1);
    }
    if (parallelSeen != op.getNumParallelLoops())
      return rewriter.notifyMatchFailure(op, "a parallel loop does not "
                                             "index the output");
    std::optional<fqt::FillInitializer> init =
        fqt::findFillInitializer(op, output.get());
    if (!init)
      return rewriter.notifyMatchFailure(op, "output is not just filled");

    Location loc = op.getLoc();
    SmallVector<Range> ranges = cast<linalg::LinalgOp>(op.getOperation())
                                    .createLoopRanges(rewriter, loc);
    auto value = [&](OpFoldResult v) {
      return getValueOrCreateConstantIndexOp(rewriter, loc, v);
    };
    SmallVector<Value> lbs, ubs, steps;
    SmallVector<unsigned> parallelDims, reductionDims;
    for (auto [dim, iterator] : llvm::enumerate(iterators)) {
      (iterator == utils::IteratorType::parallel ? parallelDims : reductionDims)
          .push_back(dim);
      if (iterator == utils::IteratorType::parallel) {
        lbs.push_back(value(ranges[dim].offset));
        ubs.push_back(value(ranges[dim].size));
        steps.push_back(value(ranges[dim].stride));
      }
    }
    Value start = arith::ConstantOp::create(rewriter, loc, init->value);
    Value buffer = output.get();
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    scf::ParallelOp::create(
        rewriter, loc, lbs, ubs, steps,
        [&](OpBuilder &b, Location nloc, ValueRange parallelIvs) {
          SmallVector<Value> ivs(iterators.size());
          for (auto [dim, iv] : llvm::zip(parallelDims, parallelIvs))
            ivs[dim] = iv;
          // The slab: every output element this thread's indices own.
          SmallVector<Value> at(ownedBy.size());
          std::function<void(OpBuilder &, unsigned)> fill = [&](OpBuilder &fb,
                                                                unsigned d) {
            if (d == ownedBy.size()) {
              memref::StoreOp::create(fb, nloc, start, buffer, at);
              return;
            }
            if (ownedBy[d] >= 0) {
              at[d] = ivs[ownedBy[d]];
              fill(fb, d + 1);
              return;
            }
            Value size = memref::DimOp::create(fb, nloc, buffer, d);
            scf::ForOp::create(
                fb, nloc, zero, size, one, ValueRange{},
                [&](OpBuilder &lb, Location, Value iv, ValueRange) {
                  at[d] = iv;
                  fill(lb, d + 1);
                  scf::YieldOp::create(lb, nloc);
                });
          };
          fill(b, 0);
          // Then the additions, in the order of the reduction loops.
          std::function<void(OpBuilder &, unsigned)> add = [&](OpBuilder &fb,
                                                               unsigned level) {
            if (level == reductionDims.size()) {
              SmallVector<Value> args;
              for (OpOperand *input : op.getDpsInputOperands())
                args.push_back(fqt::loadOperand(fb, nloc, op, input, ivs));
              SmallVector<Value> where = fqt::indicesOf(fb, nloc, map, ivs);
              args.push_back(memref::LoadOp::create(fb, nloc, buffer, where));
              memref::StoreOp::create(
                  fb, nloc, fqt::inlineBody(fb, op, args, ivs).front(), buffer,
                  where);
              return;
            }
            unsigned dim = reductionDims[level];
            scf::ForOp::create(
                fb, nloc, value(ranges[dim].offset), value(ranges[dim].size),
                value(ranges[dim].stride), ValueRange{},
                [&](OpBuilder &lb, Location, Value iv, ValueRange) {
                  ivs[dim] = iv;
                  add(lb, level + 1);
                  scf::YieldOp::create(lb, nloc);
                });
          };
          add(b, 0);
        });
    rewriter.eraseOp(op);
    fqt::eraseFillInitializer(rewriter, *init);
    return success();
  }
};

struct FQTGpuFoldFillsPass
    : fqt::impl::FQTGpuFoldFillsBase<FQTGpuFoldFillsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldFillIntoReduction, FoldFillIntoScatter>(&getContext());
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingOps);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace
