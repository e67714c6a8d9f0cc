//===- VectorizeReductions.cpp - innermost reductions as vector loops -----===//
//
// A linalg.generic on buffers whose innermost loop is a reduction over a
// contiguous dimension (a tensor's min/max for a quantizer's range, a row
// sum of a softmax, a code sum) becomes:
//
//   for the outer indices:
//     acc = splat(identity)
//     for j in 0 .. D - D % W step W:  acc = combine(acc, body(vector loads))
//     r = reduce(acc, out[...])           vector.reduction
//     for j in D - D % W .. D:         r = combine(body(scalar loads), r)
//     out[...] = r
//
// The scalar loops LLVM gets otherwise keep the accumulator in memory and
// cannot reorder the reduction. min/max combine in any order to the same
// value; sums are reassociated (one partial sum per lane).
//
// A sum into one dimension that is not the innermost (a bias gradient)
// has independent sums side by side: with AVX-512 they become the lanes,
// each keeping the loops' order.
//
//===----------------------------------------------------------------------===//

#include "fqt/Codegen/Passes.h"

#include "IndependentLoops.h"
#include "VectorBody.h"
#include "VectorTranspose.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/SmallPtrSet.h"

namespace fqt {
#define GEN_PASS_DEF_FQTVECTORIZEREDUCTIONS
#include "fqt/Codegen/Passes.h.inc"
} // namespace fqt

using namespace mlir;
using namespace fqt;

