//===- FQTDialect.cpp - fqt dialect ---------------------------------------===//

#include "FQT/FQTDialect.h"
#include "FQT/FQTAttrs.h"
#include "FQT/FQTOps.h"

#include "mlir/IR/BuiltinOps.h"

using namespace mlir;
using namespace fqt;

#include "FQT/FQTDialect.cpp.inc"

void FQTDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "FQT/FQTOps.cpp.inc"
      >();
  registerAttributes();
}

/// `fqt.slot` must hold a #fqt.slot; on an argument, an argument kind or (an
/// argument that bufferization made of a result) a result kind.
static LogicalResult verifySlot(Operation *op, NamedAttribute attribute,
                                bool onResult, unsigned index) {
  auto slot = dyn_cast<SlotAttr>(attribute.getValue());
  if (!slot)
    return op->emitError("'")
           << attribute.getName().getValue() << "' of "
           << (onResult ? "result #" : "argument #") << index
           << " must be a #fqt.slot, got " << attribute.getValue();
  if (slot.getName().empty())
    return op->emitError("#fqt.slot of ")
           << (onResult ? "result #" : "argument #") << index
           << " has an empty name";
  if (onResult && !slot.isResultKind())
    return op->emitError("result #")
           << index << " is a '" << stringifySlotKind(slot.getKind())
           << "' slot, which only arguments can be";
  return success();
}

LogicalResult FQTDialect::verifyRegionArgAttribute(Operation *op, unsigned,
                                                   unsigned argIndex,
                                                   NamedAttribute attribute) {
  if (attribute.getName() != SlotAttrHelper::getNameStr())
    return op->emitError("unknown fqt attribute '")
           << attribute.getName().getValue() << "' on argument #" << argIndex;
  return verifySlot(op, attribute, /*onResult=*/false, argIndex);
}

LogicalResult FQTDialect::verifyRegionResultAttribute(
    Operation *op, unsigned, unsigned resultIndex, NamedAttribute attribute) {
  if (attribute.getName() != SlotAttrHelper::getNameStr())
    return op->emitError("unknown fqt attribute '")
           << attribute.getName().getValue() << "' on result #" << resultIndex;
  return verifySlot(op, attribute, /*onResult=*/true, resultIndex);
}

LogicalResult FQTDialect::verifyOperationAttribute(Operation *op,
                                                   NamedAttribute attribute) {
  if (attribute.getName() == SlotAttrHelper::getNameStr())
    return op->emitError("'fqt.slot' belongs on the arguments and results of "
                         "a function, not on an operation");
  // Other fqt.* attributes are the passes' own markers (fqt.product on the
  // products, ...), each checked by the pass that reads it.
  if (attribute.getName() != ProgramAttrHelper::getNameStr())
    return success();
  if (!isa<ModuleOp>(op))
    return op->emitError("'fqt.program' belongs on a module");
  if (!isa<ProgramAttr>(attribute.getValue()))
    return op->emitError("'fqt.program' must be a #fqt.program, got ")
           << attribute.getValue();
  return success();
}
