//===- Shape.cpp - onnx shape ops to tensor and linalg --------------------===//
//
// Constant as arith.constant; Identity forwarded; Reshape, Flatten, Squeeze
// and Unsqueeze as tensor.collapse_shape / tensor.expand_shape (a shape known
// at run time only reshapes to the static result type, or is read); Transpose
// as linalg.transpose; Concat as tensor.insert_slice into a tensor.empty;
// Shape as a constant (or tensor.dim); ConstantOfShape as linalg.fill;
// Expand, Range, Slice and Gather as linalg.generic (Slice and Gather index
// their input with tensor.extract); Split as tensor.extract_slice.
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

struct ConstantToArith : OpRewritePattern<ONNXConstantOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXConstantOp op,
                                PatternRewriter &rewriter) const override {
    auto resultType = dyn_cast<RankedTensorType>(op.getOutput().getType());
    if (!resultType)
      return rewriter.notifyMatchFailure(op, "result is not a ranked tensor");
    TypedAttr value;
    if (std::optional<ElementsAttr> elements = op.getValue()) {
      value = dyn_cast<TypedAttr>(*elements);
    } else if (std::optional<APFloat> f = op.getValueFloat()) {
      if (resultType.getElementType().isF32())
        value = DenseElementsAttr::get(resultType, *f);
    } else if (std::optional<ArrayAttr> fs = op.getValueFloats()) {
      SmallVector<APFloat> values;
      for (Attribute a : *fs)
        values.push_back(cast<FloatAttr>(a).getValue());
      if (resultType.getElementType().isF32() &&
          resultType.getNumElements() == static_cast<int64_t>(values.size()))
        value = DenseElementsAttr::get(resultType, values);
    } else if (std::optional<int64_t> i = op.getValueInt()) {
      if (resultType.getElementType().isInteger(64))
        value = DenseElementsAttr::get(resultType, *i);
    } else if (std::optional<ArrayAttr> is = op.getValueInts()) {
      SmallVector<int64_t> values;
      for (Attribute a : *is)
        values.push_back(cast<IntegerAttr>(a).getInt());
      if (resultType.getElementType().isInteger(64) &&
          resultType.getNumElements() == static_cast<int64_t>(values.size()))
        value = DenseElementsAttr::get(resultType, ArrayRef<int64_t>(values));
    }
    if (!value || value.getType() != resultType)
      return rewriter.notifyMatchFailure(
          op, "no numeric value of the result type (strings are not lowered)");
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, value);
    return success();
  }
};

struct IdentityToInput : OpRewritePattern<ONNXIdentityOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXIdentityOp op,
                                PatternRewriter &rewriter) const override {
    Value input = op.getInput();
    Type type = op.getOutput().getType();
    if (!isa<RankedTensorType>(input.getType()) || !isa<RankedTensorType>(type))
      return rewriter.notifyMatchFailure(op, "operand is not a ranked tensor");
    rewriter.replaceOp(op, castIfNeeded(rewriter, op.getLoc(), input, type));
    return success();
  }
};

/// Checks that `input` and `resultType` have the same number of elements
/// where both are static.
static bool sameStaticSize(Value input, RankedTensorType resultType) {
  auto type = cast<RankedTensorType>(input.getType());
  return !type.hasStaticShape() || !resultType.hasStaticShape() ||
         type.getNumElements() == resultType.getNumElements();
}

static LogicalResult replaceWithStaticReshape(PatternRewriter &rewriter,
                                              Operation *op, Value input,
                                              RankedTensorType resultType);

struct ReshapeToTensor : OpRewritePattern<ONNXReshapeOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXReshapeOp op,
                                PatternRewriter &rewriter) const override {
    auto inType = dyn_cast<RankedTensorType>(op.getData().getType());
    auto resultType = dyn_cast<RankedTensorType>(op.getReshaped().getType());
    if (!inType || !resultType)
      return rewriter.notifyMatchFailure(op, "operand is not a ranked tensor");
    std::optional<SmallVector<int64_t>> shape = getConstantInts(op.getShape());
    if (!shape) {
      if (resultType.hasStaticShape())
        return replaceWithStaticReshape(rewriter, op, op.getData(), resultType);
      return rewriteWithShapeValues(op, rewriter);
    }
    if (static_cast<int64_t>(shape->size()) != resultType.getRank())
      return rewriter.notifyMatchFailure(op, "shape length is not the rank");
    if (!sameStaticSize(op.getData(), resultType))
      return rewriter.notifyMatchFailure(op, "element counts differ");

    Location loc = op.getLoc();
    bool allowZero = op.getAllowzero() != 0;
    SmallVector<OpFoldResult> sizes;
    SmallVector<OpFoldResult> inSizes =
        tensor::getMixedSizes(rewriter, loc, op.getData());
    int64_t inferred = -1;
    for (auto [i, s] : llvm::enumerate(*shape)) {
      if (s == 0 && !allowZero) {
        if (static_cast<int64_t>(i) >= inType.getRank())
          return rewriter.notifyMatchFailure(op, "0 names no input dimension");
        sizes.push_back(inSizes[i]);
      } else if (s == -1) {
        if (inferred >= 0)
          return rewriter.notifyMatchFailure(op, "more than one -1");
        inferred = i;
        sizes.push_back(rewriter.getIndexAttr(0));
      } else if (s < 0) {
        return rewriter.notifyMatchFailure(op, "negative size in shape");
      } else {
        sizes.push_back(rewriter.getIndexAttr(s));
      }
    }
    if (inferred >= 0) {
      if (!resultType.isDynamicDim(inferred)) {
        sizes[inferred] =
            rewriter.getIndexAttr(resultType.getDimSize(inferred));
      } else {
        // total / product of the other sizes.
        Value total = getValueOrCreateConstantIndexOp(
            rewriter, loc,
            productOfDims(rewriter, loc, op.getData(), 0, inType.getRank()));
        Value others = arith::ConstantIndexOp::create(rewriter, loc, 1);
        for (auto [i, size] : llvm::enumerate(sizes))
          if (static_cast<int64_t>(i) != inferred)
            others = arith::MulIOp::create(
                rewriter, loc, others,
                getValueOrCreateConstantIndexOp(rewriter, loc, size));
        sizes[inferred] =
            arith::DivUIOp::create(rewriter, loc, total, others).getResult();
      }
    }
    rewriter.replaceOp(
        op, reshapeTo(rewriter, loc, op.getData(), resultType, sizes));
    return success();
  }

  /// The shape known at run time only: each size is read from it, a 0
  /// (without allowzero) copies the input's size, a -1 is what is left.
  LogicalResult rewriteWithShapeValues(ONNXReshapeOp op,
                                       PatternRewriter &rewriter) const {
    auto resultType = cast<RankedTensorType>(op.getReshaped().getType());
    auto inType = cast<RankedTensorType>(op.getData().getType());
    auto shapeType = dyn_cast<RankedTensorType>(op.getShape().getType());
    int64_t rank = resultType.getRank();
    if (!shapeType || shapeType.getRank() != 1 ||
        shapeType.getDimSize(0) != rank ||
        !isa<IntegerType>(shapeType.getElementType()))
      return rewriter.notifyMatchFailure(
          op, "shape is not a 1-D integer tensor of the result rank");
    Location loc = op.getLoc();
    Value data = op.getData();
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    Value minusOne = arith::ConstantIndexOp::create(rewriter, loc, -1);
    Value total = getValueOrCreateConstantIndexOp(
        rewriter, loc, productOfDims(rewriter, loc, data, 0, inType.getRank()));
    SmallVector<Value> sizes, inferred;
    Value known = one;
    for (int64_t i = 0; i < rank; ++i) {
      Value size = toIndex(rewriter, loc,
                           extractScalar(rewriter, loc, op.getShape(), i));
      if (op.getAllowzero() == 0 && i < inType.getRank()) {
        Value isZero = arith::CmpIOp::create(
            rewriter, loc, arith::CmpIPredicate::eq, size, zero);
        size = arith::SelectOp::create(
            rewriter, loc, isZero,
            tensor::DimOp::create(rewriter, loc, data, i), size);
      }
      Value isInferred = arith::CmpIOp::create(
          rewriter, loc, arith::CmpIPredicate::eq, size, minusOne);
      known = arith::MulIOp::create(
          rewriter, loc, known,
          arith::SelectOp::create(rewriter, loc, isInferred, one, size));
      sizes.push_back(size);
      inferred.push_back(isInferred);
    }
    Value rest = arith::DivUIOp::create(rewriter, loc, total, known);
    SmallVector<OpFoldResult> folded;
    for (auto [size, isInferred] : llvm::zip_equal(sizes, inferred))
      folded.push_back(
          arith::SelectOp::create(rewriter, loc, isInferred, rest, size)
              .getResult());
    rewriter.replaceOp(op, reshapeTo(rewriter, loc, data, resultType, folded));
    return success();
  }
};

