//===- Reduction.cpp - onnx reductions and softmax to linalg.generic ------===//
//
// ReduceMean/Sum/Max/Min/Prod and GlobalAveragePool as a reduction
// linalg.generic (then a division for the means, a tensor.expand_shape for
// keepdims); ReduceL1/L2/SumSquare/LogSum/LogSumExp as an elementwise map
// around a sum; ArgMax/ArgMin as one reduction carrying value and index;
// CumSum as a reduction over an extra loop along the axis;
// Softmax and LogSoftmax as max, exp, sum and divide along the axis;
// NegativeLogLikelihoodLoss as a gathering generic and sums;
// SoftmaxCrossEntropyLoss as LogSoftmax then NegativeLogLikelihoodLoss.
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
/// `post`, when given, maps each reduced element before that.
static FailureOr<Value> reduceTo(PatternRewriter &rewriter, Operation *op,
                                 Value input, ArrayRef<bool> reduced,
                                 bool keepDims, ReduceKind kind,
                                 RankedTensorType resultType,
                                 ElementwiseBody post = nullptr) {
  Location loc = op->getLoc();
  int64_t kept = llvm::count(reduced, false);
  int64_t expectedRank = keepDims ? static_cast<int64_t>(reduced.size()) : kept;
  if (resultType.getRank() != expectedRank)
    return rewriter.notifyMatchFailure(op, "result rank does not match");
  Value result = reduce(rewriter, loc, input, reduced, kind);
  if (post) {
    auto type = cast<RankedTensorType>(result.getType());
    result = buildElementwise(
        rewriter, loc, type,
        tensor::createDynamicDimValues(rewriter, loc, result), result,
        {rewriter.getMultiDimIdentityMap(type.getRank())}, post);
  }
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

/// What a reduction applies to each element before reducing (`Pre`) and
/// to each reduced value after (`Post`): ReduceL1 is |x| then a sum,
/// ReduceL2 x^2, a sum and sqrt, ReduceLogSumExp exp, a sum and log.
enum class Pre { None, Abs, Square, Exp };
enum class Post { None, Sqrt, Log };

template <typename OpTy, ReduceKind Kind, Pre P = Pre::None,
          Post Q = Post::None>
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
    Location loc = op.getLoc();
    Value input = op.getData();
    if (P != Pre::None)
      input = buildElementwise(
          rewriter, loc, inType,
          tensor::createDynamicDimValues(rewriter, loc, input), input,
          {rewriter.getMultiDimIdentityMap(inType.getRank())},
          [](OpBuilder &b, Location l, ValueRange args) -> Value {
            if (P == Pre::Abs)
              return math::AbsFOp::create(b, l, args[0]);
            if (P == Pre::Square)
              return arith::MulFOp::create(b, l, args[0], args[0]);
            return math::ExpOp::create(b, l, args[0]);
          });
    auto post = [](OpBuilder &b, Location l, ValueRange args) -> Value {
      if (Q == Post::Sqrt)
        return math::SqrtOp::create(b, l, args[0]);
      return math::LogOp::create(b, l, args[0]);
    };
    FailureOr<Value> result =
        reduceTo(rewriter, op, input, *mask, op.getKeepdims() != 0, Kind,
                 cast<RankedTensorType>(op.getReduced().getType()),
                 Q == Post::None ? ElementwiseBody() : ElementwiseBody(post));
    if (failed(result))
      return failure();
    rewriter.replaceOp(op, *result);
    return success();
  }
};

/// Every choice of `count` dimensions of `inType` whose removal leaves the
/// dimensions of `resultType` (static sizes equal, dynamic ones dynamic).
static SmallVector<SmallVector<bool>>
removedDimCandidates(RankedTensorType inType, RankedTensorType resultType,
                     int64_t count) {
  SmallVector<SmallVector<bool>> candidates;
  int64_t rank = inType.getRank();
  SmallVector<bool> mask(rank, false);
  std::function<void(int64_t, int64_t, int64_t)> visit =
      [&](int64_t d, int64_t kept, int64_t removed) {
        if (d == rank) {
          if (removed == count)
            candidates.push_back(mask);
          return;
        }
        if (removed < count) {
          mask[d] = true;
          visit(d + 1, kept, removed + 1);
          mask[d] = false;
        }
        if (kept < resultType.getRank() &&
            inType.getDimSize(d) == resultType.getDimSize(kept))
          visit(d + 1, kept + 1, removed);
      };
  visit(0, 0, 0);
  return candidates;
}

