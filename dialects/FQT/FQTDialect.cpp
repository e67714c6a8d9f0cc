//===- FQTDialect.cpp - fqt dialect ---------------------------------------===//

#include "FQT/FQTDialect.h"
#include "FQT/FQTAttrs.h"
#include "FQT/FQTOps.h"

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
