//===- FQTAttrs.cpp - fqt quantizer attributes ----------------------------===//

#include "FQT/FQTAttrs.h"
#include "FQT/FQTDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace fqt;

#include "FQT/FQTEnums.cpp.inc"

#include "FQT/FQTAttrInterfaces.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "FQT/FQTAttrs.cpp.inc"

void FQTDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "FQT/FQTAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Verifiers
//===----------------------------------------------------------------------===//

// Codes are stored in at most 8 bits (i8, or i4 packed two per byte), so
// every method takes 1 to 8 bits.
static constexpr unsigned kMaxBits = 8;

static LogicalResult verifyBits(function_ref<InFlightDiagnostic()> emitError,
                                StringRef name, unsigned bits,
                                unsigned minBits = 1) {
  if (bits < minBits || bits > kMaxBits)
    return emitError() << "#fqt." << name << " bits must be in [" << minBits
                       << ", " << kMaxBits << "], got " << bits;
  return success();
}

LogicalResult PTQAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                              unsigned bits, Rounding) {
  return verifyBits(emitError, "ptq", bits);
}

LogicalResult PSQAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                              unsigned bits, Rounding, ZeroPoint) {
  return verifyBits(emitError, "psq", bits);
}

LogicalResult
PerColumnAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                      unsigned bits, Rounding, ZeroPoint) {
  return verifyBits(emitError, "percol", bits);
}

LogicalResult BHQAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                              unsigned bits, Rounding) {
  return verifyBits(emitError, "bhq", bits);
}

LogicalResult LBTAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                              unsigned bits, Rounding, APFloat alphaValue,
                              APFloat gammaStepValue, APFloat gammaMinValue) {
  double alpha = alphaValue.convertToDouble();
  double gammaStep = gammaStepValue.convertToDouble();
  double gammaMin = gammaMinValue.convertToDouble();
  // A symmetric quantizer with 2^bits - 1 levels needs two bits to have a
  // level on each side of zero.
  if (failed(verifyBits(emitError, "lbt", bits, /*minBits=*/2)))
    return failure();
  if (!(alpha > 0.0 && alpha < 1.0))
    return emitError() << "#fqt.lbt alpha must be in (0, 1), got " << alpha;
  if (!(gammaStep > 0.0 && gammaStep < 1.0))
    return emitError() << "#fqt.lbt gamma_step must be in (0, 1), got "
                       << gammaStep;
  if (!(gammaMin > 0.0 && gammaMin <= 1.0))
    return emitError() << "#fqt.lbt gamma_min must be in (0, 1], got "
                       << gammaMin;
  return success();
}

/// Block quantizers are symmetric, so they need two bits (a level on each
/// side of zero), a positive block size and a dimension to run along.
static LogicalResult verifyBlocks(function_ref<InFlightDiagnostic()> emitError,
                                  StringRef name, unsigned bits, int64_t size,
                                  int64_t axis) {
  if (failed(verifyBits(emitError, name, bits, /*minBits=*/2)))
    return failure();
  if (size < 1)
    return emitError() << "#fqt." << name << " size must be positive, got "
                       << size;
  if (axis < 0)
    return emitError() << "#fqt." << name
                       << " axis must be a dimension (>= 0), got " << axis;
  return success();
}

LogicalResult BlockAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                unsigned bits, int64_t size, int64_t axis,
                                Rounding) {
  return verifyBlocks(emitError, "blk", bits, size, axis);
}

LogicalResult RHTAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                              unsigned bits, int64_t size, int64_t axis,
                              int64_t signs, Rounding rounding) {
  if (failed(verifyBlocks(emitError, "rht", bits, size, axis)))
    return failure();
  // The signs are drawn with the key of the stochastic rounding.
  if (rounding != Rounding::stochastic)
    return emitError() << "#fqt.rht rounds stochastically: its random signs "
                          "use the rounding's seed and step";
  // The fast transform pairs halves, so the order is a power of two; 2^12
  // bounds the sums of the transform (each a sum of `size` values).
  if (size < 2 || size > 4096 || (size & (size - 1)) != 0)
    return emitError() << "#fqt.rht size must be a power of two in [2, 4096], "
                          "got "
                       << size;
  if (signs < 0 || signs > static_cast<int64_t>(UINT32_MAX))
    return emitError() << "#fqt.rht signs must be a stream in [0, 2^32), got "
                       << signs;
  return success();
}

LogicalResult ActAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                              unsigned bits, Rounding) {
  return verifyBits(emitError, "act", bits);
}

