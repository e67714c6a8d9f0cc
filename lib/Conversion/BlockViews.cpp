//===- BlockViews.cpp - blocks along a dimension, Hadamard ----------------===//

#include "fqt/Conversion/BlockViews.h"
#include "fqt/Conversion/Philox.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"

#include <cmath>

using namespace mlir;

/// The reassociation that splits dimension `dim` of a rank-`rank` tensor
/// into `parts` consecutive dimensions.
static SmallVector<ReassociationIndices> splitAt(int64_t rank, int64_t dim,
                                                 int64_t parts) {
  SmallVector<ReassociationIndices> groups;
  int64_t next = 0;
  for (int64_t d = 0; d < rank; ++d) {
    ReassociationIndices group;
    for (int64_t i = 0, e = d == dim ? parts : 1; i < e; ++i)
      group.push_back(next++);
    groups.push_back(group);
  }
  return groups;
}

Value fqt::splitBlocks(OpBuilder &b, Location loc, Value value, int64_t axis,
                       int64_t size) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape(type.getShape());
  int64_t length = shape[axis];
  int64_t blocks = llvm::divideCeil(length, size);
  if (blocks * size != length) {
    SmallVector<OpFoldResult> low(shape.size(), b.getIndexAttr(0));
    SmallVector<OpFoldResult> high(shape.size(), b.getIndexAttr(0));
    high[axis] = b.getIndexAttr(blocks * size - length);
    shape[axis] = blocks * size;
    auto paddedType = RankedTensorType::get(shape, type.getElementType());
    Value zero =
        arith::ConstantOp::create(b, loc, b.getZeroAttr(type.getElementType()));
    value = tensor::PadOp::create(b, loc, paddedType, value, low, high, zero);
  }
  SmallVector<int64_t> viewShape(shape.begin(), shape.begin() + axis);
  viewShape.push_back(blocks);
  viewShape.push_back(size);
  viewShape.append(shape.begin() + axis + 1, shape.end());
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(viewShape, type.getElementType()), value,
      splitAt(shape.size(), axis, 2));
}

Value fqt::mergeBlocks(OpBuilder &b, Location loc, Value view, int64_t axis,
                       Value like) {
  auto likeType = cast<RankedTensorType>(like.getType());
  Value merged = tensor::CollapseShapeOp::create(
      b, loc, view, splitAt(likeType.getRank(), axis, 2));
  auto mergedType = cast<RankedTensorType>(merged.getType());
  if (mergedType.getShape() == likeType.getShape())
    return merged;
  int64_t rank = likeType.getRank();
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes, strides(rank, b.getIndexAttr(1));
  for (int64_t d : likeType.getShape())
    sizes.push_back(b.getIndexAttr(d));
  return tensor::ExtractSliceOp::create(b, loc, merged, offsets, sizes,
                                        strides);
}

Value fqt::buildRandomSigns(OpBuilder &b, Location loc, Value seed, Value step,
                            int64_t stream, int64_t size) {
  Type f32 = b.getF32Type();
  Value empty = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{size}, f32);
  Value streamValue =
      arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(stream));
  return linalg::GenericOp::create(
             b, loc, TypeRange{empty.getType()}, ValueRange{}, empty,
             ArrayRef<AffineMap>{b.getMultiDimIdentityMap(1)},
             ArrayRef<utils::IteratorType>{utils::IteratorType::parallel},
             [&](OpBuilder &nb, Location nloc, ValueRange) {
               Value j = linalg::IndexOp::create(nb, nloc, 0);
               Value index =
                   arith::IndexCastOp::create(nb, nloc, nb.getI64Type(), j);
               Value u = buildPhiloxUniform(nb, nloc, seed, step, streamValue,
                                            index);
               Value half = arith::ConstantOp::create(
                   nb, nloc, nb.getF32FloatAttr(0.5f));
               Value negative = arith::CmpFOp::create(
                   nb, nloc, arith::CmpFPredicate::OLT, u, half);
               Value sign = arith::SelectOp::create(
                   nb, nloc, negative,
                   arith::ConstantOp::create(nb, nloc,
                                             nb.getF32FloatAttr(-1.0f)),
                   arith::ConstantOp::create(nb, nloc,
                                             nb.getF32FloatAttr(1.0f)));
               linalg::YieldOp::create(nb, nloc, sign);
             })
      .getResult(0);
}