namespace {

/// A combiner the vector dialect can reduce, with its identity.
struct Combiner {
  vector::CombiningKind kind;
  TypedAttr identity;
};

static std::optional<Combiner> matchCombiner(Operation *op, Type type) {
  Builder b(op->getContext());
  auto fl = dyn_cast<FloatType>(type);
  if (fl) {
    const llvm::fltSemantics &sem = fl.getFloatSemantics();
    if (isa<arith::AddFOp>(op))
      return Combiner{vector::CombiningKind::ADD,
                      b.getFloatAttr(type, llvm::APFloat::getZero(sem, true))};
    if (isa<arith::MaximumFOp>(op))
      return Combiner{vector::CombiningKind::MAXIMUMF,
                      b.getFloatAttr(type, llvm::APFloat::getInf(sem, true))};
    if (isa<arith::MinimumFOp>(op))
      return Combiner{vector::CombiningKind::MINIMUMF,
                      b.getFloatAttr(type, llvm::APFloat::getInf(sem, false))};
    return std::nullopt;
  }
  if (!type.isSignlessInteger())
    return std::nullopt;
  if (isa<arith::AddIOp>(op))
    return Combiner{vector::CombiningKind::ADD, b.getIntegerAttr(type, 0)};
  if (isa<arith::OrIOp>(op))
    return Combiner{vector::CombiningKind::OR, b.getIntegerAttr(type, 0)};
  if (isa<arith::AndIOp>(op))
    return Combiner{vector::CombiningKind::AND, b.getIntegerAttr(type, -1)};
  return std::nullopt;
}

/// The partial sums of a float sum reduced in vector lanes, on every target.
constexpr int64_t kFloatSumLanes = 16;

/// What each yielded value of a reduction's body combines: the combiner
/// (its kind and identity) and the partial value it combines with its own
/// output argument, computed from the inputs by elementwise ops.
struct ReductionBody {
  SmallVector<Combiner> combiners;
  SmallVector<Value> partials;
};

/// The reduction body of `op`: every yielded value combines a value
/// computed from the inputs with its own output argument; everything else
/// is elementwise.
static FailureOr<ReductionBody> matchReductionBody(linalg::GenericOp op,
                                                   PatternRewriter &rewriter) {
  Block *body = op.getBody();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  unsigned numInputs = op.getNumDpsInputs();
  SmallVector<Combiner> combiners;
  SmallVector<Value> partials;
  for (auto [i, value] : llvm::enumerate(yield.getOperands())) {
    Operation *def = value.getDefiningOp();
    BlockArgument acc = body->getArgument(numInputs + i);
    if (!def || def->getBlock() != body || def->getNumOperands() != 2)
      return rewriter.notifyMatchFailure(op, "no combiner");
    auto c = matchCombiner(def, value.getType());
    if (!c)
      return rewriter.notifyMatchFailure(op, "unsupported combiner");
    Value partial = def->getOperand(0) == acc   ? def->getOperand(1)
                    : def->getOperand(1) == acc ? def->getOperand(0)
                                                : Value();
    if (!partial || partial == acc)
      return rewriter.notifyMatchFailure(op, "combiner does not read its "
                                             "output");
    combiners.push_back(*c);
    partials.push_back(partial);
  }
  // The partial values must not depend on an output or a combiner: they
  // are recomputed per element, away from the accumulators.
  llvm::SmallPtrSet<Value, 8> tainted;
  for (unsigned i = numInputs; i < body->getNumArguments(); ++i)
    tainted.insert(body->getArgument(i));
  for (Operation &inner : body->without_terminator()) {
    bool isCombiner =
        inner.getNumResults() == 1 &&
        llvm::is_contained(yield.getOperands(), inner.getResult(0));
    if (isCombiner) {
      tainted.insert(inner.getResult(0));
      continue;
    }
    if (llvm::any_of(inner.getOperands(),
                     [&](Value v) { return tainted.contains(v); }))
      return rewriter.notifyMatchFailure(op, "body reads an accumulator "
                                             "outside its combiner");
  }
  for (Value p : partials)
    if (tainted.contains(p))
      return rewriter.notifyMatchFailure(op, "partial value depends on an "
                                             "accumulator");
  for (Operation &inner : body->without_terminator()) {
    if (isa<linalg::IndexOp>(inner) ||
        !OpTrait::hasElementwiseMappableTraits(&inner) ||
        inner.getNumRegions() != 0 || inner.getNumResults() != 1)
      return rewriter.notifyMatchFailure(op, "body not elementwise");
    bool isCombiner = llvm::any_of(yield.getOperands(), [&](Value v) {
      return v.getDefiningOp() == &inner;
    });
    // Output arguments may only feed their combiner.
    for (Value operand : inner.getOperands())
      if (auto arg = dyn_cast<BlockArgument>(operand))
        if (arg.getOwner() == body && arg.getArgNumber() >= numInputs &&
            !isCombiner)
          return rewriter.notifyMatchFailure(op, "output read in the body");
  }

  return ReductionBody{std::move(combiners), std::move(partials)};
}

/// The indices of `operand` of `op` at loop indices `ivs` (its map a
/// projected permutation).
static SmallVector<Value>
operandIndices(linalg::GenericOp op, OpOperand *operand, ArrayRef<Value> ivs) {
  SmallVector<Value> idx;
  for (AffineExpr e : op.getMatchingIndexingMap(operand).getResults())
    idx.push_back(ivs[cast<AffineDimExpr>(e).getPosition()]);
  return idx;
}

/// `x` combined into `acc` by the combiner of the body's i-th yielded value
/// (scalars or vectors alike).
static Value combineAs(OpBuilder &b, Location loc, Block *body, unsigned i,
                       Value x, Value acc) {
  Operation *def = body->getTerminator()->getOperand(i).getDefiningOp();
  OperationState state(loc, def->getName(), ValueRange{x, acc},
                       TypeRange{acc.getType()}, def->getAttrs());
  return b.create(state)->getResult(0);
}

/// A reduction of whole buffers to scalars (a per-tensor quantizer's
/// min/max range) over more than one dimension, whose inputs are contiguous:
/// the same reduction over the buffers viewed as one dimension. The vector
/// loop then runs over all elements with one horizontal reduction at the
/// end, instead of one per row of the innermost dimension (a 50176 x 16
/// range took 0.8 ms). Only combiners whose result does not depend on the
/// order (min/max, integer ops), so the bits do not change.
struct CollapseWholeReduction : OpRewritePattern<linalg::GenericOp> {
  CollapseWholeReduction(MLIRContext *ctx)
      : OpRewritePattern(ctx, /*benefit=*/2) {}

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    unsigned numLoops = op.getNumLoops();
    if (!op.hasPureBufferSemantics() || numLoops < 2 ||
        op.getNumParallelLoops() != 0)
      return rewriter.notifyMatchFailure(op, "not a reduction to scalars");
    if (!op.getBody()->getOps<linalg::IndexOp>().empty())
      return rewriter.notifyMatchFailure(op, "reads the iteration indices");
    for (OpOperand &operand : op->getOpOperands()) {
      AffineMap map = op.getMatchingIndexingMap(&operand);
      auto type = dyn_cast<MemRefType>(operand.get().getType());
      if (!type)
        return rewriter.notifyMatchFailure(op, "scalar operand");
      if (op.isDpsInit(&operand)) {
        if (type.getRank() != 0)
          return rewriter.notifyMatchFailure(op, "output not a scalar");
        continue;
      }
      if (!map.isIdentity() || !type.getLayout().isIdentity() ||
          type.getElementType().isInteger(4))
        return rewriter.notifyMatchFailure(op, "input not a whole buffer");
    }
    auto yield = cast<linalg::YieldOp>(op.getBody()->getTerminator());
    for (Value value : yield.getOperands()) {
      Operation *def = value.getDefiningOp();
      if (!def || !matchCombiner(def, value.getType()) ||
          (isa<FloatType>(value.getType()) && isa<arith::AddFOp>(def)))
        return rewriter.notifyMatchFailure(op, "order-dependent combiner");
    }
    Location loc = op.getLoc();
    ReassociationIndices all;
    for (unsigned i = 0; i < numLoops; ++i)
      all.push_back(i);
    SmallVector<Value> inputs;
    for (Value input : op.getDpsInputs())
      inputs.push_back(memref::CollapseShapeOp::create(
          rewriter, loc, input, ArrayRef<ReassociationIndices>{all}));
    MLIRContext *ctx = op.getContext();
    SmallVector<AffineMap> maps(inputs.size(),
                                AffineMap::getMultiDimIdentityMap(1, ctx));
    maps.append(op.getNumDpsInits(), AffineMap::get(1, 0, ctx));
    auto collapsed = linalg::GenericOp::create(
        rewriter, loc, TypeRange{}, inputs, op.getDpsInits(), maps,
        SmallVector<utils::IteratorType>{utils::IteratorType::reduction});
    rewriter.inlineRegionBefore(op.getRegion(), collapsed.getRegion(),
                                collapsed.getRegion().begin());
    rewriter.eraseOp(op);
    return success();
  }
};

