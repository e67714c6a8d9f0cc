//===- Pooling.cpp - MaxPool and AveragePool to linalg pooling ------------===//
//
// 2-D MaxPool as tensor.pad (-inf) + linalg.pooling_nchw_max; AveragePool
// as tensor.pad (0) + linalg.pooling_nchw_sum divided by the window size.
//
//===----------------------------------------------------------------------===//

#include "Patterns.h"

#include "ONNX/ONNXOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Utils/Utils.h"

using namespace mlir;
using namespace fqt;
using namespace fqt::onnx;
using namespace fqt::onnx_to_linalg;

namespace {

static SmallVector<int64_t> intsOr(std::optional<ArrayAttr> attr, size_t count,
                                   int64_t fallback) {
  if (!attr)
    return SmallVector<int64_t>(count, fallback);
  return llvm::to_vector(llvm::map_range(
      *attr, [](Attribute a) { return cast<IntegerAttr>(a).getInt(); }));
}

/// The window of a 2-D pooling op, checked against its operand and result.
struct Window {
  SmallVector<int64_t> kernel, strides, dilations, padLow, padHigh;
};

/// Fills `window` for `x` pooled into `resultType`; the high padding grows
/// to cover the last window (ceil_mode). Fails with the reason on `op`.
static LogicalResult getWindow(PatternRewriter &rewriter, Operation *op,
                               Value x, RankedTensorType resultType,
                               StringRef autoPad, ArrayAttr kernelShape,
                               std::optional<ArrayAttr> strides,
                               std::optional<ArrayAttr> dilations,
                               std::optional<ArrayAttr> pads, Window &window) {
  auto xType = dyn_cast<RankedTensorType>(x.getType());
  if (!xType || xType.getRank() != 4 || resultType.getRank() != 4 ||
      !isa<FloatType>(xType.getElementType()) ||
      xType.getElementType() != resultType.getElementType())
    return rewriter.notifyMatchFailure(
        op, "only 2-D NCHW float pooling is lowered");
  if (autoPad != "NOTSET" && autoPad != "VALID")
    return rewriter.notifyMatchFailure(op, "SAME auto_pad is not lowered");
  for (int64_t d = 1; d < 4; ++d)
    if (xType.isDynamicDim(d) || resultType.isDynamicDim(d))
      return rewriter.notifyMatchFailure(
          op, "dynamic channel or spatial dimensions");
  window.kernel = intsOr(kernelShape, 2, 1);
  window.strides = intsOr(strides, 2, 1);
  window.dilations = intsOr(dilations, 2, 1);
  SmallVector<int64_t> allPads = intsOr(pads, 4, 0);
  if (autoPad == "VALID")
    allPads.assign(4, 0);
  if (window.kernel.size() != 2 || window.strides.size() != 2 ||
      window.dilations.size() != 2 || allPads.size() != 4)
    return rewriter.notifyMatchFailure(
        op, "kernel, strides, dilations or pads are not 2-D");
  window.padLow = {allPads[0], allPads[1]};
  window.padHigh = {allPads[2], allPads[3]};
  for (int i = 0; i < 2; ++i) {
    int64_t needed = (resultType.getDimSize(2 + i) - 1) * window.strides[i] +
                     (window.kernel[i] - 1) * window.dilations[i] + 1;
    int64_t padded =
        xType.getDimSize(2 + i) + window.padLow[i] + window.padHigh[i];
    if (needed > padded)
      window.padHigh[i] += needed - padded;
  }
  return success();
}

/// `x` padded by `window` with `value`, or `x` itself.
static Value pad(OpBuilder &b, Location loc, Value x, const Window &window,
                 Value value) {
  if (llvm::all_of(window.padLow, [](int64_t p) { return p == 0; }) &&
      llvm::all_of(window.padHigh, [](int64_t p) { return p == 0; }))
    return x;
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape(type.getShape());
  SmallVector<OpFoldResult> low = {b.getIndexAttr(0), b.getIndexAttr(0)};
  SmallVector<OpFoldResult> high = {b.getIndexAttr(0), b.getIndexAttr(0)};
  for (int i = 0; i < 2; ++i) {
    shape[2 + i] += window.padLow[i] + window.padHigh[i];
    low.push_back(b.getIndexAttr(window.padLow[i]));
    high.push_back(b.getIndexAttr(window.padHigh[i]));
  }
  auto paddedType = RankedTensorType::get(shape, type.getElementType());
  return tensor::PadOp::create(b, loc, paddedType, x, low, high, value);
}

/// The operands of a linalg NCHW pooling op: `x` padded with `padValue`,
/// the output filled with `padValue` (the reduction's identity), and the
/// window as an empty kernel tensor.
struct PoolOperands {
  Value input, init, kernel;
};
static PoolOperands poolOperands(OpBuilder &b, Location loc, Value x,
                                 const Window &window,
                                 RankedTensorType resultType, Value padValue) {
  SmallVector<Value> dynSizes;
  if (resultType.isDynamicDim(0))
    dynSizes.push_back(tensor::DimOp::create(b, loc, x, 0));
  return {pad(b, loc, x, window, padValue),
          filledTensor(b, loc, resultType, dynSizes, padValue),
          tensor::EmptyOp::create(b, loc, window.kernel,
                                  resultType.getElementType())};
}

struct MaxPoolToLinalg : OpRewritePattern<ONNXMaxPoolOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXMaxPoolOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.getIndices().use_empty())
      return rewriter.notifyMatchFailure(op, "Indices output is used");
    auto resultType = dyn_cast<RankedTensorType>(op.getY().getType());
    if (!resultType)
      return rewriter.notifyMatchFailure(op, "result is not a ranked tensor");
    Window window;
    if (failed(getWindow(rewriter, op, op.getX(), resultType, op.getAutoPad(),
                         op.getKernelShape(), op.getStrides(),
                         op.getDilations(), op.getPads(), window)))
      return failure();
    Location loc = op.getLoc();
    auto elementType = cast<FloatType>(resultType.getElementType());
    Value negInf = arith::ConstantOp::create(
        rewriter, loc,
        rewriter.getFloatAttr(
            elementType,
            APFloat::getInf(elementType.getFloatSemantics(), true)));
    PoolOperands pool =
        poolOperands(rewriter, loc, op.getX(), window, resultType, negInf);
    Value result =
        linalg::PoolingNchwMaxOp::create(
            rewriter, loc, TypeRange{resultType},
            ValueRange{pool.input, pool.kernel}, ValueRange{pool.init},
            rewriter.getI64TensorAttr(window.strides),
            rewriter.getI64TensorAttr(window.dilations))
            .getResult(0);
    rewriter.replaceAllUsesWith(op.getY(), result);
    rewriter.eraseOp(op);
    return success();
  }
};

