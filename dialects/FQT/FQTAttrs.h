//===- FQTAttrs.h - fqt quantizer attributes --------------------*- C++ -*-===//

#ifndef FQT_DIALECT_FQTATTRS_H
#define FQT_DIALECT_FQTATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

#include <optional>
#include <string>

#include "FQT/FQTEnums.h.inc"

#include "FQT/FQTAttrInterfaces.h.inc"

#define GET_ATTRDEF_CLASSES
#include "FQT/FQTAttrs.h.inc"

namespace fqt {

/// Shape of the scale (and offset) tensor that `quantizer` gives a tensor of
/// shape `shape`, or failure if the granularity does not apply to that rank.
mlir::FailureOr<llvm::SmallVector<int64_t>>
getScaleShape(QuantizerAttrInterface quantizer, llvm::ArrayRef<int64_t> shape);

/// Whether KIND is a kind of the quantizer specs `KIND:BITS` of the command
/// lines: ptq, psq, psqz, bhq, percol, percolz, lbt, act, weight (`psqz`
/// and `percolz`: psq and percol with zero on the grid), and the block kinds
/// blk and rht, written `KIND:BITS/SIZE`.
bool isQuantizerSpecKind(llvm::StringRef kind);

/// Whether KIND is blk or rht, whose specs carry a block size
/// (`blk:4/32`) and whose attributes a block axis.
bool isBlockSpecKind(llvm::StringRef kind);

/// The block size of a `KIND:BITS/SIZE` spec where none is written.
inline constexpr int64_t kDefaultBlockSize = 32;

/// The parts of a spec `KIND:BITS` or, for blk and rht, `KIND:BITS/SIZE`.
struct QuantizerSpecParts {
  llvm::StringRef kind;
  unsigned bits = 0;
  /// SIZE, or kDefaultBlockSize where it is left out.
  int64_t blockSize = kDefaultBlockSize;
};

/// KIND and BITS[/SIZE] (the text after the colon) as parts; failure when
/// KIND is not a spec kind, BITS or SIZE is not a number, or a kind other
/// than blk and rht has a size.
mlir::FailureOr<QuantizerSpecParts> splitQuantizerSpec(llvm::StringRef kind,
                                                       llvm::StringRef widths);

/// The quantizer attribute the spec `KIND:BITS` names, with the attribute's
/// defaults (ROUNDING, where given, replaces the default rounding); null
/// after a diagnostic through EMITERROR when the kind is unknown or the
/// attribute's verifier refuses the bit-width. The block kinds take
/// BLOCKSIZE, BLOCKAXIS and (rht) the stream SIGNS of their random signs.
QuantizerAttrInterface
getQuantizerAttr(llvm::function_ref<mlir::InFlightDiagnostic()> emitError,
                 mlir::MLIRContext *ctx, llvm::StringRef kind, unsigned bits,
                 std::optional<Rounding> rounding = std::nullopt,
                 int64_t blockSize = kDefaultBlockSize, int64_t blockAxis = 1,
                 int64_t signs = 0);

} // namespace fqt

namespace fqt {

/// The #fqt.slot (`fqt.slot`) of argument INDEX of FN, or null.
SlotAttr getArgSlot(mlir::FunctionOpInterface fn, unsigned index);
/// The #fqt.slot of result INDEX of FN, or null.
SlotAttr getResultSlot(mlir::FunctionOpInterface fn, unsigned index);
/// `{fqt.slot = #fqt.slot<KIND, NAME>}`: the attributes of a step function's
/// argument or result.
mlir::DictionaryAttr getSlotAttrs(mlir::MLIRContext *ctx, SlotKind kind,
                                  llvm::StringRef name);
/// `f32 3x4`, `i64 scalar`: a slot's type (a shaped type's element type and
/// static shape) as the runtime's description and the weights blob write it.
std::string describeSlotType(mlir::ShapedType type);
/// param or state: the buffers the runtime keeps from step to step.
inline bool isPersistent(SlotAttr slot) {
  return slot && (slot.getKind() == SlotKind::param ||
                  slot.getKind() == SlotKind::state);
}

} // namespace fqt

#endif // FQT_DIALECT_FQTATTRS_H