struct VectorizeInnerReduction : OpRewritePattern<linalg::GenericOp> {
  VectorizeInnerReduction(MLIRContext *ctx, int64_t targetWidth, bool parallel)
      : OpRewritePattern(ctx), targetWidth(targetWidth), parallel(parallel) {}

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "not on buffers");
    unsigned numLoops = op.getNumLoops();
    if (numLoops == 0 ||
        op.getIteratorTypesArray().back() != utils::IteratorType::reduction)
      return rewriter.notifyMatchFailure(op, "innermost loop not a reduction");
    AffineExpr inner = rewriter.getAffineDimExpr(numLoops - 1);
    for (OpOperand &operand : op->getOpOperands()) {
      AffineMap map = op.getMatchingIndexingMap(&operand);
      if (!map.isProjectedPermutation())
        return rewriter.notifyMatchFailure(op, "not a projected permutation");
      bool usesInner = map.isFunctionOfDim(numLoops - 1);
      if (op.isDpsInit(&operand)) {
        if (usesInner)
          return rewriter.notifyMatchFailure(op, "output varies along the "
                                                 "reduction");
        continue;
      }
      if (usesInner &&
          (map.getResults().back() != inner ||
           !cast<MemRefType>(operand.get().getType()).isLastDimUnitStride()))
        return rewriter.notifyMatchFailure(op, "input not contiguous along "
                                               "the reduction");
      auto memref = dyn_cast<MemRefType>(operand.get().getType());
      if (!memref)
        return rewriter.notifyMatchFailure(op, "scalar operand");
      // Packed i4 codes (--fqt-pack-i4-buffers) are read one at a time.
      if (memref.getElementType().isInteger(4))
        return rewriter.notifyMatchFailure(op, "i4 operand");
    }
    FailureOr<ReductionBody> reduction = matchReductionBody(op, rewriter);
    if (failed(reduction))
      return failure();
    auto [combiners, partials] = std::move(*reduction);
    // A float sum's bits depend on how many partial sums it keeps: 16
    // lanes on every target (two AVX registers, four SSE), so that every
    // kernel family sums the same way; other combiners take the target's
    // width.
    bool floatSum = llvm::any_of(
        llvm::zip(combiners, partials), [](auto combinerAndPartial) {
          auto [c, p] = combinerAndPartial;
          return c.kind == vector::CombiningKind::ADD &&
                 isa<FloatType>(p.getType());
        });
    emit(rewriter, op, combiners, partials, floatSum);
    rewriter.eraseOp(op);
    return success();
  }

  void emit(PatternRewriter &b, linalg::GenericOp op,
            ArrayRef<Combiner> combiners, ArrayRef<Value> partials,
            bool floatSum) const {
    int64_t width = floatSum ? kFloatSumLanes : targetWidth;
    Location loc = op.getLoc();
    b.setInsertionPoint(op);
    unsigned numLoops = op.getNumLoops();
    SmallVector<Value> bounds;
    for (Range r :
         cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(b, loc))
      bounds.push_back(getValueOrCreateConstantIndexOp(b, loc, r.size));
    Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
    Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
    Value w = arith::ConstantIndexOp::create(b, loc, width);
    Block *body = op.getBody();
    unsigned numInputs = op.getNumDpsInputs();

    // Indices of an operand for loop indices `ivs` (the innermost one last).
    auto indices = [&](OpOperand *operand, ArrayRef<Value> ivs) {
      return operandIndices(op, operand, ivs);
    };
    // Clones the body's computation of the partial values, with the inputs
    // loaded at `ivs`: as vectors of `width` lanes if `vec`, else scalars.
    auto computePartials = [&](ArrayRef<Value> ivs, bool vec) {
      IRMapping map;
      for (unsigned i = 0; i < numInputs; ++i) {
        OpOperand *operand = op.getDpsInputOperand(i);
        Value arg = body->getArgument(i);
        SmallVector<Value> idx = indices(operand, ivs);
        bool alongInner =
            op.getMatchingIndexingMap(operand).isFunctionOfDim(numLoops - 1);
        if (vec && alongInner) {
          map.map(arg, vector::LoadOp::create(
                           b, loc, VectorType::get({width}, arg.getType()),
                           operand->get(), idx));
        } else {
          Value s = memref::LoadOp::create(b, loc, operand->get(), idx);
          map.map(arg,
                  vec ? vector::BroadcastOp::create(
                            b, loc, VectorType::get({width}, arg.getType()), s)
                            .getResult()
                      : s);
        }
      }
      auto isCombiner = [&](Operation &inner) {
        return llvm::is_contained(body->getTerminator()->getOperands(),
                                  inner.getResult(0));
      };
      if (vec) {
        vectorizeBodyOps(b, loc, body, width, map, isCombiner);
      } else {
        for (Operation &inner : body->without_terminator())
          if (!isCombiner(inner))
            b.clone(inner, map);
      }
      SmallVector<Value> out;
      for (Value p : partials) {
        Value v = map.lookupOrDefault(p);
        // A partial value defined above the body (the sum of a filled
        // tensor, whose fill was fused into the reduction) is the same in
        // every lane.
        if (vec && !isa<VectorType>(v.getType()))
          v = vector::BroadcastOp::create(
              b, loc, VectorType::get({width}, v.getType()), v);
        out.push_back(v);
      }
      return out;
    };
    auto combine = [&](unsigned i, Value x, Value acc) {
      return combineAs(b, loc, body, i, x, acc);
    };

    // The outer loops, then the vector and remainder loops.
    SmallVector<Value> ivs(numLoops);
    std::function<void(unsigned)> nest = [&](unsigned d) {
      // The leading parallel loops as one scf.parallel: each of its
      // iterations reduces its own outputs, in the serial order.
      unsigned leading = 0;
      while (d == 0 && parallel && leading + 1 < numLoops &&
             op.getIteratorTypesArray()[leading] ==
                 utils::IteratorType::parallel)
        ++leading;
      if (leading > 0) {
        SmallVector<Value> zeros(leading, c0), ones(leading, c1);
        scf::ParallelOp::create(
            b, loc, zeros, ArrayRef<Value>(bounds).take_front(leading), ones,
            [&](OpBuilder &, Location, ValueRange parIvs) {
              for (unsigned i = 0; i < leading; ++i)
                ivs[i] = parIvs[i];
              nest(leading);
            });
        return;
      }
      if (d + 1 < numLoops) {
        scf::ForOp::create(b, loc, c0, bounds[d], c1, {},
                           [&](OpBuilder &, Location, Value iv, ValueRange) {
                             ivs[d] = iv;
                             nest(d + 1);
                             scf::YieldOp::create(b, loc);
                           });
        return;
      }
      Value size = bounds.back();
      Value main = arith::MulIOp::create(
          b, loc, arith::DivUIOp::create(b, loc, size, w), w);
      SmallVector<Value> init;
      for (auto [i, c] : llvm::enumerate(combiners)) {
        auto vt = VectorType::get({width}, partials[i].getType());
        init.push_back(arith::ConstantOp::create(
            b, loc, vt, DenseElementsAttr::get(vt, c.identity)));
      }
      // Where the order does not matter (min/max, integer ops), first four
      // vectors at a time into four sets of accumulators, combined after:
      // one chain of dependent combines would wait on each one's latency.
      Value start = c0;
      if (!floatSum) {
        const int64_t sets = 4;
        Value step = arith::ConstantIndexOp::create(b, loc, sets * width);
        start = arith::MulIOp::create(
            b, loc, arith::DivUIOp::create(b, loc, size, step), step);
        SmallVector<Value> setInit;
        for (int64_t u = 0; u < sets; ++u)
          llvm::append_range(setInit, init);
        auto setLoop = scf::ForOp::create(
            b, loc, c0, start, step, setInit,
            [&](OpBuilder &, Location, Value j, ValueRange accs) {
              SmallVector<Value> next;
              for (int64_t u = 0; u < sets; ++u) {
                ivs[d] = arith::AddIOp::create(
                    b, loc, j,
                    arith::ConstantIndexOp::create(b, loc, u * width));
                SmallVector<Value> xs = computePartials(ivs, /*vec=*/true);
                for (unsigned i = 0; i < xs.size(); ++i)
                  next.push_back(
                      combine(i, xs[i], accs[u * combiners.size() + i]));
              }
              scf::YieldOp::create(b, loc, next);
            });
        for (unsigned i = 0; i < combiners.size(); ++i) {
          Value acc = setLoop.getResult(i);
          for (int64_t u = 1; u < sets; ++u)
            acc = combine(i, setLoop.getResult(u * combiners.size() + i), acc);
          init[i] = acc;
        }
      }
      auto vecLoop = scf::ForOp::create(
          b, loc, start, main, w, init,
          [&](OpBuilder &, Location, Value j, ValueRange accs) {
            ivs[d] = j;
            SmallVector<Value> xs = computePartials(ivs, /*vec=*/true);
            SmallVector<Value> next;
            for (unsigned i = 0; i < xs.size(); ++i)
              next.push_back(combine(i, xs[i], accs[i]));
            scf::YieldOp::create(b, loc, next);
          });
      SmallVector<Value> reduced;
      for (auto [i, c] : llvm::enumerate(combiners)) {
        OpOperand *out = op.getDpsInitOperand(i);
        Value old =
            memref::LoadOp::create(b, loc, out->get(), indices(out, ivs));
        reduced.push_back(vector::ReductionOp::create(
            b, loc, c.kind, vecLoop.getResult(i), old));
      }
      auto remLoop = scf::ForOp::create(
          b, loc, main, size, c1, reduced,
          [&](OpBuilder &, Location, Value j, ValueRange accs) {
            ivs[d] = j;
            SmallVector<Value> xs = computePartials(ivs, /*vec=*/false);
            SmallVector<Value> next;
            for (unsigned i = 0; i < xs.size(); ++i)
              next.push_back(combine(i, xs[i], accs[i]));
            scf::YieldOp::create(b, loc, next);
          });
      for (unsigned i = 0; i < combiners.size(); ++i) {
        OpOperand *out = op.getDpsInitOperand(i);
        memref::StoreOp::create(b, loc, remLoop.getResult(i), out->get(),
                                indices(out, ivs));
      }
    };
    nest(0);
  }

  int64_t targetWidth;
  bool parallel;
};

