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

#include "fqt/Codegen/Passes.h"
#include "fqt/Conversion/RowGroups.h"

#include "FQT/FQTOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace fqt {
#define GEN_PASS_DEF_FQTLOWERQMATMUL
#include "fqt/Codegen/Passes.h.inc"
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
    break;
  }
  return ScaleAxis::none;
}

/// The broadcast map of a scale over the (m, n) epilogue.
static AffineMap epilogueMap(ScaleAxis axis, MLIRContext *ctx) {
  switch (axis) {
  case ScaleAxis::m:
    return AffineMap::get(2, 0, getAffineDimExpr(0, ctx), ctx);
  case ScaleAxis::n:
    return AffineMap::get(2, 0, getAffineDimExpr(1, ctx), ctx);
  case ScaleAxis::none:
  case ScaleAxis::k:
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
  Value init =
      zeros(b, loc, {type.getDimSize(keep)}, b.getI32Type(), sizes);
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

struct LowerQMatmul : OpRewritePattern<QMatmulOp> {
  using Base::Base;

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
    QuantizerAttrInterface qa = op.getLhsQuantizer(),
                           qb = op.getRhsQuantizer();
    ScaleAxis axisA = transA ? scaleAxis(qa, ScaleAxis::k, ScaleAxis::m)
                             : scaleAxis(qa, ScaleAxis::m, ScaleAxis::k);
    ScaleAxis axisB = transB ? scaleAxis(qb, ScaleAxis::n, ScaleAxis::k)
                             : scaleAxis(qb, ScaleAxis::k, ScaleAxis::n);
    if (axisA == ScaleAxis::k || axisB == ScaleAxis::k)
      return rewriter.notifyMatchFailure(
          op, "a scale varies along the reduction (left to simulate)");
    bool aSigned = qa.isSymmetric(), bSigned = qb.isSymmetric();

    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    RankedTensorType resultType = op.getResult().getType();
    Value lhs = op.getLhs(), rhs = op.getRhs();
    SmallVector<Value> sizes;
    if (resultType.isDynamicDim(0))
      sizes.push_back(tensor::DimOp::create(rewriter, loc, lhs, transA ? 1 : 0));
    if (resultType.isDynamicDim(1))
      sizes.push_back(tensor::DimOp::create(rewriter, loc, rhs, transB ? 0 : 1));

    // P = qa * qb in i32.
    AffineExpr m, n, k;
    bindDims(ctx, m, n, k);
    auto map = [&](AffineExpr x, AffineExpr y) {
      return AffineMap::get(3, 0, {x, y}, ctx);
    };
    Value pInit = zeros(rewriter, loc, resultType.getShape(),
                        rewriter.getI32Type(), sizes);
    Value product =
        linalg::GenericOp::create(
            rewriter, loc, pInit.getType(), ValueRange{lhs, rhs},
            ValueRange{pInit},
            ArrayRef<AffineMap>{transA ? map(k, m) : map(m, k),
                                transB ? map(n, k) : map(k, n), map(m, n)},
            {utils::IteratorType::parallel, utils::IteratorType::parallel,
             utils::IteratorType::reduction},
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value x = extend(b, l, args[0], aSigned);
              Value y = extend(b, l, args[1], bSigned);
              Value sum = arith::AddIOp::create(
                  b, l, args[2], arith::MulIOp::create(b, l, x, y));
              linalg::YieldOp::create(b, l, sum);
            })
            .getResult(0);

    // Zero-point corrections need the code sums along the reduction.
    Value oa = op.getLhsOffset(), ob = op.getRhsOffset();
    Value rowSums, colSums;
    if (ob)
      rowSums = codeSums(rewriter, loc, lhs, aSigned, /*overCols=*/!transA);
    if (oa)
      colSums = codeSums(rewriter, loc, rhs, bSigned, /*overCols=*/transB);
    Value kSize;
    if (oa && ob) {
      Value kIdx = tensor::DimOp::create(rewriter, loc, lhs, transA ? 0 : 1);
      kSize = arith::UIToFPOp::create(
          rewriter, loc, rewriter.getF32Type(),
          arith::IndexCastUIOp::create(rewriter, loc, rewriter.getI64Type(),
                                       kIdx));
    }

    // The f32 epilogue over (m, n).
    AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
    SmallVector<Value> inputs = {product, op.getLhsScale(), op.getRhsScale()};
    SmallVector<AffineMap> maps = {id, epilogueMap(axisA, ctx),
                                   epilogueMap(axisB, ctx)};
    int oaIdx = -1, obIdx = -1, rsIdx = -1, csIdx = -1;
    auto add = [&](Value v, AffineMap mp) {
      inputs.push_back(v);
      maps.push_back(mp);
      return static_cast<int>(inputs.size()) - 1;
    };
    if (oa)
      oaIdx = add(oa, epilogueMap(axisA, ctx));
    if (ob)
      obIdx = add(ob, epilogueMap(axisB, ctx));
    if (rowSums)
      rsIdx = add(rowSums, epilogueMap(ScaleAxis::m, ctx));
    if (colSums)
      csIdx = add(colSums, epilogueMap(ScaleAxis::n, ctx));
    maps.push_back(id);
    Value empty = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                          rewriter.getF32Type(), sizes);
    Value result =
        linalg::GenericOp::create(
            rewriter, loc, resultType, inputs, ValueRange{empty}, maps,
            {utils::IteratorType::parallel, utils::IteratorType::parallel},
            [&](OpBuilder &b, Location l, ValueRange args) {
              Type f32 = b.getF32Type();
              auto toF = [&](Value v) -> Value {
                return arith::SIToFPOp::create(b, l, f32, v);
              };
              Value sa = args[1], sb = args[2];
              Value r = arith::MulFOp::create(
                  b, l, arith::MulFOp::create(b, l, sa, sb), toF(args[0]));
              if (obIdx >= 0)
                r = arith::AddFOp::create(
                    b, l, r,
                    arith::MulFOp::create(
                        b, l, arith::MulFOp::create(b, l, sa, args[obIdx]),
                        toF(args[rsIdx])));
              if (oaIdx >= 0)
                r = arith::AddFOp::create(
                    b, l, r,
                    arith::MulFOp::create(
                        b, l, arith::MulFOp::create(b, l, args[oaIdx], sb),
                        toF(args[csIdx])));
              if (oaIdx >= 0 && obIdx >= 0)
                r = arith::AddFOp::create(
                    b, l, r,
                    arith::MulFOp::create(
                        b, l, kSize,
                        arith::MulFOp::create(b, l, args[oaIdx],
                                              args[obIdx])));
              linalg::YieldOp::create(b, l, r);
            })
            .getResult(0);

    // BHQ: the codes are those of T * dY; undo T on the result rows.
    // The rows of dY and of the result are the same, so the transform
    // applies to the result's row groups as it would to dY's.
    if (Value transform = op.getLhsTransform())
      result = applyRowTransform(rewriter, loc, transform, result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct FQTLowerQMatmulPass
    : fqt::impl::FQTLowerQMatmulBase<FQTLowerQMatmulPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateLowerQMatmulPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void fqt::populateLowerQMatmulPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerQMatmul>(patterns.getContext());
}
