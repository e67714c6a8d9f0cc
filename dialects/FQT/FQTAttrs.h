//===- FQTAttrs.h - fqt quantizer attributes --------------------*- C++ -*-===//

#ifndef FQT_DIALECT_FQTATTRS_H
#define FQT_DIALECT_FQTATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectImplementation.h"

#include "FQT/FQTEnums.h.inc"

#include "FQT/FQTAttrInterfaces.h.inc"

#define GET_ATTRDEF_CLASSES
#include "FQT/FQTAttrs.h.inc"

namespace fqt {

/// Shape of the scale (and offset) tensor that `quantizer` gives a tensor of
/// shape `shape`, or failure if the granularity does not apply to that rank.
mlir::FailureOr<llvm::SmallVector<int64_t>>
getScaleShape(QuantizerAttrInterface quantizer, llvm::ArrayRef<int64_t> shape);

} // namespace fqt

#endif // FQT_DIALECT_FQTATTRS_H