/// An elementwise generic over `view` multiplying each value by the sign of
/// its position in the block (dimension `valueDim`) and by `factor` (1 for
/// none).
static Value scaleBySigns(OpBuilder &b, Location loc, Value view,
                          int64_t valueDim, Value signs, float factor) {
  auto type = cast<RankedTensorType>(view.getType());
  int64_t rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  AffineMap signMap =
      AffineMap::get(rank, 0, getAffineDimExpr(valueDim, ctx), ctx);
  Value empty = tensor::EmptyOp::create(b, loc, type.getShape(),
                                        type.getElementType());
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{view, signs}, empty,
             ArrayRef<AffineMap>{identity, signMap, identity},
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               Value v = arith::MulFOp::create(nb, nloc, args[0], args[1]);
               if (factor != 1.0f)
                 v = arith::MulFOp::create(
                     nb, nloc, v,
                     arith::ConstantOp::create(nb, nloc,
                                               nb.getF32FloatAttr(factor)));
               linalg::YieldOp::create(nb, nloc, v);
             })
      .getResult(0);
}

/// One butterfly stage: values `half` apart within each block are replaced
/// by their sum (the first) and difference (the second).
static Value butterfly(OpBuilder &b, Location loc, Value view,
                       int64_t valueDim, int64_t half) {
  auto type = cast<RankedTensorType>(view.getType());
  int64_t rank = type.getRank(), size = type.getDimSize(valueDim);
  SmallVector<int64_t> shape(type.getShape().begin(),
                             type.getShape().begin() + valueDim);
  shape.append({size / (2 * half), 2, half});
  shape.append(type.getShape().begin() + valueDim + 1, type.getShape().end());
  auto pairsType = RankedTensorType::get(shape, type.getElementType());
  SmallVector<ReassociationIndices> reassociation =
      splitAt(rank, valueDim, 3);
  Value pairs =
      tensor::ExpandShapeOp::create(b, loc, pairsType, view, reassociation);
  MLIRContext *ctx = b.getContext();
  int64_t pairRank = rank + 2;
  auto pick = [&](int64_t which) {
    SmallVector<AffineExpr> exprs;
    for (int64_t d = 0; d < pairRank; ++d)
      exprs.push_back(d == valueDim + 1 ? getAffineConstantExpr(which, ctx)
                                        : getAffineDimExpr(d, ctx));
    return AffineMap::get(pairRank, 0, exprs, ctx);
  };
  Value empty = tensor::EmptyOp::create(b, loc, shape, type.getElementType());
  Value stage =
      linalg::GenericOp::create(
          b, loc, TypeRange{pairsType}, ValueRange{pairs, pairs}, empty,
          ArrayRef<AffineMap>{pick(0), pick(1),
                              b.getMultiDimIdentityMap(pairRank)},
          SmallVector<utils::IteratorType>(pairRank,
                                           utils::IteratorType::parallel),
          [&](OpBuilder &nb, Location nloc, ValueRange args) {
            Value which = linalg::IndexOp::create(nb, nloc, valueDim + 1);
            Value first = arith::CmpIOp::create(
                nb, nloc, arith::CmpIPredicate::eq, which,
                arith::ConstantIndexOp::create(nb, nloc, 0));
            Value sum = arith::AddFOp::create(nb, nloc, args[0], args[1]);
            Value difference =
                arith::SubFOp::create(nb, nloc, args[0], args[1]);
            linalg::YieldOp::create(
                nb, nloc,
                arith::SelectOp::create(nb, nloc, first, sum, difference)
                    .getResult());
          })
          .getResult(0);
  return tensor::CollapseShapeOp::create(b, loc, type, stage, reassociation);
}

Value fqt::applyHadamard(OpBuilder &b, Location loc, Value view,
                         int64_t valueDim, Value signs, bool inverse) {
  auto type = cast<RankedTensorType>(view.getType());
  int64_t size = type.getDimSize(valueDim);
  float factor = static_cast<float>(1.0 / std::sqrt(static_cast<double>(size)));
  Value x = view;
  if (!inverse)
    x = scaleBySigns(b, loc, x, valueDim, signs, 1.0f);
  for (int64_t half = 1; half < size; half *= 2)
    x = butterfly(b, loc, x, valueDim, half);
  if (inverse)
    return scaleBySigns(b, loc, x, valueDim, signs, factor);
  // The factor alone: signs of +1 would be a second multiply by one.
  auto rank = type.getRank();
  Value empty = tensor::EmptyOp::create(b, loc, type.getShape(),
                                        type.getElementType());
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{x}, empty,
             ArrayRef<AffineMap>{identity, identity},
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               Value v = arith::MulFOp::create(
                   nb, nloc, args[0],
                   arith::ConstantOp::create(nb, nloc,
                                             nb.getF32FloatAttr(factor)));
               linalg::YieldOp::create(nb, nloc, v);
             })
      .getResult(0);
}
