//===- Passes.h - fqt passes for the compiled program's ABI -----*- C++ -*-===//

#ifndef FQT_TARGET_PASSES_H
#define FQT_TARGET_PASSES_H

#include "mlir/Pass/Pass.h"

namespace fqt {

#define GEN_PASS_DECL
#include "fqt/Target/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "fqt/Target/Passes.h.inc"

} // namespace fqt

#endif // FQT_TARGET_PASSES_H