/// ReduceSum; axes known at run time only are recovered from the static
/// shapes: with keepdims, the dimensions that become 1 (reducing a size-1
/// dimension or not is the same); without, each way of removing that many
/// dimensions is reduced and the one the axes name is selected at run time.
struct ReduceSumToLinalg : OpRewritePattern<ONNXReduceSumOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXReduceSumOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(checkFloat(rewriter, op, op.getData(), op.getReduced())))
      return failure();
    auto inType = cast<RankedTensorType>(op.getData().getType());
    auto resultType = cast<RankedTensorType>(op.getReduced().getType());
    bool keepDims = op.getKeepdims() != 0;
    SmallVector<int64_t> axes;
    if (!isa<NoneType>(op.getAxes().getType())) {
      std::optional<SmallVector<int64_t>> constant =
          getConstantInts(op.getAxes());
      if (!constant) {
        auto axesType = dyn_cast<RankedTensorType>(op.getAxes().getType());
        if (!axesType || axesType.getRank() != 1 || axesType.isDynamicDim(0) ||
            !isa<IntegerType>(axesType.getElementType()))
          return rewriter.notifyMatchFailure(
              op, "axes are not a constant or a 1-D tensor of static size");
        if (axesType.getDimSize(0) != 0)
          return rewriteRuntimeAxes(op, rewriter, axesType.getDimSize(0));
        constant.emplace();
      }
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
    FailureOr<Value> result = reduceTo(rewriter, op, op.getData(), *mask,
                                       keepDims, ReduceKind::Sum, resultType);
    if (failed(result))
      return failure();
    rewriter.replaceOp(op, *result);
    return success();
  }

  LogicalResult rewriteRuntimeAxes(ONNXReduceSumOp op,
                                   PatternRewriter &rewriter,
                                   int64_t count) const {
    auto inType = cast<RankedTensorType>(op.getData().getType());
    auto resultType = cast<RankedTensorType>(op.getReduced().getType());
    int64_t rank = inType.getRank();
    if (op.getKeepdims() != 0) {
      if (resultType.getRank() != rank)
        return rewriter.notifyMatchFailure(op, "result rank does not match");
      SmallVector<bool> mask;
      for (int64_t d = 0; d < rank; ++d) {
        int64_t in = inType.getDimSize(d), out = resultType.getDimSize(d);
        if (!ShapedType::isDynamic(in) && (out == 1 || in == out)) {
          mask.push_back(out == 1 && in != 1);
          continue;
        }
        return rewriter.notifyMatchFailure(
            op, "run-time axes: the reduced dimensions are not static");
      }
      FailureOr<Value> result =
          reduceTo(rewriter, op, op.getData(), mask, /*keepDims=*/true,
                   ReduceKind::Sum, resultType);
      if (failed(result))
        return failure();
      rewriter.replaceOp(op, *result);
      return success();
    }

    SmallVector<SmallVector<bool>> candidates =
        removedDimCandidates(inType, resultType, count);
    if (candidates.empty() || candidates.size() > 8)
      return rewriter.notifyMatchFailure(
          op, "run-time axes: no (or too many) ways to remove dimensions");
    Location loc = op.getLoc();
    SmallVector<Value> results;
    for (ArrayRef<bool> mask : candidates) {
      FailureOr<Value> result =
          reduceTo(rewriter, op, op.getData(), mask, /*keepDims=*/false,
                   ReduceKind::Sum, resultType);
      if (failed(result))
        return failure();
      results.push_back(*result);
    }
    // The axes, each wrapped into [0, rank).
    SmallVector<Value> axes;
    Value zero = arith::ConstantIntOp::create(rewriter, loc, 0, 64);
    for (int64_t k = 0; k < count; ++k) {
      Value axis = extractScalar(rewriter, loc, op.getAxes(), k);
      Value negative = arith::CmpIOp::create(
          rewriter, loc, arith::CmpIPredicate::slt, axis, zero);
      axes.push_back(arith::SelectOp::create(
          rewriter, loc, negative,
          arith::AddIOp::create(
              rewriter, loc, axis,
              arith::ConstantIntOp::create(rewriter, loc, rank, 64)),
          axis));
    }
    // The last candidate is taken when no other one is named.
    Value result = results.back();
    for (int64_t c = static_cast<int64_t>(candidates.size()) - 2; c >= 0; --c) {
      Value named = arith::ConstantIntOp::create(rewriter, loc, 1, 1);
      for (Value axis : axes) {
        Value inSet = arith::ConstantIntOp::create(rewriter, loc, 0, 1);
        for (int64_t d = 0; d < rank; ++d)
          if (candidates[c][d])
            inSet = arith::OrIOp::create(
                rewriter, loc, inSet,
                arith::CmpIOp::create(
                    rewriter, loc, arith::CmpIPredicate::eq, axis,
                    arith::ConstantIntOp::create(rewriter, loc, d, 64)));
        named = arith::AndIOp::create(rewriter, loc, named, inSet);
      }
      result =
          arith::SelectOp::create(rewriter, loc, named, results[c], result);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// GlobalAveragePool, GlobalMaxPool: a mean or max over the spatial
/// dimensions, kept as 1s.
template <typename OpTy, ReduceKind Kind>
struct GlobalPoolToLinalg : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (failed(checkFloat(rewriter, op, op.getX(), op.getY())))
      return failure();
    auto inType = cast<RankedTensorType>(op.getX().getType());
    if (inType.getRank() < 3)
      return rewriter.notifyMatchFailure(op, "input has no spatial dimension");
    SmallVector<bool> mask(inType.getRank(), true);
    mask[0] = mask[1] = false;
    FailureOr<Value> result =
        reduceTo(rewriter, op, op.getX(), mask, /*keepDims=*/true, Kind,
                 cast<RankedTensorType>(op.getY().getType()));
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

/// NegativeLogLikelihoodLoss: one generic gathers, per target element,
/// -input[n, target, d...] * weight[target] and the weight (0 where the
/// target is ignore_index), then "sum" adds the losses and "mean" divides
/// that by the sum of the weights.
struct NegativeLogLikelihoodLossToLinalg
    : OpRewritePattern<ONNXNegativeLogLikelihoodLossOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXNegativeLogLikelihoodLossOp op,
                                PatternRewriter &rewriter) const override {
    auto inType = dyn_cast<RankedTensorType>(op.getInput().getType());
    auto targetType = dyn_cast<RankedTensorType>(op.getTarget().getType());
    auto resultType = dyn_cast<RankedTensorType>(op.getLoss().getType());
    if (!inType || !targetType || !resultType || inType.getRank() < 2 ||
        targetType.getRank() != inType.getRank() - 1 ||
        !isa<FloatType>(inType.getElementType()) ||
        !isa<IntegerType>(targetType.getElementType()) ||
        resultType.getElementType() != inType.getElementType())
      return rewriter.notifyMatchFailure(
          op, "input is not a float tensor [N, C, d...] with an integer "
              "target [N, d...] and a result of its element type");
    bool hasWeight = !isa<NoneType>(op.getWeight().getType());
    if (hasWeight) {
      auto weightType = dyn_cast<RankedTensorType>(op.getWeight().getType());
      if (!weightType || weightType.getRank() != 1 ||
          weightType.getElementType() != inType.getElementType())
        return rewriter.notifyMatchFailure(
            op, "weight is not a 1-D tensor of the input element type");
    }
    StringRef reduction = op.getReduction();
    if (reduction != "none" && reduction != "sum" && reduction != "mean")
      return rewriter.notifyMatchFailure(op, "unknown reduction");
    int64_t rank = targetType.getRank();
    if (resultType.getRank() != (reduction == "none" ? rank : 0))
      return rewriter.notifyMatchFailure(op, "result rank does not match");

    Location loc = op.getLoc();
    auto elementType = cast<FloatType>(inType.getElementType());
    auto lossType = RankedTensorType::get(targetType.getShape(), elementType);
    SmallVector<Value> dynSizes =
        tensor::createDynamicDimValues(rewriter, loc, op.getTarget());
    Value lossInit = tensor::EmptyOp::create(rewriter, loc, lossType, dynSizes);
    Value weightInit =
        tensor::EmptyOp::create(rewriter, loc, lossType, dynSizes);
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    std::optional<int64_t> ignoreIndex = op.getIgnoreIndex();
    bool isUnsigned = isUnsignedOperand(op, 1);
    Value input = op.getInput(), weight = op.getWeight();
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{lossType, lossType},
        ValueRange{op.getTarget()}, ValueRange{lossInit, weightInit},
        {identity, identity, identity}, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value target = args[0];
          unsigned width = target.getType().getIntOrFloatBitWidth();
          if (width < 64)
            target = isUnsigned
                         ? arith::ExtUIOp::create(b, l, b.getI64Type(), target)
                               .getResult()
                         : arith::ExtSIOp::create(b, l, b.getI64Type(), target)
                               .getResult();
          else if (width > 64)
            target = arith::TruncIOp::create(b, l, b.getI64Type(), target);
          Value ignored;
          if (ignoreIndex) {
            ignored = arith::CmpIOp::create(
                b, l, arith::CmpIPredicate::eq, target,
                arith::ConstantIntOp::create(b, l, *ignoreIndex, 64));
            // An ignored target may be out of range: read class 0 instead.
            target = arith::SelectOp::create(
                b, l, ignored, arith::ConstantIntOp::create(b, l, 0, 64),
                target);
          }
          Value klass = toIndex(b, l, target);
          SmallVector<Value> ivs = loopIndices(b, l, rank);
          SmallVector<Value> coords = {ivs[0], klass};
          coords.append(ivs.begin() + 1, ivs.end());
          Value logProb = tensor::ExtractOp::create(b, l, input, coords);
          Value w =
              hasWeight
                  ? tensor::ExtractOp::create(b, l, weight, klass).getResult()
                  : scalarConstant(b, l, elementType, 1.0);
          if (ignored)
            w = arith::SelectOp::create(
                b, l, ignored, scalarConstant(b, l, elementType, 0.0), w);
          Value loss = arith::MulFOp::create(
              b, l, arith::NegFOp::create(b, l, logProb), w);
          linalg::YieldOp::create(b, l, ValueRange{loss, w});
        });
    Value loss = generic.getResult(0);
    if (reduction == "none") {
      rewriter.replaceOp(op, castIfNeeded(rewriter, loc, loss, resultType));
      return success();
    }
    SmallVector<bool> all(rank, true);
    Value sum = reduce(rewriter, loc, loss, all, ReduceKind::Sum);
    if (reduction == "mean") {
      Value total =
          reduce(rewriter, loc, generic.getResult(1), all, ReduceKind::Sum);
      auto scalarType = cast<RankedTensorType>(sum.getType());
      sum = buildElementwise(
          rewriter, loc, scalarType, {}, ValueRange{sum, total},
          {rewriter.getMultiDimIdentityMap(0),
           rewriter.getMultiDimIdentityMap(0)},
          [](OpBuilder &b, Location l, ValueRange args) {
            return arith::DivFOp::create(b, l, args[0], args[1]).getResult();
          });
    }
    rewriter.replaceOp(op, castIfNeeded(rewriter, loc, sum, resultType));
    return success();
  }
};

