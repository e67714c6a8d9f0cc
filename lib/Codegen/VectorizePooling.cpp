//===- VectorizePooling.cpp - 2x2 max-pooling as vector code --------------===//
//
// linalg's loops for `linalg.pooling_nchw_max` run the 2x2 window innermost:
// two iterations that LLVM does not vectorize, with a stride-2 read along
// the row around them (1.3 ns per input value in the bundled CNN, 7 % of its
// step; reordering the loops so that the row is innermost did not help).
// A 2x2 window with stride 2 tiles each pair of input rows: two vector loads
// of 2L values, their maximum, and the maximum of its even and odd lanes
// (two shuffles) give L outputs.
//
// maximumf is commutative and associative (NaN wins, -0 < +0), so the
// result has the bits of the loops in any order.
//
// The gradient goes the same way: its first maximum per window and the
// spread of dY to it are scalar loops with a compare-and-select chain per
// window (5 and 4 % of the CNN's step on a Zen 5); on vectors of L windows
// they run the same selects in the same order.
//
//===----------------------------------------------------------------------===//

#include "fqt/Codegen/Passes.h"

#include "IndependentLoops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace fqt {
#define GEN_PASS_DEF_FQTVECTORIZEPOOLING
#include "fqt/Codegen/Passes.h.inc"
} // namespace fqt

using namespace mlir;

namespace {

/// Rank-4 f32 buffer whose rows are contiguous.
bool isContiguousRows(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  return type && type.getRank() == 4 && type.getElementType().isF32() &&
         type.isLastDimUnitStride();
}

/// Shared by the patterns: constants, masks, the even and odd lanes of a
/// 2L vector (a 2x2 window's two columns along a row) and the loops over
/// rows.
struct PoolingEmitter {
  OpBuilder &b;
  Location loc;
  int64_t lanes;

  Value cst(int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  }
  Value mask(OpBuilder &ob, Value count, int64_t n) {
    Value clamped = arith::MinSIOp::create(ob, loc, count, cst(n));
    return vector::CreateMaskOp::create(
        ob, loc, VectorType::get({n}, ob.getI1Type()), ValueRange{clamped});
  }
  Value zero(VectorType type) {
    return arith::ConstantOp::create(b, loc, b.getZeroAttr(type));
  }
  /// Lanes 0, 2, 4, ... (`parity` 0) or 1, 3, 5, ... (1) of 2L lanes.
  SmallVector<int64_t> alternateLanes(int64_t parity) const {
    SmallVector<int64_t> picked;
    for (int64_t l = 0; l < lanes; ++l)
      picked.push_back(2 * l + parity);
    return picked;
  }
  /// `body(ivs)` over [0, ubs) as scf.parallel or a loop nest.
  void rows(bool parallel, ValueRange ubs,
            function_ref<void(OpBuilder &, ValueRange)> body) {
    SmallVector<Value> lbs(ubs.size(), cst(0)), steps(ubs.size(), cst(1));
    fqt::buildIndependentLoops(b, loc, lbs, ubs, steps, parallel, body);
  }
  void rows(bool parallel, ArrayRef<int64_t> ubs,
            function_ref<void(OpBuilder &, ValueRange)> body) {
    SmallVector<Value> upper;
    for (int64_t u : ubs)
      upper.push_back(cst(u));
    rows(parallel, ValueRange(upper), body);
  }
};

struct VectorizeMaxPool2x2 : OpRewritePattern<linalg::PoolingNchwMaxOp> {
  VectorizeMaxPool2x2(MLIRContext *ctx, int64_t lanes, bool parallel)
      : OpRewritePattern(ctx), lanes(lanes), parallel(parallel) {}

  LogicalResult matchAndRewrite(linalg::PoolingNchwMaxOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "not on buffers");
    auto is = [](DenseIntElementsAttr attr, int64_t v) {
      return llvm::all_of(attr.getValues<int64_t>(),
                          [&](int64_t x) { return x == v; });
    };
    if (!is(op.getStrides(), 2) || !is(op.getDilations(), 1))
      return rewriter.notifyMatchFailure(op, "not stride 2, dilation 1");
    Value input = op.getInputs()[0], window = op.getInputs()[1],
          output = op.getOutputs()[0];
    auto windowType = cast<MemRefType>(window.getType());
    if (windowType.getShape() != ArrayRef<int64_t>{2, 2})
      return rewriter.notifyMatchFailure(op, "not a 2x2 window");
    if (!isContiguousRows(input) || !isContiguousRows(output))
      return rewriter.notifyMatchFailure(op, "not f32 rows in memory");

