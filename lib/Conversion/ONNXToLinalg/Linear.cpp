//===- Linear.cpp - Gemm, MatMul and Conv to linalg -----------------------===//
//
// Gemm and 2-D MatMul as linalg.matmul (linalg.transpose for transA and
// transB, a generic for alpha, beta and C); batched MatMul as a
// linalg.generic broadcasting the leading dimensions; 2-D Conv as tensor.pad
// + linalg.conv_2d_nchw_fchw + a bias generic (auto_pad SAME too), with
// group > 1 (depthwise included) as linalg.conv_2d_ngchw_gfchw on the
// channels split into [group, channels / group];
// ConvTranspose as a convolution of the stride-dilated input with the
// flipped kernel.
//
//===----------------------------------------------------------------------===//

#include "Patterns.h"

#include "ONNX/ONNXOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace fqt;
using namespace fqt::onnx;
using namespace fqt::onnx_to_linalg;

namespace {

/// The transpose of the matrix `v`.
static Value transpose2D(OpBuilder &b, Location loc, Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  auto transposedType = RankedTensorType::get(
      {type.getDimSize(1), type.getDimSize(0)}, type.getElementType());
  SmallVector<Value> dynSizes;
  for (int64_t i : {1, 0})
    if (type.isDynamicDim(i))
      dynSizes.push_back(tensor::DimOp::create(b, loc, v, i));
  Value init = tensor::EmptyOp::create(b, loc, transposedType, dynSizes);
  return linalg::TransposeOp::create(b, loc, v, init, ArrayRef<int64_t>{1, 0})
      .getResult()[0];
}

/// linalg.matmul of the matrices `a` (M x K) and `b` (K x N) into a zero
/// tensor of `resultType` (M x N).
static Value matmul2D(OpBuilder &b, Location loc, Value lhs, Value rhs,
                      RankedTensorType resultType) {
  SmallVector<Value> dynSizes;
  if (resultType.isDynamicDim(0))
    dynSizes.push_back(tensor::DimOp::create(b, loc, lhs, 0));
  if (resultType.isDynamicDim(1))
    dynSizes.push_back(tensor::DimOp::create(b, loc, rhs, 1));
  Value zero = scalarConstant(b, loc, resultType.getElementType(), 0.0);
  Value init = filledTensor(b, loc, resultType, dynSizes, zero);
  return linalg::MatmulOp::create(b, loc, TypeRange{resultType},
                                  ValueRange{lhs, rhs}, ValueRange{init})
      .getResult(0);
}

/// Checks that `values` are ranked tensors of `rank` (any rank when
/// negative) and of the element type `elementType`.
static bool rankedOf(ValueRange values, int64_t rank, Type elementType) {
  return llvm::all_of(values, [&](Value v) {
    auto type = dyn_cast<RankedTensorType>(v.getType());
    return type && (rank < 0 || type.getRank() == rank) &&
           type.getElementType() == elementType;
  });
}

struct GemmToLinalg : OpRewritePattern<ONNXGemmOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXGemmOp op,
                                PatternRewriter &rewriter) const override {
    auto resultType = dyn_cast<RankedTensorType>(op.getY().getType());
    if (!resultType || resultType.getRank() != 2 ||
        !isa<FloatType>(resultType.getElementType()))
      return rewriter.notifyMatchFailure(op,
                                         "result is not a 2-D float tensor");
    Type elementType = resultType.getElementType();
    if (!rankedOf({op.getA(), op.getB()}, 2, elementType))
      return rewriter.notifyMatchFailure(
          op, "A and B are not matrices of the result element type");
    bool hasC = !isa<NoneType>(op.getC().getType());
    if (hasC && !rankedOf(op.getC(), -1, elementType))
      return rewriter.notifyMatchFailure(
          op, "C is not a ranked tensor of the result element type");

    Location loc = op.getLoc();
    Value a = op.getA(), b = op.getB();
    if (op.getTransA() != 0)
      a = transpose2D(rewriter, loc, a);
    if (op.getTransB() != 0)
      b = transpose2D(rewriter, loc, b);
    Value product = matmul2D(rewriter, loc, a, b, resultType);

    double alpha = op.getAlpha().convertToDouble();
    double beta = op.getBeta().convertToDouble();
    if (alpha == 1.0 && (!hasC || beta == 0.0)) {
      rewriter.replaceOp(op, product);
      return success();
    }
    SmallVector<Value> operands = {product};
    if (hasC && beta != 0.0)
      operands.push_back(op.getC());
    FailureOr<Value> result = broadcastElementwise(
        rewriter, op, operands, resultType,
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          Value y = args[0];
          if (alpha != 1.0)
            y = arith::MulFOp::create(
                nb, nloc, scalarConstant(nb, nloc, elementType, alpha), y);
          if (args.size() == 1)
            return y;
          Value c = args[1];
          if (beta != 1.0)
            c = arith::MulFOp::create(
                nb, nloc, scalarConstant(nb, nloc, elementType, beta), c);
          return arith::AddFOp::create(nb, nloc, y, c).getResult();
        });
    if (failed(result))
      return failure();
    rewriter.replaceOp(op, *result);
    return success();
  }
};

