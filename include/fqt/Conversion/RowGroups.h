//===- RowGroups.h - views of a tensor as groups of rows --------*- C++ -*-===//
//
// A #fqt.bhq transform is G x G for a tensor whose R rows come in G groups of
// R / G consecutive rows: BHQ on a convolution's dY, stored as the
// [N*OH*OW, OC] matrix of the product, rotates whole samples (G = N), as in
// Chen et al., instead of the N*OH*OW rows one by one. These helpers give the
// [G, numel / G] view that the transform acts on.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_CONVERSION_ROWGROUPS_H
#define FQT_CONVERSION_ROWGROUPS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"

namespace fqt {

/// Whether `value` (rows x ...) must be reshaped to be seen as `groups` rows:
/// false when it already is a matrix with `groups` rows (or either is
/// dynamic, where the transform is rows x rows).
bool needsRowGroupView(mlir::RankedTensorType type, int64_t groups);

/// `value` seen as the [groups, numel / groups] matrix of its row groups.
/// Static shapes only, unless `value` is already such a matrix.
mlir::Value toRowGroups(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::Value value, int64_t groups);

/// The inverse of toRowGroups: `matrix` reshaped back to the shape of `like`
/// (whose dynamic sizes it reads).
mlir::Value fromRowGroups(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value matrix, mlir::Value like);

/// transform x (value seen as groups x rest), with value's shape and f32
/// elements: the inverse BHQ transform applied to the rows of a dequantized
/// tensor or of a product's result.
mlir::Value applyRowTransform(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value transform, mlir::Value value);

/// The [groups] per-group values `perGroup` repeated for each of the `rows`
/// rows of their group (static sizes, `groups` dividing `rows`).
mlir::Value repeatPerRow(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value perGroup, int64_t rows);

} // namespace fqt

#endif // FQT_CONVERSION_ROWGROUPS_H