/// Replaces `op` by `input` reshaped to the static `resultType`.
static LogicalResult replaceWithStaticReshape(PatternRewriter &rewriter,
                                              Operation *op, Value input,
                                              RankedTensorType resultType) {
  FailureOr<Value> reshaped = reshapeToStatic(rewriter, op, input, resultType);
  if (failed(reshaped))
    return failure();
  rewriter.replaceOp(op, *reshaped);
  return success();
}

struct FlattenToCollapse : OpRewritePattern<ONNXFlattenOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXFlattenOp op,
                                PatternRewriter &rewriter) const override {
    auto inType = dyn_cast<RankedTensorType>(op.getInput().getType());
    auto resultType = dyn_cast<RankedTensorType>(op.getOutput().getType());
    if (!inType || !resultType || resultType.getRank() != 2)
      return rewriter.notifyMatchFailure(
          op, "operand is not ranked or the result is not 2-D");
    int64_t rank = inType.getRank();
    int64_t axis = op.getAxis();
    if (axis < 0)
      axis += rank;
    if (axis < 0 || axis > rank)
      return rewriter.notifyMatchFailure(op, "axis out of range");
    Location loc = op.getLoc();
    Value input = op.getInput();
    if (axis > 0 && axis < rank) {
      SmallVector<ReassociationIndices> groups = {
          llvm::to_vector(llvm::seq<int64_t>(0, axis)),
          llvm::to_vector(llvm::seq<int64_t>(axis, rank))};
      Value collapsed =
          tensor::CollapseShapeOp::create(rewriter, loc, input, groups);
      rewriter.replaceOp(op,
                         castIfNeeded(rewriter, loc, collapsed, resultType));
      return success();
    }
    SmallVector<OpFoldResult> sizes = {
        productOfDims(rewriter, loc, input, 0, axis),
        productOfDims(rewriter, loc, input, axis, rank)};
    rewriter.replaceOp(op, reshapeTo(rewriter, loc, input, resultType, sizes));
    return success();
  }
};

struct SqueezeToCollapse : OpRewritePattern<ONNXSqueezeOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXSqueezeOp op,
                                PatternRewriter &rewriter) const override {
    auto inType = dyn_cast<RankedTensorType>(op.getData().getType());
    auto resultType = dyn_cast<RankedTensorType>(op.getSqueezed().getType());
    if (!inType || !resultType)
      return rewriter.notifyMatchFailure(op, "operand is not a ranked tensor");
    SmallVector<bool> squeezed;
    if (isa<NoneType>(op.getAxes().getType())) {
      for (int64_t size : inType.getShape())
        squeezed.push_back(size == 1);
    } else {
      std::optional<SmallVector<int64_t>> axes = getConstantInts(op.getAxes());
      if (!axes)
        return replaceWithStaticReshape(rewriter, op, op.getData(), resultType);
      std::optional<SmallVector<bool>> mask = axesMask(*axes, inType.getRank());
      if (!mask)
        return rewriter.notifyMatchFailure(op, "invalid axes");
      squeezed = *mask;
    }
    for (auto [i, s] : llvm::enumerate(squeezed))
      if (s && inType.getDimSize(i) != 1)
        return rewriter.notifyMatchFailure(
            op, "a squeezed dimension is not statically 1");
    if (resultType.getRank() !=
        inType.getRank() - static_cast<int64_t>(llvm::count(squeezed, true)))
      return rewriter.notifyMatchFailure(op, "result rank does not match");
    Location loc = op.getLoc();
    Value collapsed = tensor::CollapseShapeOp::create(
        rewriter, loc, op.getData(), unitDimGroups(squeezed));
    rewriter.replaceOp(op, castIfNeeded(rewriter, loc, collapsed, resultType));
    return success();
  }
};

struct UnsqueezeToExpand : OpRewritePattern<ONNXUnsqueezeOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXUnsqueezeOp op,
                                PatternRewriter &rewriter) const override {
    auto inType = dyn_cast<RankedTensorType>(op.getData().getType());
    auto resultType = dyn_cast<RankedTensorType>(op.getExpanded().getType());
    if (!inType || !resultType)
      return rewriter.notifyMatchFailure(op, "operand is not a ranked tensor");
    std::optional<SmallVector<int64_t>> axes = getConstantInts(op.getAxes());
    if (!axes)
      return replaceWithStaticReshape(rewriter, op, op.getData(), resultType);
    int64_t rank = inType.getRank() + static_cast<int64_t>(axes->size());
    if (rank != resultType.getRank())
      return rewriter.notifyMatchFailure(op, "result rank does not match");
    std::optional<SmallVector<bool>> inserted = axesMask(*axes, rank);
    if (!inserted)
      return rewriter.notifyMatchFailure(op, "invalid axes");
    Location loc = op.getLoc();
    SmallVector<OpFoldResult> inSizes =
        tensor::getMixedSizes(rewriter, loc, op.getData());
    SmallVector<OpFoldResult> sizes;
    int64_t next = 0;
    for (bool unit : *inserted)
      sizes.push_back(unit ? rewriter.getIndexAttr(1) : inSizes[next++]);
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(
        op, resultType, op.getData(), unitDimGroups(*inserted),
        sizesForType(rewriter, loc, resultType, sizes));
    return success();
  }
};