struct MatMulToLinalg : OpRewritePattern<ONNXMatMulOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXMatMulOp op,
                                PatternRewriter &rewriter) const override {
    auto resultType = dyn_cast<RankedTensorType>(op.getY().getType());
    if (!resultType)
      return rewriter.notifyMatchFailure(op, "result is not a ranked tensor");
    Type elementType = resultType.getElementType();
    if (!isa<FloatType, IntegerType>(elementType))
      return rewriter.notifyMatchFailure(op, "unsupported element type");
    if (!rankedOf({op.getA(), op.getB()}, -1, elementType))
      return rewriter.notifyMatchFailure(
          op, "operands are not ranked tensors of the result element type");
    Location loc = op.getLoc();
    Value a = op.getA(), b = op.getB();
    auto aType = cast<RankedTensorType>(a.getType());
    auto bType = cast<RankedTensorType>(b.getType());
    int64_t aRank = aType.getRank(), bRank = bType.getRank();
    if (aRank == 0 || bRank == 0)
      return rewriter.notifyMatchFailure(op, "MatMul of a scalar");
    if (aRank == 2 && bRank == 2 && resultType.getRank() == 2) {
      rewriter.replaceOp(op, matmul2D(rewriter, loc, a, b, resultType));
      return success();
    }

    // Loops: result dimensions (batch..., m?, n?), then k.
    int64_t rank = resultType.getRank();
    int64_t numBatch = rank - (aRank >= 2) - (bRank >= 2);
    if (numBatch < 0 || numBatch < aRank - 2 || numBatch < bRank - 2)
      return rewriter.notifyMatchFailure(op,
                                         "result rank does not match operands");
    MLIRContext *ctx = rewriter.getContext();
    AffineExpr k = getAffineDimExpr(rank, ctx);
    auto batchExprs = [&](RankedTensorType type, int64_t operandBatch) {
      SmallVector<AffineExpr> exprs;
      for (int64_t i = 0; i < operandBatch; ++i) {
        int64_t d = numBatch - operandBatch + i;
        if (type.getDimSize(i) == 1 && resultType.getDimSize(d) != 1)
          exprs.push_back(getAffineConstantExpr(0, ctx));
        else
          exprs.push_back(getAffineDimExpr(d, ctx));
      }
      return exprs;
    };
    SmallVector<AffineExpr> aExprs, bExprs;
    if (aRank >= 2) {
      aExprs = batchExprs(aType, aRank - 2);
      aExprs.push_back(getAffineDimExpr(numBatch, ctx));
    }
    aExprs.push_back(k);
    if (bRank >= 2) {
      bExprs = batchExprs(bType, bRank - 2);
      bExprs.push_back(k);
      bExprs.push_back(getAffineDimExpr(rank - 1, ctx));
    } else {
      bExprs.push_back(k);
    }
    SmallVector<AffineMap> maps = {
        AffineMap::get(rank + 1, 0, aExprs, ctx),
        AffineMap::get(rank + 1, 0, bExprs, ctx),
        AffineMap::getMultiDimIdentityMap(rank + 1, ctx).getMajorSubMap(rank)};

    // Dynamic result sizes: batch from an operand not broadcast there, m
    // from A, n from B.
    SmallVector<Value> dynSizes;
    for (int64_t d = 0; d < rank; ++d) {
      if (!resultType.isDynamicDim(d))
        continue;
      Value size;
      if (d < numBatch) {
        for (auto [v, type, vRank] :
             {std::tuple(a, aType, aRank), std::tuple(b, bType, bRank)}) {
          int64_t i = d - (numBatch - (vRank - 2));
          if (vRank < 2 || i < 0 || type.getDimSize(i) == 1)
            continue;
          size = tensor::DimOp::create(rewriter, loc, v, i);
          break;
        }
        if (!size)
          size = arith::ConstantIndexOp::create(rewriter, loc, 1);
      } else if (d == numBatch && aRank >= 2) {
        size = tensor::DimOp::create(rewriter, loc, a, aRank - 2);
      } else {
        size = tensor::DimOp::create(rewriter, loc, b, bRank - 1);
      }
      dynSizes.push_back(size);
    }
    Value zero = scalarConstant(rewriter, loc, elementType, 0.0);
    Value init = filledTensor(rewriter, loc, resultType, dynSizes, zero);
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{resultType}, ValueRange{a, b},
        ValueRange{init}, maps, iterators,
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          Value sum;
          if (isa<FloatType>(elementType)) {
            Value mul = arith::MulFOp::create(nb, nloc, args[0], args[1]);
            sum = arith::AddFOp::create(nb, nloc, args[2], mul);
          } else {
            Value mul = arith::MulIOp::create(nb, nloc, args[0], args[1]);
            sum = arith::AddIOp::create(nb, nloc, args[2], mul);
          }
          linalg::YieldOp::create(nb, nloc, sum);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// The values of an optional INTS attribute, or `count` copies of
/// `fallback`.
static SmallVector<int64_t> intsOr(std::optional<ArrayAttr> attr, size_t count,
                                   int64_t fallback) {
  if (!attr)
    return SmallVector<int64_t>(count, fallback);
  return llvm::to_vector(llvm::map_range(
      *attr, [](Attribute a) { return cast<IntegerAttr>(a).getInt(); }));
}

/// `v` with dimension `dim` split into [group, size / group] (static
/// sizes except possibly dimension 0, which is never split).
static Value splitGroups(OpBuilder &b, Location loc, Value v, int64_t dim,
                         int64_t group) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape;
  SmallVector<ReassociationIndices> reassoc;
  for (int64_t d = 0, e = type.getRank(); d < e; ++d) {
    int64_t at = shape.size();
    if (d == dim) {
      shape.append({group, type.getDimSize(d) / group});
      reassoc.push_back({at, at + 1});
    } else {
      shape.push_back(type.getDimSize(d));
      reassoc.push_back({at});
    }
  }
  auto splitType = RankedTensorType::get(shape, type.getElementType());
  SmallVector<OpFoldResult> outputShape;
  for (int64_t d = 0, e = shape.size(); d < e; ++d)
    outputShape.push_back(
        ShapedType::isDynamic(shape[d])
            ? OpFoldResult(tensor::DimOp::create(b, loc, v, d).getResult())
            : OpFoldResult(b.getIndexAttr(shape[d])));
  return tensor::ExpandShapeOp::create(b, loc, splitType, v, reassoc,
                                       outputShape);
}

