//===- IndependentLoops.h - loops whose iterations are independent -*- C++ -*-===//

#ifndef FQT_LIB_CODEGEN_INDEPENDENTLOOPS_H
#define FQT_LIB_CODEGEN_INDEPENDENTLOOPS_H

#include "mlir/Dialect/SCF/IR/SCF.h"

namespace fqt {

/// Loops over [lbs, ubs) by `steps` whose iterations are independent: one
/// scf.parallel when `parallel` (for --fqt-coarsen-parallel-loops to keep
/// on threads or not), else an scf.for nest that runs them in order.
/// `body` gets the induction variables, outermost first.
inline void buildIndependentLoops(
    mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange lbs,
    mlir::ValueRange ubs, mlir::ValueRange steps, bool parallel,
    llvm::function_ref<void(mlir::OpBuilder &, mlir::ValueRange)> body) {
  auto build = [&](mlir::OpBuilder &nested, mlir::Location,
                   mlir::ValueRange ivs) { body(nested, ivs); };
  if (parallel)
    mlir::scf::ParallelOp::create(b, loc, lbs, ubs, steps, build);
  else
    mlir::scf::buildLoopNest(b, loc, lbs, ubs, steps, build);
}

} // namespace fqt

#endif // FQT_LIB_CODEGEN_INDEPENDENTLOOPS_H
