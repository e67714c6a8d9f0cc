//===- Normalization.cpp - normalizations to linalg.generic ---------------===//
//
// BatchNormalization as one generic:
// y = (x - mean) * scale / sqrt(var + epsilon) + B, per channel (dim 1),
// with the batch statistics (and the running ones updated by momentum) in
// training mode. LayerNormalization as the mean and variance over the
// trailing dimensions, then one generic for the scaled, shifted result.
//
//===----------------------------------------------------------------------===//

#include "Patterns.h"

#include "ONNX/ONNXOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Utils/Utils.h"

using namespace mlir;
using namespace fqt;
using namespace fqt::onnx;
using namespace fqt::onnx_to_linalg;

namespace {

/// The mean of `x` over its `reduced` dimensions and the (population)
/// variance, each without the reduced dimensions.
static std::pair<Value, Value>
meanAndVariance(OpBuilder &b, Location loc, Value x, ArrayRef<bool> reduced) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  Value mean = reduce(b, loc, x, reduced, ReduceKind::Mean);
  Value squares = buildElementwise(
      b, loc, type, tensor::createDynamicDimValues(b, loc, x),
      ValueRange{x, mean},
      {b.getMultiDimIdentityMap(rank), keptMap(reduced, b.getContext())},
      [](OpBuilder &nb, Location l, ValueRange args) {
        Value centered = arith::SubFOp::create(nb, l, args[0], args[1]);
        return arith::MulFOp::create(nb, l, centered, centered).getResult();
      });
  return {mean, reduce(b, loc, squares, reduced, ReduceKind::Mean)};
}

/// `statistic * momentum + current * (1 - momentum)`, elementwise.
static Value runningUpdate(OpBuilder &b, Location loc, Value statistic,
                           Value current, double momentum) {
  auto type = cast<RankedTensorType>(current.getType());
  Type elementType = type.getElementType();
  AffineMap identity = b.getMultiDimIdentityMap(type.getRank());
  return buildElementwise(
      b, loc, type, tensor::createDynamicDimValues(b, loc, current),
      ValueRange{statistic, current}, {identity, identity},
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value m = scalarConstant(nb, l, elementType, momentum);
        Value rest = scalarConstant(nb, l, elementType, 1.0 - momentum);
        Value kept = arith::MulFOp::create(nb, l, args[0], m);
        Value added = arith::MulFOp::create(nb, l, args[1], rest);
        return arith::AddFOp::create(nb, l, kept, added).getResult();
      });
}

struct BatchNormToLinalg : OpRewritePattern<ONNXBatchNormalizationOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXBatchNormalizationOp op,
                                PatternRewriter &rewriter) const override {
    bool training = op.getTrainingMode() != 0;
    if (!training &&
        (!op.getRunningMean().use_empty() || !op.getRunningVar().use_empty()))
      return rewriter.notifyMatchFailure(
          op, "running statistics are used in inference mode");
    auto resultType = dyn_cast<RankedTensorType>(op.getY().getType());
    if (!resultType || resultType.getRank() < 2 ||
        !isa<FloatType>(resultType.getElementType()))
      return rewriter.notifyMatchFailure(
          op, "result is not a float tensor of rank >= 2");
    Type elementType = resultType.getElementType();
    auto xType = dyn_cast<RankedTensorType>(op.getX().getType());
    if (!xType || xType.getRank() != resultType.getRank() ||
        xType.getElementType() != elementType)
      return rewriter.notifyMatchFailure(op, "X does not match the result");
    SmallVector<Value> params = {op.getScale(), op.getB(), op.getInputMean(),
                                 op.getInputVar()};
    for (Value param : params) {
      auto type = dyn_cast<RankedTensorType>(param.getType());
      if (!type || type.getRank() != 1 || type.getElementType() != elementType)
        return rewriter.notifyMatchFailure(
            op, "scale, B, mean and var are not 1-D tensors");
    }

    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    int64_t rank = resultType.getRank();
    if (training) {
      // The statistics of this batch, per channel.
      SmallVector<bool> reduced(rank, true);
      reduced[1] = false;
      auto [mean, var] = meanAndVariance(rewriter, loc, op.getX(), reduced);
      double momentum = op.getMomentum().convertToDouble();
      for (auto [result, statistic, current] :
           {std::tuple(op.getRunningMean(), op.getInputMean(), mean),
            std::tuple(op.getRunningVar(), op.getInputVar(), var)}) {
        if (result.use_empty())
          continue;
        Value updated =
            runningUpdate(rewriter, loc, statistic, current, momentum);
        rewriter.replaceAllUsesWith(
            result, castIfNeeded(rewriter, loc, updated, result.getType()));
      }
      params[2] = mean;
      params[3] = var;
    }
    AffineMap channel = AffineMap::get(rank, 0, getAffineDimExpr(1, ctx), ctx);
    SmallVector<AffineMap> maps = {rewriter.getMultiDimIdentityMap(rank),
                                   channel, channel, channel, channel};
    double epsilon = op.getEpsilon().convertToDouble();
    SmallVector<Value> inputs = {op.getX()};
    llvm::append_range(inputs, params);
    Value result = buildElementwise(
        rewriter, loc, resultType,
        tensor::createDynamicDimValues(rewriter, loc, op.getX()), inputs, maps,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value eps = scalarConstant(b, l, elementType, epsilon);
          Value centered = arith::SubFOp::create(b, l, args[0], args[3]);
          Value var = arith::AddFOp::create(b, l, args[4], eps);
          Value stddev = math::SqrtOp::create(b, l, var);
          Value normalized = arith::DivFOp::create(b, l, centered, stddev);
          Value scaled = arith::MulFOp::create(b, l, normalized, args[1]);
          return arith::AddFOp::create(b, l, scaled, args[2]).getResult();
        });
    // The optional outputs left are unused, whatever their type.
    rewriter.replaceAllUsesWith(op.getY(), result);
    rewriter.eraseOp(op);
    return success();
  }
};

