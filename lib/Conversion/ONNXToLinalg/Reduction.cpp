//===- Reduction.cpp - onnx reductions and softmax to linalg.generic ------===//
//
// ReduceMean/Sum/Max and GlobalAveragePool as a reduction linalg.generic
// (then a division for the means, a tensor.expand_shape for keepdims);
// Softmax and LogSoftmax as max, exp, sum and divide along the axis.
//
//===----------------------------------------------------------------------===//

#include "Patterns.h"

#include "ONNX/ONNXOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Utils/Utils.h"

using namespace mlir;
using namespace fqt;
using namespace fqt::onnx;
using namespace fqt::onnx_to_linalg;

namespace {

/// Reduces `input` over `reduced` into `resultType`, re-inserting the
/// reduced dimensions as size 1 when `keepDims`.
static FailureOr<Value> reduceTo(PatternRewriter &rewriter, Operation *op,
                                 Value input, ArrayRef<bool> reduced,
                                 bool keepDims, ReduceKind kind,
                                 RankedTensorType resultType) {
  Location loc = op->getLoc();
  int64_t kept = llvm::count(reduced, false);
  int64_t expectedRank = keepDims ? static_cast<int64_t>(reduced.size()) : kept;
  if (resultType.getRank() != expectedRank)
    return rewriter.notifyMatchFailure(op, "result rank does not match");
  Value result = reduce(rewriter, loc, input, reduced, kind);
  if (!keepDims)
    return castIfNeeded(rewriter, loc, result, resultType);
  SmallVector<OpFoldResult> inSizes =
      tensor::getMixedSizes(rewriter, loc, input);
  SmallVector<OpFoldResult> sizes;
  for (auto [i, r] : llvm::enumerate(reduced))
    sizes.push_back(r ? rewriter.getIndexAttr(1) : inSizes[i]);
  return tensor::ExpandShapeOp::create(
             rewriter, loc, resultType, result, unitDimGroups(reduced),
             sizesForType(rewriter, loc, resultType, sizes))
      .getResult();
}

/// The reduced-dimension mask of `axes` for `rank`: all dimensions when
/// `axes` is empty, as ONNX's reductions define it.
static std::optional<SmallVector<bool>> reducedMask(ArrayRef<int64_t> axes,
                                                    int64_t rank) {
  if (axes.empty())
    return SmallVector<bool>(rank, true);
  return axesMask(axes, rank);
}

/// Common checks: a ranked float input and result.
static LogicalResult checkFloat(PatternRewriter &rewriter, Operation *op,
                                Value input, Value result) {
  auto inType = dyn_cast<RankedTensorType>(input.getType());
  auto resultType = dyn_cast<RankedTensorType>(result.getType());
  if (!inType || !resultType || !isa<FloatType>(inType.getElementType()) ||
      inType.getElementType() != resultType.getElementType())
    return rewriter.notifyMatchFailure(op, "operand or result is not a ranked "
                                           "float tensor of one element type");
  return success();
}

template <typename OpTy, ReduceKind Kind>
struct ReduceAttrAxesToLinalg : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (failed(checkFloat(rewriter, op, op.getData(), op.getReduced())))
      return failure();
    auto inType = cast<RankedTensorType>(op.getData().getType());
    SmallVector<int64_t> axes;
    if (std::optional<ArrayAttr> attr = op.getAxes())
      for (Attribute a : *attr)
        axes.push_back(cast<IntegerAttr>(a).getInt());
    std::optional<SmallVector<bool>> mask = reducedMask(axes, inType.getRank());
    if (!mask)
      return rewriter.notifyMatchFailure(op, "invalid axes");
    FailureOr<Value> result =
        reduceTo(rewriter, op, op.getData(), *mask, op.getKeepdims() != 0, Kind,
                 cast<RankedTensorType>(op.getReduced().getType()));
    if (failed(result))
      return failure();
    rewriter.replaceOp(op, *result);
    return success();
  }
};

