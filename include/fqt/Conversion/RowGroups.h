//===- RowGroups.h - views of a tensor as groups of rows --------*- C++ -*-===//
//
// Row quantizers (psq, bhq) may scale groups of consecutive rows rather than
// single rows: a convolution's dY, stored as the [N*OH*OW, OC] matrix of its
// products, has one scale per sample (G = N groups of OH*OW rows), as in
// Chen et al., and BHQ's transform is then G x G. These helpers give the
// [G, numel / G] view that the scales and the transform act on.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_CONVERSION_ROWGROUPS_H
#define FQT_CONVERSION_ROWGROUPS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"

namespace fqt {

class QuantizerAttrInterface;

/// How many consecutive rows of `codes` share one scale of a `quantizer`
/// whose scale tensor is `scale`: codes rows / scale entries for a row
/// quantizer of row groups, 1 otherwise (one scale per row, dynamic sizes,
/// another granularity).
int64_t rowsPerScale(QuantizerAttrInterface quantizer,
                     mlir::RankedTensorType codes,
                     mlir::RankedTensorType scale);

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

} // namespace fqt

#endif // FQT_CONVERSION_ROWGROUPS_H
