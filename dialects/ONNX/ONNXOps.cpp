//===- ONNXOps.cpp - onnx operations --------------------------------------===//
//
// The ops are generated from ONNXOps.td: they have no hand-written
// verifiers, folders or builders yet.
//
//===----------------------------------------------------------------------===//

#include "ONNX/ONNXOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace fqt::onnx;

#define GET_OP_CLASSES
#include "ONNX/ONNXOps.cpp.inc"

bool fqt::onnx::isUnsignedOperand(Operation *op, unsigned index) {
  auto flags = op->getAttrOfType<DenseBoolArrayAttr>(kUnsignedOperandsAttrName);
  return flags && index < flags.size() && flags[index];
}