struct TransposeToLinalg : OpRewritePattern<ONNXTransposeOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXTransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto inType = dyn_cast<RankedTensorType>(op.getData().getType());
    auto resultType = dyn_cast<RankedTensorType>(op.getTransposed().getType());
    if (!inType || !resultType || inType.getRank() != resultType.getRank())
      return rewriter.notifyMatchFailure(op, "operand is not a ranked tensor");
    int64_t rank = inType.getRank();
    SmallVector<int64_t> perm;
    if (std::optional<ArrayAttr> attr = op.getPerm()) {
      for (Attribute a : *attr)
        perm.push_back(cast<IntegerAttr>(a).getInt());
    } else {
      for (int64_t i = rank - 1; i >= 0; --i)
        perm.push_back(i);
    }
    SmallVector<bool> seen(rank, false);
    if (static_cast<int64_t>(perm.size()) != rank ||
        llvm::any_of(perm, [&](int64_t p) {
          return p < 0 || p >= rank || std::exchange(seen[p], true);
        }))
      return rewriter.notifyMatchFailure(op, "perm is not a permutation");
    Location loc = op.getLoc();
    SmallVector<int64_t> shape;
    SmallVector<Value> dynSizes;
    for (int64_t p : perm) {
      shape.push_back(inType.getDimSize(p));
      if (inType.isDynamicDim(p))
        dynSizes.push_back(
            tensor::DimOp::create(rewriter, loc, op.getData(), p));
    }
    auto type = RankedTensorType::get(shape, inType.getElementType());
    Value init = tensor::EmptyOp::create(rewriter, loc, type, dynSizes);
    Value transposed =
        linalg::TransposeOp::create(rewriter, loc, op.getData(), init, perm)
            .getResult()[0];
    rewriter.replaceOp(op, castIfNeeded(rewriter, loc, transposed, resultType));
    return success();
  }
};

struct ConcatToInsertSlices : OpRewritePattern<ONNXConcatOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXConcatOp op,
                                PatternRewriter &rewriter) const override {
    auto resultType =
        dyn_cast<RankedTensorType>(op.getConcatResult().getType());
    if (!resultType || op.getInputs().empty())
      return rewriter.notifyMatchFailure(op, "result is not a ranked tensor");
    int64_t rank = resultType.getRank();
    for (Value input : op.getInputs()) {
      auto type = dyn_cast<RankedTensorType>(input.getType());
      if (!type || type.getRank() != rank ||
          type.getElementType() != resultType.getElementType())
        return rewriter.notifyMatchFailure(
            op, "inputs are not ranked tensors like the result");
    }
    int64_t axis = op.getAxis();
    if (axis < 0)
      axis += rank;
    if (axis < 0 || axis >= rank)
      return rewriter.notifyMatchFailure(op, "axis out of range");

    Location loc = op.getLoc();
    SmallVector<Value> dynSizes;
    Value first = op.getInputs().front();
    for (int64_t d = 0; d < rank; ++d) {
      if (!resultType.isDynamicDim(d))
        continue;
      if (d != axis) {
        dynSizes.push_back(tensor::DimOp::create(rewriter, loc, first, d));
        continue;
      }
      Value sum = arith::ConstantIndexOp::create(rewriter, loc, 0);
      for (Value input : op.getInputs())
        sum = arith::AddIOp::create(
            rewriter, loc, sum,
            tensor::DimOp::create(rewriter, loc, input, axis));
      dynSizes.push_back(sum);
    }
    Value result = tensor::EmptyOp::create(rewriter, loc, resultType, dynSizes);
    OpFoldResult offset = rewriter.getIndexAttr(0);
    for (Value input : op.getInputs()) {
      SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0));
      offsets[axis] = offset;
      SmallVector<OpFoldResult> sizes =
          tensor::getMixedSizes(rewriter, loc, input);
      SmallVector<OpFoldResult> strides(rank, rewriter.getIndexAttr(1));
      result = tensor::InsertSliceOp::create(rewriter, loc, input, result,
                                             offsets, sizes, strides);
      std::optional<int64_t> a = getConstantIntValue(offset);
      std::optional<int64_t> b = getConstantIntValue(sizes[axis]);
      if (a && b)
        offset = rewriter.getIndexAttr(*a + *b);
      else
        offset =
            arith::AddIOp::create(
                rewriter, loc,
                getValueOrCreateConstantIndexOp(rewriter, loc, offset),
                getValueOrCreateConstantIndexOp(rewriter, loc, sizes[axis]))
                .getResult();
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Shape as a constant where the sliced dimensions are static, else as
/// tensor.from_elements of their tensor.dim.
struct ShapeToTensor : OpRewritePattern<ONNXShapeOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXShapeOp op,
                                PatternRewriter &rewriter) const override {
    auto inType = dyn_cast<RankedTensorType>(op.getData().getType());
    auto resultType = dyn_cast<RankedTensorType>(op.getShape().getType());
    if (!inType || !resultType || resultType.getRank() != 1 ||
        !resultType.getElementType().isInteger(64))
      return rewriter.notifyMatchFailure(
          op, "operand is not ranked or the result is not a 1-D i64 tensor");
    int64_t rank = inType.getRank();
    auto clampAxis = [&](int64_t axis) {
      if (axis < 0)
        axis += rank;
      return std::clamp<int64_t>(axis, 0, rank);
    };
    int64_t start = clampAxis(op.getStart());
    int64_t end = clampAxis(op.getEnd().value_or(rank));
    int64_t count = std::max<int64_t>(end - start, 0);
    if (!resultType.isDynamicDim(0) && resultType.getDimSize(0) != count)
      return rewriter.notifyMatchFailure(op, "result size does not match");
    auto type = RankedTensorType::get({count}, rewriter.getI64Type());
    Location loc = op.getLoc();
    ArrayRef<int64_t> dims = inType.getShape().slice(start, count);
    Value result;
    if (!ShapedType::isDynamicShape(dims)) {
      result = arith::ConstantOp::create(rewriter, loc,
                                         DenseElementsAttr::get(type, dims));
    } else {
      SmallVector<Value> elements;
      for (int64_t i = start; i < start + count; ++i)
        elements.push_back(
            toI64(rewriter, loc,
                  tensor::DimOp::create(rewriter, loc, op.getData(), i)));
      result = tensor::FromElementsOp::create(rewriter, loc, type, elements);
    }
    rewriter.replaceOp(op, castIfNeeded(rewriter, loc, result, resultType));
    return success();
  }
};

