//===- Passes.h - fqt training passes ---------------------------*- C++ -*-===//

#ifndef FQT_TRAINING_PASSES_H
#define FQT_TRAINING_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace fqt {

#define GEN_PASS_DECL
#include "fqt/Training/Passes.h.inc"

/// Rewrites ONNX's optimizer operators (Momentum, Adagrad, Adam) into their
/// update rules on linalg.
void populateLowerTrainingOpsPatterns(mlir::RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "fqt/Training/Passes.h.inc"

} // namespace fqt

#endif // FQT_TRAINING_PASSES_H
