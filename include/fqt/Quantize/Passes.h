//===- Passes.h - fqt quantization passes -----------------------*- C++ -*-===//

#ifndef FQT_QUANTIZE_PASSES_H
#define FQT_QUANTIZE_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace fqt {

#define GEN_PASS_DECL
#include "fqt/Quantize/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "fqt/Quantize/Passes.h.inc"

} // namespace fqt

#endif // FQT_QUANTIZE_PASSES_H
