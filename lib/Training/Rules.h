//===- Rules.h - what gradient rules share (private) ------------*- C++ -*-===//
//
// The context a gradient rule runs in and the helpers the rule files
// (Differentiate.cpp, NormalizationRules.cpp, ShapeRules.cpp) share.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_LIB_TRAINING_RULES_H
#define FQT_LIB_TRAINING_RULES_H

#include "Differentiate.h"

#include "ONNX/ONNXOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include <optional>

namespace fqt::training {

/// What a gradient rule sees.
struct RuleContext {
  TensorEmitter &e;
  ForwardReplay &replay;
  llvm::DenseSet<mlir::Value> &needs;
  llvm::DenseMap<mlir::Value, mlir::Value> &grads;

  mlir::Value fwd(mlir::Value original) {
    return replay.mapping.lookup(original);
  }
  bool wants(mlir::Value original) { return needs.contains(original); }
  /// Accumulates `g` into the gradient of `original` (values used more than
  /// once get the sum of their uses' gradients).
  void add(mlir::Value original, mlir::Value g) {
    if (!needs.contains(original))
      return;
    auto it = grads.find(original);
    if (it == grads.end()) {
      grads[original] = g;
      return;
    }
    it->second = e.map({it->second, g}, [](mlir::OpBuilder &b,
                                           mlir::Location loc,
                                           mlir::ValueRange args) {
      return mlir::arith::AddFOp::create(b, loc, args[0], args[1]).getResult();
    });
  }
};

/// An f32 scalar constant inside a linalg body.
inline mlir::Value cst(mlir::OpBuilder &b, mlir::Location loc, double v) {
  return mlir::arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

/// Marks the linalg.matmul defining `product` for insert-quantizers.
/// `samples`, where non-zero, is the number of samples whose rows the
/// gradient operand's rows are, sample by sample (N for the [N*OH*OW, OC] dY
/// of a convolution); psq and bhq quantize per sample. `groups`, where
/// above 1, marks the grouped contraction of TensorEmitter::groupedMatmul
/// (`product` is its collapsed result) with that many groups.
void tagProduct(mlir::Value product, llvm::StringRef layer,
                llvm::StringRef role, int64_t gradOperand, int64_t samples = 0,
                int64_t groups = 1);

/// The integers of `attr`, or `fallback` when it is absent.
llvm::SmallVector<int64_t> intsOr(std::optional<mlir::ArrayAttr> attr,
                                  llvm::SmallVector<int64_t> fallback);

/// Whether `v` is an absent optional operand or result.
bool isNone(mlir::Value v);

/// `v`'s type when it is a statically shaped ranked tensor, else null.
mlir::RankedTensorType staticTensor(mlir::Value v);

/// The integers of a constant integer tensor (onnx.Constant, or
/// arith.constant), rank 0 or 1.
using fqt::onnx::getConstantInts;

/// The splat value of a constant float tensor, if it is one.
std::optional<double> constantSplat(mlir::Value v);

/// Whether the onnx.MatMul `op` is a linear layer's product (a rank >= 2
/// tensor by a 2-D matrix), which becomes a tagged linalg.matmul, rather
/// than a batched product of two activations.
inline bool isLinearMatMul(mlir::Operation *op) {
  auto b = llvm::dyn_cast<mlir::RankedTensorType>(op->getOperand(1).getType());
  return b && b.getRank() == 2;
}

/// The reverse of a batched (rank >= 3, broadcasting) MatMul.
mlir::LogicalResult batchedMatMulRule(RuleContext &c, mlir::Operation *op,
                                      mlir::Value dy);

// Gradient rules by op family. Each receives the gradient of every result
// (null where a result has none) and adds the gradients of its inputs.
mlir::LogicalResult normalizationRule(RuleContext &c, mlir::Operation *op,
                                      llvm::ArrayRef<mlir::Value> dys);
mlir::LogicalResult shapeRule(RuleContext &c, mlir::Operation *op,
                              llvm::ArrayRef<mlir::Value> dys);
/// Whether normalizationRule / shapeRule handle `op`.
bool hasNormalizationRule(mlir::Operation *op);
bool hasShapeRule(mlir::Operation *op);

} // namespace fqt::training

#endif // FQT_LIB_TRAINING_RULES_H