struct ReduceSumToLinalg : OpRewritePattern<ONNXReduceSumOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXReduceSumOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(checkFloat(rewriter, op, op.getData(), op.getReduced())))
      return failure();
    auto inType = cast<RankedTensorType>(op.getData().getType());
    auto resultType = cast<RankedTensorType>(op.getReduced().getType());
    SmallVector<int64_t> axes;
    if (!isa<NoneType>(op.getAxes().getType())) {
      std::optional<SmallVector<int64_t>> constant =
          getConstantInts(op.getAxes());
      if (!constant)
        return rewriter.notifyMatchFailure(op, "axes are not a constant");
      axes = *constant;
    }
    if (axes.empty() && op.getNoopWithEmptyAxes() != 0) {
      rewriter.replaceOp(
          op, castIfNeeded(rewriter, op.getLoc(), op.getData(), resultType));
      return success();
    }
    std::optional<SmallVector<bool>> mask = reducedMask(axes, inType.getRank());
    if (!mask)
      return rewriter.notifyMatchFailure(op, "invalid axes");
    FailureOr<Value> result =
        reduceTo(rewriter, op, op.getData(), *mask, op.getKeepdims() != 0,
                 ReduceKind::Sum, resultType);
    if (failed(result))
      return failure();
    rewriter.replaceOp(op, *result);
    return success();
  }
};

struct GlobalAveragePoolToLinalg : OpRewritePattern<ONNXGlobalAveragePoolOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXGlobalAveragePoolOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(checkFloat(rewriter, op, op.getX(), op.getY())))
      return failure();
    auto inType = cast<RankedTensorType>(op.getX().getType());
    if (inType.getRank() < 3)
      return rewriter.notifyMatchFailure(op, "input has no spatial dimension");
    SmallVector<bool> mask(inType.getRank(), true);
    mask[0] = mask[1] = false;
    FailureOr<Value> result =
        reduceTo(rewriter, op, op.getX(), mask, /*keepDims=*/true,
                 ReduceKind::Mean, cast<RankedTensorType>(op.getY().getType()));
    if (failed(result))
      return failure();
    rewriter.replaceOp(op, *result);
    return success();
  }
};

/// Softmax (or LogSoftmax when `Log`) along one axis:
/// e = exp(x - max), softmax = e / sum(e), log-softmax = x - max - log(sum).
template <typename OpTy, bool Log>
struct SoftmaxToLinalg : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (failed(checkFloat(rewriter, op, op.getInput(), op.getOutput())))
      return failure();
    Value input = op.getInput();
    auto type = cast<RankedTensorType>(input.getType());
    if (type != op.getOutput().getType())
      return rewriter.notifyMatchFailure(op, "result type differs from input");
    int64_t rank = type.getRank();
    int64_t axis = op.getAxis();
    if (axis < 0)
      axis += rank;
    if (axis < 0 || axis >= rank)
      return rewriter.notifyMatchFailure(op, "axis out of range");

    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<bool> reduced(rank, false);
    reduced[axis] = true;
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    AffineMap kept = keptMap(reduced, ctx);
    SmallVector<Value> dynSizes =
        tensor::createDynamicDimValues(rewriter, loc, input);

    Value max = reduce(rewriter, loc, input, reduced, ReduceKind::Max);
    Value shifted = buildElementwise(
        rewriter, loc, type, dynSizes, ValueRange{input, max}, {identity, kept},
        [](OpBuilder &b, Location l, ValueRange args) {
          return arith::SubFOp::create(b, l, args[0], args[1]).getResult();
        });
    Value exp = buildElementwise(
        rewriter, loc, type, dynSizes, ValueRange{shifted}, {identity},
        [](OpBuilder &b, Location l, ValueRange args) {
          return math::ExpOp::create(b, l, args[0]).getResult();
        });
    Value sum = reduce(rewriter, loc, exp, reduced, ReduceKind::Sum);
    Value result;
    if (Log)
      result = buildElementwise(
          rewriter, loc, type, dynSizes, ValueRange{shifted, sum},
          {identity, kept}, [](OpBuilder &b, Location l, ValueRange args) {
            Value log = math::LogOp::create(b, l, args[1]);
            return arith::SubFOp::create(b, l, args[0], log).getResult();
          });
    else
      result = buildElementwise(
          rewriter, loc, type, dynSizes, ValueRange{exp, sum}, {identity, kept},
          [](OpBuilder &b, Location l, ValueRange args) {
            return arith::DivFOp::create(b, l, args[0], args[1]).getResult();
          });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void fqt::onnx_to_linalg::populateReductionPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ReduceAttrAxesToLinalg<ONNXReduceMeanOp, ReduceKind::Mean>,
               ReduceAttrAxesToLinalg<ONNXReduceMaxOp, ReduceKind::Max>,
               ReduceSumToLinalg, GlobalAveragePoolToLinalg,
               SoftmaxToLinalg<ONNXSoftmaxOp, false>,
               SoftmaxToLinalg<ONNXLogSoftmaxOp, true>>(patterns.getContext());
}
