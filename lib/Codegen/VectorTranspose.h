//===- VectorTranspose.h - 16 x 16 transposes in vector registers -*- C++ -*-===//

#ifndef FQT_LIB_CODEGEN_VECTORTRANSPOSE_H
#define FQT_LIB_CODEGEN_VECTORTRANSPOSE_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace fqt {

/// The 16 x 16 transpose of ROWS (16 vectors of 16 lanes, any element
/// type): at each level s (8, 4, 2, 1) rows i and i + s exchange their
/// off-diagonal s x s blocks, one two-input shuffle per row (64 in all).
inline llvm::SmallVector<mlir::Value>
transpose16(mlir::OpBuilder &b, mlir::Location loc,
            llvm::SmallVector<mlir::Value> rows) {
  for (int64_t s = 8; s >= 1; s /= 2) {
    llvm::SmallVector<int64_t> upper, lower;
    for (int64_t c = 0; c < 16; ++c) {
      upper.push_back((c & s) ? 16 + c - s : c);
      lower.push_back((c & s) ? 16 + c : c + s);
    }
    llvm::SmallVector<mlir::Value> next(rows);
    for (int64_t i = 0; i < 16; ++i) {
      if (i & s)
        continue;
      next[i] =
          mlir::vector::ShuffleOp::create(b, loc, rows[i], rows[i + s], upper);
      next[i + s] =
          mlir::vector::ShuffleOp::create(b, loc, rows[i], rows[i + s], lower);
    }
    rows = std::move(next);
  }
  return rows;
}

/// The 16 x 16 tile whose row i is `rowOf(i, mask)`, transposed: result j
/// holds the tile's column j, one lane per row. `mask` is `columns` (a
/// 16-lane mask) for rows below `rowCount` and all-false past it: the lanes
/// a row may read.
inline llvm::SmallVector<mlir::Value>
transposedRows16(mlir::OpBuilder &b, mlir::Location loc,
                 llvm::function_ref<mlir::Value(int64_t, mlir::Value)> rowOf,
                 mlir::Value rowCount, mlir::Value columns) {
  mlir::Value none = mlir::vector::ConstantMaskOp::create(
      b, loc, llvm::cast<mlir::VectorType>(columns.getType()),
      mlir::vector::ConstantMaskKind::AllFalse);
  llvm::SmallVector<mlir::Value> rows;
  for (int64_t i = 0; i < 16; ++i) {
    mlir::Value present = mlir::arith::CmpIOp::create(
        b, loc, mlir::arith::CmpIPredicate::slt,
        mlir::arith::ConstantIndexOp::create(b, loc, i), rowCount);
    mlir::Value rowMask =
        mlir::arith::SelectOp::create(b, loc, present, columns, none);
    rows.push_back(rowOf(i, rowMask));
  }
  return transpose16(b, loc, std::move(rows));
}

/// The 16 x 16 tile whose row i is 16 lanes of `type` loaded from `base`
/// at `indicesOf(i)`, transposed: result j holds the tile's column j, one
/// lane per row. Rows at or past `rowCount` and lanes outside `columns` (a
/// 16-lane mask) are not read and hold `padding`.
inline llvm::SmallVector<mlir::Value> loadTransposed16(
    mlir::OpBuilder &b, mlir::Location loc, mlir::VectorType type,
    mlir::Value base,
    llvm::function_ref<llvm::SmallVector<mlir::Value>(int64_t)> indicesOf,
    mlir::Value rowCount, mlir::Value columns, mlir::Value padding) {
  return transposedRows16(
      b, loc,
      [&](int64_t i, mlir::Value rowMask) -> mlir::Value {
        return mlir::vector::MaskedLoadOp::create(
            b, loc, type, base, indicesOf(i), rowMask, padding);
      },
      rowCount, columns);
}

} // namespace fqt

#endif // FQT_LIB_CODEGEN_VECTORTRANSPOSE_H