/// SoftmaxCrossEntropyLoss as LogSoftmax over the class axis (its log_prob
/// output) followed by NegativeLogLikelihoodLoss with the same labels,
/// weights, ignore_index and reduction.
struct SoftmaxCrossEntropyLossToNLL
    : OpRewritePattern<ONNXSoftmaxCrossEntropyLossOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXSoftmaxCrossEntropyLossOp op,
                                PatternRewriter &rewriter) const override {
    auto scoresType = dyn_cast<RankedTensorType>(op.getScores().getType());
    if (!scoresType || scoresType.getRank() < 2 ||
        !isa<FloatType>(scoresType.getElementType()))
      return rewriter.notifyMatchFailure(
          op, "scores are not a float tensor of rank >= 2");
    Location loc = op.getLoc();
    Value logProb = ONNXLogSoftmaxOp::create(rewriter, loc, scoresType,
                                             op.getScores(), /*axis=*/1);
    // Same operand positions: the attributes, onnx.unsigned_operands
    // included, carry over.
    Value loss = ONNXNegativeLogLikelihoodLossOp::create(
        rewriter, loc, TypeRange{op.getOutput().getType()},
        ValueRange{logProb, op.getLabels(), op.getWeights()}, op->getAttrs());
    rewriter.replaceAllUsesWith(op.getOutput(), loss);
    // A log_prob the node did not ask for is `none` typed and unused.
    if (!isa<NoneType>(op.getLogProb().getType()))
      rewriter.replaceAllUsesWith(
          op.getLogProb(),
          castIfNeeded(rewriter, loc, logProb, op.getLogProb().getType()));
    rewriter.eraseOp(op);
    return success();
  }
};