    Location loc = op.getLoc();
    PoolingEmitter e{rewriter, loc, lanes};
    Type f32 = rewriter.getF32Type();
    auto wide = VectorType::get({2 * lanes}, f32);
    auto narrow = VectorType::get({lanes}, f32);
    auto dim = [&](Value v, int64_t d) {
      return memref::DimOp::create(rewriter, loc, v, d).getResult();
    };
    Value zeroWide = e.zero(wide), zeroNarrow = e.zero(narrow);
    SmallVector<int64_t> even = e.alternateLanes(0), odd = e.alternateLanes(1);
    Value c0 = e.cst(0), c1 = e.cst(1), two = e.cst(2);
    Value outWidth = dim(output, 3);

    // One row of outputs (n, c, oh), lanes of them at a time.
    auto row = [&](OpBuilder &b, Value n, Value c, Value oh) {
      Value ih = arith::MulIOp::create(b, loc, oh, two);
      Value ih1 = arith::AddIOp::create(b, loc, ih, c1);
      scf::ForOp::create(
          b, loc, c0, outWidth, e.cst(lanes), {},
          [&](OpBuilder &b, Location, Value ow, ValueRange) {
            Value left = arith::SubIOp::create(b, loc, outWidth, ow);
            Value inMask =
                e.mask(b, arith::MulIOp::create(b, loc, left, two), 2 * lanes);
            Value outMask = e.mask(b, left, lanes);
            Value iw = arith::MulIOp::create(b, loc, ow, two);
            Value top = vector::MaskedLoadOp::create(
                b, loc, wide, input, ValueRange{n, c, ih, iw}, inMask,
                zeroWide);
            Value bottom = vector::MaskedLoadOp::create(
                b, loc, wide, input, ValueRange{n, c, ih1, iw}, inMask,
                zeroWide);
            Value rows = arith::MaximumFOp::create(b, loc, top, bottom);
            Value pairs = arith::MaximumFOp::create(
                b, loc, vector::ShuffleOp::create(b, loc, rows, rows, even),
                vector::ShuffleOp::create(b, loc, rows, rows, odd));
            Value before = vector::MaskedLoadOp::create(
                b, loc, narrow, output, ValueRange{n, c, oh, ow}, outMask,
                zeroNarrow);
            vector::MaskedStoreOp::create(
                b, loc, output, ValueRange{n, c, oh, ow}, outMask,
                arith::MaximumFOp::create(b, loc, before, pairs));
            scf::YieldOp::create(b, loc);
          });
    };
    e.rows(
        parallel, ValueRange{dim(output, 0), dim(output, 1), dim(output, 2)},
        [&](OpBuilder &b, ValueRange ivs) { row(b, ivs[0], ivs[1], ivs[2]); });
    rewriter.eraseOp(op);
    return success();
  }

  int64_t lanes;
  bool parallel;
};

/// Whether `v` is `linalg.index outer * 2 + linalg.index inner` cast to
/// i64: a position in a 2x2 window, as the max-pooling gradient computes it.
bool isWindowPosition(Value v, int64_t outer, int64_t inner) {
  auto cast = v.getDefiningOp<arith::IndexCastOp>();
  if (!cast || !cast.getType().isInteger(64))
    return false;
  auto add = cast.getIn().getDefiningOp<arith::AddIOp>();
  if (!add)
    return false;
  auto mul = add.getLhs().getDefiningOp<arith::MulIOp>();
  auto col = add.getRhs().getDefiningOp<linalg::IndexOp>();
  if (!mul || !col || col.getDim() != static_cast<uint64_t>(inner))
    return false;
  auto row = mul.getLhs().getDefiningOp<linalg::IndexOp>();
  return row && row.getDim() == static_cast<uint64_t>(outer) &&
         getConstantIntValue(mul.getRhs()) == 2;
}

/// A buffer of the given rank and element type with the identity layout.
bool isDense(Value v, int64_t rank, Type element) {
  auto type = dyn_cast<MemRefType>(v.getType());
  return type && type.getRank() == rank && type.getElementType() == element &&
         type.getLayout().isIdentity();
}

