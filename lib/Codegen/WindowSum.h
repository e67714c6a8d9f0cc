//===- WindowSum.h - what a windows' sum is ---------------------*- C++ -*-===//

#ifndef FQT_LIB_CODEGEN_WINDOWSUM_H
#define FQT_LIB_CODEGEN_WINDOWSUM_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace fqt {

/// A linalg.generic with one output whose elements are addressed by a mix
/// of loops: a convolution's windows' sum, (n, c, oh + kh, ow + kw), the
/// adjoint of its im2col.
inline bool isWindowSum(mlir::Operation *op) {
  auto generic = llvm::dyn_cast_or_null<mlir::linalg::GenericOp>(op);
  return generic && generic.getNumDpsInits() == 1 &&
         !generic.getMatchingIndexingMap(generic.getDpsInitOperand(0))
              .isProjectedPermutation();
}

} // namespace fqt

#endif // FQT_LIB_CODEGEN_WINDOWSUM_H
