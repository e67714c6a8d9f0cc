//===- ONNXDialect.h - onnx dialect -----------------------------*- C++ -*-===//

#ifndef FQT_DIALECT_ONNXDIALECT_H
#define FQT_DIALECT_ONNXDIALECT_H

#include "mlir/IR/Dialect.h"

#include "ONNX/ONNXDialect.h.inc"

#endif // FQT_DIALECT_ONNXDIALECT_H
