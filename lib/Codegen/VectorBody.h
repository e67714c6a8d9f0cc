//===- VectorBody.h - a linalg body applied to vector lanes ------*- C++ -*-===//

#ifndef FQT_LIB_CODEGEN_VECTORBODY_H
#define FQT_LIB_CODEGEN_VECTORBODY_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"

namespace fqt {

/// Clones the ops of a linalg.generic's `body` (elementwise, one result
/// each) but those `skip` names, applied to `lanes` lanes at once: operands
/// from `lanesOf` (the block arguments the caller loaded as vectors),
/// constants as splats, values from above the body broadcast. Results are
/// recorded in `lanesOf`.
inline void
vectorizeBodyOps(mlir::OpBuilder &b, mlir::Location loc, mlir::Block *body,
                 int64_t lanes, mlir::IRMapping &lanesOf,
                 llvm::function_ref<bool(mlir::Operation &)> skip) {
  auto vectorOf = [&](mlir::Type t) {
    return mlir::VectorType::get({lanes}, t);
  };
  for (mlir::Operation &inner : body->without_terminator()) {
    if (skip(inner))
      continue;
    if (auto constant = llvm::dyn_cast<mlir::arith::ConstantOp>(inner)) {
      lanesOf.map(constant.getResult(),
                  mlir::arith::ConstantOp::create(
                      b, loc,
                      mlir::DenseElementsAttr::get(
                          vectorOf(constant.getType()), constant.getValue()))
                      .getResult());
      continue;
    }
    mlir::OperationState state(loc, inner.getName());
    for (mlir::Value operand : inner.getOperands()) {
      // A value from above the generic (a constant hoisted by
      // canonicalization) is the same in every lane.
      if (!lanesOf.contains(operand))
        lanesOf.map(operand, mlir::vector::BroadcastOp::create(
                                 b, loc, vectorOf(operand.getType()), operand)
                                 .getResult());
      state.addOperands(lanesOf.lookup(operand));
    }
    for (mlir::Type t : inner.getResultTypes())
      state.addTypes(vectorOf(t));
    state.addAttributes(inner.getAttrs());
    lanesOf.map(inner.getResults(), b.create(state)->getResults());
  }
}

} // namespace fqt

#endif // FQT_LIB_CODEGEN_VECTORBODY_H
