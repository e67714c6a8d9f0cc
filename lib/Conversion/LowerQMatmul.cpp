//===- LowerQMatmul.cpp - quantized products on integer codes -------------===//
//
// fqt.qmatmul with a = sa * qa + oa and b = sb * qb + ob, scales constant
// along the reduction:
//
//   C[m,n] = sa sb P[m,n] + sa ob RA[m] + oa sb CB[n] + K oa ob
//   P = qa * qb (i32 contraction), RA[m] = sum_k qa[m,k], CB[n] = sum_k qb[k,n]
//
// followed, for a #fqt.bhq left operand, by its inverse transform on rows.
//
//===----------------------------------------------------------------------===//

#include "fqt/Conversion/Passes.h"
#include "fqt/Conversion/RowGroups.h"

#include "FQT/FQTOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>

namespace fqt {
#define GEN_PASS_DEF_FQTLOWERQMATMUL
#include "fqt/Conversion/Passes.h.inc"
} // namespace fqt

using namespace mlir;
using namespace fqt;

namespace {

/// Which index of the (m, n) result a scale of one operand follows.
enum class ScaleAxis { none, m, n, k };

/// Axis of the scale of an operand stored as `rows x cols`, where `rowAxis`
/// and `colAxis` say which product index each stored dimension is.
static ScaleAxis scaleAxis(QuantizerAttrInterface q, ScaleAxis rowAxis,
                           ScaleAxis colAxis) {
  switch (q.getGranularity()) {
  case Granularity::row:
    return rowAxis;
  case Granularity::column:
    return colAxis;
  case Granularity::tensor:
  case Granularity::none:
  case Granularity::block: // see describe()
    break;
  }
  return ScaleAxis::none;
}

/// One quantized operand of the product, as stored.
struct Operand {
  Value codes, scale, offset;
  bool transposed = false, isSigned = true;
  /// The product index its scale follows, and how many consecutive indices
  /// share one scale (row groups: the OH*OW rows of a sample).
  ScaleAxis axis = ScaleAxis::none;
  int64_t perScale = 1;
  /// A block quantizer's: the number of consecutive reduction indices that
  /// share a scale (0: not blocked along k); its scale then also follows
  /// `axis` (m or n), one entry per index.
  int64_t kBlock = 0;
  /// The stored dimension its blocks run along.
  int64_t blockDim = -1;
  /// Blocks that run along m or n: the scale changes at every k.
  bool blocksAcrossK = false;
};

static Operand describe(Value codes, Value scale, Value offset,
                        QuantizerAttrInterface q, bool transposed,
                        ScaleAxis rowAxis, ScaleAxis colAxis) {
  Operand o;
  o.codes = codes;
  o.scale = scale;
  o.offset = offset;
  o.transposed = transposed;
  o.isSigned = q.isSymmetric();
  o.axis = transposed ? scaleAxis(q, colAxis, rowAxis)
                      : scaleAxis(q, rowAxis, colAxis);
  o.perScale = rowsPerScale(q, cast<RankedTensorType>(codes.getType()),
                            cast<RankedTensorType>(scale.getType()));
  if (q.getGranularity() == Granularity::block) {
    // Stored dimension 0 is k for a transposed lhs and an untransposed rhs.
    bool rowIsK = (rowAxis == ScaleAxis::k) != transposed;
    int64_t kDim = rowIsK ? 0 : 1;
    o.blockDim = q.getBlockAxis();
    o.axis = rowAxis == ScaleAxis::k ? colAxis : rowAxis;
    if (o.blockDim == kDim)
      o.kBlock = q.getBlockSize();
    else
      o.blocksAcrossK = true;
  }
  return o;
}

/// The broadcast map of a scale over the (m, n) epilogue; a scale shared by
/// `perScale` consecutive indices is read at index / perScale. A scale along
/// k is read for the current block only: its map is that of a 1-element
/// slice.
static AffineMap epilogueMap(const Operand &o, MLIRContext *ctx) {
  switch (o.axis) {
  case ScaleAxis::m:
    return AffineMap::get(2, 0, getAffineDimExpr(0, ctx).floorDiv(o.perScale),
                          ctx);
  case ScaleAxis::n:
    return AffineMap::get(2, 0, getAffineDimExpr(1, ctx).floorDiv(o.perScale),
                          ctx);
  case ScaleAxis::k:
    return AffineMap::get(2, 0, getAffineConstantExpr(0, ctx), ctx);
  case ScaleAxis::none:
    break;
  }
  return AffineMap::get(2, 0, {}, ctx);
}

static Value extend(OpBuilder &b, Location loc, Value code, bool isSigned) {
  Type i32 = b.getI32Type();
  return isSigned ? arith::ExtSIOp::create(b, loc, i32, code).getResult()
                  : arith::ExtUIOp::create(b, loc, i32, code).getResult();
}

/// A zero-filled tensor of `shape` (dynamic sizes `sizes`).
static Value zeros(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                   Type type, ValueRange sizes) {
  Value empty = tensor::EmptyOp::create(b, loc, shape, type, sizes);
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(type));
  return linalg::FillOp::create(b, loc, zero, empty).getResult(0);
}

