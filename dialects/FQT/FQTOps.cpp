//===- FQTOps.cpp - fqt operations ----------------------------------------===//

#include "FQT/FQTOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace fqt;

//===----------------------------------------------------------------------===//
// Shared checks of a quantized value: codes + scale (+ offset) (+ transform)
//===----------------------------------------------------------------------===//

/// Prints a quantizer as it appears in the IR, for diagnostics.
static std::string str(QuantizerAttrInterface quantizer) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << quantizer;
  return text;
}

static bool isDynamicOr(int64_t size, int64_t expected) {
  return ShapedType::isDynamic(size) || ShapedType::isDynamic(expected) ||
         size == expected;
}

static bool shapesCompatible(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  if (a.size() != b.size())
    return false;
  for (auto [x, y] : llvm::zip_equal(a, b))
    if (!isDynamicOr(x, y))
      return false;
  return true;
}

static std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "[";
  llvm::interleave(
      shape, os,
      [&](int64_t d) {
        if (ShapedType::isDynamic(d))
          os << "?";
        else
          os << d;
      },
      "x");
  os << "]";
  return text;
}

/// Verifies that `codes` of shape `shape` quantized by `quantizer` come with
/// a scale, offset and transform of the right shapes. `what` names the value
/// in messages ("codes", "lhs", "rhs").
/// In a product (`inProduct`) an #fqt.rht operand carries no transform: both
/// operands are in the transformed domain, where the product is the same.
static LogicalResult verifyQuantizedValue(Operation *op, StringRef what,
                                          QuantizerAttrInterface quantizer,
                                          RankedTensorType codesType,
                                          RankedTensorType scaleType,
                                          RankedTensorType offsetType,
                                          RankedTensorType transformType,
                                          bool inProduct = false) {
  if (quantizer.isNone())
    return op->emitOpError()
           << what << ": #fqt.none is not a quantizer of codes";

  unsigned bits = quantizer.getBits();
  unsigned width = codesType.getElementType().getIntOrFloatBitWidth();
  if (width < bits)
    return op->emitOpError()
           << what << ": code type " << codesType.getElementType()
           << " is narrower than the " << bits << " bits of " << str(quantizer);

  ArrayRef<int64_t> shape = codesType.getShape();
  FailureOr<SmallVector<int64_t>> scaleShape = getScaleShape(quantizer, shape);
  if (failed(scaleShape))
    return op->emitOpError()
           << what << ": " << str(quantizer) << " scales per "
           << stringifyGranularity(quantizer.getGranularity())
           << ", which a tensor of rank " << shape.size() << " does not have";

  int64_t minRows = quantizer.getMinRows();
  if (!shape.empty() && !ShapedType::isDynamic(shape.front()) &&
      shape.front() < minRows)
    return op->emitOpError()
           << what << ": " << str(quantizer) << " needs at least " << minRows
           << " rows, got " << shape.front();

  // Row quantizers may scale whole row groups (the samples of a
  // convolution's [N*OH*OW, OC] dY): one scale per group of d0 / G
  // consecutive rows.
  auto isRowGroupScale = [&] {
    if (quantizer.getGranularity() != Granularity::row ||
        scaleType.getRank() != 1)
      return false;
    int64_t rows = shape.front(), groups = scaleType.getDimSize(0);
    return !ShapedType::isDynamic(rows) && !ShapedType::isDynamic(groups) &&
           groups > 0 && rows % groups == 0;
  };
  if (!shapesCompatible(scaleType.getShape(), *scaleShape) &&
      !isRowGroupScale())
    return op->emitOpError()
           << what << ": scale shape " << shapeStr(scaleType.getShape())
           << " does not match the per-"
           << stringifyGranularity(quantizer.getGranularity()) << " shape "
           << shapeStr(*scaleShape) << " of " << str(quantizer)
           << " on a tensor of shape " << shapeStr(shape)
           << (quantizer.getGranularity() == Granularity::row
                   ? ", nor [G] for G row groups dividing the rows"
                   : "");

  if (quantizer.isSymmetric()) {
    if (offsetType)
      return op->emitOpError()
             << what << ": symmetric " << str(quantizer) << " has no offset";
  } else {
    if (!offsetType)
      return op->emitOpError()
             << what << ": " << str(quantizer) << " needs an offset";
    if (offsetType.getShape() != scaleType.getShape())
      return op->emitOpError()
             << what << ": offset shape " << shapeStr(offsetType.getShape())
             << " differs from scale shape " << shapeStr(scaleType.getShape());
  }

  if (auto rht = dyn_cast<RHTAttr>(quantizer)) {
    int64_t length = shape[rht.getAxis()];
    if (!ShapedType::isDynamic(length) && length % rht.getSize() != 0)
      return op->emitOpError()
             << what << ": " << str(quantizer) << " transforms blocks of "
             << rht.getSize() << ", which do not divide the " << length
             << " values of dimension " << rht.getAxis();
    if (inProduct) {
      if (transformType)
        return op->emitOpError()
               << what << ": an #fqt.rht operand of a product takes no "
               << "transform (the product is the same in the transformed "
                  "domain)";
      return success();
    }
    if (!transformType)
      return op->emitOpError()
             << what << ": " << str(quantizer) << " needs its signs as "
             << "transform";
    if (!shapesCompatible(transformType.getShape(), {rht.getSize()}))
      return op->emitOpError()
             << what << ": transform shape "
             << shapeStr(transformType.getShape()) << " is not the "
             << shapeStr({rht.getSize()}) << " signs of " << str(quantizer);
    return success();
  }

  bool needsTransform = isa<BHQAttr>(quantizer);
  if (needsTransform && !transformType)
    return op->emitOpError()
           << what << ": " << str(quantizer) << " needs its inverse transform";
  if (!needsTransform && transformType)
    return op->emitOpError() << what << ": only #fqt.bhq and #fqt.rht have a "
                             << "transform, not " << str(quantizer);
  if (transformType) {
    // G x G for G groups of consecutive rows (see fqt.quantize).
    int64_t rows = shape.front();
    ArrayRef<int64_t> t = transformType.getShape();
    int64_t groups = t.size() == 2 ? t[0] : ShapedType::kDynamic;
    bool square = t.size() == 2 && isDynamicOr(t[0], t[1]);
    bool divides = ShapedType::isDynamic(rows) ||
                   ShapedType::isDynamic(groups) ||
                   (groups > 0 && rows % groups == 0);
    if (!square || !divides)
      return op->emitOpError() << what << ": transform shape " << shapeStr(t)
                               << " is not G x G for G row groups dividing the "
                               << rows << " rows";
    if (!ShapedType::isDynamic(groups) && groups < minRows)
      return op->emitOpError()
             << what << ": " << str(quantizer) << " needs at least " << minRows
             << " row groups, got " << groups;
    if (!shapesCompatible(scaleType.getShape(), {groups}))
      return op->emitOpError()
             << what << ": scale shape " << shapeStr(scaleType.getShape())
             << " does not match the " << groups
             << " row groups of the transform";
  }
  return success();
}