/// A float sum over every dimension but one, c, that is not the innermost:
/// out[c] += x[a, c, b] over (a, b) in order (a convolution's bias
/// gradient, [N, C, H, W] -> [C]). The inner-reduction vectorization would
/// sum each row of b in lanes and reassociate; instead 16 channels are the
/// 16 lanes, each summing its own terms in the loops' order: 16 rows of
/// 16 b at a time are transposed by shuffles, and the 16 vectors, b in
/// order, added to the channels' sums one after the other. Lanes past C or
/// B load -0.0, which adds nothing to any sum: the loops' bits.
struct VectorizeChannelSum : OpRewritePattern<linalg::GenericOp> {
  VectorizeChannelSum(MLIRContext *ctx, bool parallel)
      : OpRewritePattern(ctx, /*benefit=*/2), parallel(parallel) {}

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 1 ||
        op.getNumDpsInits() != 1)
      return rewriter.notifyMatchFailure(op, "not one input and one output");
    Value input = op.getDpsInputs()[0], output = op.getDpsInits()[0];
    auto inType = dyn_cast<MemRefType>(input.getType());
    auto outType = dyn_cast<MemRefType>(output.getType());
    if (!inType || !outType || !inType.getElementType().isF32() ||
        !outType.getElementType().isF32() || !inType.hasStaticShape() ||
        !inType.getLayout().isIdentity() || outType.getRank() != 1 ||
        !outType.isLastDimUnitStride())
      return rewriter.notifyMatchFailure(op, "not dense f32 buffers");
    unsigned rank = op.getNumLoops();
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    if (rank < 2 || !maps[0].isIdentity() || maps[1].getNumResults() != 1)
      return rewriter.notifyMatchFailure(op, "not a sum into one dimension");
    auto channel = dyn_cast<AffineDimExpr>(maps[1].getResult(0));
    if (!channel || channel.getPosition() + 1 == rank)
      return rewriter.notifyMatchFailure(op, "channel innermost or not a dim");
    unsigned k = channel.getPosition();
    for (auto [d, t] : llvm::enumerate(op.getIteratorTypesArray()))
      if ((t == utils::IteratorType::parallel) != (d == k))
        return rewriter.notifyMatchFailure(op, "not a sum over the others");
    Block *body = op.getBody();
    auto yield = cast<linalg::YieldOp>(body->getTerminator());
    auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
    Value in = body->getArgument(0), acc = body->getArgument(1);
    if (!add || body->getOperations().size() != 2 ||
        !((add.getLhs() == in && add.getRhs() == acc) ||
          (add.getLhs() == acc && add.getRhs() == in)))
      return rewriter.notifyMatchFailure(op, "not a plain sum");

    ArrayRef<int64_t> shape = inType.getShape();
    int64_t outer = 1, inner = 1, channels = shape[k];
    for (unsigned d = 0; d < k; ++d)
      outer *= shape[d];
    for (unsigned d = k + 1; d < rank; ++d)
      inner *= shape[d];
    ReassociationIndices before, after;
    for (unsigned d = 0; d < k; ++d)
      before.push_back(d);
    for (unsigned d = k + 1; d < rank; ++d)
      after.push_back(d);
    SmallVector<ReassociationIndices> groups;
    if (!before.empty())
      groups.push_back(before);
    groups.push_back({static_cast<int64_t>(k)});
    groups.push_back(after);
    Location loc = op.getLoc();
    Value view = memref::CollapseShapeOp::create(rewriter, loc, input, groups);
    if (before.empty()) // [C, B] as [1, C, B]
      view = memref::ExpandShapeOp::create(
          rewriter, loc, ArrayRef<int64_t>{1, channels, inner}, view,
          ArrayRef<ReassociationIndices>{{0, 1}, {2}});

    const int64_t lanes = 16;
    Type f32 = rewriter.getF32Type();
    auto vector = VectorType::get({lanes}, f32);
    auto maskType = VectorType::get({lanes}, rewriter.getI1Type());
    auto cst = [&](int64_t v) {
      return arith::ConstantIndexOp::create(rewriter, loc, v).getResult();
    };
    Value negZero = arith::ConstantOp::create(
        rewriter, loc,
        DenseElementsAttr::get(vector, rewriter.getF32FloatAttr(-0.0f)));
    Value c0 = cst(0), c1 = cst(1);
    auto mask = [&](OpBuilder &b, Value count) {
      Value clamped = arith::MinSIOp::create(b, loc, count, cst(lanes));
      return vector::CreateMaskOp::create(b, loc, maskType, ValueRange{clamped})
          .getResult();
    };

    // One block of 16 channels: its sums through every (a, b) in order.
    auto block = [&](OpBuilder &b, Value c0Block) {
      Value channelCount =
          arith::SubIOp::create(b, loc, cst(channels), c0Block);
      Value channelMask = mask(b, channelCount);
      Value start = vector::MaskedLoadOp::create(
          b, loc, vector, output, ValueRange{c0Block}, channelMask, negZero);
      auto overA = scf::ForOp::create(
          b, loc, c0, cst(outer), c1, ValueRange{start},
          [&](OpBuilder &b, Location, Value a, ValueRange sumsA) {
            auto overB = scf::ForOp::create(
                b, loc, c0, cst(inner), cst(lanes), ValueRange{sumsA[0]},
                [&](OpBuilder &b, Location, Value b0, ValueRange sumsB) {
                  Value columns =
                      mask(b, arith::SubIOp::create(b, loc, cst(inner), b0));
                  SmallVector<Value> columnsOfTile = fqt::loadTransposed16(
                      b, loc, vector, view,
                      [&](int64_t i) -> SmallVector<Value> {
                        return {a,
                                arith::AddIOp::create(b, loc, c0Block, cst(i)),
                                b0};
                      },
                      channelCount, columns, negZero);
                  Value sums = sumsB[0];
                  for (Value column : columnsOfTile)
                    sums = arith::AddFOp::create(b, loc, column, sums);
                  scf::YieldOp::create(b, loc, sums);
                });
            scf::YieldOp::create(b, loc, overB.getResult(0));
          });
      vector::MaskedStoreOp::create(b, loc, output, ValueRange{c0Block},
                                    channelMask, overA.getResult(0));
    };
    Value blocks = cst(llvm::divideCeil(channels, lanes));
    buildIndependentLoops(
        rewriter, loc, ValueRange{c0}, ValueRange{blocks}, ValueRange{c1},
        parallel, [&](OpBuilder &b, ValueRange ivs) {
          block(b, arith::MulIOp::create(b, loc, ivs[0], cst(lanes)));
        });
    rewriter.eraseOp(op);
    return success();
  }

  bool parallel;
};