/// sum over the reduction of an operand stored `rows x cols`: over cols if
/// `overCols`, else over rows. i32 result.
static Value codeSums(OpBuilder &b, Location loc, Value codes, bool isSigned,
                      bool overCols) {
  auto type = cast<RankedTensorType>(codes.getType());
  int64_t keep = overCols ? 0 : 1;
  SmallVector<Value> sizes;
  if (type.isDynamicDim(keep))
    sizes.push_back(tensor::DimOp::create(b, loc, codes, keep));
  Value init = zeros(b, loc, {type.getDimSize(keep)}, b.getI32Type(), sizes);
  MLIRContext *ctx = b.getContext();
  AffineMap in = AffineMap::getMultiDimIdentityMap(2, ctx);
  AffineMap out = AffineMap::get(2, 0, getAffineDimExpr(keep, ctx), ctx);
  SmallVector<utils::IteratorType> iterators = {utils::IteratorType::parallel,
                                                utils::IteratorType::reduction};
  if (!overCols)
    std::swap(iterators[0], iterators[1]);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{codes}, ValueRange{init},
             ArrayRef<AffineMap>{in, out}, iterators,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value sum = arith::AddIOp::create(
                   nb, nl, args[1], extend(nb, nl, args[0], isSigned));
               linalg::YieldOp::create(nb, nl, sum);
             })
      .getResult(0);
}

/// The result of one integer product: its shape and dynamic sizes.
struct ResultShape {
  RankedTensorType type;
  SmallVector<Value> sizes;
};