/// The sizes of the dynamic dimensions of `resultType` read from the 1-D
/// integer tensor `shape` (its element `i` is the size of dimension `i`).
static SmallVector<Value> dynamicSizesFromShape(OpBuilder &b, Location loc,
                                                RankedTensorType resultType,
                                                Value shape) {
  SmallVector<Value> sizes;
  for (int64_t d = 0, e = resultType.getRank(); d < e; ++d)
    if (resultType.isDynamicDim(d))
      sizes.push_back(toIndex(b, loc, extractScalar(b, loc, shape, d)));
  return sizes;
}

/// Checks that `shape` is a 1-D integer tensor with `rank` elements.
static bool isShapeOfRank(Value shape, int64_t rank) {
  auto type = dyn_cast<RankedTensorType>(shape.getType());
  return type && type.getRank() == 1 && type.getDimSize(0) == rank &&
         isa<IntegerType>(type.getElementType());
}

struct ConstantOfShapeToFill : OpRewritePattern<ONNXConstantOfShapeOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXConstantOfShapeOp op,
                                PatternRewriter &rewriter) const override {
    auto resultType = dyn_cast<RankedTensorType>(op.getOutput().getType());
    if (!resultType)
      return rewriter.notifyMatchFailure(op, "result is not a ranked tensor");
    if (!resultType.hasStaticShape() &&
        !isShapeOfRank(op.getInput(), resultType.getRank()))
      return rewriter.notifyMatchFailure(
          op, "input is not a 1-D integer tensor of the result rank");
    Type elementType = resultType.getElementType();
    TypedAttr value = rewriter.getZeroAttr(elementType);
    if (std::optional<ElementsAttr> attr = op.getValue()) {
      auto dense = dyn_cast<DenseElementsAttr>(*attr);
      if (!dense || dense.getNumElements() != 1 ||
          dense.getElementType() != elementType)
        return rewriter.notifyMatchFailure(
            op, "value is not one element of the result element type");
      value = cast<TypedAttr>(*dense.value_begin<Attribute>());
    } else if (!isa<FloatType, IntegerType>(elementType)) {
      return rewriter.notifyMatchFailure(op, "unsupported element type");
    }
    Location loc = op.getLoc();
    Value scalar = arith::ConstantOp::create(rewriter, loc, value);
    rewriter.replaceOp(
        op, filledTensor(
                rewriter, loc, resultType,
                dynamicSizesFromShape(rewriter, loc, resultType, op.getInput()),
                scalar));
    return success();
  }
};

/// Expand: the input broadcast numpy-style to the result; a dynamic result
/// size is the larger of the input's and the shape's.
struct ExpandToGeneric : OpRewritePattern<ONNXExpandOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXExpandOp op,
                                PatternRewriter &rewriter) const override {
    auto inType = dyn_cast<RankedTensorType>(op.getInput().getType());
    auto resultType = dyn_cast<RankedTensorType>(op.getOutput().getType());
    if (!inType || !resultType ||
        inType.getElementType() != resultType.getElementType())
      return rewriter.notifyMatchFailure(
          op, "operand and result are not ranked tensors of one element type");
    if (!resultType.hasStaticShape() &&
        !isShapeOfRank(op.getShape(), resultType.getRank()))
      return rewriter.notifyMatchFailure(
          op, "shape is not a 1-D integer tensor of the result rank");
    Location loc = op.getLoc();
    int64_t rank = resultType.getRank();
    int64_t offset = rank - inType.getRank();
    SmallVector<Value> dynSizes;
    for (int64_t d = 0; d < rank; ++d) {
      if (!resultType.isDynamicDim(d))
        continue;
      Value size = toIndex(rewriter, loc,
                           extractScalar(rewriter, loc, op.getShape(), d));
      if (d >= offset)
        size = arith::MaxSIOp::create(
            rewriter, loc, size,
            tensor::DimOp::create(rewriter, loc, op.getInput(), d - offset));
      dynSizes.push_back(size);
    }
    FailureOr<SmallVector<AffineMap>> maps =
        broadcastMaps(rewriter, op, op.getInput(), resultType);
    if (failed(maps))
      return failure();
    rewriter.replaceOp(
        op, buildElementwise(rewriter, loc, resultType, dynSizes, op.getInput(),
                             *maps, [](OpBuilder &, Location, ValueRange args) {
                               return args[0];
                             }));
    return success();
  }
};

/// Range: element i is start + i * delta; a dynamic length is
/// max(ceil((limit - start) / delta), 0).
struct RangeToGeneric : OpRewritePattern<ONNXRangeOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXRangeOp op,
                                PatternRewriter &rewriter) const override {
    auto resultType = dyn_cast<RankedTensorType>(op.getOutput().getType());
    if (!resultType || resultType.getRank() != 1)
      return rewriter.notifyMatchFailure(op, "result is not a 1-D tensor");
    Type elementType = resultType.getElementType();
    if (!isa<FloatType, IntegerType>(elementType))
      return rewriter.notifyMatchFailure(op, "unsupported element type");
    for (Value operand : op->getOperands()) {
      auto type = dyn_cast<RankedTensorType>(operand.getType());
      if (!type || type.getNumElements() != 1 ||
          type.getElementType() != elementType)
        return rewriter.notifyMatchFailure(
            op, "start, limit and delta are not scalars of the result type");
    }
    Location loc = op.getLoc();
    auto scalar = [&](Value v) {
      auto type = cast<RankedTensorType>(v.getType());
      SmallVector<Value> zeros(
          type.getRank(), arith::ConstantIndexOp::create(rewriter, loc, 0));
      return tensor::ExtractOp::create(rewriter, loc, v, zeros).getResult();
    };
    Value start = scalar(op.getStart());
    Value delta = scalar(op.getDelta());
    SmallVector<Value> dynSizes;
    if (resultType.isDynamicDim(0)) {
      Value limit = scalar(op.getLimit());
      Value count;
      if (isa<FloatType>(elementType)) {
        Value span = arith::SubFOp::create(rewriter, loc, limit, start);
        Value steps = math::CeilOp::create(
            rewriter, loc, arith::DivFOp::create(rewriter, loc, span, delta));
        count = arith::FPToSIOp::create(rewriter, loc, rewriter.getI64Type(),
                                        steps);
      } else {
        // ceil(a / b) for b != 0 as (a + b - sign(b)) / b, in i64.
        Value a = arith::SubIOp::create(
            rewriter, loc, extractScalar(rewriter, loc, op.getLimit(), 0),
            extractScalar(rewriter, loc, op.getStart(), 0));
        Value b = extractScalar(rewriter, loc, op.getDelta(), 0);
        count = arith::CeilDivSIOp::create(rewriter, loc, a, b);
      }
      Value zero = arith::ConstantIntOp::create(rewriter, loc, 0, 64);
      count = arith::MaxSIOp::create(rewriter, loc, count, zero);
      dynSizes.push_back(toIndex(rewriter, loc, count));
    }
    rewriter.replaceOp(
        op, buildElementwise(
                rewriter, loc, resultType, dynSizes, ValueRange{}, {},
                [&](OpBuilder &b, Location l, ValueRange) -> Value {
                  Value i = linalg::IndexOp::create(b, l, 0);
                  Value asInt =
                      arith::IndexCastOp::create(b, l, b.getI64Type(), i);
                  Value offset;
                  if (auto floatType = dyn_cast<FloatType>(elementType)) {
                    Value f = arith::SIToFPOp::create(b, l, floatType, asInt);
                    offset = arith::MulFOp::create(b, l, f, delta);
                    return arith::AddFOp::create(b, l, start, offset);
                  }
                  Value n = castIntTo(b, l, asInt, elementType);
                  offset = arith::MulIOp::create(b, l, n, delta);
                  return arith::AddIOp::create(b, l, start, offset);
                }));
    return success();
  }

  static Value castIntTo(OpBuilder &b, Location loc, Value v, Type type) {
    unsigned width = type.getIntOrFloatBitWidth();
    if (width == 64)
      return v;
    return arith::TruncIOp::create(b, loc, type, v);
  }
};