/// The grouped 2-D convolution of the padded NCHW `x` with the
/// [F, C / group, KH, KW] weight `w`: linalg.conv_2d_ngchw_gfchw on X as
/// [N, G, C / G, H, W] and W as [G, F / G, C / G, KH, KW], the result
/// [N, G, F / G, OH, OW] collapsed to `resultType`.
static Value groupedConv(OpBuilder &b, Location loc, Value x, Value w,
                         RankedTensorType resultType, ValueRange dynSizes,
                         int64_t group, ArrayRef<int64_t> strides,
                         ArrayRef<int64_t> dilations) {
  Value xg = splitGroups(b, loc, x, 1, group);
  Value wg = splitGroups(b, loc, w, 0, group);
  ArrayRef<int64_t> shape = resultType.getShape();
  auto groupedType = RankedTensorType::get(
      {shape[0], group, shape[1] / group, shape[2], shape[3]},
      resultType.getElementType());
  Value zero = scalarConstant(b, loc, resultType.getElementType(), 0.0);
  Value init = filledTensor(b, loc, groupedType, dynSizes, zero);
  Value conv =
      linalg::Conv2DNgchwGfchwOp::create(
          b, loc, TypeRange{groupedType}, ValueRange{xg, wg}, ValueRange{init},
          b.getI64TensorAttr(strides), b.getI64TensorAttr(dilations))
          .getResult(0);
  SmallVector<ReassociationIndices> reassoc = {{0}, {1, 2}, {3}, {4}};
  return tensor::CollapseShapeOp::create(b, loc, resultType, conv, reassoc);
}