/// P = qa * qb in i32 (the contraction the vector kernels match) and the
/// f32 epilogue
///   C = sa sb P + sa ob RA + oa sb CB + K oa ob (+ acc)
/// with RA / CB the code sums along the reduction where the other operand
/// has an offset. `acc`, where given, is added (the running sum of the
/// blocks of a K-blocked product).
static Value emitScaledProduct(OpBuilder &b, Location loc, const Operand &a,
                               const Operand &bo, const ResultShape &shape,
                               Value acc) {
  MLIRContext *ctx = b.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  auto map = [&](AffineExpr x, AffineExpr y) {
    return AffineMap::get(3, 0, {x, y}, ctx);
  };
  Value pInit =
      zeros(b, loc, shape.type.getShape(), b.getI32Type(), shape.sizes);
  bool aSigned = a.isSigned, bSigned = bo.isSigned;
  Value product =
      linalg::GenericOp::create(
          b, loc, pInit.getType(), ValueRange{a.codes, bo.codes},
          ValueRange{pInit},
          ArrayRef<AffineMap>{a.transposed ? map(k, m) : map(m, k),
                              bo.transposed ? map(n, k) : map(k, n), map(m, n)},
          {utils::IteratorType::parallel, utils::IteratorType::parallel,
           utils::IteratorType::reduction},
          [&](OpBuilder &nb, Location l, ValueRange args) {
            Value x = extend(nb, l, args[0], aSigned);
            Value y = extend(nb, l, args[1], bSigned);
            Value sum = arith::AddIOp::create(
                nb, l, args[2], arith::MulIOp::create(nb, l, x, y));
            linalg::YieldOp::create(nb, l, sum);
          })
          .getResult(0);

  // Zero-point corrections need the code sums along the reduction.
  Value rowSums, colSums;
  if (bo.offset)
    rowSums = codeSums(b, loc, a.codes, aSigned, /*overCols=*/!a.transposed);
  if (a.offset)
    colSums = codeSums(b, loc, bo.codes, bSigned, /*overCols=*/bo.transposed);
  Value kSize;
  if (a.offset && bo.offset) {
    Value kIdx = tensor::DimOp::create(b, loc, a.codes, a.transposed ? 0 : 1);
    kSize = arith::UIToFPOp::create(
        b, loc, b.getF32Type(),
        arith::IndexCastUIOp::create(b, loc, b.getI64Type(), kIdx));
  }

  AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
  SmallVector<Value> inputs = {product, a.scale, bo.scale};
  SmallVector<AffineMap> maps = {id, epilogueMap(a, ctx), epilogueMap(bo, ctx)};
  int oaIdx = -1, obIdx = -1, rsIdx = -1, csIdx = -1;
  auto add = [&](Value v, AffineMap mp) {
    inputs.push_back(v);
    maps.push_back(mp);
    return static_cast<int>(inputs.size()) - 1;
  };
  if (a.offset)
    oaIdx = add(a.offset, epilogueMap(a, ctx));
  if (bo.offset)
    obIdx = add(bo.offset, epilogueMap(bo, ctx));
  if (rowSums)
    rsIdx = add(rowSums, AffineMap::get(2, 0, m, ctx));
  if (colSums)
    csIdx = add(colSums, AffineMap::get(2, 0, n, ctx));
  maps.push_back(id);
  // The running sum is the output itself, updated in place (one-shot
  // bufferization wants the loop's yield equivalent to its iter_arg).
  Value out = acc;
  if (!out)
    out = tensor::EmptyOp::create(b, loc, shape.type.getShape(), b.getF32Type(),
                                  shape.sizes);
  return linalg::GenericOp::create(
             b, loc, shape.type, inputs, ValueRange{out}, maps,
             {utils::IteratorType::parallel, utils::IteratorType::parallel},
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Type f32 = nb.getF32Type();
               auto toF = [&](Value v) -> Value {
                 return arith::SIToFPOp::create(nb, l, f32, v);
               };
               auto mul = [&](Value x, Value y) -> Value {
                 return arith::MulFOp::create(nb, l, x, y);
               };
               auto addf = [&](Value x, Value y) -> Value {
                 return arith::AddFOp::create(nb, l, x, y);
               };
               Value sa = args[1], sb = args[2];
               Value r = mul(mul(sa, sb), toF(args[0]));
               if (obIdx >= 0)
                 r = addf(r, mul(mul(sa, args[obIdx]), toF(args[rsIdx])));
               if (oaIdx >= 0)
                 r = addf(r, mul(mul(args[oaIdx], sb), toF(args[csIdx])));
               if (oaIdx >= 0 && obIdx >= 0)
                 r = addf(r, mul(kSize, mul(args[oaIdx], args[obIdx])));
               if (acc)
                 r = addf(args.back(), r);
               linalg::YieldOp::create(nb, l, r);
             })
      .getResult(0);
}