/// ArgMax, ArgMin: one reduction generic over the axis carrying the best
/// value and its i64 index; a tie keeps the first index, or the last with
/// select_last_index.
template <typename OpTy, bool IsMax>
struct ArgExtremumToLinalg : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    auto inType = dyn_cast<RankedTensorType>(op.getData().getType());
    auto resultType = dyn_cast<RankedTensorType>(op.getReduced().getType());
    if (!inType || !resultType || !resultType.getElementType().isInteger(64) ||
        !isa<FloatType, IntegerType>(inType.getElementType()) ||
        inType.getElementType().isInteger(1))
      return rewriter.notifyMatchFailure(
          op, "data is not a ranked numeric tensor or the result not i64");
    int64_t rank = inType.getRank();
    int64_t axis = op.getAxis();
    if (axis < -rank || axis >= rank)
      return rewriter.notifyMatchFailure(op, "axis out of range");
    if (axis < 0)
      axis += rank;
    SmallVector<bool> reduced(rank, false);
    reduced[axis] = true;
    bool keepDims = op.getKeepdims() != 0;
    if (resultType.getRank() != (keepDims ? rank : rank - 1))
      return rewriter.notifyMatchFailure(op, "result rank does not match");
    bool last = op.getSelectLastIndex() != 0;
    bool isUnsigned = isUnsignedOperand(op, 0);

    Location loc = op.getLoc();
    Type elementType = inType.getElementType();
    SmallVector<int64_t> shape;
    SmallVector<Value> dynSizes;
    for (int64_t d = 0; d < rank; ++d) {
      if (d == axis)
        continue;
      shape.push_back(inType.getDimSize(d));
      if (inType.isDynamicDim(d))
        dynSizes.push_back(
            tensor::DimOp::create(rewriter, loc, op.getData(), d));
    }
    // The first element along the axis starts the search.
    TypedAttr initAttr;
    if (auto floatType = dyn_cast<FloatType>(elementType))
      initAttr = rewriter.getFloatAttr(
          floatType, APFloat::getInf(floatType.getFloatSemantics(), IsMax));
    else if (isUnsigned)
      initAttr = rewriter.getIntegerAttr(
          elementType,
          IsMax ? APInt::getMinValue(elementType.getIntOrFloatBitWidth())
                : APInt::getMaxValue(elementType.getIntOrFloatBitWidth()));
    else
      initAttr = rewriter.getIntegerAttr(
          elementType,
          IsMax
              ? APInt::getSignedMinValue(elementType.getIntOrFloatBitWidth())
              : APInt::getSignedMaxValue(elementType.getIntOrFloatBitWidth()));
    Value bestInit = filledTensor(
        rewriter, loc, RankedTensorType::get(shape, elementType), dynSizes,
        arith::ConstantOp::create(rewriter, loc, initAttr));
    Type i64 = rewriter.getI64Type();
    Value indexInit =
        filledTensor(rewriter, loc, RankedTensorType::get(shape, i64), dynSizes,
                     arith::ConstantIntOp::create(rewriter, loc, -1, 64));
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                                   keptMap(reduced, ctx),
                                   keptMap(reduced, ctx)};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    iterators[axis] = utils::IteratorType::reduction;
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{bestInit.getType(), indexInit.getType()},
        ValueRange{op.getData()}, ValueRange{bestInit, indexInit}, maps,
        iterators, [&](OpBuilder &b, Location l, ValueRange args) {
          Value x = args[0], best = args[1], index = args[2];
          Value position = toI64(b, l, linalg::IndexOp::create(b, l, axis));
          Value better;
          if (isa<FloatType>(elementType)) {
            auto strict =
                IsMax ? arith::CmpFPredicate::OGT : arith::CmpFPredicate::OLT;
            auto loose =
                IsMax ? arith::CmpFPredicate::OGE : arith::CmpFPredicate::OLE;
            better =
                arith::CmpFOp::create(b, l, last ? loose : strict, x, best);
          } else {
            arith::CmpIPredicate strict, loose;
            if (isUnsigned) {
              strict =
                  IsMax ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::ult;
              loose =
                  IsMax ? arith::CmpIPredicate::uge : arith::CmpIPredicate::ule;
            } else {
              strict =
                  IsMax ? arith::CmpIPredicate::sgt : arith::CmpIPredicate::slt;
              loose =
                  IsMax ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle;
            }
            better =
                arith::CmpIOp::create(b, l, last ? loose : strict, x, best);
          }
          // The first element always counts (the init may equal it).
          Value first =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, index,
                                    arith::ConstantIntOp::create(b, l, 0, 64));
          better = arith::OrIOp::create(b, l, better, first);
          linalg::YieldOp::create(
              b, l,
              ValueRange{
                  arith::SelectOp::create(b, l, better, x, best),
                  arith::SelectOp::create(b, l, better, position, index)});
        });
    Value result = generic.getResult(1);
    if (!keepDims) {
      rewriter.replaceOp(op, castIfNeeded(rewriter, loc, result, resultType));
      return success();
    }
    SmallVector<OpFoldResult> inSizes =
        tensor::getMixedSizes(rewriter, loc, op.getData());
    SmallVector<OpFoldResult> sizes;
    for (auto [i, r] : llvm::enumerate(reduced))
      sizes.push_back(r ? rewriter.getIndexAttr(1) : inSizes[i]);
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(
        op, resultType, result, unitDimGroups(reduced),
        sizesForType(rewriter, loc, resultType, sizes));
    return success();
  }
};

