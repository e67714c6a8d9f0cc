//===- Patterns.h - onnx to linalg patterns, by op family -------*- C++ -*-===//
//
// The per-family populate functions of --fqt-convert-onnx-to-linalg and the
// helpers their patterns share (Utils.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef FQT_LIB_CONVERSION_ONNXTOLINALG_PATTERNS_H
#define FQT_LIB_CONVERSION_ONNXTOLINALG_PATTERNS_H

#include "ONNX/ONNXOps.h"

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>

namespace fqt::onnx_to_linalg {

/// Add, Sub, Mul, Div, Relu, LeakyRelu, Sigmoid, Tanh, Exp, Log, Sqrt, Neg,
/// Abs, Reciprocal, Erf, Not, Equal, Less, Greater, Where, Cast, Pow, Clip,
/// Dropout; the trigonometric and hyperbolic functions, Ceil, Floor, Round,
/// Sign, IsNaN, IsInf, Elu, Selu, Softplus, Softsign, ThresholdedRelu,
/// Shrink, variadic Max and Min, And, Or, Xor, Mod, BitShift.
void populateElementwisePatterns(mlir::RewritePatternSet &patterns);
/// Gemm, MatMul, Conv, ConvTranspose.
void populateLinearPatterns(mlir::RewritePatternSet &patterns);
/// MaxPool, AveragePool.
void populatePoolingPatterns(mlir::RewritePatternSet &patterns);
/// Constant, Identity, Reshape, Flatten, Transpose, Concat, Squeeze,
/// Unsqueeze, Shape, ConstantOfShape, Expand, Range, Slice, Split, Gather,
/// GatherElements, Trilu, Tile, EyeLike, DepthToSpace, SpaceToDepth.
void populateShapePatterns(mlir::RewritePatternSet &patterns);
/// ReduceMean, ReduceSum, ReduceMax, ReduceMin, ReduceProd, ReduceL1,
/// ReduceL2, ReduceSumSquare, ReduceLogSum, ReduceLogSumExp, ArgMax, ArgMin,
/// CumSum, Hardmax, Softmax, LogSoftmax, GlobalAveragePool, GlobalMaxPool,
/// NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss.
void populateReductionPatterns(mlir::RewritePatternSet &patterns);
/// BatchNormalization, LayerNormalization.
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

/// The indexing maps of `operands` broadcast numpy-style (right-aligned) to
/// `resultType`: a statically size-1 dimension reads element 0. Fails,
/// naming the reason on `op`, when the shapes do not broadcast.
mlir::FailureOr<llvm::SmallVector<mlir::AffineMap>>
broadcastMaps(mlir::PatternRewriter &rewriter, mlir::Operation *op,
              mlir::ValueRange operands, mlir::RankedTensorType resultType);

/// An elementwise linalg.generic over `operands` with numpy (right-aligned)
/// broadcasting to `resultType`; statically size-1 dimensions broadcast.
/// Fails, naming the reason on `op`, when the shapes do not broadcast.
mlir::FailureOr<mlir::Value>
broadcastElementwise(mlir::PatternRewriter &rewriter, mlir::Operation *op,
                     mlir::ValueRange operands,
                     mlir::RankedTensorType resultType, ElementwiseBody body);

/// The integers of a constant 1-D tensor: fqt::onnx::getConstantInts.
using fqt::onnx::getConstantInts;

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

/// Element `i` of the 1-D tensor `v`, or the element of the 0-D tensor `v`
/// (`i` ignored), as an i64 when it is an integer (sign-extended, or
/// zero-extended when `isUnsigned`).
mlir::Value extractScalar(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                          int64_t i, bool isUnsigned = false);

/// The integer or index `value` as an index (sign-extending).
mlir::Value toIndex(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value);

/// The index `value` as an i64.
mlir::Value toI64(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value);

/// `input` reshaped to the statically shaped `resultType` (a row-major
/// reshape, as Reshape, Flatten, Squeeze and Unsqueeze are), or failure
/// naming the reason on `op` when the result is not static or the element
/// counts differ.
mlir::FailureOr<mlir::Value> reshapeToStatic(mlir::PatternRewriter &rewriter,
                                             mlir::Operation *op,
                                             mlir::Value input,
                                             mlir::RankedTensorType resultType);

/// The reduction a `reduce` performs.
enum class ReduceKind { Sum, Mean, Max, Min, Prod };

/// The map from the loops of a tensor to its kept (not `reduced`)
/// dimensions.
mlir::AffineMap keptMap(llvm::ArrayRef<bool> reduced, mlir::MLIRContext *ctx);

/// Reduces the float tensor `input` over its `reduced` dimensions with
/// `kind` (a Mean divides the sum by the reduced count); the reduced
/// dimensions are dropped.
mlir::Value reduce(mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
                   llvm::ArrayRef<bool> reduced, ReduceKind kind);

/// The `linalg.index` of every loop of the enclosing linalg op, to be called
/// in its body.
llvm::SmallVector<mlir::Value> loopIndices(mlir::OpBuilder &b,
                                           mlir::Location loc, int64_t rank);

} // namespace fqt::onnx_to_linalg

#endif // FQT_LIB_CONVERSION_ONNXTOLINALG_PATTERNS_H