/// The max-pooling gradient's first maximum of each 2x2 window, a reduction
/// over (kh, kw) of the input viewed as [N, C, OH, 2, OW, 2] into the
/// maximum and its position (0..3): per output row, the two input rows
/// loaded 2L values at a time, split into even and odd lanes (the window's
/// four values for L windows), and the compare-and-select chain of the
/// loops in (kh, kw) order on vectors. The same selects, so the same bits.
struct VectorizeWindowArgmax : OpRewritePattern<linalg::GenericOp> {
  VectorizeWindowArgmax(MLIRContext *ctx, int64_t lanes, bool parallel)
      : OpRewritePattern(ctx), lanes(lanes), parallel(parallel) {}

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 1 ||
        op.getNumDpsInits() != 2 || op.getNumLoops() != 6)
      return rewriter.notifyMatchFailure(op, "not a windows' argmax");
    Type f32 = rewriter.getF32Type(), i64 = rewriter.getI64Type();
    Value input = op.getDpsInputs()[0], maxima = op.getDpsInits()[0],
          firsts = op.getDpsInits()[1];
    if (!isDense(input, 6, f32) || !isDense(maxima, 4, f32) ||
        !isDense(firsts, 4, i64))
      return rewriter.notifyMatchFailure(op, "not dense buffers");
    ArrayRef<int64_t> shape = cast<MemRefType>(input.getType()).getShape();
    if (ShapedType::isDynamicShape(shape) || shape[3] != 2 || shape[5] != 2)
      return rewriter.notifyMatchFailure(op, "not 2x2 windows");
    MLIRContext *ctx = getContext();
    AffineExpr n, c, oh, ow, i, j;
    bindDims(ctx, n, c, oh, ow, i, j);
    AffineMap window = AffineMap::get(6, 0, {n, c, oh, i, ow, j}, ctx);
    AffineMap perWindow = AffineMap::get(6, 0, {n, c, oh, ow}, ctx);
    using utils::IteratorType;
    SmallVector<IteratorType> iterators(4, IteratorType::parallel);
    iterators.append(2, IteratorType::reduction);
    if (op.getIndexingMapsArray() !=
            SmallVector<AffineMap>{window, perWindow, perWindow} ||
        op.getIteratorTypesArray() != iterators)
      return rewriter.notifyMatchFailure(op, "not over the windows view");
    // yield select(x > max, x, max), select(x > max, position, first).
    Block *body = op.getBody();
    Value x = body->getArgument(0), max = body->getArgument(1),
          first = body->getArgument(2);
    auto yield = cast<linalg::YieldOp>(body->getTerminator());
    auto newMax = yield.getValues()[0].getDefiningOp<arith::SelectOp>();
    auto newFirst = yield.getValues()[1].getDefiningOp<arith::SelectOp>();
    if (!newMax || !newFirst ||
        newMax.getCondition() != newFirst.getCondition() ||
        newMax.getTrueValue() != x || newMax.getFalseValue() != max ||
        newFirst.getFalseValue() != first ||
        !isWindowPosition(newFirst.getTrueValue(), 4, 5))
      return rewriter.notifyMatchFailure(op, "not the first maximum");
    auto better = newMax.getCondition().getDefiningOp<arith::CmpFOp>();
    if (!better || better.getPredicate() != arith::CmpFPredicate::OGT ||
        better.getLhs() != x || better.getRhs() != max)
      return rewriter.notifyMatchFailure(op, "not a strict maximum");

    Location loc = op.getLoc();
    PoolingEmitter e{rewriter, loc, lanes};
    auto wide = VectorType::get({2 * lanes}, f32);
    auto values = VectorType::get({lanes}, f32);
    auto positions = VectorType::get({lanes}, i64);
    Value zeroWide = e.zero(wide), zeroValues = e.zero(values),
          zeroPositions = e.zero(positions);
    SmallVector<int64_t> even = e.alternateLanes(0), odd = e.alternateLanes(1);
    // Each input row's (ow, kw) as one dimension.
    Value rowsOf = memref::CollapseShapeOp::create(
        rewriter, loc, input,
        ArrayRef<ReassociationIndices>{{0}, {1}, {2}, {3}, {4, 5}});
    int64_t outWidth = shape[4];
    e.rows(
        parallel, {shape[0], shape[1], shape[2]},
        [&](OpBuilder &b, ValueRange ivs) {
          scf::ForOp::create(
              b, loc, e.cst(0), e.cst(outWidth), e.cst(lanes), {},
              [&](OpBuilder &b, Location, Value w0, ValueRange) {
                Value left = arith::SubIOp::create(b, loc, e.cst(outWidth), w0);
                Value inMask =
                    e.mask(b, arith::MulIOp::create(b, loc, left, e.cst(2)),
                           2 * lanes);
                Value outMask = e.mask(b, left, lanes);
                Value column = arith::MulIOp::create(b, loc, w0, e.cst(2));
                SmallVector<Value> at = {ivs[0], ivs[1], ivs[2]};
                Value candidates[4];
                for (int64_t r = 0; r < 2; ++r) {
                  Value row = vector::MaskedLoadOp::create(
                      b, loc, wide, rowsOf,
                      ValueRange{ivs[0], ivs[1], ivs[2], e.cst(r), column},
                      inMask, zeroWide);
                  candidates[2 * r] =
                      vector::ShuffleOp::create(b, loc, row, row, even);
                  candidates[2 * r + 1] =
                      vector::ShuffleOp::create(b, loc, row, row, odd);
                }
                SmallVector<Value> out = {ivs[0], ivs[1], ivs[2], w0};
                Value best = vector::MaskedLoadOp::create(
                    b, loc, values, maxima, out, outMask, zeroValues);
                Value where = vector::MaskedLoadOp::create(
                    b, loc, positions, firsts, out, outMask, zeroPositions);
                for (int64_t p = 0; p < 4; ++p) {
                  Value isBetter = arith::CmpFOp::create(
                      b, loc, arith::CmpFPredicate::OGT, candidates[p], best);
                  best = arith::SelectOp::create(b, loc, isBetter,
                                                 candidates[p], best);
                  Value position = arith::ConstantOp::create(
                      b, loc,
                      DenseElementsAttr::get(positions,
                                             b.getI64IntegerAttr(p)));
                  where = arith::SelectOp::create(b, loc, isBetter, position,
                                                  where);
                }
                vector::MaskedStoreOp::create(b, loc, maxima, out, outMask,
                                              best);
                vector::MaskedStoreOp::create(b, loc, firsts, out, outMask,
                                              where);
                scf::YieldOp::create(b, loc);
              });
        });
    rewriter.eraseOp(op);
    return success();
  }

  int64_t lanes;
  bool parallel;
};

