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
static LogicalResult verifyQuantizedValue(Operation *op, StringRef what,
                                          QuantizerAttrInterface quantizer,
                                          RankedTensorType codesType,
                                          RankedTensorType scaleType,
                                          RankedTensorType offsetType,
                                          RankedTensorType transformType) {
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

  if (!shapesCompatible(scaleType.getShape(), *scaleShape))
    return op->emitOpError()
           << what << ": scale shape " << shapeStr(scaleType.getShape())
           << " does not match the per-"
           << stringifyGranularity(quantizer.getGranularity()) << " shape "
           << shapeStr(*scaleShape) << " of " << str(quantizer)
           << " on a tensor of shape " << shapeStr(shape);

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

  bool needsTransform = isa<BHQAttr>(quantizer);
  if (needsTransform && !transformType)
    return op->emitOpError()
           << what << ": " << str(quantizer) << " needs its inverse transform";
  if (!needsTransform && transformType)
    return op->emitOpError()
           << what << ": only #fqt.bhq has a transform, not " << str(quantizer);
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
  }
  return success();
}

static RankedTensorType typeOf(Value value) {
  return value ? cast<RankedTensorType>(value.getType()) : RankedTensorType();
}

//===----------------------------------------------------------------------===//
// QuantizeOp
//===----------------------------------------------------------------------===//

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
                                  typeOf(getLhsTransform()))) ||
      failed(verifyQuantizedValue(*this, "rhs", getRhsQuantizer(), rhsType,
                                  typeOf(getRhsScale()), typeOf(getRhsOffset()),
                                  /*transformType=*/RankedTensorType())))
    return failure();

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
