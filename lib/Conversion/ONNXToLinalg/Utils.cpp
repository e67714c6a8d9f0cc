//===- Utils.cpp - helpers shared by the onnx to linalg patterns ----------===//

#include "Patterns.h"

#include "ONNX/ONNXOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace fqt;
using namespace fqt::onnx;

namespace fqt::onnx_to_linalg {

std::optional<SmallVector<bool>> axesMask(ArrayRef<int64_t> axes,
                                          int64_t rank) {
  SmallVector<bool> mask(rank, false);
  for (int64_t axis : axes) {
    if (axis < 0)
      axis += rank;
    if (axis < 0 || axis >= rank || mask[axis])
      return std::nullopt;
    mask[axis] = true;
  }
  return mask;
}

Value scalarConstant(OpBuilder &b, Location loc, Type type, double value) {
  if (auto floatType = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(floatType, value));
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(type, static_cast<int64_t>(value)));
}

Value filledTensor(OpBuilder &b, Location loc, RankedTensorType type,
                   ValueRange dynSizes, Value value) {
  Value empty = tensor::EmptyOp::create(b, loc, type, dynSizes);
  return linalg::FillOp::create(b, loc, ValueRange{value}, ValueRange{empty})
      .getResult(0);
}

Value buildElementwise(OpBuilder &b, Location loc, RankedTensorType type,
                       ValueRange dynSizes, ValueRange inputs,
                       ArrayRef<AffineMap> inputMaps, ElementwiseBody body) {
  Value init = tensor::EmptyOp::create(b, loc, type, dynSizes);
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(b.getMultiDimIdentityMap(type.getRank()));
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{type}, inputs, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value result = body(nb, nloc, args.drop_back());
        linalg::YieldOp::create(nb, nloc, result);
      });
  return generic.getResult(0);
}

FailureOr<SmallVector<AffineMap>> broadcastMaps(PatternRewriter &rewriter,
                                                Operation *op,
                                                ValueRange operands,
                                                RankedTensorType resultType) {
  MLIRContext *ctx = rewriter.getContext();
  int64_t rank = resultType.getRank();
  SmallVector<AffineMap> maps;
  for (Value operand : operands) {
    auto type = dyn_cast<RankedTensorType>(operand.getType());
    if (!type)
      return rewriter.notifyMatchFailure(op, "operand is not a ranked tensor");
    if (type.getRank() > rank)
      return rewriter.notifyMatchFailure(
          op, "operand has a higher rank than the result");
    int64_t offset = rank - type.getRank();
    SmallVector<AffineExpr> exprs;
    for (int64_t i = 0, e = type.getRank(); i < e; ++i) {
      int64_t size = type.getDimSize(i);
      int64_t resultSize = resultType.getDimSize(offset + i);
      if (size == 1 && resultSize != 1) {
        exprs.push_back(getAffineConstantExpr(0, ctx));
        continue;
      }
      if (!ShapedType::isDynamic(size) && !ShapedType::isDynamic(resultSize) &&
          size != resultSize)
        return rewriter.notifyMatchFailure(
            op, "operand shape does not broadcast to the result shape");
      exprs.push_back(getAffineDimExpr(offset + i, ctx));
    }
    maps.push_back(AffineMap::get(rank, 0, exprs, ctx));
  }
  return maps;
}

FailureOr<Value> broadcastElementwise(PatternRewriter &rewriter, Operation *op,
                                      ValueRange operands,
                                      RankedTensorType resultType,
                                      ElementwiseBody body) {
  Location loc = op->getLoc();
  int64_t rank = resultType.getRank();
  FailureOr<SmallVector<AffineMap>> maps =
      broadcastMaps(rewriter, op, operands, resultType);
  if (failed(maps))
    return failure();

  // Each dynamic result size from an operand that does not broadcast there.
  SmallVector<Value> dynSizes;
  for (int64_t d = 0; d < rank; ++d) {
    if (!resultType.isDynamicDim(d))
      continue;
    Value size;
    for (Value operand : operands) {
      auto type = cast<RankedTensorType>(operand.getType());
      int64_t i = d - (rank - type.getRank());
      if (i < 0 || type.getDimSize(i) == 1)
        continue;
      size = tensor::DimOp::create(rewriter, loc, operand, i);
      break;
    }
    if (!size)
      size = arith::ConstantIndexOp::create(rewriter, loc, 1);
    dynSizes.push_back(size);
  }
  return buildElementwise(rewriter, loc, resultType, dynSizes, operands, *maps,
                          body);
}