/// A reduction over every loop but the innermost, which is parallel and
/// contiguous in every operand that it indexes: out[n] = out[n] combined
/// with f(x[k..., n]) over k... in order (the code column sums that correct
/// an integer product for a zero point, [K, N] -> [N]). As loops, LLVM
/// keeps out[n] in memory and turns a short row into scalar code; here W
/// columns are the W lanes of a vector accumulator (up to four per block
/// of columns) carried through the reduction loops in their order, so every
/// column combines its terms in the loops' order: the loops' bits, for any
/// combiner. Columns past N are masked.
struct VectorizeColumnReduction : OpRewritePattern<linalg::GenericOp> {
  VectorizeColumnReduction(MLIRContext *ctx, int64_t width, bool parallel)
      : OpRewritePattern(ctx), width(width), parallel(parallel) {}

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "not on buffers");
    unsigned numLoops = op.getNumLoops();
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    if (numLoops < 2 || iterators.back() != utils::IteratorType::parallel ||
        op.getNumReductionLoops() != numLoops - 1)
      return rewriter.notifyMatchFailure(op, "not a reduction into the "
                                             "innermost loop");
    if (!op.getBody()->getOps<linalg::IndexOp>().empty())
      return rewriter.notifyMatchFailure(op, "reads the iteration indices");
    AffineExpr inner = rewriter.getAffineDimExpr(numLoops - 1);
    for (OpOperand &operand : op->getOpOperands()) {
      AffineMap map = op.getMatchingIndexingMap(&operand);
      auto memref = dyn_cast<MemRefType>(operand.get().getType());
      if (!memref || memref.getElementType().isInteger(4) ||
          !map.isProjectedPermutation())
        return rewriter.notifyMatchFailure(op, "not a plain buffer");
      if (op.isDpsInit(&operand) && map.getResults() != ArrayRef{inner})
        return rewriter.notifyMatchFailure(op, "output not the columns");
      if (map.isFunctionOfDim(numLoops - 1) &&
          (map.getResults().back() != inner || !memref.isLastDimUnitStride()))
        return rewriter.notifyMatchFailure(op, "not contiguous along the "
                                               "columns");
    }
    FailureOr<ReductionBody> reduction = matchReductionBody(op, rewriter);
    if (failed(reduction))
      return failure();

    Location loc = op.getLoc();
    SmallVector<Value> bounds;
    for (Range r : cast<linalg::LinalgOp>(op.getOperation())
                       .createLoopRanges(rewriter, loc))
      bounds.push_back(getValueOrCreateConstantIndexOp(rewriter, loc, r.size));
    // Vectors per block of columns: as many as fit the columns evenly (no
    // masks), up to four; one masked vector where W does not divide them.
    int64_t columns = op.getStaticLoopRanges().back();
    int64_t perBlock = 1;
    bool masked = ShapedType::isDynamic(columns) || columns % width != 0;
    if (!masked)
      for (int64_t u : {4, 3, 2})
        if (columns % (u * width) == 0) {
          perBlock = u;
          break;
        }
    auto cst = [&](OpBuilder &b, int64_t v) {
      return arith::ConstantIndexOp::create(b, loc, v).getResult();
    };
    Value c0 = cst(rewriter, 0), c1 = cst(rewriter, 1);
    Block *body = op.getBody();
    unsigned numInputs = op.getNumDpsInputs();
    unsigned numOutputs = op.getNumDpsInits();
    auto maskType = VectorType::get({width}, rewriter.getI1Type());

    // One block of columns, reduced over all rows.
    auto block = [&](OpBuilder &b, Value first) {
      // Per vector of the block: its first column and mask.
      SmallVector<Value> starts, masks;
      for (int64_t u = 0; u < perBlock; ++u) {
        starts.push_back(
            arith::AddIOp::create(b, loc, first, cst(b, u * width)));
        if (masked)
          masks.push_back(vector::CreateMaskOp::create(
              b, loc, maskType,
              ValueRange{arith::SubIOp::create(b, loc, bounds.back(),
                                               starts.back())}));
      }
      auto load = [&](Value buffer, SmallVector<Value> idx, int64_t u,
                      Type element) -> Value {
        auto type = VectorType::get({width}, element);
        if (!masked)
          return vector::LoadOp::create(b, loc, type, buffer, idx);
        return vector::MaskedLoadOp::create(
            b, loc, type, buffer, idx, masks[u],
            arith::ConstantOp::create(b, loc, b.getZeroAttr(type)));
      };
      SmallVector<Value> init;
      for (int64_t u = 0; u < perBlock; ++u)
        for (unsigned i = 0; i < numOutputs; ++i) {
          Value out = op.getDpsInits()[i];
          init.push_back(
              load(out, {starts[u]}, u,
                   cast<MemRefType>(out.getType()).getElementType()));
        }
      // The reduction loops in order, the accumulators carried.
      SmallVector<Value> ivs(op.getNumLoops());
      std::function<SmallVector<Value>(OpBuilder &, unsigned, ValueRange)>
          nest = [&](OpBuilder &b, unsigned d,
                     ValueRange accs) -> SmallVector<Value> {
        if (d + 1 < op.getNumLoops()) {
          auto loop = scf::ForOp::create(
              b, loc, c0, bounds[d], c1, accs,
              [&](OpBuilder &b, Location, Value iv, ValueRange accs) {
                ivs[d] = iv;
                scf::YieldOp::create(b, loc, nest(b, d + 1, accs));
              });
          return loop.getResults();
        }
        SmallVector<Value> next;
        for (int64_t u = 0; u < perBlock; ++u) {
          ivs.back() = starts[u];
          IRMapping lanes;
          for (unsigned i = 0; i < numInputs; ++i) {
            OpOperand *input = op.getDpsInputOperand(i);
            SmallVector<Value> idx = operandIndices(op, input, ivs);
            Type element = body->getArgument(i).getType();
            lanes.map(
                body->getArgument(i),
                op.getMatchingIndexingMap(input).isFunctionOfDim(numLoops - 1)
                    ? load(input->get(), idx, u, element)
                    : vector::BroadcastOp::create(
                          b, loc, VectorType::get({width}, element),
                          memref::LoadOp::create(b, loc, input->get(), idx))
                          .getResult());
          }
          vectorizeBodyOps(b, loc, body, width, lanes, [&](Operation &o) {
            return llvm::is_contained(body->getTerminator()->getOperands(),
                                      o.getResult(0));
          });
          for (unsigned i = 0; i < numOutputs; ++i) {
            Value partial = reduction->partials[i];
            if (!lanes.contains(partial))
              lanes.map(partial,
                        vector::BroadcastOp::create(
                            b, loc, VectorType::get({width}, partial.getType()),
                            partial)
                            .getResult());
            next.push_back(combineAs(b, loc, body, i, lanes.lookup(partial),
                                     accs[u * numOutputs + i]));
          }
        }
        return next;
      };
      SmallVector<Value> sums = nest(b, 0, init);
      for (int64_t u = 0; u < perBlock; ++u)
        for (unsigned i = 0; i < numOutputs; ++i) {
          Value out = op.getDpsInits()[i];
          Value sum = sums[u * numOutputs + i];
          if (masked)
            vector::MaskedStoreOp::create(b, loc, out, starts[u], masks[u],
                                          sum);
          else
            vector::StoreOp::create(b, loc, sum, out, starts[u]);
        }
    };
    // The blocks are independent; each keeps its rows' order.
    buildIndependentLoops(
        rewriter, loc, ValueRange{c0}, ValueRange{bounds.back()},
        ValueRange{cst(rewriter, perBlock * width)}, parallel,
        [&](OpBuilder &b, ValueRange ivs) { block(b, ivs[0]); });
    rewriter.eraseOp(op);
    return success();
  }

  int64_t width;
  bool parallel;
};