/// `o` restricted to reduction block [start, start + size): its codes
/// sliced along k, and a scale along k (one per block) sliced to the block's
/// single entry.
static Operand blockOf(OpBuilder &b, Location loc, const Operand &o,
                       bool kIsStoredRow, Value start, int64_t size,
                       Value block) {
  Operand r = o;
  auto type = cast<RankedTensorType>(o.codes.getType());
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(type.getDimSize(0)),
                                     b.getIndexAttr(type.getDimSize(1))};
  SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
  unsigned kDim = kIsStoredRow ? 0 : 1;
  offsets[kDim] = start;
  sizes[kDim] = b.getIndexAttr(size);
  r.codes =
      tensor::ExtractSliceOp::create(b, loc, o.codes, offsets, sizes, strides);
  if (o.kBlock) {
    // The block's scales: its entry along k of the [.., blocks, ..] scale,
    // one per index of the other dimension.
    auto scaleType = cast<RankedTensorType>(o.scale.getType());
    int64_t other = scaleType.getDimSize(1 - kDim);
    SmallVector<OpFoldResult> at = {b.getIndexAttr(0), b.getIndexAttr(0)};
    SmallVector<OpFoldResult> extent = {b.getIndexAttr(other),
                                        b.getIndexAttr(other)};
    // Blocks of the loop never straddle the operand's own (their size
    // divides it): the entry is that of the block's start.
    at[kDim] =
        arith::DivUIOp::create(b, loc, start,
                               arith::ConstantIndexOp::create(b, loc, o.kBlock))
            .getResult();
    extent[kDim] = b.getIndexAttr(1);
    r.scale = tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get({other}, scaleType.getElementType()),
        o.scale, at, extent, strides);
    r.kBlock = 0;
    return r;
  }
  if (o.axis == ScaleAxis::k) {
    auto one = [&](Value v) -> Value {
      return tensor::ExtractSliceOp::create(
          b, loc, v, ArrayRef<OpFoldResult>{block},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1)},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
    };
    r.scale = one(o.scale);
    if (o.offset)
      r.offset = one(o.offset);
  }
  return r;
}

struct LowerQMatmul : OpRewritePattern<QMatmulOp> {
  LowerQMatmul(MLIRContext *ctx, bool kBlocks)
      : OpRewritePattern(ctx), kBlocks(kBlocks) {}

  LogicalResult matchAndRewrite(QMatmulOp op,
                                PatternRewriter &rewriter) const override {
    auto lhsType = cast<RankedTensorType>(op.getLhs().getType());
    auto rhsType = cast<RankedTensorType>(op.getRhs().getType());
    if (lhsType.getRank() != 2 || rhsType.getRank() != 2)
      return rewriter.notifyMatchFailure(op, "operands are not matrices");
    // i8 codes, or i4 ones that --fqt-pack-i4-buffers stores packed: the
    // product extends either to i32.
    auto isCode = [](Type t) { return t.isInteger(8) || t.isInteger(4); };
    if (!isCode(lhsType.getElementType()) || !isCode(rhsType.getElementType()))
      return rewriter.notifyMatchFailure(op, "codes are not i8 or i4");
    bool transA = op.getTransposeLhs(), transB = op.getTransposeRhs();
    if (op.getLhsTransform() && transA)
      return rewriter.notifyMatchFailure(op, "BHQ on a transposed operand");
    // The lhs is stored [M, K] (rows m), the rhs [K, N] (columns n); a
    // transpose swaps which stored dimension is k.
    Operand a =
        describe(op.getLhs(), op.getLhsScale(), op.getLhsOffset(),
                 op.getLhsQuantizer(), transA, ScaleAxis::m, ScaleAxis::k);
    Operand b =
        describe(op.getRhs(), op.getRhsScale(), op.getRhsOffset(),
                 op.getRhsQuantizer(), transB, ScaleAxis::k, ScaleAxis::n);

    Location loc = op.getLoc();
    ResultShape shape{op.getResult().getType(), {}};
    if (shape.type.isDynamicDim(0))
      shape.sizes.push_back(
          tensor::DimOp::create(rewriter, loc, a.codes, transA ? 1 : 0));
    if (shape.type.isDynamicDim(1))
      shape.sizes.push_back(
          tensor::DimOp::create(rewriter, loc, b.codes, transB ? 0 : 1));

    // The i32 sums must not overflow: a reduction of K products of codes
    // of magnitude at most maxA and maxB is exact in i32 while
    // K * maxA * maxB < 2^31 (the code sums of the zero-point corrections,
    // at most K * max(maxA, maxB), are then exact too). Longer reductions
    // run in blocks of at most that length, summed in f32.
    int64_t kTotal = lhsType.getDimSize(transA ? 0 : 1);
    int64_t maxProduct =
        std::max<int64_t>(op.getLhsQuantizer().getMaxCode(), 1) *
        std::max<int64_t>(op.getRhsQuantizer().getMaxCode(), 1);
    int64_t exactK = std::numeric_limits<int32_t>::max() / maxProduct;
    if (ShapedType::isDynamic(kTotal))
      return rewriter.notifyMatchFailure(
          op, "dynamic reduction length: the i32 sums could overflow "
              "(left to simulate)");

    Value result;
    if (a.blocksAcrossK || b.blocksAcrossK)
      return rewriter.notifyMatchFailure(
          op, "a block quantizer's blocks run across the reduction, so its "
              "scale changes at every k (left to simulate)");
    if (a.kBlock || b.kBlock) {
      FailureOr<Value> blocked =
          emitBlockScaled(rewriter, op, a, b, shape, exactK);
      if (failed(blocked))
        return failure();
      result = *blocked;
    } else if (a.axis != ScaleAxis::k && b.axis != ScaleAxis::k) {
      if (kTotal <= exactK)
        result = emitScaledProduct(rewriter, loc, a, b, shape, Value());
      else if (!lhsType.hasStaticShape() || !rhsType.hasStaticShape())
        return rewriter.notifyMatchFailure(
            op, "the i32 sums could overflow and blocks need static sizes "
                "(left to simulate)");
      else
        result =
            emitOverflowBlocked(rewriter, loc, a, b, shape, kTotal, exactK);
    } else {
      if ((a.axis == ScaleAxis::k ? a : b).perScale > exactK)
        return rewriter.notifyMatchFailure(
            op, "a block of constant scale is longer than the i32 sums "
                "allow (left to simulate)");
      FailureOr<Value> blocked = emitKBlocked(rewriter, op, a, b, shape);
      if (failed(blocked))
        return failure();
      result = *blocked;
    }

    // BHQ: the codes are those of T * dY; undo T on the result rows. The
    // rows of dY and of the result are the same, so the transform applies
    // to the result's row groups as it would to dY's.
    if (Value transform = op.getLhsTransform())
      result = applyRowTransform(rewriter, loc, transform, result);
    rewriter.replaceOp(op, result);
    return success();
  }

