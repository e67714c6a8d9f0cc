//===- CoarsenParallelLoops.cpp - parallel loops that pay for threads -----===//
//
// Every scf.parallel that reaches --convert-scf-to-openmp becomes an OpenMP
// parallel region: a fork and a join of the thread team, a few microseconds
// each. The CPU pipeline emits scf.parallel for every loop over a parallel
// dimension; this pass keeps the outermost ones with enough work and turns
// the rest into scf.for nests that run the iterations in the same order.
//
//===----------------------------------------------------------------------===//

#include "fqt/Codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

#include "llvm/Support/MathExtras.h"

namespace fqt {
#define GEN_PASS_DEF_FQTCOARSENPARALLELLOOPS
#include "fqt/Codegen/Passes.h.inc"
} // namespace fqt

using namespace mlir;

namespace {

/// Iterations of a loop with constant bounds and step, else nullopt.
static std::optional<int64_t> tripCount(Value lb, Value ub, Value step) {
  std::optional<int64_t> l = getConstantIntValue(lb),
                         u = getConstantIntValue(ub),
                         s = getConstantIntValue(step);
  if (!l || !u || !s || *s <= 0)
    return std::nullopt;
  return *u > *l ? llvm::divideCeil(*u - *l, *s) : 0;
}

static int64_t saturatingMul(int64_t a, int64_t b) {
  int64_t r;
  return llvm::MulOverflow(a, b, r) ? INT64_MAX : r;
}

static int64_t saturatingAdd(int64_t a, int64_t b) {
  int64_t r;
  return llvm::AddOverflow(a, b, r) ? INT64_MAX : r;
}

static std::optional<int64_t> estimateBlock(Block &block);

/// Ops one execution of `op` runs: 1 for an op without regions (a vector op
/// counts as one instruction), the trip count times the body for loops, the
/// costlier branch for scf.if. nullopt when a trip count is not static.
static std::optional<int64_t> estimateOp(Operation &op) {
  if (op.getNumRegions() == 0)
    return 1;
  auto body = [&](Region &region) -> std::optional<int64_t> {
    if (region.empty())
      return 0;
    return estimateBlock(region.front());
  };
  if (auto loop = dyn_cast<scf::ForOp>(op)) {
    std::optional<int64_t> trips =
        tripCount(loop.getLowerBound(), loop.getUpperBound(), loop.getStep());
    std::optional<int64_t> work = body(loop.getRegion());
    if (!trips || !work)
      return std::nullopt;
    return saturatingMul(*trips, *work);
  }
  if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
    std::optional<int64_t> work = body(loop.getRegion());
    if (!work)
      return std::nullopt;
    int64_t total = *work;
    for (auto [lb, ub, step] : llvm::zip(
             loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
      std::optional<int64_t> trips = tripCount(lb, ub, step);
      if (!trips)
        return std::nullopt;
      total = saturatingMul(total, *trips);
    }
    return total;
  }
  if (isa<scf::IfOp>(op)) {
    int64_t most = 0;
    for (Region &region : op.getRegions()) {
      std::optional<int64_t> work = body(region);
      if (!work)
        return std::nullopt;
      most = std::max(most, *work);
    }
    return saturatingAdd(most, 1);
  }
  if (isa<LoopLikeOpInterface>(op))
    return std::nullopt; // scf.while and the like: unknown trip count
  int64_t total = 1;
  for (Region &region : op.getRegions()) {
    std::optional<int64_t> work = body(region);
    if (!work)
      return std::nullopt;
    total = saturatingAdd(total, *work);
  }
  return total;
}

static std::optional<int64_t> estimateBlock(Block &block) {
  int64_t total = 0;
  for (Operation &op : block) {
    std::optional<int64_t> work = estimateOp(op);
    if (!work)
      return std::nullopt;
    total = saturatingAdd(total, *work);
  }
  return total;
}

/// Rewrites `op` into a nest of scf.for over the same dimensions, outermost
/// first, so the iterations run in the order a serial lowering of the
/// parallel loop gives. Reductions become iteration arguments combined in
/// iteration order.
static Operation *serialize(RewriterBase &rewriter, scf::ParallelOp op) {
  rewriter.setInsertionPoint(op);
  Block *body = op.getBody();
  auto reduce = cast<scf::ReduceOp>(body->getTerminator());
  scf::LoopNest nest = scf::buildLoopNest(
      rewriter, op.getLoc(), op.getLowerBound(), op.getUpperBound(),
      op.getStep(), op.getInitVals(),
      [&](OpBuilder &b, Location loc, ValueRange ivs,
          ValueRange accs) -> scf::ValueVector {
        IRMapping map;
        map.map(op.getInductionVars(), ivs);
        for (Operation &inner : body->without_terminator())
          b.clone(inner, map);
        scf::ValueVector next;
        for (auto [i, region] : llvm::enumerate(reduce.getReductions())) {
          Block &combiner = region.front();
          map.map(combiner.getArgument(0), accs[i]);
          map.map(combiner.getArgument(1),
                  map.lookupOrDefault(reduce.getOperands()[i]));
          for (Operation &inner : combiner.without_terminator())
            b.clone(inner, map);
          auto ret = cast<scf::ReduceReturnOp>(combiner.getTerminator());
          next.push_back(map.lookupOrDefault(ret.getResult()));
        }
        return next;
      });
  rewriter.replaceOp(op, nest.results);
  return nest.loops.front();
}

/// Iterations the leading dimensions of a kept loop must have together
/// before the remaining ones are left to each thread as serial loops.
constexpr int64_t kMinParallelIterations = 16;

/// Keeps the leading dimensions of `op` parallel until they have
/// kMinParallelIterations iterations (a dynamic one counts as enough) and
/// moves the rest into serial loops inside: OpenMP would collapse all
/// dimensions into one, recomputing every index by division in each
/// iteration, and the innermost loop would no longer be a contiguous loop
/// LLVM vectorizes. Returns the loop that stays parallel.
static scf::ParallelOp keepLeadingDims(RewriterBase &rewriter,
                                       scf::ParallelOp op) {
  unsigned numLoops = op.getNumLoops(), keep = 0;
  int64_t iterations = 1;
  while (keep < numLoops && iterations < kMinParallelIterations) {
    std::optional<int64_t> trips = tripCount(
        op.getLowerBound()[keep], op.getUpperBound()[keep], op.getStep()[keep]);
    iterations = trips ? saturatingMul(iterations, *trips) : INT64_MAX;
    ++keep;
  }
  if (keep == numLoops)
    return op;
  auto take = [&](OperandRange values, bool outer) {
    SmallVector<Value> part(values.begin(), values.end());
    return outer ? SmallVector<Value>(ArrayRef<Value>(part).take_front(keep))
                 : SmallVector<Value>(ArrayRef<Value>(part).drop_front(keep));
  };
  rewriter.setInsertionPoint(op);
  Block *body = op.getBody();
  auto outer = scf::ParallelOp::create(
      rewriter, op.getLoc(), take(op.getLowerBound(), true),
      take(op.getUpperBound(), true), take(op.getStep(), true),
      [&](OpBuilder &b, Location loc, ValueRange outerIvs) {
        scf::buildLoopNest(
            b, loc, take(op.getLowerBound(), false),
            take(op.getUpperBound(), false), take(op.getStep(), false),
            [&](OpBuilder &b, Location, ValueRange innerIvs) {
              IRMapping map;
              SmallVector<Value> ivs = op.getInductionVars();
              map.map(ArrayRef<Value>(ivs).take_front(keep), outerIvs);
              map.map(ArrayRef<Value>(ivs).drop_front(keep), innerIvs);
              for (Operation &inner : body->without_terminator())
                b.clone(inner, map);
            });
      });
  rewriter.eraseOp(op);
  return outer;
}

/// Whether `loop` stores into an i4 buffer. --fqt-pack-i4-buffers puts two
/// codes in a byte and writes one with a read-modify-write of the byte, so
/// two threads writing neighbouring codes would race: such loops (the
/// quantizers' code loops) stay serial.
static bool storesNibbles(scf::ParallelOp loop) {
  return loop
      ->walk([](memref::StoreOp store) {
        return store.getMemRefType().getElementType().isInteger(4)
                   ? WalkResult::interrupt()
                   : WalkResult::advance();
      })
      .wasInterrupted();
}

struct FQTCoarsenParallelLoopsPass
    : fqt::impl::FQTCoarsenParallelLoopsBase<FQTCoarsenParallelLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    visit(rewriter, getOperation(), /*underParallel=*/false);
  }

  /// Decides the parallel loops under `op`, outermost first: one that stays
  /// parallel makes the loops nested in it serial.
  void visit(RewriterBase &rewriter, Operation *op, bool underParallel) {
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (Operation &child : llvm::make_early_inc_range(block)) {
          auto loop = dyn_cast<scf::ParallelOp>(child);
          if (!loop || loop.getNumLoops() == 0) {
            visit(rewriter, &child, underParallel);
            continue;
          }
          std::optional<int64_t> work = estimateOp(*loop);
          bool small = work && *work < minWork;
          if (!underParallel && !small && loop.getNumReductions() == 0 &&
              !storesNibbles(loop)) {
            visit(rewriter, keepLeadingDims(rewriter, loop),
                  /*underParallel=*/true);
            continue;
          }
          visit(rewriter, serialize(rewriter, loop), underParallel);
        }
  }
};

} // namespace
