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

namespace fqt::onnx {

/// The discardable attribute (a `DenseBoolArrayAttr`, one entry per operand)
/// of an op some of whose operands are unsigned ONNX integers. Tensors are
/// imported signless, as arith wants them; this keeps the signedness for the
/// ops whose meaning depends on it (Cast, Div, comparisons, Max, ...).
inline constexpr llvm::StringLiteral kUnsignedOperandsAttrName =
    "onnx.unsigned_operands";

/// Whether operand `index` of `op` holds unsigned integers.
bool isUnsignedOperand(mlir::Operation *op, unsigned index);

/// The integers of a constant integer tensor of rank 0 or 1: an
/// `onnx.Constant` (`value`, `value_ints` or `value_int`) or any other
/// constant-like op (`arith.constant`).
std::optional<llvm::SmallVector<int64_t>> getConstantInts(mlir::Value v);

} // namespace fqt::onnx

#endif // FQT_DIALECT_ONNXOPS_H