/// The first element and the step of one dimension of a Slice, in i64.
struct SliceDim {
  Value start, step;
};

/// Slice as a linalg.generic reading data[start + i * step] per dimension;
/// starts, ends, axes and steps may be known at run time only.
struct SliceToGeneric : OpRewritePattern<ONNXSliceOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXSliceOp op,
                                PatternRewriter &rewriter) const override {
    auto inType = dyn_cast<RankedTensorType>(op.getData().getType());
    auto resultType = dyn_cast<RankedTensorType>(op.getOutput().getType());
    if (!inType || !resultType || inType.getRank() != resultType.getRank() ||
        inType.getElementType() != resultType.getElementType())
      return rewriter.notifyMatchFailure(
          op, "operand and result are not ranked tensors of one type");
    auto startsType = dyn_cast<RankedTensorType>(op.getStarts().getType());
    if (!startsType || startsType.getRank() != 1 || startsType.isDynamicDim(0))
      return rewriter.notifyMatchFailure(
          op, "starts is not a 1-D tensor of static size");
    int64_t count = startsType.getDimSize(0);
    SmallVector<Value> vectors = {op.getEnds()};
    if (!isa<NoneType>(op.getAxes().getType()))
      vectors.push_back(op.getAxes());
    if (!isa<NoneType>(op.getSteps().getType()))
      vectors.push_back(op.getSteps());
    for (Value v : vectors)
      if (!isShapeOfRank(v, count))
        return rewriter.notifyMatchFailure(
            op, "ends, axes and steps are not like starts");
    int64_t rank = inType.getRank();
    std::optional<SmallVector<int64_t>> constantAxes;
    if (isa<NoneType>(op.getAxes().getType()))
      constantAxes = llvm::to_vector(llvm::seq<int64_t>(0, count));
    else
      constantAxes = getConstantInts(op.getAxes());
    if (constantAxes && !axesMask(*constantAxes, rank))
      return rewriter.notifyMatchFailure(op, "invalid axes");

    Location loc = op.getLoc();
    auto i64 = [&](int64_t v) {
      return arith::ConstantIntOp::create(rewriter, loc, v, 64).getResult();
    };
    Value zero = i64(0), one = i64(1);
    // Per dimension: start, step, and the number of elements taken.
    SmallVector<SliceDim> dims;
    SmallVector<Value> sizes;
    for (int64_t d = 0; d < rank; ++d) {
      dims.push_back({zero, one});
      sizes.push_back(
          toI64(rewriter, loc,
                tensor::DimOp::create(rewriter, loc, op.getData(), d)));
    }
    for (int64_t k = 0; k < count; ++k) {
      Value start = extractScalar(rewriter, loc, op.getStarts(), k);
      Value end = extractScalar(rewriter, loc, op.getEnds(), k);
      Value step = isa<NoneType>(op.getSteps().getType())
                       ? one
                       : extractScalar(rewriter, loc, op.getSteps(), k);
      Value axis;
      if (!constantAxes) {
        axis = extractScalar(rewriter, loc, op.getAxes(), k);
        Value negative = arith::CmpIOp::create(
            rewriter, loc, arith::CmpIPredicate::slt, axis, zero);
        axis = arith::SelectOp::create(
            rewriter, loc, negative,
            arith::AddIOp::create(rewriter, loc, axis, i64(rank)), axis);
      }
      for (int64_t d = 0; d < rank; ++d) {
        if (constantAxes) {
          int64_t a = (*constantAxes)[k];
          if ((a < 0 ? a + rank : a) != d)
            continue;
        }
        Value dim =
            toI64(rewriter, loc,
                  tensor::DimOp::create(rewriter, loc, op.getData(), d));
        auto [first, size] = sliceDim(rewriter, loc, start, end, step, dim);
        if (constantAxes) {
          dims[d] = {first, step};
          sizes[d] = size;
          continue;
        }
        Value here = arith::CmpIOp::create(
            rewriter, loc, arith::CmpIPredicate::eq, axis, i64(d));
        dims[d] = {
            arith::SelectOp::create(rewriter, loc, here, first, dims[d].start),
            arith::SelectOp::create(rewriter, loc, here, step, dims[d].step)};
        sizes[d] = arith::SelectOp::create(rewriter, loc, here, size, sizes[d]);
      }
    }
    SmallVector<Value> dynSizes;
    for (int64_t d = 0; d < rank; ++d)
      if (resultType.isDynamicDim(d))
        dynSizes.push_back(toIndex(rewriter, loc, sizes[d]));
    Value data = op.getData();
    rewriter.replaceOp(
        op,
        buildElementwise(
            rewriter, loc, resultType, dynSizes, ValueRange{}, {},
            [&](OpBuilder &b, Location l, ValueRange) -> Value {
              SmallVector<Value> indices;
              for (auto [d, i] : llvm::enumerate(loopIndices(b, l, rank))) {
                Value offset =
                    arith::MulIOp::create(b, l, toI64(b, l, i), dims[d].step);
                indices.push_back(toIndex(
                    b, l, arith::AddIOp::create(b, l, dims[d].start, offset)));
              }
              return tensor::ExtractOp::create(b, l, data, indices);
            }));
    return success();
  }

  /// ONNX's clamping of `start` and `end` into a dimension of size `dim`:
  /// the first index taken and the number of elements.
  static std::pair<Value, Value> sliceDim(OpBuilder &b, Location loc,
                                          Value start, Value end, Value step,
                                          Value dim) {
    auto i64 = [&](int64_t v) {
      return arith::ConstantIntOp::create(b, loc, v, 64).getResult();
    };
    Value zero = i64(0), minusOne = i64(-1);
    auto wrap = [&](Value v) {
      Value negative =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, v, zero);
      return arith::SelectOp::create(b, loc, negative,
                                     arith::AddIOp::create(b, loc, v, dim), v)
          .getResult();
    };
    auto clamp = [&](Value v, Value lo, Value hi) {
      return arith::MinSIOp::create(b, loc,
                                    arith::MaxSIOp::create(b, loc, v, lo), hi)
          .getResult();
    };
    Value forward =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, step, zero);
    Value last = arith::AddIOp::create(b, loc, dim, minusOne);
    start = wrap(start);
    end = wrap(end);
    // step > 0: both in [0, dim]; step < 0: start in [0, dim - 1], end in
    // [-1, dim - 1].
    Value first = arith::SelectOp::create(
        b, loc, forward, clamp(start, zero, dim), clamp(start, zero, last));
    Value stop = arith::SelectOp::create(b, loc, forward, clamp(end, zero, dim),
                                         clamp(end, minusOne, last));
    Value span = arith::SubIOp::create(b, loc, stop, first);
    Value size = arith::MaxSIOp::create(
        b, loc, arith::CeilDivSIOp::create(b, loc, span, step), zero);
    return {first, size};
  }
};

