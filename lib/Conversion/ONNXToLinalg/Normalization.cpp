//===- Normalization.cpp - BatchNormalization to linalg.generic -----------===//
//
// Inference-mode BatchNormalization as one generic:
// y = (x - mean) * scale / sqrt(var + epsilon) + B, per channel (dim 1).
//
//===----------------------------------------------------------------------===//

#include "Patterns.h"

#include "ONNX/ONNXOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/Utils/Utils.h"

using namespace mlir;
using namespace fqt;
using namespace fqt::onnx;
using namespace fqt::onnx_to_linalg;

namespace {

struct BatchNormToLinalg : OpRewritePattern<ONNXBatchNormalizationOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXBatchNormalizationOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getTrainingMode() != 0)
      return rewriter.notifyMatchFailure(op, "training mode is not lowered");
    if (!op.getRunningMean().use_empty() || !op.getRunningVar().use_empty())
      return rewriter.notifyMatchFailure(op, "running statistics are used");
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
    // The unused optional outputs: whatever they are, they have no uses.
    rewriter.replaceAllUsesWith(op.getY(), result);
    rewriter.eraseOp(op);
    return success();
  }
};

} // namespace

void fqt::onnx_to_linalg::populateNormalizationPatterns(
    RewritePatternSet &patterns) {
  patterns.add<BatchNormToLinalg>(patterns.getContext());
}
