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

/// The loops of a bufferized generic as scf loops: one scf.parallel over its
/// parallel dimensions and, inside it, scf.for loops over its reduction
/// dimensions, outermost first, carrying values from one iteration to the
/// next. Both folds below emit this nest; they differ in what the innermost
/// iteration does and what surrounds the reduction loops.
class LoopNest {
public:
  using IterationFn =
      function_ref<SmallVector<Value>(OpBuilder &, ValueRange carried)>;

  LoopNest(PatternRewriter &rewriter, linalg::GenericOp op) : loc(op.getLoc()) {
    SmallVector<Range> ranges = cast<linalg::LinalgOp>(op.getOperation())
                                    .createLoopRanges(rewriter, loc);
    auto value = [&](OpFoldResult v) {
      return getValueOrCreateConstantIndexOp(rewriter, loc, v);
    };
    for (auto [dim, iterator] : llvm::enumerate(op.getIteratorTypesArray())) {
      lbs.push_back(value(ranges[dim].offset));
      ubs.push_back(value(ranges[dim].size));
      steps.push_back(value(ranges[dim].stride));
      (iterator == utils::IteratorType::parallel ? parallelDims : reductionDims)
          .push_back(dim);
    }
  }

  /// Emits the scf.parallel; `body` gets the index of every loop, those of
  /// the parallel loops set (the reduction loops set the others).
  void build(PatternRewriter &rewriter,
             function_ref<void(OpBuilder &, SmallVector<Value> &ivs)> body) {
    SmallVector<Value> parallelLbs, parallelUbs, parallelSteps;
    for (unsigned dim : parallelDims) {
      parallelLbs.push_back(lbs[dim]);
      parallelUbs.push_back(ubs[dim]);
      parallelSteps.push_back(steps[dim]);
    }
    scf::ParallelOp::create(
        rewriter, loc, parallelLbs, parallelUbs, parallelSteps,
        [&](OpBuilder &b, Location, ValueRange parallelIvs) {
          SmallVector<Value> ivs(lbs.size());
          for (auto [dim, iv] : llvm::zip(parallelDims, parallelIvs))
            ivs[dim] = iv;
          body(b, ivs);
        });
  }

  /// Emits the reduction loops carrying `carried` (from `level` on) and
  /// returns what they carry out; `iteration` computes the carried values
  /// of one iteration once every index of `ivs` is set.
  SmallVector<Value> reduce(OpBuilder &b, SmallVector<Value> &ivs,
                            ValueRange carried, IterationFn iteration,
                            unsigned level = 0) {
    if (level == reductionDims.size())
      return iteration(b, carried);
    unsigned dim = reductionDims[level];
    auto loop = scf::ForOp::create(
        b, loc, lbs[dim], ubs[dim], steps[dim], carried,
        [&](OpBuilder &lb, Location, Value iv, ValueRange iter) {
          ivs[dim] = iv;
          scf::YieldOp::create(lb, loc,
                               reduce(lb, ivs, iter, iteration, level + 1));
        });
    return SmallVector<Value>(loop.getResults());
  }

private:
  Location loc;
  SmallVector<Value> lbs, ubs, steps;
  SmallVector<unsigned> parallelDims, reductionDims;
};

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
    LoopNest nest(rewriter, op);
    SmallVector<Value> starts;
    for (const fqt::FillInitializer &init : inits)
      starts.push_back(arith::ConstantOp::create(rewriter, loc, init.value));
    nest.build(rewriter, [&](OpBuilder &b, SmallVector<Value> &ivs) {
      // The reduction loops carry the accumulators.
      SmallVector<Value> results =
          nest.reduce(b, ivs, starts, [&](OpBuilder &ib, ValueRange accs) {
            SmallVector<Value> args;
            for (OpOperand *input : op.getDpsInputOperands())
              args.push_back(fqt::loadOperand(ib, loc, op, input, ivs));
            llvm::append_range(args, accs);
            return fqt::inlineBody(ib, op, args, ivs);
          });
      for (auto [output, result] : llvm::zip(op.getDpsInitsMutable(), results))
        memref::StoreOp::create(
            b, loc, result, output.get(),
            fqt::indicesOf(b, loc, op.getMatchingIndexingMap(&output), ivs));
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
    LoopNest nest(rewriter, op);
    Value start = arith::ConstantOp::create(rewriter, loc, init->value);
    Value buffer = output.get();
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    nest.build(rewriter, [&](OpBuilder &b, SmallVector<Value> &ivs) {
      // The slab: every output element this thread's indices own.
      SmallVector<Value> at(ownedBy.size());
      std::function<void(OpBuilder &, unsigned)> fill = [&](OpBuilder &fb,
                                                            unsigned d) {
        if (d == ownedBy.size()) {
          memref::StoreOp::create(fb, loc, start, buffer, at);
          return;
        }
        if (ownedBy[d] >= 0) {
          at[d] = ivs[ownedBy[d]];
          fill(fb, d + 1);
          return;
        }
        Value size = memref::DimOp::create(fb, loc, buffer, d);
        scf::ForOp::create(fb, loc, zero, size, one, ValueRange{},
                           [&](OpBuilder &lb, Location, Value iv, ValueRange) {
                             at[d] = iv;
                             fill(lb, d + 1);
                             scf::YieldOp::create(lb, loc);
                           });
      };
      fill(b, 0);
      // Then the additions, in the order of the reduction loops (nothing
      // carried: each adds into the buffer).
      nest.reduce(b, ivs, ValueRange{}, [&](OpBuilder &ib, ValueRange) {
        SmallVector<Value> args;
        for (OpOperand *input : op.getDpsInputOperands())
          args.push_back(fqt::loadOperand(ib, loc, op, input, ivs));
        SmallVector<Value> where = fqt::indicesOf(ib, loc, map, ivs);
        args.push_back(memref::LoadOp::create(ib, loc, buffer, where));
        memref::StoreOp::create(
            ib, loc, fqt::inlineBody(ib, op, args, ivs).front(), buffer, where);
        return SmallVector<Value>();
      });
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