SmallVector<OpFoldResult> sizesForType(OpBuilder &b, Location loc,
                                       RankedTensorType type,
                                       ArrayRef<OpFoldResult> sizes) {
  SmallVector<OpFoldResult> result;
  for (int64_t i = 0, e = type.getRank(); i < e; ++i) {
    if (!type.isDynamicDim(i))
      result.push_back(b.getIndexAttr(type.getDimSize(i)));
    else
      result.push_back(getValueOrCreateConstantIndexOp(b, loc, sizes[i]));
  }
  return result;
}

OpFoldResult productOfDims(OpBuilder &b, Location loc, Value v, int64_t begin,
                           int64_t end) {
  auto type = cast<RankedTensorType>(v.getType());
  int64_t staticProduct = 1;
  Value dynamicProduct;
  for (int64_t i = begin; i < end; ++i) {
    if (!type.isDynamicDim(i)) {
      staticProduct *= type.getDimSize(i);
      continue;
    }
    Value dim = tensor::DimOp::create(b, loc, v, i);
    dynamicProduct = dynamicProduct
                         ? arith::MulIOp::create(b, loc, dynamicProduct, dim)
                         : dim;
  }
  if (!dynamicProduct)
    return b.getIndexAttr(staticProduct);
  if (staticProduct == 1)
    return dynamicProduct;
  return arith::MulIOp::create(
             b, loc, dynamicProduct,
             arith::ConstantIndexOp::create(b, loc, staticProduct))
      .getResult();
}

SmallVector<ReassociationIndices> unitDimGroups(ArrayRef<bool> isUnit) {
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices current;
  for (int64_t i = 0, e = isUnit.size(); i < e; ++i) {
    current.push_back(i);
    if (!isUnit[i]) {
      groups.push_back(current);
      current.clear();
    }
  }
  // Trailing unit dimensions join the last group.
  if (!current.empty() && !groups.empty())
    llvm::append_range(groups.back(), current);
  return groups;
}

Value castIfNeeded(OpBuilder &b, Location loc, Value value, Type type) {
  if (value.getType() == type)
    return value;
  return tensor::CastOp::create(b, loc, type, value);
}

Value reshapeTo(OpBuilder &b, Location loc, Value input,
                RankedTensorType resultType, ArrayRef<OpFoldResult> sizes) {
  auto inType = cast<RankedTensorType>(input.getType());
  if (inType.getShape() == resultType.getShape())
    return castIfNeeded(b, loc, input, resultType);
  Value flat = input;
  if (inType.getRank() == 0) {
    flat = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get({1}, inType.getElementType()), input,
        ArrayRef<ReassociationIndices>{});
  } else if (inType.getRank() > 1) {
    ReassociationIndices all =
        llvm::to_vector(llvm::seq<int64_t>(0, inType.getRank()));
    flat = tensor::CollapseShapeOp::create(b, loc, input, {all});
  }
  if (resultType.getRank() == 1)
    return castIfNeeded(b, loc, flat, resultType);
  if (resultType.getRank() == 0) {
    flat = castIfNeeded(
        b, loc, flat, RankedTensorType::get({1}, resultType.getElementType()));
    return tensor::CollapseShapeOp::create(b, loc, resultType, flat,
                                           ArrayRef<ReassociationIndices>{});
  }
  // expand_shape wants a dynamic source where any result size is dynamic.
  if (!resultType.hasStaticShape())
    flat = castIfNeeded(b, loc, flat,
                        RankedTensorType::get({ShapedType::kDynamic},
                                              resultType.getElementType()));
  ReassociationIndices all =
      llvm::to_vector(llvm::seq<int64_t>(0, resultType.getRank()));
  return tensor::ExpandShapeOp::create(b, loc, resultType, flat, {all},
                                       sizesForType(b, loc, resultType, sizes));
}

AffineMap keptMap(ArrayRef<bool> reduced, MLIRContext *ctx) {
  SmallVector<AffineExpr> exprs;
  for (auto [i, r] : llvm::enumerate(reduced))
    if (!r)
      exprs.push_back(getAffineDimExpr(i, ctx));
  return AffineMap::get(reduced.size(), 0, exprs, ctx);
}

