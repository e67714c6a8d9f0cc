//===- GemmMatch.h - Matrix products on buffers the kernels take -*- C++
//-*-===//
//
// What --fqt-tile-and-vectorize and --fqt-amx-kernels recognize as a matrix
// product: a 2-d contraction on buffers, with its operands' transpositions
// and, for integer codes, how each operand is extended.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_LIB_CODEGEN_GEMMMATCH_H
#define FQT_LIB_CODEGEN_GEMMMATCH_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"

namespace fqt {

/// A product C[m,n] += sum_k A(m,k) * B(k,n) on rank-2 buffers, with A
/// stored [M,K] or [K,M] and B stored [K,N] or [N,K].
struct Gemm {
  mlir::Value a, b, c;
  bool transA = false, transB = false;
  /// Integer products: whether the i8 codes of A / B are read signed.
  bool isInt = false, aSigned = true, bSigned = true;
  /// C was just filled with zeros (the fill is dropped): the first block of
  /// the reduction starts its accumulators from zero instead of loading C.
  bool zeroInit = false;
};

/// Reads the operand transpositions off matmul-like indexing maps over
/// (m, n, k); fails on anything else (broadcasts, batch dimensions).
mlir::LogicalResult matchGemmMaps(llvm::ArrayRef<mlir::AffineMap> maps,
                                  Gemm &gemm);

/// The multiply-adds of the product, M N K (INT64_MAX when a size is dynamic
/// or the product overflows): what decides whether it is worth threads.
int64_t gemmWork(const Gemm &gemm);

/// Rank-2 memref whose innermost dimension is contiguous.
bool isUnitStrideMatrix(mlir::Value v);

/// Rank-2 memref.
bool isMatrix(mlir::Value v);

/// The body `yield(c + ext(a) * ext(b))` of an integer contraction: sets
/// the signedness of A and B.
mlir::LogicalResult matchIntGemmBody(mlir::linalg::GenericOp op, Gemm &gemm);

/// The operands of a 2-d product on buffers (matmul-like maps, rank-2
/// memrefs): fills GEMM's operands and transpositions, or reports through
/// REWRITER why not.
mlir::LogicalResult matchGemmOperands(mlir::linalg::LinalgOp op,
                                      mlir::RewriterBase &rewriter, Gemm &gemm);

/// An (i8|i4) x (i8|i4) -> i32 contraction on buffers (the linalg.generic of
/// --fqt-lower-qmatmul) whose result rows are contiguous: fills GEMM, or
/// reports through REWRITER why not.
mlir::LogicalResult matchIntGemm(mlir::linalg::GenericOp op,
                                 mlir::RewriterBase &rewriter, Gemm &gemm);

} // namespace fqt

#endif // FQT_LIB_CODEGEN_GEMMMATCH_H
