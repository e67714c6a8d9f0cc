//===- ONNXDialect.cpp - onnx dialect -------------------------------------===//

#include "ONNX/ONNXDialect.h"
#include "ONNX/ONNXOps.h"

using namespace mlir;
using namespace fqt::onnx;

#include "ONNX/ONNXDialect.cpp.inc"

void ONNXDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "ONNX/ONNXOps.cpp.inc"
      >();
}