  /// A product whose reduction is longer than `exactK` (the length whose
  /// i32 sum cannot overflow): full blocks of `exactK` rounded down to a
  /// multiple of 64 (whole vector steps) in a loop, then the remainder, each
  /// an i32 product scaled in f32 and added to the f32 result.
  Value emitOverflowBlocked(PatternRewriter &rewriter, Location loc,
                            const Operand &a, const Operand &b,
                            const ResultShape &shape, int64_t kTotal,
                            int64_t exactK) const {
    int64_t size = exactK >= 64 ? exactK / 64 * 64 : exactK;
    return emitBlocks(rewriter, loc, a, b, shape, size, kTotal);
  }

  /// A scale that varies along the reduction (a per-sample dY on the wgrad
  /// path, whose rows are the reduction): the reduction runs in blocks over
  /// which that scale is constant, each block an i32 product scaled in f32,
  /// the blocks summed in f32. One scale per k (blocks of 1) would make
  /// every multiply-add a float one, so that case is left to simulate mode.
  FailureOr<Value> emitKBlocked(PatternRewriter &rewriter, QMatmulOp op,
                                Operand a, Operand b,
                                const ResultShape &shape) const {
    if (!kBlocks)
      return rewriter.notifyMatchFailure(
          op, "a scale varies along the reduction (K blocks are off)");
    if (a.axis == ScaleAxis::k && b.axis == ScaleAxis::k)
      return rewriter.notifyMatchFailure(
          op, "both scales vary along the reduction (left to simulate)");
    const Operand &blocked = a.axis == ScaleAxis::k ? a : b;
    if (blocked.perScale <= 1)
      return rewriter.notifyMatchFailure(
          op, "one scale per reduction index (left to simulate)");
    auto aType = cast<RankedTensorType>(a.codes.getType());
    auto bType = cast<RankedTensorType>(b.codes.getType());
    if (!aType.hasStaticShape() || !bType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "K blocks need static sizes");

    Location loc = op.getLoc();
    int64_t kTotal = aType.getDimSize(a.transposed ? 0 : 1);
    return emitBlocks(rewriter, loc, a, b, shape, blocked.perScale, kTotal);
  }