struct ConvToLinalg : OpRewritePattern<ONNXConvOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXConvOp op,
                                PatternRewriter &rewriter) const override {
    auto resultType = dyn_cast<RankedTensorType>(op.getY().getType());
    if (!resultType || resultType.getRank() != 4 ||
        !isa<FloatType>(resultType.getElementType()))
      return rewriter.notifyMatchFailure(op,
                                         "result is not a 4-D float tensor");
    Type elementType = resultType.getElementType();
    if (!rankedOf({op.getX(), op.getW()}, 4, elementType))
      return rewriter.notifyMatchFailure(
          op, "only 2-D convolutions (NCHW input, FCHW weight) are lowered");
    int64_t group = op.getGroup();
    auto xType = cast<RankedTensorType>(op.getX().getType());
    auto wType = cast<RankedTensorType>(op.getW().getType());
    if (group < 1)
      return rewriter.notifyMatchFailure(op, "group is not positive");
    if (group != 1) {
      // Channels split into [group, channels / group]: X's channels, W's
      // output channels (dim 0) and the result's.
      int64_t c = xType.getDimSize(1), f = wType.getDimSize(0);
      if (ShapedType::isDynamic(c) || ShapedType::isDynamic(f) ||
          ShapedType::isDynamic(wType.getDimSize(1)))
        return rewriter.notifyMatchFailure(
            op, "grouped convolution with dynamic channels");
      if (c % group != 0 || f % group != 0 || c / group != wType.getDimSize(1))
        return rewriter.notifyMatchFailure(
            op, "channels do not split into the groups (X has C channels, W "
                "must be [F, C / group, ...] with F a multiple of group)");
    }
    StringRef autoPad = op.getAutoPad();
    if (autoPad != "NOTSET" && autoPad != "VALID" && autoPad != "SAME_UPPER" &&
        autoPad != "SAME_LOWER")
      return rewriter.notifyMatchFailure(op, "unknown auto_pad");
    if (resultType.isDynamicDim(1) || resultType.isDynamicDim(2) ||
        resultType.isDynamicDim(3))
      return rewriter.notifyMatchFailure(
          op, "dynamic channels or spatial output dimensions");
    bool hasBias = !isa<NoneType>(op.getB().getType());
    if (hasBias && !rankedOf(op.getB(), 1, elementType))
      return rewriter.notifyMatchFailure(op, "bias is not a 1-D tensor");

    SmallVector<int64_t> strides = intsOr(op.getStrides(), 2, 1);
    SmallVector<int64_t> dilations = intsOr(op.getDilations(), 2, 1);
    SmallVector<int64_t> pads = intsOr(op.getPads(), 4, 0);
    if (autoPad == "VALID")
      pads.assign(4, 0);
    if (strides.size() != 2 || dilations.size() != 2 || pads.size() != 4)
      return rewriter.notifyMatchFailure(
          op, "strides, dilations or pads do not have 2-D lengths");
    if (autoPad.starts_with("SAME")) {
      // Output ceil(in / stride); the odd padding at the end (UPPER) or the
      // beginning (LOWER).
      for (int i = 0; i < 2; ++i) {
        int64_t in = xType.getDimSize(2 + i), k = wType.getDimSize(2 + i);
        if (ShapedType::isDynamic(in) || ShapedType::isDynamic(k))
          return rewriter.notifyMatchFailure(
              op, "SAME padding of dynamic spatial dimensions");
        int64_t out = (in + strides[i] - 1) / strides[i];
        int64_t total = std::max<int64_t>(
            0, (out - 1) * strides[i] + (k - 1) * dilations[i] + 1 - in);
        pads[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
        pads[2 + i] = total - pads[i];
      }
    }

    Location loc = op.getLoc();
    Value x = op.getX();
    if (llvm::any_of(pads, [](int64_t p) { return p != 0; })) {
      auto xType = cast<RankedTensorType>(x.getType());
      SmallVector<int64_t> shape(xType.getShape());
      for (int i = 0; i < 2; ++i)
        if (!ShapedType::isDynamic(shape[2 + i]))
          shape[2 + i] += pads[i] + pads[2 + i];
      auto paddedType = RankedTensorType::get(shape, elementType);
      SmallVector<OpFoldResult> low = {
          rewriter.getIndexAttr(0), rewriter.getIndexAttr(0),
          rewriter.getIndexAttr(pads[0]), rewriter.getIndexAttr(pads[1])};
      SmallVector<OpFoldResult> high = {
          rewriter.getIndexAttr(0), rewriter.getIndexAttr(0),
          rewriter.getIndexAttr(pads[2]), rewriter.getIndexAttr(pads[3])};
      Value zero = scalarConstant(rewriter, loc, elementType, 0.0);
      x = tensor::PadOp::create(rewriter, loc, paddedType, x, low, high, zero);
    }

    SmallVector<Value> dynSizes;
    if (resultType.isDynamicDim(0))
      dynSizes.push_back(tensor::DimOp::create(rewriter, loc, op.getX(), 0));
    Value zero = scalarConstant(rewriter, loc, elementType, 0.0);
    Value conv;
    if (group == 1) {
      Value init = filledTensor(rewriter, loc, resultType, dynSizes, zero);
      conv = linalg::Conv2DNchwFchwOp::create(
                 rewriter, loc, TypeRange{resultType}, ValueRange{x, op.getW()},
                 ValueRange{init}, rewriter.getI64TensorAttr(strides),
                 rewriter.getI64TensorAttr(dilations))
                 .getResult(0);
    } else {
      conv = groupedConv(rewriter, loc, x, op.getW(), resultType, dynSizes,
                         group, strides, dilations);
    }
    if (hasBias) {
      MLIRContext *ctx = rewriter.getContext();
      SmallVector<AffineMap> maps = {
          rewriter.getMultiDimIdentityMap(4),
          AffineMap::get(4, 0, getAffineDimExpr(1, ctx), ctx)};
      conv = buildElementwise(
          rewriter, loc, resultType, dynSizes, ValueRange{conv, op.getB()},
          maps, [](OpBuilder &nb, Location nloc, ValueRange args) {
            return arith::AddFOp::create(nb, nloc, args[0], args[1])
                .getResult();
          });
    }
    rewriter.replaceOp(op, conv);
    return success();
  }
};

