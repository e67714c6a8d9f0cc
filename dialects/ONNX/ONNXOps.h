//===- ONNXOps.h - onnx operations ------------------------------*- C++ -*-===//

#ifndef FQT_DIALECT_ONNXOPS_H
#define FQT_DIALECT_ONNXOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "ONNX/ONNXDialect.h"

#define GET_OP_CLASSES
#include "ONNX/ONNXOps.h.inc"

#endif // FQT_DIALECT_ONNXOPS_H