LogicalResult WeightAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 unsigned bits, Rounding) {
  return verifyBits(emitError, "weight", bits);
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>>
fqt::getScaleShape(QuantizerAttrInterface quantizer, ArrayRef<int64_t> shape) {
  switch (quantizer.getGranularity()) {
  case Granularity::none:
    return failure();
  case Granularity::tensor:
    return SmallVector<int64_t>();
  case Granularity::row:
    if (shape.empty())
      return failure();
    return SmallVector<int64_t>{shape.front()};
  case Granularity::column:
    if (shape.size() < 2)
      return failure();
    return SmallVector<int64_t>(shape.drop_front());
  case Granularity::block: {
    int64_t axis = quantizer.getBlockAxis(), size = quantizer.getBlockSize();
    if (axis < 0 || axis >= static_cast<int64_t>(shape.size()) || size < 1)
      return failure();
    SmallVector<int64_t> scales(shape);
    if (!ShapedType::isDynamic(scales[axis]))
      scales[axis] = llvm::divideCeil(scales[axis], size);
    return scales;
  }
  }
  return failure();
}

//===----------------------------------------------------------------------===//
// SlotAttr
//===----------------------------------------------------------------------===//

bool SlotAttr::isArgumentKind() const {
  switch (getKind()) {
  case SlotKind::param:
  case SlotKind::state:
  case SlotKind::weight:
  case SlotKind::input:
  case SlotKind::label:
  case SlotKind::hyper:
  case SlotKind::workspace:
  case SlotKind::grad: // apply_update's
    return true;
  default:
    return false;
  }
}

bool SlotAttr::isResultKind() const {
  switch (getKind()) {
  case SlotKind::param:
  case SlotKind::state:
  case SlotKind::loss:
  case SlotKind::sample_loss:
  case SlotKind::output:
  case SlotKind::grad:
    return true;
  default:
    return false;
  }
}

static constexpr llvm::StringLiteral kSlotName = "fqt.slot";

bool fqt::isQuantizerSpecKind(StringRef kind) {
  return llvm::is_contained({"ptq", "psq", "psqz", "bhq", "percol", "percolz",
                             "lbt", "act", "weight", "blk", "rht"},
                            kind);
}

bool fqt::isBlockSpecKind(StringRef kind) {
  return kind == "blk" || kind == "rht";
}

FailureOr<QuantizerSpecParts> fqt::splitQuantizerSpec(StringRef kind,
                                                      StringRef widths) {
  QuantizerSpecParts parts;
  parts.kind = kind;
  auto [bitsText, sizeText] = widths.split('/');
  if (!isQuantizerSpecKind(kind) || bitsText.getAsInteger(10, parts.bits))
    return failure();
  if (widths.contains('/') &&
      (!isBlockSpecKind(kind) || sizeText.getAsInteger(10, parts.blockSize)))
    return failure();
  return parts;
}

QuantizerAttrInterface
fqt::getQuantizerAttr(function_ref<InFlightDiagnostic()> emitError,
                      MLIRContext *ctx, StringRef kind, unsigned bits,
                      std::optional<Rounding> rounding, int64_t blockSize,
                      int64_t blockAxis, int64_t signs) {
  auto stochastic = rounding.value_or(Rounding::stochastic);
  auto zero = kind.ends_with("z") ? ZeroPoint::snapped : ZeroPoint::range;
  Attribute attr;
  if (kind == "ptq")
    attr = PTQAttr::getChecked(emitError, ctx, bits, stochastic);
  else if (kind == "psq" || kind == "psqz")
    attr = PSQAttr::getChecked(emitError, ctx, bits, stochastic, zero);
  else if (kind == "percol" || kind == "percolz")
    attr = PerColumnAttr::getChecked(emitError, ctx, bits, stochastic, zero);
  else if (kind == "bhq")
    attr = BHQAttr::getChecked(emitError, ctx, bits, stochastic);
  else if (kind == "lbt")
    attr = LBTAttr::getChecked(emitError, ctx, bits, stochastic,
                               llvm::APFloat(1.0e-3), llvm::APFloat(1.0e-3),
                               llvm::APFloat(1.0e-3));
  else if (kind == "blk")
    attr = BlockAttr::getChecked(emitError, ctx, bits, blockSize, blockAxis,
                                 stochastic);
  else if (kind == "rht")
    attr = RHTAttr::getChecked(emitError, ctx, bits, blockSize, blockAxis,
                               signs, stochastic);
  else if (kind == "act")
    attr = ActAttr::getChecked(emitError, ctx, bits,
                               rounding.value_or(Rounding::nearest));
  else if (kind == "weight")
    attr = WeightAttr::getChecked(emitError, ctx, bits,
                                  rounding.value_or(Rounding::nearest));
  else
    emitError() << "unknown quantizer kind '" << kind << "'";
  return llvm::dyn_cast_or_null<QuantizerAttrInterface>(attr);
}

SlotAttr fqt::getArgSlot(FunctionOpInterface fn, unsigned index) {
  return fn.getArgAttrOfType<SlotAttr>(index, kSlotName);
}

SlotAttr fqt::getResultSlot(FunctionOpInterface fn, unsigned index) {
  return fn.getResultAttrOfType<SlotAttr>(index, kSlotName);
}

DictionaryAttr fqt::getSlotAttrs(MLIRContext *ctx, SlotKind kind,
                                 StringRef name) {
  return DictionaryAttr::get(ctx,
                             {NamedAttribute(StringAttr::get(ctx, kSlotName),
                                             SlotAttr::get(ctx, kind, name))});
}

LogicalResult ProgramAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  StringRef loss, StringRef optimizer,
                                  APFloat lr, DictionaryAttr quantizers) {
  if (loss.empty() || optimizer.empty())
    return emitError() << "#fqt.program needs a loss and an optimizer";
  if (!(lr.convertToDouble() > 0.0))
    return emitError() << "#fqt.program lr must be positive, got "
                       << lr.convertToDouble();
  if (quantizers)
    for (NamedAttribute entry : quantizers)
      if (!isa<StringAttr>(entry.getValue()))
        return emitError() << "#fqt.program quantizer '"
                           << entry.getName().getValue()
                           << "' must be a string such as \"ptq:8\"";
  return success();
}

std::string fqt::describeSlotType(ShapedType type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << type.getElementType() << ' ';
  if (type.getRank() == 0)
    os << "scalar";
  llvm::interleave(type.getShape(), os, "x");
  return text;
}
