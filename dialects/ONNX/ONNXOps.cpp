//===- ONNXOps.cpp - onnx operations --------------------------------------===//
//
// Everything is generated from ONNXOps.td: the ops have no hand-written
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