static RankedTensorType typeOf(Value value) {
  return value ? cast<RankedTensorType>(value.getType()) : RankedTensorType();
}

//===----------------------------------------------------------------------===//
// QuantizeOp
//===----------------------------------------------------------------------===//

/// `, offset TYPE` and `, transform TYPE`, each optional (an #fqt.rht has a
/// transform and no offset, so the comma cannot tell which follows).
static ParseResult parseOffsetAndTransform(OpAsmParser &parser, Type &offset,
                                           Type &transform) {
  while (succeeded(parser.parseOptionalComma())) {
    StringRef keyword;
    if (parser.parseKeyword(&keyword))
      return failure();
    if (keyword == "offset" && !offset && !transform) {
      if (parser.parseType(offset))
        return failure();
    } else if (keyword == "transform" && !transform) {
      if (parser.parseType(transform))
        return failure();
    } else {
      return parser.emitError(parser.getCurrentLocation(),
                              "expected 'offset' or 'transform' (in that "
                              "order), got '")
             << keyword << "'";
    }
  }
  return success();
}

static void printOffsetAndTransform(OpAsmPrinter &printer, Operation *,
                                    Type offset, Type transform) {
  if (offset)
    printer << ", offset " << offset;
  if (transform)
    printer << ", transform " << transform;
}

LogicalResult QuantizeOp::verify() {
  QuantizerAttrInterface quantizer = getQuantizer();
  RankedTensorType inputType = getInput().getType();
  RankedTensorType codesType = getCodes().getType();
  if (!shapesCompatible(inputType.getShape(), codesType.getShape()))
    return emitOpError() << "codes shape " << shapeStr(codesType.getShape())
                         << " differs from input shape "
                         << shapeStr(inputType.getShape());
  if (failed(verifyQuantizedValue(*this, "codes", quantizer, codesType,
                                  typeOf(getScale()), typeOf(getOffset()),
                                  typeOf(getTransform()))))
    return failure();

  bool hasKey = getSeed() != nullptr;
  if (hasKey != (getStep() != nullptr))
    return emitOpError() << "seed and step come together";
  if (quantizer.getRounding() == Rounding::stochastic && !hasKey)
    return emitOpError() << "stochastic rounding of " << str(quantizer)
                         << " needs seed(%seed, %step)";
  if (quantizer.getRounding() == Rounding::nearest && hasKey)
    return emitOpError() << "nearest rounding of " << str(quantizer)
                         << " takes no seed";

  bool needsGamma = isa<LBTAttr>(quantizer);
  if (needsGamma && !getGamma())
    return emitOpError() << str(quantizer) << " needs its clipping factor "
                         << "gamma(%gamma)";
  if (!needsGamma && getGamma())
    return emitOpError() << "only #fqt.lbt takes gamma, not " << str(quantizer);
  return success();
}