/// Hardmax: 1 at the first maximum along the axis (an onnx.ArgMax, kept
/// dimension), 0 elsewhere.
struct HardmaxToLinalg : OpRewritePattern<ONNXHardmaxOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXHardmaxOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(checkFloat(rewriter, op, op.getInput(), op.getOutput())))
      return failure();
    auto inType = cast<RankedTensorType>(op.getInput().getType());
    auto resultType = cast<RankedTensorType>(op.getOutput().getType());
    int64_t rank = inType.getRank();
    int64_t axis = op.getAxis();
    if (axis < -rank || axis >= rank)
      return rewriter.notifyMatchFailure(op, "axis out of range");
    if (axis < 0)
      axis += rank;
    Location loc = op.getLoc();
    SmallVector<int64_t> keptShape(inType.getShape());
    keptShape[axis] = 1;
    Type si64 = rewriter.getIntegerType(64, /*isSigned=*/true);
    Value argmax = ONNXArgMaxOp::create(
        rewriter, loc,
        TypeRange{RankedTensorType::get(keptShape, rewriter.getI64Type())},
        ValueRange{op.getInput()},
        ArrayRef<NamedAttribute>{rewriter.getNamedAttr(
            "axis", rewriter.getIntegerAttr(si64, axis))});
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<AffineExpr> exprs;
    for (int64_t d = 0; d < rank; ++d)
      exprs.push_back(d == axis ? getAffineConstantExpr(0, ctx)
                                : getAffineDimExpr(d, ctx));
    Type elementType = resultType.getElementType();
    rewriter.replaceOp(
        op, buildElementwise(
                rewriter, loc, resultType,
                tensor::createDynamicDimValues(rewriter, loc, op.getInput()),
                argmax, {AffineMap::get(rank, 0, exprs, ctx)},
                [&](OpBuilder &b, Location l, ValueRange args) -> Value {
                  Value position =
                      toI64(b, l, linalg::IndexOp::create(b, l, axis));
                  Value hit = arith::CmpIOp::create(
                      b, l, arith::CmpIPredicate::eq, position, args[0]);
                  return arith::SelectOp::create(
                      b, l, hit, scalarConstant(b, l, elementType, 1.0),
                      scalarConstant(b, l, elementType, 0.0));
                }));
    return success();
  }
};

