//===- Pooling.cpp - MaxPool and AveragePool to linalg --------------------===//
//
// N-D pooling over NC<spatial> tensors: the input padded with the
// reduction's identity (explicit pads, auto_pad SAME_UPPER / SAME_LOWER, and
// the extra high padding ceil_mode's last window needs), then 2-D float
// pooling as linalg.pooling_nchw_max / linalg.pooling_nchw_sum and every
// other case (1-D, 3-D, integers, MaxPool's Indices) as a linalg.generic
// over the output and window dimensions. AveragePool divides by the window
// size, or by each window's count of counted (not padding) elements.
//
//===----------------------------------------------------------------------===//

#include "Patterns.h"

#include "ONNX/ONNXOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
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

/// The window of an N-D pooling op, checked against its operand and result.
/// `padHigh` includes the padding ceil_mode's last window needs beyond the
/// declared (or auto_pad) `countedHigh`.
struct Window {
  SmallVector<int64_t> kernel, strides, dilations, padLow, padHigh, countedHigh;
  int64_t spatialRank() const { return kernel.size(); }
};

/// Fills `window` for `x` pooled into `resultType`. Fails with the reason
/// on `op`.
static LogicalResult getWindow(PatternRewriter &rewriter, Operation *op,
                               Value x, RankedTensorType resultType,
                               StringRef autoPad, ArrayAttr kernelShape,
                               std::optional<ArrayAttr> strides,
                               std::optional<ArrayAttr> dilations,
                               std::optional<ArrayAttr> pads, Window &window) {
  auto xType = dyn_cast<RankedTensorType>(x.getType());
  if (!xType || xType.getRank() < 3 ||
      resultType.getRank() != xType.getRank() ||
      xType.getElementType() != resultType.getElementType())
    return rewriter.notifyMatchFailure(
        op, "operand and result are not N, C, spatial tensors of one type");
  int64_t rank = xType.getRank();
  int64_t k = rank - 2;
  for (int64_t d = 2; d < rank; ++d)
    if (xType.isDynamicDim(d) || resultType.isDynamicDim(d))
      return rewriter.notifyMatchFailure(op, "dynamic spatial dimensions");
  window.kernel = intsOr(kernelShape, k, 1);
  window.strides = intsOr(strides, k, 1);
  window.dilations = intsOr(dilations, k, 1);
  SmallVector<int64_t> allPads = intsOr(pads, 2 * k, 0);
  if (static_cast<int64_t>(window.kernel.size()) != k ||
      static_cast<int64_t>(window.strides.size()) != k ||
      static_cast<int64_t>(window.dilations.size()) != k ||
      static_cast<int64_t>(allPads.size()) != 2 * k)
    return rewriter.notifyMatchFailure(
        op, "kernel, strides, dilations or pads do not match the rank");
  if (llvm::any_of(window.kernel, [](int64_t v) { return v < 1; }) ||
      llvm::any_of(window.strides, [](int64_t v) { return v < 1; }) ||
      llvm::any_of(window.dilations, [](int64_t v) { return v < 1; }) ||
      llvm::any_of(allPads, [](int64_t v) { return v < 0; }))
    return rewriter.notifyMatchFailure(op, "invalid window attributes");
  window.padLow.assign(allPads.begin(), allPads.begin() + k);
  window.padHigh.assign(allPads.begin() + k, allPads.end());
  if (autoPad == "VALID") {
    window.padLow.assign(k, 0);
    window.padHigh.assign(k, 0);
  } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    // Output size ceil(in / stride); the total padding is split evenly,
    // the odd one at the end (UPPER) or the beginning (LOWER).
    for (int64_t i = 0; i < k; ++i) {
      int64_t in = xType.getDimSize(2 + i);
      int64_t out = (in + window.strides[i] - 1) / window.strides[i];
      int64_t total = std::max<int64_t>(
          0, (out - 1) * window.strides[i] +
                 (window.kernel[i] - 1) * window.dilations[i] + 1 - in);
      int64_t small = total / 2;
      window.padLow[i] = autoPad == "SAME_UPPER" ? small : total - small;
      window.padHigh[i] = total - window.padLow[i];
    }
  } else if (autoPad != "NOTSET") {
    return rewriter.notifyMatchFailure(op, "unknown auto_pad");
  }
  window.countedHigh = window.padHigh;
  for (int64_t i = 0; i < k; ++i) {
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
  for (int64_t i = 0; i < window.spatialRank(); ++i) {
    shape[2 + i] += window.padLow[i] + window.padHigh[i];
    low.push_back(b.getIndexAttr(window.padLow[i]));
    high.push_back(b.getIndexAttr(window.padHigh[i]));
  }
  auto paddedType = RankedTensorType::get(shape, type.getElementType());
  return tensor::PadOp::create(b, loc, paddedType, x, low, high, value);
}

