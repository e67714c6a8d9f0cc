//===- FQTOps.h - fqt operations --------------------------------*- C++ -*-===//

#ifndef FQT_DIALECT_FQTOPS_H
#define FQT_DIALECT_FQTOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "FQT/FQTAttrs.h"
#include "FQT/FQTDialect.h"

#define GET_OP_CLASSES
#include "FQT/FQTOps.h.inc"

#endif // FQT_DIALECT_FQTOPS_H