//===----------------------------------------------------------------------===//
// DequantizeOp
//===----------------------------------------------------------------------===//

LogicalResult DequantizeOp::verify() {
  RankedTensorType codesType = getCodes().getType();
  RankedTensorType resultType = getResult().getType();
  if (!shapesCompatible(codesType.getShape(), resultType.getShape()))
    return emitOpError() << "result shape " << shapeStr(resultType.getShape())
                         << " differs from codes shape "
                         << shapeStr(codesType.getShape());
  return verifyQuantizedValue(*this, "codes", getQuantizer(), codesType,
                              typeOf(getScale()), typeOf(getOffset()),
                              typeOf(getTransform()));
}

//===----------------------------------------------------------------------===//
// QMatmulOp
//===----------------------------------------------------------------------===//

/// Logical (rows, columns) of a stored matrix after an optional transpose.
static std::pair<int64_t, int64_t> logicalDims(RankedTensorType type,
                                               bool transposed) {
  int64_t d0 = type.getDimSize(0), d1 = type.getDimSize(1);
  return transposed ? std::make_pair(d1, d0) : std::make_pair(d0, d1);
}

int64_t QMatmulOp::getM() {
  return logicalDims(getLhs().getType(), getTransposeLhs()).first;
}
int64_t QMatmulOp::getK() {
  return logicalDims(getLhs().getType(), getTransposeLhs()).second;
}
int64_t QMatmulOp::getN() {
  return logicalDims(getRhs().getType(), getTransposeRhs()).second;
}

LogicalResult QMatmulOp::verify() {
  RankedTensorType lhsType = getLhs().getType();
  RankedTensorType rhsType = getRhs().getType();
  RankedTensorType resultType = getResult().getType();
  if (lhsType.getRank() != 2 || rhsType.getRank() != 2 ||
      resultType.getRank() != 2)
    return emitOpError() << "operands and result must be matrices, got ranks "
                         << lhsType.getRank() << ", " << rhsType.getRank()
                         << " -> " << resultType.getRank();

  if (failed(verifyQuantizedValue(*this, "lhs", getLhsQuantizer(), lhsType,
                                  typeOf(getLhsScale()), typeOf(getLhsOffset()),
                                  typeOf(getLhsTransform()),
                                  /*inProduct=*/true)) ||
      failed(verifyQuantizedValue(*this, "rhs", getRhsQuantizer(), rhsType,
                                  typeOf(getRhsScale()), typeOf(getRhsOffset()),
                                  /*transformType=*/RankedTensorType(),
                                  /*inProduct=*/true)))
    return failure();

  // Operands transformed by T = H D along the reduction multiply to the
  // product of the untransformed ones only if both are, with the same D,
  // along k.
  auto lhsRht = dyn_cast<RHTAttr>(getLhsQuantizer());
  auto rhsRht = dyn_cast<RHTAttr>(getRhsQuantizer());
  if (lhsRht || rhsRht) {
    if (!lhsRht || !rhsRht || lhsRht.getSize() != rhsRht.getSize() ||
        lhsRht.getSigns() != rhsRht.getSigns())
      return emitOpError() << "an #fqt.rht operand needs an #fqt.rht partner "
                              "of the same size and signs";
    if (lhsRht.getAxis() != (getTransposeLhs() ? 0 : 1) ||
        rhsRht.getAxis() != (getTransposeRhs() ? 1 : 0))
      return emitOpError() << "#fqt.rht operands must be transformed along "
                              "the reduction";
  }

  // The inverse BHQ transform mixes rows of the result, so the rows of the
  // stored lhs must be the rows of the product.
  if (getLhsTransform() && getTransposeLhs())
    return emitOpError() << "a #fqt.bhq lhs cannot be transposed: its "
                            "transform mixes the rows of the product";

  auto [m, k] = logicalDims(lhsType, getTransposeLhs());
  auto [rk, n] = logicalDims(rhsType, getTransposeRhs());
  if (!isDynamicOr(k, rk))
    return emitOpError() << "contraction sizes differ: lhs has " << k
                         << ", rhs has " << rk;
  if (!isDynamicOr(resultType.getDimSize(0), m) ||
      !isDynamicOr(resultType.getDimSize(1), n))
    return emitOpError() << "result shape " << shapeStr(resultType.getShape())
                         << " is not the product shape " << shapeStr({m, n});
  return success();
}

#define GET_OP_CLASSES
#include "FQT/FQTOps.cpp.inc"