/// LayerNormalization over the dimensions from `axis` on: mean, variance,
/// y = (x - mean) / sqrt(var + epsilon) * Scale + B, Scale and B
/// broadcast to those dimensions. Mean and InvStdDev keep the normalized
/// dimensions as 1s.
struct LayerNormToLinalg : OpRewritePattern<ONNXLayerNormalizationOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXLayerNormalizationOp op,
                                PatternRewriter &rewriter) const override {
    auto xType = dyn_cast<RankedTensorType>(op.getX().getType());
    auto resultType = dyn_cast<RankedTensorType>(op.getY().getType());
    if (!xType || !resultType || xType != resultType ||
        !isa<FloatType>(xType.getElementType()))
      return rewriter.notifyMatchFailure(
          op, "X and Y are not float tensors of one type");
    Type elementType = xType.getElementType();
    int64_t rank = xType.getRank();
    int64_t axis = op.getAxis();
    if (axis < 0)
      axis += rank;
    if (axis < 0 || axis >= rank)
      return rewriter.notifyMatchFailure(op, "axis out of range");
    bool hasBias = !isa<NoneType>(op.getB().getType());
    SmallVector<Value> params = {op.getScale()};
    if (hasBias)
      params.push_back(op.getB());
    for (Value param : params) {
      auto type = dyn_cast<RankedTensorType>(param.getType());
      if (!type || type.getRank() > rank - axis ||
          type.getElementType() != elementType)
        return rewriter.notifyMatchFailure(
            op, "Scale and B are not tensors of X's element type over the "
                "normalized dimensions");
    }
    FailureOr<SmallVector<AffineMap>> paramMaps =
        broadcastMaps(rewriter, op, params, xType);
    if (failed(paramMaps))
      return failure();
    SmallVector<bool> reduced(rank, false);
    for (int64_t d = axis; d < rank; ++d)
      reduced[d] = true;
    for (Value stat : {op.getMean(), op.getInvStdDev()}) {
      if (isa<NoneType>(stat.getType()))
        continue;
      auto type = dyn_cast<RankedTensorType>(stat.getType());
      if (!type || type.getRank() != rank ||
          type.getElementType() != elementType)
        return rewriter.notifyMatchFailure(
            op, "Mean and InvStdDev are not tensors of X's rank and type");
    }

    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto [mean, var] = meanAndVariance(rewriter, loc, op.getX(), reduced);
    auto statType = cast<RankedTensorType>(mean.getType());
    AffineMap statIdentity =
        rewriter.getMultiDimIdentityMap(statType.getRank());
    double epsilon = op.getEpsilon().convertToDouble();
    Value invStdDev = buildElementwise(
        rewriter, loc, statType,
        tensor::createDynamicDimValues(rewriter, loc, mean), ValueRange{var},
        {statIdentity}, [&](OpBuilder &b, Location l, ValueRange args) {
          Value eps = scalarConstant(b, l, elementType, epsilon);
          Value one = scalarConstant(b, l, elementType, 1.0);
          Value stddev = math::SqrtOp::create(
              b, l, arith::AddFOp::create(b, l, args[0], eps));
          return arith::DivFOp::create(b, l, one, stddev).getResult();
        });
    AffineMap kept = keptMap(reduced, ctx);
    SmallVector<Value> inputs = {op.getX(), mean, invStdDev};
    llvm::append_range(inputs, params);
    SmallVector<AffineMap> maps = {rewriter.getMultiDimIdentityMap(rank), kept,
                                   kept};
    llvm::append_range(maps, *paramMaps);
    Value y = buildElementwise(
        rewriter, loc, resultType,
        tensor::createDynamicDimValues(rewriter, loc, op.getX()), inputs, maps,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value centered = arith::SubFOp::create(b, l, args[0], args[1]);
          Value normalized = arith::MulFOp::create(b, l, centered, args[2]);
          Value scaled = arith::MulFOp::create(b, l, normalized, args[3]);
          if (!hasBias)
            return scaled;
          return arith::AddFOp::create(b, l, scaled, args[4]).getResult();
        });

    // Mean and InvStdDev with the normalized dimensions kept as 1s.
    SmallVector<OpFoldResult> xSizes =
        tensor::getMixedSizes(rewriter, loc, op.getX());
    SmallVector<OpFoldResult> sizes;
    for (auto [i, r] : llvm::enumerate(reduced))
      sizes.push_back(r ? rewriter.getIndexAttr(1) : xSizes[i]);
    for (auto [result, stat] : {std::pair(op.getMean(), mean),
                                std::pair(op.getInvStdDev(), invStdDev)}) {
      if (isa<NoneType>(result.getType()))
        continue;
      auto type = cast<RankedTensorType>(result.getType());
      Value expanded = tensor::ExpandShapeOp::create(
          rewriter, loc, type, stat, unitDimGroups(reduced),
          sizesForType(rewriter, loc, type, sizes));
      rewriter.replaceAllUsesWith(result, expanded);
    }
    rewriter.replaceAllUsesWith(op.getY(), y);
    rewriter.eraseOp(op);
    return success();
  }
};

} // namespace

void fqt::onnx_to_linalg::populateNormalizationPatterns(
    RewritePatternSet &patterns) {
  patterns.add<BatchNormToLinalg, LayerNormToLinalg>(patterns.getContext());
}