/// The dynamic N and C sizes of `resultType`, from `x`.
static SmallVector<Value> batchAndChannelSizes(OpBuilder &b, Location loc,
                                               Value x,
                                               RankedTensorType resultType) {
  SmallVector<Value> dynSizes;
  for (int64_t d : {0, 1})
    if (resultType.isDynamicDim(d))
      dynSizes.push_back(tensor::DimOp::create(b, loc, x, d));
  return dynSizes;
}

/// The identity of the max reduction over `type`: -inf, the smallest signed
/// integer, or 0 for unsigned ones.
static Value maxIdentity(OpBuilder &b, Location loc, Type type,
                         bool isUnsigned) {
  if (auto floatType = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(
        b, loc,
        b.getFloatAttr(floatType, APFloat::getInf(floatType.getFloatSemantics(),
                                                  /*Negative=*/true)));
  unsigned width = type.getIntOrFloatBitWidth();
  APInt value =
      isUnsigned ? APInt::getZero(width) : APInt::getSignedMinValue(width);
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(type, value));
}

/// The maps of a pooling generic over (n, c, out..., window...): the padded
/// input at (n, c, out * stride + window * dilation), the window operand, and
/// the output.
static SmallVector<AffineMap> poolingMaps(MLIRContext *ctx,
                                          const Window &window) {
  int64_t k = window.spatialRank();
  int64_t loops = 2 + 2 * k;
  SmallVector<AffineExpr> input = {getAffineDimExpr(0, ctx),
                                   getAffineDimExpr(1, ctx)};
  SmallVector<AffineExpr> kernel, output = input;
  for (int64_t i = 0; i < k; ++i) {
    AffineExpr out = getAffineDimExpr(2 + i, ctx);
    AffineExpr win = getAffineDimExpr(2 + k + i, ctx);
    input.push_back(out * window.strides[i] + win * window.dilations[i]);
    kernel.push_back(win);
    output.push_back(out);
  }
  return {AffineMap::get(loops, 0, input, ctx),
          AffineMap::get(loops, 0, kernel, ctx),
          AffineMap::get(loops, 0, output, ctx)};
}

static SmallVector<utils::IteratorType> poolingIterators(int64_t k) {
  SmallVector<utils::IteratorType> iterators(2 + k,
                                             utils::IteratorType::parallel);
  iterators.append(k, utils::IteratorType::reduction);
  return iterators;
}

