//===- FQTDialect.h - fqt dialect -------------------------------*- C++ -*-===//

#ifndef FQT_DIALECT_FQTDIALECT_H
#define FQT_DIALECT_FQTDIALECT_H

#include "mlir/IR/Dialect.h"
#include "mlir/IR/Operation.h"

// The dialect's discardable attributes (fqt.slot) name its attribute classes.
#include "FQT/FQTAttrs.h"

#include "FQT/FQTDialect.h.inc"

#endif // FQT_DIALECT_FQTDIALECT_H