/// Split as one tensor.extract_slice per result along the axis; the sizes
/// come from the static results, else from `split`, else are equal parts.
struct SplitToSlices : OpRewritePattern<ONNXSplitOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXSplitOp op,
                                PatternRewriter &rewriter) const override {
    auto inType = dyn_cast<RankedTensorType>(op.getInput().getType());
    if (!inType)
      return rewriter.notifyMatchFailure(op, "operand is not a ranked tensor");
    int64_t rank = inType.getRank();
    int64_t axis = op.getAxis();
    if (axis < 0)
      axis += rank;
    if (axis < 0 || axis >= rank)
      return rewriter.notifyMatchFailure(op, "axis out of range");
    int64_t parts = op.getNumResults();
    bool hasSplit = !isa<NoneType>(op.getSplit().getType());
    if (hasSplit && !isShapeOfRank(op.getSplit(), parts))
      return rewriter.notifyMatchFailure(
          op, "split is not a 1-D integer tensor with one size per result");
    for (Value result : op.getResults()) {
      auto type = dyn_cast<RankedTensorType>(result.getType());
      if (!type || type.getRank() != rank ||
          type.getElementType() != inType.getElementType())
        return rewriter.notifyMatchFailure(
            op, "results are not ranked tensors like the input");
    }
    Location loc = op.getLoc();
    SmallVector<OpFoldResult> inSizes =
        tensor::getMixedSizes(rewriter, loc, op.getInput());
    Value equalPart;
    SmallVector<Value> results;
    OpFoldResult offset = rewriter.getIndexAttr(0);
    for (auto [i, result] : llvm::enumerate(op.getResults())) {
      auto type = cast<RankedTensorType>(result.getType());
      OpFoldResult size;
      if (!type.isDynamicDim(axis)) {
        size = rewriter.getIndexAttr(type.getDimSize(axis));
      } else if (hasSplit) {
        size = toIndex(rewriter, loc,
                       extractScalar(rewriter, loc, op.getSplit(), i));
      } else {
        if (!equalPart)
          equalPart = arith::DivUIOp::create(
              rewriter, loc,
              getValueOrCreateConstantIndexOp(rewriter, loc, inSizes[axis]),
              arith::ConstantIndexOp::create(rewriter, loc, parts));
        size = equalPart;
      }
      SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0));
      offsets[axis] = offset;
      SmallVector<OpFoldResult> sizes = inSizes;
      sizes[axis] = size;
      SmallVector<OpFoldResult> strides(rank, rewriter.getIndexAttr(1));
      Value slice = tensor::ExtractSliceOp::create(rewriter, loc, op.getInput(),
                                                   offsets, sizes, strides);
      results.push_back(castIfNeeded(rewriter, loc, slice, type));
      offset = addOfrs(rewriter, loc, offset, size);
    }
    rewriter.replaceOp(op, results);
    return success();
  }

  static OpFoldResult addOfrs(OpBuilder &b, Location loc, OpFoldResult x,
                              OpFoldResult y) {
    std::optional<int64_t> a = getConstantIntValue(x);
    std::optional<int64_t> c = getConstantIntValue(y);
    if (a && c)
      return b.getIndexAttr(*a + *c);
    return arith::AddIOp::create(b, loc,
                                 getValueOrCreateConstantIndexOp(b, loc, x),
                                 getValueOrCreateConstantIndexOp(b, loc, y))
        .getResult();
  }
};

/// An ONNX gather index as an index into an axis of `axisSize` elements:
/// widened to i64 (zero-extended when unsigned), negative ones counting from
/// the end.
static Value gatherIndex(OpBuilder &b, Location l, Value index, bool isUnsigned,
                         Value axisSize) {
  if (index.getType().getIntOrFloatBitWidth() < 64)
    index =
        isUnsigned
            ? arith::ExtUIOp::create(b, l, b.getI64Type(), index).getResult()
            : arith::ExtSIOp::create(b, l, b.getI64Type(), index).getResult();
  index = toIndex(b, l, index);
  Value zero = arith::ConstantIndexOp::create(b, l, 0);
  Value negative =
      arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, index, zero);
  return arith::SelectOp::create(
      b, l, negative, arith::AddIOp::create(b, l, index, axisSize), index);
}

