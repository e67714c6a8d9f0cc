//===- TensorEmitter.h - linalg on tensors for gradient rules ---*- C++ -*-===//
//
// Small builders for the tensor computations that gradient rules, losses and
// optimizers emit: broadcasting elementwise maps, sums back to an operand's
// shape, matrix products with transposes, reshapes, transposes, padding.
// Everything is static-shaped `linalg`/`tensor`/`arith` on f32 tensors.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_LIB_TRAINING_TENSOREMITTER_H
#define FQT_LIB_TRAINING_TENSOREMITTER_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace fqt::training {

using ScalarBody = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

class TensorEmitter {
public:
  TensorEmitter(mlir::OpBuilder &builder, mlir::Location loc)
      : b(builder), loc(loc) {}

  mlir::OpBuilder &builder() { return b; }
  mlir::Location getLoc() const { return loc; }
  void setLoc(mlir::Location l) { loc = l; }

  static llvm::ArrayRef<int64_t> shapeOf(mlir::Value v) {
    return llvm::cast<mlir::RankedTensorType>(v.getType()).getShape();
  }
  static mlir::Type elementOf(mlir::Value v) {
    return llvm::cast<mlir::RankedTensorType>(v.getType()).getElementType();
  }

  /// A scalar (not a tensor) constant of type `type`.
  mlir::Value scalar(mlir::Type type, double value);
  mlir::Value f32(double value) { return scalar(b.getF32Type(), value); }

  /// A tensor of `shape` filled with `value`.
  mlir::Value splat(llvm::ArrayRef<int64_t> shape, mlir::Type elementType,
                    double value);

  /// result[i] = body(inputs broadcast to `shape`)[i]. Inputs broadcast
  /// ONNX-style: aligned to the right, size-1 dimensions repeated; rank-0
  /// inputs are scalars.
  mlir::Value map(llvm::ArrayRef<int64_t> shape, mlir::Type resultElement,
                  mlir::ValueRange inputs, ScalarBody body);
  /// map() with the shape and element type of the first input.
  mlir::Value map(mlir::ValueRange inputs, ScalarBody body);

  /// Sums `x` over the dimensions that broadcasting `shape` to x's shape
  /// added or repeated: the gradient of a broadcast operand.
  mlir::Value sumToShape(mlir::Value x, llvm::ArrayRef<int64_t> shape);

  /// Sums `x` over `dims`, which disappear from the result.
  mlir::Value reduceSum(mlir::Value x, llvm::ArrayRef<int64_t> dims);

  /// 2-D product lhs' * rhs' in f32, with lhs' = lhs^T if transposeLhs, etc.
  mlir::Value matmul(mlir::Value lhs, mlir::Value rhs, bool transposeLhs,
                     bool transposeRhs);

  /// The products of `groups` independent blocks of 2-D matrices, as one
  /// tagged contraction (a grouped convolution's products): lhs' * rhs' as
  /// in matmul(), where dimension `lhsGroupDim` of the stored lhs,
  /// `rhsGroupDim` of the stored rhs and `resultGroupDim` of the result are
  /// `groups` blocks, block g of each taking part in product g only. Emitted
  /// as a linalg.generic over (g, m, n, k) on the operands expanded to 3-D
  /// ([g, size / g] in place of the grouped dimension), its result
  /// collapsed back to 2-D; returns that 2-D result.
  mlir::Value groupedMatmul(mlir::Value lhs, mlir::Value rhs, bool transposeLhs,
                            bool transposeRhs, int64_t groups,
                            int64_t lhsGroupDim, int64_t rhsGroupDim,
                            int64_t resultGroupDim);

  /// result = x with dimensions permuted: result dim i is x dim perm[i].
  mlir::Value transpose(mlir::Value x, llvm::ArrayRef<int64_t> perm);

  /// Same elements, row-major, in a new static shape.
  mlir::Value reshape(mlir::Value x, llvm::ArrayRef<int64_t> shape);

  /// Pads with `value`.
  mlir::Value pad(mlir::Value x, llvm::ArrayRef<int64_t> low,
                  llvm::ArrayRef<int64_t> high, double value);

  /// The window gather of a 2-D convolution or pooling:
  /// result[n, c, kh, kw, oh, ow] = xPadded[n, c, oh*s0 + kh*d0, ow*s1 + kw*d1]
  /// for an already padded NCHW input.
  mlir::Value gatherWindows(mlir::Value xPadded, llvm::ArrayRef<int64_t> kernel,
                            llvm::ArrayRef<int64_t> outSize,
                            llvm::ArrayRef<int64_t> strides,
                            llvm::ArrayRef<int64_t> dilations);

  /// The adjoint of gatherWindows: sums window contributions
  /// cols[n, oh, ow, c, kh, kw] back into an NCHW tensor of padded spatial
  /// size `paddedSize`.
  mlir::Value scatterWindows(mlir::Value cols,
                             llvm::ArrayRef<int64_t> paddedSize,
                             llvm::ArrayRef<int64_t> strides,
                             llvm::ArrayRef<int64_t> dilations);

  /// Batched product lhs' * rhs' over the batch dimensions `batch`: the
  /// operands' leading dimensions broadcast ONNX-style to `batch` (missing
  /// or size-1 dimensions repeat), the last two are the matrix (transposed
  /// where asked). Result [batch..., M, N] in the operands' element type.
  mlir::Value batchMatmul(mlir::Value lhs, mlir::Value rhs, bool transposeLhs,
                          bool transposeRhs, llvm::ArrayRef<int64_t> batch);

  /// Zeros of `shape` with `x` written at `offsets` every `strides`: the
  /// adjoint of a strided slice.
  mlir::Value insertIntoZeros(mlir::Value x, llvm::ArrayRef<int64_t> shape,
                              llvm::ArrayRef<int64_t> offsets,
                              llvm::ArrayRef<int64_t> strides);

  /// x[offsets : offsets + sizes] with unit strides.
  mlir::Value slice(mlir::Value x, llvm::ArrayRef<int64_t> offsets,
                    llvm::ArrayRef<int64_t> sizes);

private:
  mlir::OpBuilder &b;
  mlir::Location loc;
};

} // namespace fqt::training

#endif // FQT_LIB_TRAINING_TENSOREMITTER_H
