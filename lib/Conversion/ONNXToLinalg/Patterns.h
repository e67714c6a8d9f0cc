//===- Patterns.h - onnx to linalg patterns, by op family -------*- C++ -*-===//
//
// The per-family populate functions of --fqt-convert-onnx-to-linalg and the
// helpers their patterns share (Utils.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef FQT_LIB_CONVERSION_ONNXTOLINALG_PATTERNS_H
#define FQT_LIB_CONVERSION_ONNXTOLINALG_PATTERNS_H

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>

namespace fqt::onnx_to_linalg {

/// Add, Sub, Mul, Div, Relu, LeakyRelu, Sigmoid, Tanh, Exp, Log, Sqrt, Neg,
/// Abs, Reciprocal, Erf.
void populateElementwisePatterns(mlir::RewritePatternSet &patterns);
/// Gemm, MatMul, Conv.
void populateLinearPatterns(mlir::RewritePatternSet &patterns);
/// MaxPool, AveragePool.
void populatePoolingPatterns(mlir::RewritePatternSet &patterns);
/// Constant, Identity, Reshape, Flatten, Transpose, Concat, Squeeze,
/// Unsqueeze.
void populateShapePatterns(mlir::RewritePatternSet &patterns);
/// ReduceMean, ReduceSum, ReduceMax, Softmax, LogSoftmax, GlobalAveragePool.
void populateReductionPatterns(mlir::RewritePatternSet &patterns);
/// BatchNormalization (inference).
void populateNormalizationPatterns(mlir::RewritePatternSet &patterns);

//===----------------------------------------------------------------------===//
// Helpers (Utils.cpp)
//===----------------------------------------------------------------------===//

/// The body of an elementwise linalg.generic: the input elements in, the
/// result element out.
using ElementwiseBody = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

/// The mask of `axes` (negative ones count from the end) over `rank`
/// dimensions; nullopt when an axis is out of range or repeated.
std::optional<llvm::SmallVector<bool>> axesMask(llvm::ArrayRef<int64_t> axes,
                                                int64_t rank);

/// A scalar constant of element type `type` (float or integer).
mlir::Value scalarConstant(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Type type, double value);

/// `linalg.fill` of `value` into a `tensor.empty` of `type`.
mlir::Value filledTensor(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::RankedTensorType type, mlir::ValueRange dynSizes,
                         mlir::Value value);

/// An all-parallel linalg.generic producing `type` (identity output map).
mlir::Value buildElementwise(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::RankedTensorType type,
                             mlir::ValueRange dynSizes, mlir::ValueRange inputs,
                             llvm::ArrayRef<mlir::AffineMap> inputMaps,
                             ElementwiseBody body);

/// An elementwise linalg.generic over `operands` with numpy (right-aligned)
/// broadcasting to `resultType`; statically size-1 dimensions broadcast.
/// Fails, naming the reason on `op`, when the shapes do not broadcast.
mlir::FailureOr<mlir::Value>
broadcastElementwise(mlir::PatternRewriter &rewriter, mlir::Operation *op,
                     mlir::ValueRange operands,
                     mlir::RankedTensorType resultType, ElementwiseBody body);

/// The integers of a constant 1-D tensor (onnx.Constant or arith.constant).
std::optional<llvm::SmallVector<int64_t>> getConstantInts(mlir::Value v);

/// `sizes`, with the static dimensions of `type` as attributes and its
/// dynamic ones as values, as tensor.expand_shape wants them.
llvm::SmallVector<mlir::OpFoldResult>
sizesForType(mlir::OpBuilder &b, mlir::Location loc,
             mlir::RankedTensorType type,
             llvm::ArrayRef<mlir::OpFoldResult> sizes);

/// Product of dimensions [begin, end) of `v`.
mlir::OpFoldResult productOfDims(mlir::OpBuilder &b, mlir::Location loc,
                                 mlir::Value v, int64_t begin, int64_t end);

/// The reassociation grouping every `isUnit` dimension of the larger
/// tensor with a neighbouring kept one (empty when all are unit).
llvm::SmallVector<mlir::ReassociationIndices>
unitDimGroups(llvm::ArrayRef<bool> isUnit);

/// `input` reshaped to `resultType` of sizes `sizes` (collapse to 1-D, then
/// expand); a tensor.cast where only static information differs.
mlir::Value reshapeTo(mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
                      mlir::RankedTensorType resultType,
                      llvm::ArrayRef<mlir::OpFoldResult> sizes);

/// `value` cast to `type` when their types differ.
mlir::Value castIfNeeded(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value value, mlir::Type type);

} // namespace fqt::onnx_to_linalg

#endif // FQT_LIB_CONVERSION_ONNXTOLINALG_PATTERNS_H
