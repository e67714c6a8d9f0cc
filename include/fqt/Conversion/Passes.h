//===- Passes.h - fqt conversion passes -------------------------*- C++ -*-===//

#ifndef FQT_CONVERSION_PASSES_H
#define FQT_CONVERSION_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace fqt {

#define GEN_PASS_DECL
#include "fqt/Conversion/Passes.h.inc"

/// Patterns lowering fqt.dequantize to linalg.generic (+ linalg.matmul for
/// the inverse BHQ transform).
void populateLowerDequantizePatterns(mlir::RewritePatternSet &patterns);

/// Patterns lowering fqt.quantize to linalg.generic reductions and
/// elementwise ops (+ scf loops on tensors for the BHQ grouping), with
/// Philox-4x32-10 noise for stochastic rounding.
void populateLowerQuantizePatterns(mlir::RewritePatternSet &patterns);

/// Patterns lowering the forward-pass onnx ops to linalg, tensor, arith and
/// math on tensors (every op family of --fqt-convert-onnx-to-linalg).
void populateONNXToLinalgPatterns(mlir::RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "fqt/Conversion/Passes.h.inc"

} // namespace fqt

#endif // FQT_CONVERSION_PASSES_H
