//===- Passes.h - fqt conversion passes -------------------------*- C++ -*-===//
//
// Every lowering of the fqt dialect's ops (fqt.quantize, fqt.dequantize,
// fqt.qmatmul in its simulate and integer forms) and of the onnx dialect's
// forward ops, to linalg, tensor and arith on tensors.
//
//===----------------------------------------------------------------------===//

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

/// Patterns rewriting fqt.qmatmul into fqt.dequantize + linalg.matmul (the
/// simulate mode's products).
void populateSimulateQMatmulPatterns(mlir::RewritePatternSet &patterns);

/// Patterns rewriting fqt.qmatmul on i8 codes into an i32 contraction of the
/// codes plus an f32 epilogue.
/// `kBlocks`: lower products whose scale varies along the reduction in
/// blocks of it (see --fqt-lower-qmatmul).
void populateLowerQMatmulPatterns(mlir::RewritePatternSet &patterns,
                                  bool kBlocks = true);

/// Patterns lowering the forward-pass onnx ops to linalg, tensor, arith and
/// math on tensors (every op family of --fqt-convert-onnx-to-linalg).
void populateONNXToLinalgPatterns(mlir::RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "fqt/Conversion/Passes.h.inc"

} // namespace fqt

#endif // FQT_CONVERSION_PASSES_H