/// ConvTranspose (group 1, any spatial rank) as the convolution of the
/// input dilated by the strides (zeros between its elements, a strided
/// tensor.insert_slice), padded by (kernel - 1) * dilation less the pads
/// (cropped where that is negative), with the kernel flipped and its two
/// channel dimensions swapped.
struct ConvTransposeToLinalg : OpRewritePattern<ONNXConvTransposeOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXConvTransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto resultType = dyn_cast<RankedTensorType>(op.getY().getType());
    if (!resultType || resultType.getRank() < 3 ||
        !isa<FloatType>(resultType.getElementType()))
      return rewriter.notifyMatchFailure(
          op, "result is not a float tensor of rank >= 3");
    int64_t rank = resultType.getRank();
    int64_t r = rank - 2;
    Type elementType = resultType.getElementType();
    if (!rankedOf({op.getX(), op.getW()}, rank, elementType))
      return rewriter.notifyMatchFailure(
          op, "X and W are not tensors of the result's rank and type");
    if (op.getGroup() != 1)
      return rewriter.notifyMatchFailure(op, "group != 1 is not lowered");
    auto xType = cast<RankedTensorType>(op.getX().getType());
    auto wType = cast<RankedTensorType>(op.getW().getType());
    if (!wType.hasStaticShape() ||
        llvm::any_of(xType.getShape().drop_front(1), ShapedType::isDynamic) ||
        llvm::any_of(resultType.getShape().drop_front(1),
                     ShapedType::isDynamic))
      return rewriter.notifyMatchFailure(
          op, "dynamic channel or spatial dimensions, or a dynamic kernel");
    if (wType.getDimSize(0) != xType.getDimSize(1) ||
        wType.getDimSize(1) != resultType.getDimSize(1))
      return rewriter.notifyMatchFailure(
          op, "W is not [input channels, output channels, kernel...]");
    bool hasBias = !isa<NoneType>(op.getB().getType());
    if (hasBias && !rankedOf(op.getB(), 1, elementType))
      return rewriter.notifyMatchFailure(op, "bias is not a 1-D tensor");

    ArrayRef<int64_t> in = xType.getShape().drop_front(2);
    ArrayRef<int64_t> kernel = wType.getShape().drop_front(2);
    SmallVector<int64_t> strides = intsOr(op.getStrides(), r, 1);
    SmallVector<int64_t> dilations = intsOr(op.getDilations(), r, 1);
    SmallVector<int64_t> outputPadding = intsOr(op.getOutputPadding(), r, 0);
    SmallVector<int64_t> pads = intsOr(op.getPads(), 2 * r, 0);
    if (static_cast<int64_t>(strides.size()) != r ||
        static_cast<int64_t>(dilations.size()) != r ||
        static_cast<int64_t>(outputPadding.size()) != r ||
        static_cast<int64_t>(pads.size()) != 2 * r)
      return rewriter.notifyMatchFailure(
          op, "strides, dilations, output_padding or pads do not match");
    if (std::optional<ArrayAttr> shape = op.getKernelShape())
      if (intsOr(shape, r, 0) != SmallVector<int64_t>(kernel))
        return rewriter.notifyMatchFailure(op, "kernel_shape is not W's");
    StringRef autoPad = op.getAutoPad();
    std::optional<ArrayAttr> outputShape = op.getOutputShape();
    if (autoPad == "VALID") {
      pads.assign(2 * r, 0);
    } else if (outputShape || autoPad.starts_with("SAME")) {
      // The padding that gives output_shape (SAME: input * stride), split
      // with the odd one at the end for SAME_UPPER, else the beginning.
      SmallVector<int64_t> target = intsOr(outputShape, r, 0);
      if (static_cast<int64_t>(target.size()) != r)
        return rewriter.notifyMatchFailure(op, "output_shape length");
      for (int64_t i = 0; i < r; ++i) {
        if (!outputShape)
          target[i] = in[i] * strides[i];
        int64_t total = strides[i] * (in[i] - 1) + outputPadding[i] +
                        (kernel[i] - 1) * dilations[i] + 1 - target[i];
        int64_t half = llvm::divideFloorSigned(total, 2);
        pads[i] = autoPad == "SAME_UPPER" ? half : total - half;
        pads[r + i] = total - pads[i];
      }
    } else if (autoPad != "NOTSET") {
      return rewriter.notifyMatchFailure(op, "unknown auto_pad");
    }
    for (int64_t i = 0; i < r; ++i)
      if (resultType.getDimSize(2 + i) !=
          strides[i] * (in[i] - 1) + outputPadding[i] +
              (kernel[i] - 1) * dilations[i] + 1 - pads[i] - pads[r + i])
        return rewriter.notifyMatchFailure(op, "result size does not match");

    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value zero = scalarConstant(rewriter, loc, elementType, 0.0);
    SmallVector<Value> batch;
    if (xType.isDynamicDim(0))
      batch.push_back(tensor::DimOp::create(rewriter, loc, op.getX(), 0));

    // The dilated, padded input.
    SmallVector<int64_t> bufferShape(xType.getShape().take_front(2));
    SmallVector<OpFoldResult> offsets(2, rewriter.getIndexAttr(0));
    SmallVector<OpFoldResult> steps(2, rewriter.getIndexAttr(1));
    SmallVector<OpFoldResult> cropOffsets(2, rewriter.getIndexAttr(0));
    SmallVector<int64_t> croppedShape(xType.getShape().take_front(2));
    bool crop = false;
    for (int64_t i = 0; i < r; ++i) {
      int64_t dilated = strides[i] * (in[i] - 1) + 1;
      int64_t low = (kernel[i] - 1) * dilations[i] - pads[i];
      int64_t high =
          (kernel[i] - 1) * dilations[i] - pads[r + i] + outputPadding[i];
      bufferShape.push_back(std::max<int64_t>(low, 0) + dilated +
                            std::max<int64_t>(high, 0));
      offsets.push_back(rewriter.getIndexAttr(std::max<int64_t>(low, 0)));
      steps.push_back(rewriter.getIndexAttr(strides[i]));
      cropOffsets.push_back(rewriter.getIndexAttr(std::max<int64_t>(-low, 0)));
      croppedShape.push_back(dilated + low + high);
      crop |= low < 0 || high < 0;
    }
    Value input = filledTensor(rewriter, loc,
                               RankedTensorType::get(bufferShape, elementType),
                               batch, zero);
    input = tensor::InsertSliceOp::create(
        rewriter, loc, op.getX(), input, offsets,
        tensor::getMixedSizes(rewriter, loc, op.getX()), steps);
    if (crop) {
      SmallVector<OpFoldResult> sizes =
          tensor::getMixedSizes(rewriter, loc, input);
      for (int64_t i = 0; i < r; ++i)
        sizes[2 + i] = rewriter.getIndexAttr(croppedShape[2 + i]);
      input = tensor::ExtractSliceOp::create(
          rewriter, loc, input, cropOffsets, sizes,
          SmallVector<OpFoldResult>(rank, rewriter.getIndexAttr(1)));
    }

    // The kernel, [out channels, in channels, flipped window...].
    SmallVector<int64_t> flippedShape = {wType.getDimSize(1),
                                         wType.getDimSize(0)};
    llvm::append_range(flippedShape, kernel);
    SmallVector<AffineExpr> flip = {getAffineDimExpr(1, ctx),
                                    getAffineDimExpr(0, ctx)};
    for (int64_t i = 0; i < r; ++i)
      flip.push_back(kernel[i] - 1 - getAffineDimExpr(2 + i, ctx));
    Value flipped = buildElementwise(
        rewriter, loc, RankedTensorType::get(flippedShape, elementType), {},
        op.getW(), {AffineMap::get(rank, 0, flip, ctx)},
        [](OpBuilder &, Location, ValueRange args) { return args[0]; });

    // The convolution: loops (n, m, out..., c, window...).
    int64_t loops = 2 + 2 * r + 1;
    AffineExpr n = getAffineDimExpr(0, ctx), m = getAffineDimExpr(1, ctx),
               c = getAffineDimExpr(2 + r, ctx);
    SmallVector<AffineExpr> xExprs = {n, c}, wExprs = {m, c}, yExprs = {n, m};
    for (int64_t i = 0; i < r; ++i) {
      AffineExpr out = getAffineDimExpr(2 + i, ctx);
      AffineExpr win = getAffineDimExpr(3 + r + i, ctx);
      xExprs.push_back(out + win * dilations[i]);
      wExprs.push_back(win);
      yExprs.push_back(out);
    }
    SmallVector<utils::IteratorType> iterators(2 + r,
                                               utils::IteratorType::parallel);
    iterators.append(1 + r, utils::IteratorType::reduction);
    Value init = filledTensor(rewriter, loc, resultType, batch, zero);
    Value result =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{resultType}, ValueRange{input, flipped},
            ValueRange{init},
            {AffineMap::get(loops, 0, xExprs, ctx),
             AffineMap::get(loops, 0, wExprs, ctx),
             AffineMap::get(loops, 0, yExprs, ctx)},
            iterators,
            [](OpBuilder &b, Location l, ValueRange args) {
              Value product = arith::MulFOp::create(b, l, args[0], args[1]);
              linalg::YieldOp::create(
                  b, l,
                  ValueRange{arith::AddFOp::create(b, l, args[2], product)});
            })
            .getResult(0);
    if (hasBias) {
      SmallVector<AffineMap> maps = {
          rewriter.getMultiDimIdentityMap(rank),
          AffineMap::get(rank, 0, getAffineDimExpr(1, ctx), ctx)};
      result = buildElementwise(
          rewriter, loc, resultType, batch, ValueRange{result, op.getB()}, maps,
          [](OpBuilder &b, Location l, ValueRange args) {
            return arith::AddFOp::create(b, l, args[0], args[1]).getResult();
          });
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void fqt::onnx_to_linalg::populateLinearPatterns(RewritePatternSet &patterns) {
  patterns
      .add<GemmToLinalg, MatMulToLinalg, ConvToLinalg, ConvTransposeToLinalg>(
          patterns.getContext());
}
