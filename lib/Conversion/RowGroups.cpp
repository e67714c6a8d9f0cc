//===- RowGroups.cpp - views of a tensor as groups of rows ----------------===//

#include "fqt/Conversion/RowGroups.h"

#include "FQT/FQTAttrs.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

int64_t fqt::rowsPerScale(QuantizerAttrInterface quantizer,
                          RankedTensorType codes, RankedTensorType scale) {
  if (quantizer.getGranularity() != Granularity::row || codes.getRank() == 0 ||
      scale.getRank() != 1 || codes.isDynamicDim(0) || scale.isDynamicDim(0))
    return 1;
  return codes.getDimSize(0) / scale.getDimSize(0);
}

/// Whether `type` must be reshaped to be seen as `groups` rows: false when it
/// already is a matrix with `groups` rows (or either is dynamic, where there
/// is one group per row).
static bool needsRowGroupView(RankedTensorType type, int64_t groups) {
  if (type.getRank() != 2)
    return true;
  int64_t rows = type.getDimSize(0);
  return !ShapedType::isDynamic(rows) && !ShapedType::isDynamic(groups) &&
         rows != groups;
}

/// The reassociation that flattens every dimension of a rank-`rank` tensor.
static SmallVector<ReassociationIndices> flattenAll(int64_t rank) {
  ReassociationIndices all;
  for (int64_t d = 0; d < rank; ++d)
    all.push_back(d);
  return {all};
}

/// Rows x (the trailing dimensions flattened); rank 1 becomes rows x 1.
static SmallVector<ReassociationIndices> rowsByRest(int64_t rank) {
  if (rank == 1)
    return {{0, 1}};
  ReassociationIndices rest;
  for (int64_t d = 1; d < rank; ++d)
    rest.push_back(d);
  return {{0}, rest};
}

Value fqt::toRowGroups(OpBuilder &b, Location loc, Value value,
                       int64_t groups) {
  auto type = cast<RankedTensorType>(value.getType());
  if (!needsRowGroupView(type, groups))
    return value;
  bool rowPerGroup = ShapedType::isDynamic(groups) ||
                     ShapedType::isDynamic(type.getDimSize(0)) ||
                     groups == type.getDimSize(0);
  if (!rowPerGroup) {
    assert(type.hasStaticShape() && "row groups need static sizes");
    // Row-major order keeps every group's rows consecutive in the flat
    // tensor, so [numel] -> [groups, numel / groups] splits it at group
    // boundaries.
    Value flat = value;
    if (type.getRank() != 1)
      flat = tensor::CollapseShapeOp::create(b, loc, value,
                                             flattenAll(type.getRank()));
    int64_t numel = type.getNumElements();
    auto matrixType =
        RankedTensorType::get({groups, numel / groups}, type.getElementType());
    return tensor::ExpandShapeOp::create(b, loc, matrixType, flat,
                                         flattenAll(2));
  }
  if (type.getRank() == 1) {
    auto matrixType =
        RankedTensorType::get({type.getDimSize(0), 1}, type.getElementType());
    return tensor::ExpandShapeOp::create(
        b, loc, matrixType, value, rowsByRest(1),
        {tensor::getMixedSizes(b, loc, value)[0], b.getIndexAttr(1)});
  }
  return tensor::CollapseShapeOp::create(b, loc, value,
                                         rowsByRest(type.getRank()));
}

Value fqt::fromRowGroups(OpBuilder &b, Location loc, Value matrix, Value like) {
  auto matrixType = cast<RankedTensorType>(matrix.getType());
  auto type =
      cast<RankedTensorType>(like.getType()).clone(matrixType.getElementType());
  if (matrixType.getShape() == type.getShape())
    return matrix;
  bool rowPerGroup = matrixType.isDynamicDim(0) || type.isDynamicDim(0) ||
                     matrixType.getDimSize(0) == type.getDimSize(0);
  if (!rowPerGroup) {
    Value flat = tensor::CollapseShapeOp::create(b, loc, matrix, flattenAll(2));
    if (type.getRank() == 1)
      return flat;
    return tensor::ExpandShapeOp::create(b, loc, type, flat,
                                         flattenAll(type.getRank()));
  }
  if (type.getRank() == 1)
    return tensor::CollapseShapeOp::create(b, loc, type, matrix, rowsByRest(1));
  return tensor::ExpandShapeOp::create(b, loc, type, matrix,
                                       rowsByRest(type.getRank()),
                                       tensor::getMixedSizes(b, loc, like));
}

Value fqt::applyRowTransform(OpBuilder &b, Location loc, Value transform,
                             Value value) {
  int64_t groups = cast<RankedTensorType>(transform.getType()).getDimSize(0);
  Value matrix = toRowGroups(b, loc, value, groups);
  auto matrixType = cast<RankedTensorType>(matrix.getType());
  SmallVector<Value> dynamic;
  for (int64_t d = 0; d < 2; ++d)
    if (matrixType.isDynamicDim(d))
      dynamic.push_back(tensor::DimOp::create(b, loc, matrix, d));
  Value empty = tensor::EmptyOp::create(b, loc, matrixType.getShape(),
                                        b.getF32Type(), dynamic);
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  Value init = linalg::FillOp::create(b, loc, zero, empty).getResult(0);
  Value product =
      linalg::MatmulOp::create(b, loc, TypeRange{matrixType},
                               ValueRange{transform, matrix}, ValueRange{init})
          .getResult(0);
  return fromRowGroups(b, loc, product, value);
}