  /// Block quantizers along the reduction (#fqt.blk, #fqt.rht): blocks of
  /// their size, each an i32 product scaled by the block's scales, summed in
  /// f32; a last, shorter block where the size does not divide K. The other
  /// operand's scale must be constant along k, or blocked too (the loop then
  /// runs over blocks of the two sizes' greatest common divisor).
  FailureOr<Value> emitBlockScaled(PatternRewriter &rewriter, QMatmulOp op,
                                   const Operand &a, const Operand &b,
                                   const ResultShape &shape,
                                   int64_t exactK) const {
    if (!kBlocks)
      return rewriter.notifyMatchFailure(
          op, "block scales along the reduction (K blocks are off)");
    // Blocks of both operands' sizes, where both are blocked: the loop's
    // blocks are their greatest common divisor.
    int64_t size = std::gcd(a.kBlock, b.kBlock);
    for (const Operand *o : {&a, &b}) {
      if (!o->kBlock && o->axis == ScaleAxis::k)
        return rewriter.notifyMatchFailure(
            op, "one operand is block-scaled, the other's scale varies along "
                "the reduction otherwise (left to simulate)");
    }
    auto aType = cast<RankedTensorType>(a.codes.getType());
    auto bType = cast<RankedTensorType>(b.codes.getType());
    if (!aType.hasStaticShape() || !bType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "K blocks need static sizes");
    if (size > exactK)
      return rewriter.notifyMatchFailure(
          op, "a block is longer than the i32 sums allow (left to simulate)");
    return emitBlocks(rewriter, op.getLoc(), a, b, shape, size,
                      aType.getDimSize(a.transposed ? 0 : 1));
  }

  /// The reduction [0, kTotal) in blocks of `size`: the full ones in an
  /// scf.for, then a last, shorter one where `size` does not divide
  /// `kTotal`; each an i32 product of the blocks' codes scaled in f32 (a
  /// scale along k read for its block) and added to the f32 result.
  Value emitBlocks(PatternRewriter &rewriter, Location loc, const Operand &a,
                   const Operand &b, const ResultShape &shape, int64_t size,
                   int64_t kTotal) const {
    int64_t count = kTotal / size, rest = kTotal % size;
    Value init = zeros(rewriter, loc, shape.type.getShape(),
                       rewriter.getF32Type(), shape.sizes);
    Value c0 = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value c1 = arith::ConstantIndexOp::create(rewriter, loc, 1);
    Value end = arith::ConstantIndexOp::create(rewriter, loc, count);
    auto loop = scf::ForOp::create(
        rewriter, loc, c0, end, c1, ValueRange{init},
        [&](OpBuilder &nb, Location nloc, Value block, ValueRange acc) {
          Value start = arith::MulIOp::create(
              nb, nloc, block, arith::ConstantIndexOp::create(nb, nloc, size));
          Operand ab = blockOf(nb, nloc, a, /*kIsStoredRow=*/a.transposed,
                               start, size, block);
          Operand bb = blockOf(nb, nloc, b, /*kIsStoredRow=*/!b.transposed,
                               start, size, block);
          Value sum = emitScaledProduct(nb, nloc, ab, bb, shape, acc[0]);
          scf::YieldOp::create(nb, nloc, sum);
        });
    Value result = loop.getResult(0);
    if (rest) {
      Value start = arith::ConstantIndexOp::create(rewriter, loc, count * size);
      Operand ab = blockOf(rewriter, loc, a, a.transposed, start, rest, end);
      Operand bb = blockOf(rewriter, loc, b, !b.transposed, start, rest, end);
      result = emitScaledProduct(rewriter, loc, ab, bb, shape, result);
    }
    return result;
  }

  bool kBlocks;
};

struct FQTLowerQMatmulPass
    : fqt::impl::FQTLowerQMatmulBase<FQTLowerQMatmulPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateLowerQMatmulPatterns(patterns, kBlocks);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void fqt::populateLowerQMatmulPatterns(RewritePatternSet &patterns,
                                       bool kBlocks) {
  patterns.add<LowerQMatmul>(patterns.getContext(), kBlocks);
}