struct MaxPoolToLinalg : OpRewritePattern<ONNXMaxPoolOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXMaxPoolOp op,
                                PatternRewriter &rewriter) const override {
    auto resultType = dyn_cast<RankedTensorType>(op.getY().getType());
    if (!resultType ||
        !isa<FloatType, IntegerType>(resultType.getElementType()))
      return rewriter.notifyMatchFailure(op, "result is not a numeric tensor");
    bool hasIndices = !op.getIndices().use_empty();
    auto indicesType = dyn_cast<RankedTensorType>(op.getIndices().getType());
    if (hasIndices &&
        (!indicesType || indicesType.getShape() != resultType.getShape() ||
         !indicesType.getElementType().isInteger(64)))
      return rewriter.notifyMatchFailure(
          op, "Indices is not an i64 tensor of Y's shape");
    Window window;
    if (failed(getWindow(rewriter, op, op.getX(), resultType, op.getAutoPad(),
                         op.getKernelShape(), op.getStrides(),
                         op.getDilations(), op.getPads(), window)))
      return failure();
    Location loc = op.getLoc();
    Type elementType = resultType.getElementType();
    bool isUnsigned = isUnsignedOperand(op, 0);
    Value identity = maxIdentity(rewriter, loc, elementType, isUnsigned);
    Value padded = pad(rewriter, loc, op.getX(), window, identity);
    SmallVector<Value> dynSizes =
        batchAndChannelSizes(rewriter, loc, op.getX(), resultType);
    Value init = filledTensor(rewriter, loc, resultType, dynSizes, identity);
    Value kernel =
        tensor::EmptyOp::create(rewriter, loc, window.kernel, elementType);

    if (window.spatialRank() == 2 && isa<FloatType>(elementType) &&
        !hasIndices) {
      Value result =
          linalg::PoolingNchwMaxOp::create(
              rewriter, loc, TypeRange{resultType}, ValueRange{padded, kernel},
              ValueRange{init}, rewriter.getI64TensorAttr(window.strides),
              rewriter.getI64TensorAttr(window.dilations))
              .getResult(0);
      rewriter.replaceAllUsesWith(op.getY(), result);
      rewriter.eraseOp(op);
      return success();
    }

    SmallVector<AffineMap> maps = poolingMaps(rewriter.getContext(), window);
    SmallVector<Value> outputs = {init};
    SmallVector<Type> types = {resultType};
    if (hasIndices) {
      maps.push_back(maps.back());
      Value zero = arith::ConstantIntOp::create(rewriter, loc, 0, 64);
      outputs.push_back(
          filledTensor(rewriter, loc, indicesType, dynSizes, zero));
      types.push_back(indicesType);
    }
    int64_t k = window.spatialRank();
    OpFoldResult channels =
        tensor::getMixedSize(rewriter, loc, op.getX(), /*dim=*/1);
    ArrayRef<int64_t> spatial =
        cast<RankedTensorType>(op.getX().getType()).getShape().drop_front(2);
    bool columnMajor = op.getStorageOrder() != 0;
    auto generic = linalg::GenericOp::create(
        rewriter, loc, types, ValueRange{padded, kernel}, outputs, maps,
        poolingIterators(k), [&](OpBuilder &b, Location l, ValueRange args) {
          Value x = args[0], current = args[2];
          Value greater;
          if (isa<FloatType>(elementType))
            greater = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x,
                                            current);
          else
            greater =
                arith::CmpIOp::create(b, l,
                                      isUnsigned ? arith::CmpIPredicate::ugt
                                                 : arith::CmpIPredicate::sgt,
                                      x, current);
          SmallVector<Value> results = {
              arith::SelectOp::create(b, l, greater, x, current)};
          if (hasIndices) {
            // The position in the unpadded input: (n * C + c) * image +
            // the spatial position, row-major (storage_order 0) or
            // column-major.
            SmallVector<Value> ivs = loopIndices(b, l, 2 + 2 * k);
            auto constant = [&](int64_t v) {
              return arith::ConstantIndexOp::create(b, l, v);
            };
            SmallVector<Value> at;
            int64_t image = 1;
            for (int64_t i = 0; i < k; ++i) {
              Value outer = arith::MulIOp::create(b, l, ivs[2 + i],
                                                  constant(window.strides[i]));
              Value inner = arith::MulIOp::create(
                  b, l, ivs[2 + k + i], constant(window.dilations[i]));
              at.push_back(arith::SubIOp::create(
                  b, l, arith::AddIOp::create(b, l, outer, inner),
                  constant(window.padLow[i])));
              image *= spatial[i];
            }
            Value position = arith::AddIOp::create(
                b, l,
                arith::MulIOp::create(
                    b, l, ivs[0],
                    getValueOrCreateConstantIndexOp(b, l, channels)),
                ivs[1]);
            position = arith::MulIOp::create(b, l, position, constant(image));
            Value inImage = constant(0);
            for (int64_t n = 0; n < k; ++n) {
              int64_t i = columnMajor ? k - 1 - n : n;
              inImage = arith::AddIOp::create(
                  b, l,
                  arith::MulIOp::create(b, l, inImage, constant(spatial[i])),
                  at[i]);
            }
            position = arith::AddIOp::create(b, l, position, inImage);
            results.push_back(arith::SelectOp::create(
                b, l, greater, toI64(b, l, position), args[3]));
          }
          linalg::YieldOp::create(b, l, results);
        });
    rewriter.replaceAllUsesWith(op.getY(), generic.getResult(0));
    if (hasIndices)
      rewriter.replaceAllUsesWith(op.getIndices(), generic.getResult(1));
    rewriter.eraseOp(op);
    return success();
  }
};

/// For each output position along one spatial dimension, how many window
/// elements fall in [lo, hi) of the input's coordinates.
static SmallVector<int64_t> countsAlong(const Window &window, int64_t i,
                                        int64_t outSize, int64_t lo,
                                        int64_t hi) {
  SmallVector<int64_t> counts;
  for (int64_t o = 0; o < outSize; ++o) {
    int64_t count = 0;
    for (int64_t w = 0; w < window.kernel[i]; ++w) {
      int64_t at =
          o * window.strides[i] + w * window.dilations[i] - window.padLow[i];
      count += at >= lo && at < hi;
    }
    counts.push_back(count);
  }
  return counts;
}