/// CumSum: y[.., i, ..] sums x[.., r, ..] along the axis over r <= i (r < i
/// when exclusive; r >= i or r > i when reverse), one reduction generic
/// over an extra loop r. An axis known at run time only computes the sums
/// along every axis and selects one.
struct CumSumToLinalg : OpRewritePattern<ONNXCumSumOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXCumSumOp op,
                                PatternRewriter &rewriter) const override {
    auto inType = dyn_cast<RankedTensorType>(op.getX().getType());
    auto resultType = dyn_cast<RankedTensorType>(op.getY().getType());
    if (!inType || !resultType ||
        resultType.getElementType() != inType.getElementType() ||
        resultType.getRank() != inType.getRank() || inType.getRank() == 0 ||
        !isa<FloatType, IntegerType>(inType.getElementType()))
      return rewriter.notifyMatchFailure(
          op, "x and y are not ranked numeric tensors of one type and rank");
    auto axisType = dyn_cast<RankedTensorType>(op.getAxis().getType());
    if (!axisType || axisType.getNumElements() != 1 ||
        !isa<IntegerType>(axisType.getElementType()))
      return rewriter.notifyMatchFailure(op, "axis is not an integer scalar");
    int64_t rank = inType.getRank();
    Location loc = op.getLoc();
    if (std::optional<SmallVector<int64_t>> axes =
            getConstantInts(op.getAxis())) {
      int64_t axis = (*axes)[0];
      if (axis < -rank || axis >= rank)
        return rewriter.notifyMatchFailure(op, "axis out of range");
      rewriter.replaceOp(
          op, cumSum(rewriter, op, resultType, axis < 0 ? axis + rank : axis));
      return success();
    }
    Value axis = extractScalar(rewriter, loc, op.getAxis(), 0);
    Value rankValue = arith::ConstantIntOp::create(rewriter, loc, rank, 64);
    Value negative = arith::CmpIOp::create(
        rewriter, loc, arith::CmpIPredicate::slt, axis,
        arith::ConstantIntOp::create(rewriter, loc, 0, 64));
    axis = arith::SelectOp::create(
        rewriter, loc, negative,
        arith::AddIOp::create(rewriter, loc, axis, rankValue), axis);
    Value result = cumSum(rewriter, op, resultType, rank - 1);
    for (int64_t d = rank - 2; d >= 0; --d) {
      Value isD = arith::CmpIOp::create(
          rewriter, loc, arith::CmpIPredicate::eq, axis,
          arith::ConstantIntOp::create(rewriter, loc, d, 64));
      result = arith::SelectOp::create(
          rewriter, loc, isD, cumSum(rewriter, op, resultType, d), result);
    }
    rewriter.replaceOp(op, result);
    return success();
  }

  static Value cumSum(PatternRewriter &rewriter, ONNXCumSumOp op,
                      RankedTensorType resultType, int64_t axis) {
    auto inType = cast<RankedTensorType>(op.getX().getType());
    int64_t rank = inType.getRank();
    bool exclusive = op.getExclusive() != 0, reverse = op.getReverse() != 0;
    Location loc = op.getLoc();
    Type elementType = inType.getElementType();
    Value init =
        filledTensor(rewriter, loc, resultType,
                     tensor::createDynamicDimValues(rewriter, loc, op.getX()),
                     scalarConstant(rewriter, loc, elementType, 0.0));
    MLIRContext *ctx = rewriter.getContext();
    // Loops: the result's, then r.
    SmallVector<AffineExpr> inExprs, outExprs;
    for (int64_t d = 0; d < rank; ++d) {
      inExprs.push_back(getAffineDimExpr(d == axis ? rank : d, ctx));
      outExprs.push_back(getAffineDimExpr(d, ctx));
    }
    SmallVector<AffineMap> maps = {AffineMap::get(rank + 1, 0, inExprs, ctx),
                                   AffineMap::get(rank + 1, 0, outExprs, ctx)};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{resultType}, ValueRange{op.getX()},
        ValueRange{init}, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value i = linalg::IndexOp::create(b, l, axis);
          Value r = linalg::IndexOp::create(b, l, rank);
          arith::CmpIPredicate predicate =
              reverse ? (exclusive ? arith::CmpIPredicate::ugt
                                   : arith::CmpIPredicate::uge)
                      : (exclusive ? arith::CmpIPredicate::ult
                                   : arith::CmpIPredicate::ule);
          Value counts = arith::CmpIOp::create(b, l, predicate, r, i);
          Value sum =
              isa<FloatType>(elementType)
                  ? arith::AddFOp::create(b, l, args[1], args[0]).getResult()
                  : arith::AddIOp::create(b, l, args[1], args[0]).getResult();
          linalg::YieldOp::create(
              b, l,
              arith::SelectOp::create(b, l, counts, sum, args[1]).getResult());
        });
    return generic.getResult(0);
  }
};

} // namespace