/// Gather along `axis`: out[pre, idx..., post] = data[pre, indices[idx...],
/// post], negative indices counting from the end.
struct GatherToGeneric : OpRewritePattern<ONNXGatherOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXGatherOp op,
                                PatternRewriter &rewriter) const override {
    auto dataType = dyn_cast<RankedTensorType>(op.getData().getType());
    auto indicesType = dyn_cast<RankedTensorType>(op.getIndices().getType());
    auto resultType = dyn_cast<RankedTensorType>(op.getOutput().getType());
    if (!dataType || !indicesType || !resultType ||
        !isa<IntegerType>(indicesType.getElementType()) ||
        dataType.getElementType() != resultType.getElementType())
      return rewriter.notifyMatchFailure(
          op, "data, integer indices and result are not ranked tensors");
    int64_t rank = dataType.getRank();
    int64_t axis = op.getAxis();
    if (axis < 0)
      axis += rank;
    if (axis < 0 || axis >= rank)
      return rewriter.notifyMatchFailure(op, "axis out of range");
    int64_t indexRank = indicesType.getRank();
    if (resultType.getRank() != rank - 1 + indexRank)
      return rewriter.notifyMatchFailure(op, "result rank does not match");

    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    int64_t outRank = resultType.getRank();
    SmallVector<AffineExpr> indexExprs;
    for (int64_t i = 0; i < indexRank; ++i)
      indexExprs.push_back(getAffineDimExpr(axis + i, ctx));
    AffineMap indexMap = AffineMap::get(outRank, 0, indexExprs, ctx);
    SmallVector<Value> dynSizes;
    for (int64_t d = 0; d < outRank; ++d) {
      if (!resultType.isDynamicDim(d))
        continue;
      if (d < axis)
        dynSizes.push_back(
            tensor::DimOp::create(rewriter, loc, op.getData(), d));
      else if (d < axis + indexRank)
        dynSizes.push_back(
            tensor::DimOp::create(rewriter, loc, op.getIndices(), d - axis));
      else
        dynSizes.push_back(tensor::DimOp::create(rewriter, loc, op.getData(),
                                                 d - indexRank + 1));
    }
    Value data = op.getData();
    Value axisSize = tensor::DimOp::create(rewriter, loc, data, axis);
    bool isUnsigned = isUnsignedOperand(op, 1);
    rewriter.replaceOp(
        op,
        buildElementwise(
            rewriter, loc, resultType, dynSizes, op.getIndices(), {indexMap},
            [&](OpBuilder &b, Location l, ValueRange args) -> Value {
              Value index = gatherIndex(b, l, args[0], isUnsigned, axisSize);
              SmallVector<Value> ivs = loopIndices(b, l, outRank);
              SmallVector<Value> coords(ivs.begin(), ivs.begin() + axis);
              coords.push_back(index);
              coords.append(ivs.begin() + axis + indexRank, ivs.end());
              return tensor::ExtractOp::create(b, l, data, coords);
            }));
    return success();
  }
};

/// GatherElements along `axis`: out[i..] = data[i.. with indices[i..] at
/// `axis`], negative indices counting from the end.
struct GatherElementsToGeneric : OpRewritePattern<ONNXGatherElementsOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXGatherElementsOp op,
                                PatternRewriter &rewriter) const override {
    auto dataType = dyn_cast<RankedTensorType>(op.getData().getType());
    auto indicesType = dyn_cast<RankedTensorType>(op.getIndices().getType());
    auto resultType = dyn_cast<RankedTensorType>(op.getOutput().getType());
    if (!dataType || !indicesType || !resultType ||
        !isa<IntegerType>(indicesType.getElementType()) ||
        dataType.getElementType() != resultType.getElementType() ||
        dataType.getRank() != indicesType.getRank() ||
        resultType.getRank() != indicesType.getRank())
      return rewriter.notifyMatchFailure(
          op, "data, integer indices and result are not ranked tensors of "
              "one rank");
    int64_t rank = dataType.getRank();
    int64_t axis = op.getAxis();
    if (axis < 0)
      axis += rank;
    if (axis < 0 || axis >= rank)
      return rewriter.notifyMatchFailure(op, "axis out of range");
    Location loc = op.getLoc();
    Value data = op.getData();
    Value axisSize = tensor::DimOp::create(rewriter, loc, data, axis);
    bool isUnsigned = isUnsignedOperand(op, 1);
    rewriter.replaceOp(
        op, buildElementwise(
                rewriter, loc, resultType,
                tensor::createDynamicDimValues(rewriter, loc, op.getIndices()),
                op.getIndices(), {rewriter.getMultiDimIdentityMap(rank)},
                [&](OpBuilder &b, Location l, ValueRange args) -> Value {
                  Value index =
                      gatherIndex(b, l, args[0], isUnsigned, axisSize);
                  SmallVector<Value> coords = loopIndices(b, l, rank);
                  coords[axis] = index;
                  return tensor::ExtractOp::create(b, l, data, coords);
                }));
    return success();
  }
};

/// Trilu: keeps the elements with j - i >= k (upper) or j - i <= k (lower)
/// of the last two dimensions, zeroes the others; k (default 0) may be
/// known at run time only.
struct TriluToGeneric : OpRewritePattern<ONNXTriluOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXTriluOp op,
                                PatternRewriter &rewriter) const override {
    auto inType = dyn_cast<RankedTensorType>(op.getInput().getType());
    auto resultType = dyn_cast<RankedTensorType>(op.getOutput().getType());
    if (!inType || !resultType || inType.getRank() < 2 ||
        inType.getElementType() != resultType.getElementType() ||
        !isa<FloatType, IntegerType>(inType.getElementType()))
      return rewriter.notifyMatchFailure(
          op, "input and output are not numeric tensors of rank >= 2");
    Location loc = op.getLoc();
    Value k = arith::ConstantIntOp::create(rewriter, loc, 0, 64);
    if (!isa<NoneType>(op.getK().getType())) {
      auto kType = dyn_cast<RankedTensorType>(op.getK().getType());
      if (!kType || kType.getNumElements() != 1 ||
          !isa<IntegerType>(kType.getElementType()))
        return rewriter.notifyMatchFailure(op, "k is not an integer scalar");
      k = extractScalar(rewriter, loc, op.getK(), 0);
    }
    bool upper = op.getUpper() != 0;
    int64_t rank = inType.getRank();
    Type elementType = inType.getElementType();
    rewriter.replaceOp(
        op,
        buildElementwise(
            rewriter, loc, resultType,
            tensor::createDynamicDimValues(rewriter, loc, op.getInput()),
            op.getInput(), {rewriter.getMultiDimIdentityMap(rank)},
            [&](OpBuilder &b, Location l, ValueRange args) -> Value {
              SmallVector<Value> ivs = loopIndices(b, l, rank);
              Value i = toI64(b, l, ivs[rank - 2]);
              Value j = toI64(b, l, ivs[rank - 1]);
              Value diagonal = arith::SubIOp::create(b, l, j, i);
              Value keep = arith::CmpIOp::create(
                  b, l,
                  upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle,
                  diagonal, k);
              return arith::SelectOp::create(
                  b, l, keep, args[0], scalarConstant(b, l, elementType, 0.0));
            }));
    return success();
  }
};