struct FQTVectorizeReductionsPass
    : fqt::impl::FQTVectorizeReductionsBase<FQTVectorizeReductionsPass> {
  using Base::Base;

  void runOnOperation() override {
    // The vector width of the kernel options for these features (16 f32
    // lanes with AVX-512, 8 with AVX, else 4).
    FailureOr<KernelOptions> options = selectKernelOptions("auto", cpuFeatures);
    RewritePatternSet patterns(&getContext());
    populateVectorizeReductionPatterns(patterns, options->vectorWidth,
                                       parallel);
    GreedyRewriteConfig config;
    config.setMaxIterations(1);
    (void)applyPatternsGreedily(getOperation(), std::move(patterns), config);
  }
};

} // namespace

void fqt::populateVectorizeReductionPatterns(RewritePatternSet &patterns,
                                             int64_t vectorWidth,
                                             bool parallel) {
  patterns.add<CollapseWholeReduction>(patterns.getContext());
  // 16 channels in the lanes on every target (two AVX registers, four
  // SSE): the loops' bits everywhere.
  patterns.add<VectorizeChannelSum>(patterns.getContext(), parallel);
  patterns.add<VectorizeInnerReduction>(patterns.getContext(), vectorWidth,
                                        parallel);
  patterns.add<VectorizeColumnReduction>(patterns.getContext(), vectorWidth,
                                         parallel);
}
