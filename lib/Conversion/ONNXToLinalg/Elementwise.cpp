//===- Elementwise.cpp - elementwise onnx ops to linalg.generic -----------===//
//
// Binary arithmetic with numpy broadcasting and the unary activations, each
// as one all-parallel linalg.generic whose body is arith/math.
//
//===----------------------------------------------------------------------===//

#include "Patterns.h"

#include "ONNX/ONNXOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace fqt;
using namespace fqt::onnx;
using namespace fqt::onnx_to_linalg;

namespace {

/// How each op computes one element. `supports` says which element types
/// the body handles.
template <typename OpTy> struct Body;

#define FQT_FLOAT_INT_BINARY(OP, FOP, IOP)                                     \
  template <> struct Body<OP> {                                                \
    static bool supports(Type t) { return isa<FloatType, IntegerType>(t); }    \
    static Value build(OP, OpBuilder &b, Location loc, ValueRange args) {      \
      if (isa<FloatType>(args[0].getType()))                                   \
        return FOP::create(b, loc, args[0], args[1]);                          \
      return IOP::create(b, loc, args[0], args[1]);                            \
    }                                                                          \
  };
FQT_FLOAT_INT_BINARY(ONNXAddOp, arith::AddFOp, arith::AddIOp)
FQT_FLOAT_INT_BINARY(ONNXSubOp, arith::SubFOp, arith::SubIOp)
FQT_FLOAT_INT_BINARY(ONNXMulOp, arith::MulFOp, arith::MulIOp)
FQT_FLOAT_INT_BINARY(ONNXDivOp, arith::DivFOp, arith::DivSIOp)
#undef FQT_FLOAT_INT_BINARY

#define FQT_FLOAT_UNARY(OP, MOP)                                               \
  template <> struct Body<OP> {                                                \
    static bool supports(Type t) { return isa<FloatType>(t); }                 \
    static Value build(OP, OpBuilder &b, Location loc, ValueRange args) {      \
      return MOP::create(b, loc, args[0]);                                     \
    }                                                                          \
  };
FQT_FLOAT_UNARY(ONNXTanhOp, math::TanhOp)
FQT_FLOAT_UNARY(ONNXExpOp, math::ExpOp)
FQT_FLOAT_UNARY(ONNXLogOp, math::LogOp)
FQT_FLOAT_UNARY(ONNXSqrtOp, math::SqrtOp)
FQT_FLOAT_UNARY(ONNXNegOp, arith::NegFOp)
FQT_FLOAT_UNARY(ONNXAbsOp, math::AbsFOp)
FQT_FLOAT_UNARY(ONNXErfOp, math::ErfOp)
#undef FQT_FLOAT_UNARY

template <> struct Body<ONNXReluOp> {
  static bool supports(Type t) { return isa<FloatType>(t); }
  static Value build(ONNXReluOp, OpBuilder &b, Location loc, ValueRange args) {
    Value zero = scalarConstant(b, loc, args[0].getType(), 0.0);
    return arith::MaximumFOp::create(b, loc, args[0], zero);
  }
};

template <> struct Body<ONNXLeakyReluOp> {
  static bool supports(Type t) { return isa<FloatType>(t); }
  static Value build(ONNXLeakyReluOp op, OpBuilder &b, Location loc,
                     ValueRange args) {
    Type type = args[0].getType();
    Value zero = scalarConstant(b, loc, type, 0.0);
    Value alpha = scalarConstant(b, loc, type, op.getAlpha().convertToDouble());
    Value scaled = arith::MulFOp::create(b, loc, alpha, args[0]);
    Value positive =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, args[0], zero);
    return arith::SelectOp::create(b, loc, positive, args[0], scaled);
  }
};

template <> struct Body<ONNXSigmoidOp> {
  static bool supports(Type t) { return isa<FloatType>(t); }
  static Value build(ONNXSigmoidOp, OpBuilder &b, Location loc,
                     ValueRange args) {
    Value one = scalarConstant(b, loc, args[0].getType(), 1.0);
    Value negated = arith::NegFOp::create(b, loc, args[0]);
    Value exp = math::ExpOp::create(b, loc, negated);
    Value denominator = arith::AddFOp::create(b, loc, one, exp);
    return arith::DivFOp::create(b, loc, one, denominator);
  }
};

template <> struct Body<ONNXReciprocalOp> {
  static bool supports(Type t) { return isa<FloatType>(t); }
  static Value build(ONNXReciprocalOp, OpBuilder &b, Location loc,
                     ValueRange args) {
    Value one = scalarConstant(b, loc, args[0].getType(), 1.0);
    return arith::DivFOp::create(b, loc, one, args[0]);
  }
};

/// Any elementwise op: operands and result of one element type, broadcast
/// numpy-style to the (ranked) result.
template <typename OpTy> struct ElementwiseToGeneric : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    auto resultType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!resultType)
      return rewriter.notifyMatchFailure(op, "result is not a ranked tensor");
    Type elementType = resultType.getElementType();
    if (!Body<OpTy>::supports(elementType))
      return rewriter.notifyMatchFailure(op, "unsupported element type");
    for (Value operand : op->getOperands()) {
      auto type = dyn_cast<RankedTensorType>(operand.getType());
      if (!type || type.getElementType() != elementType)
        return rewriter.notifyMatchFailure(
            op, "operand is not a ranked tensor of the result element type");
    }
    FailureOr<Value> result =
        broadcastElementwise(rewriter, op, op->getOperands(), resultType,
                             [&](OpBuilder &b, Location loc, ValueRange args) {
                               return Body<OpTy>::build(op, b, loc, args);
                             });
    if (failed(result))
      return failure();
    rewriter.replaceOp(op, *result);
    return success();
  }
};

} // namespace

void fqt::onnx_to_linalg::populateElementwisePatterns(
    RewritePatternSet &patterns) {
  patterns.add<
      ElementwiseToGeneric<ONNXAddOp>, ElementwiseToGeneric<ONNXSubOp>,
      ElementwiseToGeneric<ONNXMulOp>, ElementwiseToGeneric<ONNXDivOp>,
      ElementwiseToGeneric<ONNXReluOp>, ElementwiseToGeneric<ONNXLeakyReluOp>,
      ElementwiseToGeneric<ONNXSigmoidOp>, ElementwiseToGeneric<ONNXTanhOp>,
      ElementwiseToGeneric<ONNXExpOp>, ElementwiseToGeneric<ONNXLogOp>,
      ElementwiseToGeneric<ONNXSqrtOp>, ElementwiseToGeneric<ONNXNegOp>,
      ElementwiseToGeneric<ONNXAbsOp>, ElementwiseToGeneric<ONNXReciprocalOp>,
      ElementwiseToGeneric<ONNXErfOp>>(patterns.getContext());
}