/// Tile: out[i..] = input[i mod size..]; a dynamic result dimension is the
/// input's times its repeat, read at run time.
struct TileToGeneric : OpRewritePattern<ONNXTileOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXTileOp op,
                                PatternRewriter &rewriter) const override {
    auto inType = dyn_cast<RankedTensorType>(op.getInput().getType());
    auto resultType = dyn_cast<RankedTensorType>(op.getOutput().getType());
    auto repeatsType = dyn_cast<RankedTensorType>(op.getRepeats().getType());
    if (!inType || !resultType || !repeatsType ||
        inType.getElementType() != resultType.getElementType() ||
        inType.getRank() != resultType.getRank() ||
        repeatsType.getRank() != 1 ||
        repeatsType.getDimSize(0) != inType.getRank())
      return rewriter.notifyMatchFailure(
          op, "input and output are not ranked tensors of one type and rank "
              "with one repeat per dimension");
    Location loc = op.getLoc();
    int64_t rank = inType.getRank();
    Value input = op.getInput();
    SmallVector<Value> dynSizes;
    for (int64_t d = 0; d < rank; ++d) {
      if (!resultType.isDynamicDim(d))
        continue;
      Value repeat = toIndex(rewriter, loc,
                             extractScalar(rewriter, loc, op.getRepeats(), d));
      dynSizes.push_back(arith::MulIOp::create(
          rewriter, loc, tensor::DimOp::create(rewriter, loc, input, d),
          repeat));
    }
    SmallVector<Value> inSizes;
    for (int64_t d = 0; d < rank; ++d)
      inSizes.push_back(tensor::DimOp::create(rewriter, loc, input, d));
    rewriter.replaceOp(
        op,
        buildElementwise(
            rewriter, loc, resultType, dynSizes, ValueRange{}, {},
            [&](OpBuilder &b, Location l, ValueRange) -> Value {
              SmallVector<Value> coords;
              for (auto [d, index] : llvm::enumerate(loopIndices(b, l, rank)))
                coords.push_back(
                    arith::RemUIOp::create(b, l, index, inSizes[d]));
              return tensor::ExtractOp::create(b, l, input, coords);
            }));
    return success();
  }
};

/// EyeLike: 1 on the k-th diagonal of a 2-D tensor of the input's shape.
struct EyeLikeToGeneric : OpRewritePattern<ONNXEyeLikeOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXEyeLikeOp op,
                                PatternRewriter &rewriter) const override {
    auto inType = dyn_cast<RankedTensorType>(op.getInput().getType());
    auto resultType = dyn_cast<RankedTensorType>(op.getOutput().getType());
    if (!inType || !resultType || inType.getRank() != 2 ||
        resultType.getRank() != 2 ||
        !isa<FloatType, IntegerType>(resultType.getElementType()))
      return rewriter.notifyMatchFailure(
          op, "input and output are not 2-D numeric tensors");
    Location loc = op.getLoc();
    int64_t k = op.getK();
    Type elementType = resultType.getElementType();
    rewriter.replaceOp(
        op, buildElementwise(
                rewriter, loc, resultType,
                tensor::createDynamicDimValues(rewriter, loc, op.getInput()),
                ValueRange{}, {},
                [&](OpBuilder &b, Location l, ValueRange) -> Value {
                  SmallVector<Value> ivs = loopIndices(b, l, 2);
                  Value shifted = arith::AddIOp::create(
                      b, l, ivs[0], arith::ConstantIndexOp::create(b, l, k));
                  Value onDiagonal = arith::CmpIOp::create(
                      b, l, arith::CmpIPredicate::eq, shifted, ivs[1]);
                  return arith::SelectOp::create(
                      b, l, onDiagonal, scalarConstant(b, l, elementType, 1.0),
                      scalarConstant(b, l, elementType, 0.0));
                }));
    return success();
  }
};

/// DepthToSpace and SpaceToDepth of an NCHW tensor with block size b, each
/// output element read from its input position: DepthToSpace (DCR) takes
/// out[n, c, h, w] = in[n, ((h % b) b + w % b) C' + c, h / b, w / b] (CRD:
/// channel c b^2 + (h % b) b + w % b); SpaceToDepth is DCR's inverse.
template <typename OpTy, bool ToSpace>
struct BlockRearrangeToGeneric : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    auto inType = dyn_cast<RankedTensorType>(op.getInput().getType());
    auto resultType = dyn_cast<RankedTensorType>(op.getOutput().getType());
    if (!inType || !resultType || inType.getRank() != 4 ||
        resultType.getRank() != 4 || !resultType.hasStaticShape() ||
        inType.getElementType() != resultType.getElementType())
      return rewriter.notifyMatchFailure(
          op, "input and output are not 4-D tensors of one type with a "
              "static output shape");
    int64_t block = op.getBlocksize();
    if (block <= 0)
      return rewriter.notifyMatchFailure(op, "blocksize is not positive");
    bool crd = false;
    if constexpr (ToSpace) {
      if (op.getMode() != "DCR" && op.getMode() != "CRD")
        return rewriter.notifyMatchFailure(op, "mode is not DCR or CRD");
      crd = op.getMode() == "CRD";
    }
    Location loc = op.getLoc();
    Value input = op.getInput();
    // Channels of the side with fewer of them.
    int64_t narrow = ToSpace ? resultType.getDimSize(1)
                             : resultType.getDimSize(1) / (block * block);
    rewriter.replaceOp(
        op, buildElementwise(
                rewriter, loc, resultType, ValueRange{}, ValueRange{}, {},
                [&](OpBuilder &b, Location l, ValueRange) -> Value {
                  SmallVector<Value> ivs = loopIndices(b, l, 4);
                  auto c = [&](int64_t v) {
                    return arith::ConstantIndexOp::create(b, l, v).getResult();
                  };
                  auto mul = [&](Value x, Value y) {
                    return arith::MulIOp::create(b, l, x, y).getResult();
                  };
                  auto add = [&](Value x, Value y) {
                    return arith::AddIOp::create(b, l, x, y).getResult();
                  };
                  auto div = [&](Value x, Value y) {
                    return arith::DivUIOp::create(b, l, x, y).getResult();
                  };
                  auto rem = [&](Value x, Value y) {
                    return arith::RemUIOp::create(b, l, x, y).getResult();
                  };
                  Value n = ivs[0], ch = ivs[1], h = ivs[2], w = ivs[3];
                  Value bs = c(block);
                  SmallVector<Value> coords;
                  if (ToSpace) {
                    Value offset = add(mul(rem(h, bs), bs), rem(w, bs));
                    Value channel = crd ? add(mul(ch, c(block * block)), offset)
                                        : add(mul(offset, c(narrow)), ch);
                    coords = {n, channel, div(h, bs), div(w, bs)};
                  } else {
                    Value q = div(ch, c(narrow));
                    coords = {n, rem(ch, c(narrow)),
                              add(mul(h, bs), div(q, bs)),
                              add(mul(w, bs), rem(q, bs))};
                  }
                  return tensor::ExtractOp::create(b, l, input, coords);
                }));
    return success();
  }
};

} // namespace

void fqt::onnx_to_linalg::populateShapePatterns(RewritePatternSet &patterns) {
  patterns.add<
      ConstantToArith, IdentityToInput, ReshapeToTensor, FlattenToCollapse,
      SqueezeToCollapse, UnsqueezeToExpand, TransposeToLinalg,
      ConcatToInsertSlices, ShapeToTensor, ConstantOfShapeToFill,
      ExpandToGeneric, RangeToGeneric, SliceToGeneric, SplitToSlices,
      GatherToGeneric, GatherElementsToGeneric, TriluToGeneric, TileToGeneric,
      EyeLikeToGeneric, BlockRearrangeToGeneric<ONNXDepthToSpaceOp, true>,
      BlockRearrangeToGeneric<ONNXSpaceToDepthOp, false>>(
      patterns.getContext());
}