Value reduce(OpBuilder &b, Location loc, Value input, ArrayRef<bool> reduced,
             ReduceKind kind) {
  auto inType = cast<RankedTensorType>(input.getType());
  auto elementType = cast<FloatType>(inType.getElementType());
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> shape;
  SmallVector<Value> dynSizes;
  Value dynCount;
  int64_t staticCount = 1;
  for (auto [i, r] : llvm::enumerate(reduced)) {
    if (r) {
      if (inType.isDynamicDim(i)) {
        Value dim = tensor::DimOp::create(b, loc, input, i);
        dynCount =
            dynCount ? arith::MulIOp::create(b, loc, dynCount, dim) : dim;
      } else {
        staticCount *= inType.getDimSize(i);
      }
      continue;
    }
    shape.push_back(inType.getDimSize(i));
    if (inType.isDynamicDim(i))
      dynSizes.push_back(tensor::DimOp::create(b, loc, input, i));
  }
  auto type = RankedTensorType::get(shape, elementType);
  Value init =
      scalarConstant(b, loc, elementType, kind == ReduceKind::Prod ? 1.0 : 0.0);
  if (kind == ReduceKind::Max || kind == ReduceKind::Min)
    init = arith::ConstantOp::create(
        b, loc,
        b.getFloatAttr(elementType,
                       APFloat::getInf(elementType.getFloatSemantics(),
                                       /*Negative=*/kind == ReduceKind::Max)));
  Value filled = filledTensor(b, loc, type, dynSizes, init);
  SmallVector<utils::IteratorType> iterators;
  for (bool r : reduced)
    iterators.push_back(r ? utils::IteratorType::reduction
                          : utils::IteratorType::parallel);
  SmallVector<AffineMap> maps = {
      AffineMap::getMultiDimIdentityMap(reduced.size(), ctx),
      keptMap(reduced, ctx)};
  Value result =
      linalg::GenericOp::create(
          b, loc, TypeRange{type}, ValueRange{input}, ValueRange{filled}, maps,
          iterators,
          [&](OpBuilder &nb, Location nloc, ValueRange args) {
            Value v;
            if (kind == ReduceKind::Max)
              v = arith::MaximumFOp::create(nb, nloc, args[0], args[1]);
            else if (kind == ReduceKind::Min)
              v = arith::MinimumFOp::create(nb, nloc, args[0], args[1]);
            else if (kind == ReduceKind::Prod)
              v = arith::MulFOp::create(nb, nloc, args[0], args[1]);
            else
              v = arith::AddFOp::create(nb, nloc, args[0], args[1]);
            linalg::YieldOp::create(nb, nloc, v);
          })
          .getResult(0);
  if (kind != ReduceKind::Mean)
    return result;

  Value divisor = scalarConstant(b, loc, elementType, double(staticCount));
  if (dynCount) {
    Value asInt = arith::IndexCastOp::create(b, loc, b.getI64Type(), dynCount);
    Value asFloat = arith::SIToFPOp::create(b, loc, elementType, asInt);
    divisor = arith::MulFOp::create(b, loc, asFloat, divisor);
  }
  return buildElementwise(
      b, loc, type, dynSizes, ValueRange{result},
      {b.getMultiDimIdentityMap(type.getRank())},
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        return arith::DivFOp::create(nb, nloc, args[0], divisor).getResult();
      });
}

Value extractScalar(OpBuilder &b, Location loc, Value v, int64_t i,
                    bool isUnsigned) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<Value> indices;
  if (type.getRank() == 1)
    indices.push_back(arith::ConstantIndexOp::create(b, loc, i));
  Value element = tensor::ExtractOp::create(b, loc, v, indices);
  auto intType = dyn_cast<IntegerType>(element.getType());
  if (!intType || intType.getWidth() == 64)
    return element;
  if (intType.getWidth() > 64)
    return arith::TruncIOp::create(b, loc, b.getI64Type(), element);
  if (isUnsigned)
    return arith::ExtUIOp::create(b, loc, b.getI64Type(), element);
  return arith::ExtSIOp::create(b, loc, b.getI64Type(), element);
}

Value toIndex(OpBuilder &b, Location loc, Value value) {
  if (value.getType().isIndex())
    return value;
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), value);
}

Value toI64(OpBuilder &b, Location loc, Value value) {
  if (value.getType().isInteger(64))
    return value;
  return arith::IndexCastOp::create(b, loc, b.getI64Type(), value);
}

FailureOr<Value> reshapeToStatic(PatternRewriter &rewriter, Operation *op,
                                 Value input, RankedTensorType resultType) {
  auto inType = dyn_cast<RankedTensorType>(input.getType());
  if (!inType || !resultType.hasStaticShape())
    return rewriter.notifyMatchFailure(
        op, "the new shape is not a constant and the result is not static");
  if (inType.hasStaticShape() &&
      inType.getNumElements() != resultType.getNumElements())
    return rewriter.notifyMatchFailure(op, "element counts differ");
  SmallVector<OpFoldResult> sizes;
  for (int64_t size : resultType.getShape())
    sizes.push_back(rewriter.getIndexAttr(size));
  return reshapeTo(rewriter, op->getLoc(), input, resultType, sizes);
}

SmallVector<Value> loopIndices(OpBuilder &b, Location loc, int64_t rank) {
  SmallVector<Value> indices;
  for (int64_t d = 0; d < rank; ++d)
    indices.push_back(linalg::IndexOp::create(b, loc, d));
  return indices;
}

} // namespace fqt::onnx_to_linalg
