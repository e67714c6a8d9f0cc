//===- Shape.cpp - onnx shape ops to tensor and linalg --------------------===//
//
// Constant as arith.constant; Identity forwarded; Reshape, Flatten, Squeeze
// and Unsqueeze as tensor.collapse_shape / tensor.expand_shape; Transpose as
// linalg.transpose; Concat as tensor.insert_slice into a tensor.empty.
//
//===----------------------------------------------------------------------===//

#include "Patterns.h"

#include "ONNX/ONNXOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

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

struct ReshapeToTensor : OpRewritePattern<ONNXReshapeOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXReshapeOp op,
                                PatternRewriter &rewriter) const override {
    auto inType = dyn_cast<RankedTensorType>(op.getData().getType());
    auto resultType = dyn_cast<RankedTensorType>(op.getReshaped().getType());
    if (!inType || !resultType)
      return rewriter.notifyMatchFailure(op, "operand is not a ranked tensor");
    std::optional<SmallVector<int64_t>> shape = getConstantInts(op.getShape());
    if (!shape)
      return rewriter.notifyMatchFailure(op, "shape is not a constant");
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
};

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
        return rewriter.notifyMatchFailure(op, "axes are not a constant");
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
      return rewriter.notifyMatchFailure(op, "axes are not a constant");
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

} // namespace

void fqt::onnx_to_linalg::populateShapePatterns(RewritePatternSet &patterns) {
  patterns.add<ConstantToArith, IdentityToInput, ReshapeToTensor,
               FlattenToCollapse, SqueezeToCollapse, UnsqueezeToExpand,
               TransposeToLinalg, ConcatToInsertSlices>(patterns.getContext());
}