struct AveragePoolToLinalg : OpRewritePattern<ONNXAveragePoolOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXAveragePoolOp op,
                                PatternRewriter &rewriter) const override {
    auto resultType = dyn_cast<RankedTensorType>(op.getY().getType());
    if (!resultType)
      return rewriter.notifyMatchFailure(op, "result is not a ranked tensor");
    Window window;
    if (failed(getWindow(rewriter, op, op.getX(), resultType, op.getAutoPad(),
                         op.getKernelShape(), op.getStrides(),
                         /*dilations=*/std::nullopt, op.getPads(), window)))
      return failure();
    SmallVector<int64_t> declaredPads = intsOr(op.getPads(), 4, 0);
    bool padded = llvm::any_of(window.padLow, [](int64_t p) { return p; }) ||
                  llvm::any_of(window.padHigh, [](int64_t p) { return p; });
    bool ceilPadded = window.padHigh[0] != declaredPads[2] ||
                      window.padHigh[1] != declaredPads[3];
    if (padded && (op.getCountIncludePad() == 0 || ceilPadded))
      return rewriter.notifyMatchFailure(
          op, "padded windows that exclude the padding from the count");
    Location loc = op.getLoc();
    Type elementType = resultType.getElementType();
    Value zero = scalarConstant(rewriter, loc, elementType, 0.0);
    PoolOperands pool =
        poolOperands(rewriter, loc, op.getX(), window, resultType, zero);
    Value sum = linalg::PoolingNchwSumOp::create(
                    rewriter, loc, TypeRange{resultType},
                    ValueRange{pool.input, pool.kernel}, ValueRange{pool.init},
                    rewriter.getI64TensorAttr(window.strides),
                    rewriter.getI64TensorAttr(window.dilations))
                    .getResult(0);
    double count = double(window.kernel[0] * window.kernel[1]);
    Value result = buildElementwise(
        rewriter, loc, resultType,
        tensor::createDynamicDimValues(rewriter, loc, sum), ValueRange{sum},
        {rewriter.getMultiDimIdentityMap(4)},
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value c = scalarConstant(b, l, elementType, count);
          return arith::DivFOp::create(b, l, args[0], c).getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void fqt::onnx_to_linalg::populatePoolingPatterns(RewritePatternSet &patterns) {
  patterns.add<MaxPoolToLinalg, AveragePoolToLinalg>(patterns.getContext());
}