struct AveragePoolToLinalg : OpRewritePattern<ONNXAveragePoolOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXAveragePoolOp op,
                                PatternRewriter &rewriter) const override {
    auto resultType = dyn_cast<RankedTensorType>(op.getY().getType());
    if (!resultType || !isa<FloatType>(resultType.getElementType()))
      return rewriter.notifyMatchFailure(op, "result is not a float tensor");
    Window window;
    if (failed(getWindow(rewriter, op, op.getX(), resultType, op.getAutoPad(),
                         op.getKernelShape(), op.getStrides(),
                         /*dilations=*/std::nullopt, op.getPads(), window)))
      return failure();
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto elementType = cast<FloatType>(resultType.getElementType());
    Value zero = scalarConstant(rewriter, loc, elementType, 0.0);
    Value padded = pad(rewriter, loc, op.getX(), window, zero);
    SmallVector<Value> dynSizes =
        batchAndChannelSizes(rewriter, loc, op.getX(), resultType);
    Value init = filledTensor(rewriter, loc, resultType, dynSizes, zero);
    Value kernel =
        tensor::EmptyOp::create(rewriter, loc, window.kernel, elementType);
    int64_t k = window.spatialRank();
    Value sum;
    if (k == 2) {
      sum =
          linalg::PoolingNchwSumOp::create(
              rewriter, loc, TypeRange{resultType}, ValueRange{padded, kernel},
              ValueRange{init}, rewriter.getI64TensorAttr(window.strides),
              rewriter.getI64TensorAttr(window.dilations))
              .getResult(0);
    } else {
      sum =
          linalg::GenericOp::create(
              rewriter, loc, TypeRange{resultType}, ValueRange{padded, kernel},
              ValueRange{init}, poolingMaps(ctx, window), poolingIterators(k),
              [](OpBuilder &b, Location l, ValueRange args) {
                Value added = arith::AddFOp::create(b, l, args[0], args[2]);
                linalg::YieldOp::create(b, l, added);
              })
              .getResult(0);
    }

    // The count of each window: the elements in the input, or with
    // count_include_pad also the declared padding, never ceil_mode's.
    auto xType = cast<RankedTensorType>(op.getX().getType());
    bool includePad = op.getCountIncludePad() != 0;
    SmallVector<SmallVector<int64_t>> counts;
    bool uniform = true;
    int64_t full = 1;
    for (int64_t i = 0; i < k; ++i) {
      int64_t in = xType.getDimSize(2 + i);
      int64_t lo = includePad ? -window.padLow[i] : 0;
      int64_t hi = includePad ? in + window.countedHigh[i] : in;
      counts.push_back(
          countsAlong(window, i, resultType.getDimSize(2 + i), lo, hi));
      full *= window.kernel[i];
      uniform &= llvm::all_of(counts.back(),
                              [&](int64_t c) { return c == window.kernel[i]; });
    }
    int64_t rank = resultType.getRank();
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    Value result;
    if (uniform) {
      result = buildElementwise(
          rewriter, loc, resultType,
          tensor::createDynamicDimValues(rewriter, loc, sum), ValueRange{sum},
          {identity}, [&](OpBuilder &b, Location l, ValueRange args) {
            Value c = scalarConstant(b, l, elementType, double(full));
            return arith::DivFOp::create(b, l, args[0], c).getResult();
          });
    } else {
      // A constant of the counts over the output's spatial dimensions.
      SmallVector<int64_t> spatial(resultType.getShape().drop_front(2));
      SmallVector<APFloat> values;
      for (int64_t flat = 0, e = ShapedType::getNumElements(spatial); flat < e;
           ++flat) {
        int64_t rest = flat, count = 1;
        for (int64_t i = k - 1; i >= 0; --i) {
          count *= counts[i][rest % spatial[i]];
          rest /= spatial[i];
        }
        APFloat value(static_cast<double>(count));
        bool losesInfo;
        value.convert(elementType.getFloatSemantics(),
                      APFloat::rmNearestTiesToEven, &losesInfo);
        values.push_back(value);
      }
      Value countTensor = arith::ConstantOp::create(
          rewriter, loc,
          DenseElementsAttr::get(RankedTensorType::get(spatial, elementType),
                                 values));
      SmallVector<AffineExpr> exprs;
      for (int64_t i = 0; i < k; ++i)
        exprs.push_back(getAffineDimExpr(2 + i, ctx));
      result = buildElementwise(
          rewriter, loc, resultType,
          tensor::createDynamicDimValues(rewriter, loc, sum),
          ValueRange{sum, countTensor},
          {identity, AffineMap::get(rank, 0, exprs, ctx)},
          [](OpBuilder &b, Location l, ValueRange args) {
            return arith::DivFOp::create(b, l, args[0], args[1]).getResult();
          });
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void fqt::onnx_to_linalg::populatePoolingPatterns(RewritePatternSet &patterns) {
  patterns.add<MaxPoolToLinalg, AveragePoolToLinalg>(patterns.getContext());
}
