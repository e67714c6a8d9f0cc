//===- Differentiate.h - graph-level reverse-mode autodiff ------*- C++ -*-===//
//
// Replays an imported forward function into a new function body (products
// made explicit) and emits its reverse pass: one rule per onnx op.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_LIB_TRAINING_DIFFERENTIATE_H
#define FQT_LIB_TRAINING_DIFFERENTIATE_H

#include "TensorEmitter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace fqt::training {

/// Attribute name marking the matrix products insert-quantizers rewrites.
constexpr llvm::StringLiteral kProductAttr = "fqt.product";

/// The forward function replayed into another function's body.
struct ForwardReplay {
  /// Original forward value -> value in the new body.
  mlir::IRMapping mapping;
  /// Extra forward values a rule saved for the reverse pass (e.g. the
  /// im2col matrix of a convolution), per original op.
  llvm::DenseMap<mlir::Operation *, llvm::SmallVector<mlir::Value>> saved;
};

/// Whether `operand` of `op` is an input gradients flow through (as opposed
/// to a shape, an index or a running statistic).
bool isDifferentiableOperand(mlir::Operation *op, unsigned operand);

/// Replays the body of `forward` at the builder's insertion point. `bound`
/// maps forward values (function arguments and parameter loads) to values of
/// the new function; every other op is cloned, except the products, which
/// become explicit `linalg.matmul`s tagged with kProductAttr.
/// With `inference`, BatchNormalizations in training mode are replayed in
/// inference mode (normalizing with the running statistics, as eval_step
/// does).
mlir::FailureOr<ForwardReplay> replayForward(TensorEmitter &e,
                                             mlir::func::FuncOp forward,
                                             const mlir::IRMapping &bound,
                                             bool inference = false);

/// The running statistics a training-mode BatchNormalization outputs
/// (ONNX): running = input * momentum + batch * (1 - momentum), with the
/// batch mean and population variance of `x` per channel (dimension 1).
std::pair<mlir::Value, mlir::Value>
emitRunningStatistics(TensorEmitter &e, mlir::Value x, mlir::Value inputMean,
                      mlir::Value inputVar, double momentum);

/// Folds the integer shape computations of `forward` into constants and
/// gives the Slices they bound static types (see ShapeRules.cpp).
void foldShapeComputations(mlir::func::FuncOp forward);

/// Emits the reverse pass of `forward` given the gradient `seed` of its
/// result `resultIndex`. Returns the gradient of every value in `wrt`
/// (original forward values); a value the loss does not depend on gets
/// zeros. Fails with a diagnostic at the op that has no gradient rule.
mlir::FailureOr<llvm::SmallVector<mlir::Value>>
emitReverse(TensorEmitter &e, mlir::func::FuncOp forward, ForwardReplay &replay,
            unsigned resultIndex, mlir::Value seed,
            llvm::ArrayRef<mlir::Value> wrt);

/// The ONNX node name of `op` (its NameLoc), or its op name.
std::string nodeName(mlir::Operation *op);

} // namespace fqt::training

#endif // FQT_LIB_TRAINING_DIFFERENTIATE_H