/// The max-pooling gradient over the windows view [N, C, OH, 2, OW, 2]:
/// dY where a position is its window's first maximum, else 0. Per (n, c,
/// oh, kh), L windows at a time: their positions and dY loaded once, the
/// two selects for kw = 0 and 1, interleaved into the 2L values of the row.
struct VectorizeWindowSpread : OpRewritePattern<linalg::GenericOp> {
  VectorizeWindowSpread(MLIRContext *ctx, int64_t lanes, bool parallel)
      : OpRewritePattern(ctx), lanes(lanes), parallel(parallel) {}

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
        op.getNumDpsInits() != 1 || op.getNumLoops() != 6)
      return rewriter.notifyMatchFailure(op, "not a windows' spread");
    Type f32 = rewriter.getF32Type(), i64 = rewriter.getI64Type();
    Value firsts = op.getDpsInputs()[0], dy = op.getDpsInputs()[1],
          output = op.getDpsInits()[0];
    auto dyType = dyn_cast<MemRefType>(dy.getType());
    if (!isDense(firsts, 4, i64) || !isDense(output, 6, f32) || !dyType ||
        dyType.getRank() != 4 || !dyType.getElementType().isF32() ||
        !dyType.isLastDimUnitStride())
      return rewriter.notifyMatchFailure(op, "not dense buffers");
    ArrayRef<int64_t> shape = cast<MemRefType>(output.getType()).getShape();
    if (ShapedType::isDynamicShape(shape) || shape[3] != 2 || shape[5] != 2)
      return rewriter.notifyMatchFailure(op, "not 2x2 windows");
    MLIRContext *ctx = getContext();
    AffineExpr n, c, oh, i, ow, j;
    bindDims(ctx, n, c, oh, i, ow, j);
    AffineMap ofWindow = AffineMap::get(6, 0, {n, c, oh, ow}, ctx);
    if (op.getIndexingMapsArray() !=
            SmallVector<AffineMap>{ofWindow, ofWindow,
                                   rewriter.getMultiDimIdentityMap(6)} ||
        !llvm::all_of(op.getIteratorTypesArray(), [](utils::IteratorType t) {
          return t == utils::IteratorType::parallel;
        }))
      return rewriter.notifyMatchFailure(op, "not over the windows view");
    // yield select(position == first, dy, 0).
    Block *body = op.getBody();
    auto yield = cast<linalg::YieldOp>(body->getTerminator());
    auto pick = yield.getValues()[0].getDefiningOp<arith::SelectOp>();
    if (!pick || pick.getTrueValue() != body->getArgument(1) ||
        !matchPattern(pick.getFalseValue(), m_PosZeroFloat()))
      return rewriter.notifyMatchFailure(op, "not a pick of dY");
    auto hit = pick.getCondition().getDefiningOp<arith::CmpIOp>();
    if (!hit || hit.getPredicate() != arith::CmpIPredicate::eq ||
        hit.getRhs() != body->getArgument(0) ||
        !isWindowPosition(hit.getLhs(), 3, 5))
      return rewriter.notifyMatchFailure(op, "not the window's maximum");

    Location loc = op.getLoc();
    PoolingEmitter e{rewriter, loc, lanes};
    auto values = VectorType::get({lanes}, f32);
    auto positions = VectorType::get({lanes}, i64);
    Value zeroValues = e.zero(values), zeroPositions = e.zero(positions);
    SmallVector<int64_t> interleave;
    for (int64_t l = 0; l < lanes; ++l) {
      interleave.push_back(l);
      interleave.push_back(lanes + l);
    }
    Value rowsOf = memref::CollapseShapeOp::create(
        rewriter, loc, output,
        ArrayRef<ReassociationIndices>{{0}, {1}, {2}, {3}, {4, 5}});
    int64_t outWidth = shape[4];
    e.rows(parallel, {shape[0], shape[1], shape[2], 2},
           [&](OpBuilder &b, ValueRange ivs) {
             // Positions 2 kh and 2 kh + 1.
             Value kh = arith::IndexCastOp::create(b, loc, i64, ivs[3]);
             Value left = arith::ShLIOp::create(
                 b, loc, kh,
                 arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(1)));
             Value right = arith::AddIOp::create(
                 b, loc, left,
                 arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(1)));
             Value lefts = vector::BroadcastOp::create(b, loc, positions, left);
             Value rights =
                 vector::BroadcastOp::create(b, loc, positions, right);
             scf::ForOp::create(
                 b, loc, e.cst(0), e.cst(outWidth), e.cst(lanes), {},
                 [&](OpBuilder &b, Location, Value w0, ValueRange) {
                   Value count =
                       arith::SubIOp::create(b, loc, e.cst(outWidth), w0);
                   Value inMask = e.mask(b, count, lanes);
                   Value outMask =
                       e.mask(b, arith::MulIOp::create(b, loc, count, e.cst(2)),
                              2 * lanes);
                   SmallVector<Value> in = {ivs[0], ivs[1], ivs[2], w0};
                   Value where = vector::MaskedLoadOp::create(
                       b, loc, positions, firsts, in, inMask, zeroPositions);
                   Value grads = vector::MaskedLoadOp::create(
                       b, loc, values, dy, in, inMask, zeroValues);
                   auto select = [&](Value at) {
                     Value isHit = arith::CmpIOp::create(
                         b, loc, arith::CmpIPredicate::eq, at, where);
                     return arith::SelectOp::create(b, loc, isHit, grads,
                                                    zeroValues)
                         .getResult();
                   };
                   Value row = vector::ShuffleOp::create(
                       b, loc, select(lefts), select(rights), interleave);
                   vector::MaskedStoreOp::create(
                       b, loc, rowsOf,
                       ValueRange{ivs[0], ivs[1], ivs[2], ivs[3],
                                  arith::MulIOp::create(b, loc, w0, e.cst(2))},
                       outMask, row);
                   scf::YieldOp::create(b, loc);
                 });
           });
    rewriter.eraseOp(op);
    return success();
  }

  int64_t lanes;
  bool parallel;
};

struct FQTVectorizePoolingPass
    : fqt::impl::FQTVectorizePoolingBase<FQTVectorizePoolingPass> {
  using Base::Base;

  void runOnOperation() override {
    FailureOr<fqt::KernelOptions> options =
        fqt::selectKernelOptions("auto", cpuFeatures);
    RewritePatternSet patterns(&getContext());
    patterns
        .add<VectorizeMaxPool2x2, VectorizeWindowArgmax, VectorizeWindowSpread>(
            &getContext(), options->vectorWidth, parallel);
    GreedyRewriteConfig config;
    config.setMaxIterations(1);
    (void)applyPatternsGreedily(getOperation(), std::move(patterns), config);
  }
};

} // namespace