void fqt::onnx_to_linalg::populateReductionPatterns(
    RewritePatternSet &patterns) {
  patterns
      .add<ReduceAttrAxesToLinalg<ONNXReduceMeanOp, ReduceKind::Mean>,
           ReduceAttrAxesToLinalg<ONNXReduceMaxOp, ReduceKind::Max>,
           ReduceAttrAxesToLinalg<ONNXReduceMinOp, ReduceKind::Min>,
           ReduceAttrAxesToLinalg<ONNXReduceProdOp, ReduceKind::Prod>,
           ReduceAttrAxesToLinalg<ONNXReduceL1Op, ReduceKind::Sum, Pre::Abs>,
           ReduceAttrAxesToLinalg<ONNXReduceL2Op, ReduceKind::Sum, Pre::Square,
                                  Post::Sqrt>,
           ReduceAttrAxesToLinalg<ONNXReduceSumSquareOp, ReduceKind::Sum,
                                  Pre::Square>,
           ReduceAttrAxesToLinalg<ONNXReduceLogSumOp, ReduceKind::Sum,
                                  Pre::None, Post::Log>,
           ReduceAttrAxesToLinalg<ONNXReduceLogSumExpOp, ReduceKind::Sum,
                                  Pre::Exp, Post::Log>,
           ArgExtremumToLinalg<ONNXArgMaxOp, true>,
           ArgExtremumToLinalg<ONNXArgMinOp, false>, CumSumToLinalg,
           ReduceSumToLinalg,
           GlobalPoolToLinalg<ONNXGlobalAveragePoolOp, ReduceKind::Mean>,
           GlobalPoolToLinalg<ONNXGlobalMaxPoolOp, ReduceKind::Max>,
           HardmaxToLinalg, SoftmaxToLinalg<ONNXSoftmaxOp, false>,
           SoftmaxToLinalg<ONNXLogSoftmaxOp, true>,
           NegativeLogLikelihoodLossToLinalg, SoftmaxCrossEntropyLossToNLL>(
          patterns.getContext());
}
