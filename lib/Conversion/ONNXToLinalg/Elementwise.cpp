//===- Elementwise.cpp - elementwise onnx ops to linalg.generic -----------===//
//
// Binary arithmetic with numpy broadcasting, variadic Max and Min, the
// unary math functions and activations, comparisons, logic (Not, And, Or,
// Xor), Mod, BitShift, IsNaN, IsInf, Where, Cast, Pow, Clip and Dropout,
// each as one all-parallel linalg.generic whose body is arith/math.
//
//===----------------------------------------------------------------------===//

#include "Patterns.h"

#include "ONNX/ONNXOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Utils/Utils.h"

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
#undef FQT_FLOAT_INT_BINARY

/// Integer division truncates, unsigned where the operands are.
template <> struct Body<ONNXDivOp> {
  static bool supports(Type t) { return isa<FloatType, IntegerType>(t); }
  static Value build(ONNXDivOp op, OpBuilder &b, Location loc,
                     ValueRange args) {
    if (isa<FloatType>(args[0].getType()))
      return arith::DivFOp::create(b, loc, args[0], args[1]);
    if (isUnsignedOperand(op, 0))
      return arith::DivUIOp::create(b, loc, args[0], args[1]);
    return arith::DivSIOp::create(b, loc, args[0], args[1]);
  }
};

template <> struct Body<ONNXNotOp> {
  static bool supports(Type t) { return t.isInteger(1); }
  static Value build(ONNXNotOp, OpBuilder &b, Location loc, ValueRange args) {
    Value one = arith::ConstantIntOp::create(b, loc, 1, 1);
    return arith::XOrIOp::create(b, loc, args[0], one);
  }
};

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
FQT_FLOAT_UNARY(ONNXSinOp, math::SinOp)
FQT_FLOAT_UNARY(ONNXCosOp, math::CosOp)
FQT_FLOAT_UNARY(ONNXTanOp, math::TanOp)
FQT_FLOAT_UNARY(ONNXAsinOp, math::AsinOp)
FQT_FLOAT_UNARY(ONNXAcosOp, math::AcosOp)
FQT_FLOAT_UNARY(ONNXAtanOp, math::AtanOp)
FQT_FLOAT_UNARY(ONNXSinhOp, math::SinhOp)
FQT_FLOAT_UNARY(ONNXCoshOp, math::CoshOp)
FQT_FLOAT_UNARY(ONNXAsinhOp, math::AsinhOp)
FQT_FLOAT_UNARY(ONNXAcoshOp, math::AcoshOp)
FQT_FLOAT_UNARY(ONNXAtanhOp, math::AtanhOp)
FQT_FLOAT_UNARY(ONNXCeilOp, math::CeilOp)
FQT_FLOAT_UNARY(ONNXFloorOp, math::FloorOp)
// Halves round to even, as ONNX's Round does.
FQT_FLOAT_UNARY(ONNXRoundOp, math::RoundEvenOp)
#undef FQT_FLOAT_UNARY

/// -1, 0 or 1 (a NaN stays NaN).
template <> struct Body<ONNXSignOp> {
  static bool supports(Type t) { return isa<FloatType, IntegerType>(t); }
  static Value build(ONNXSignOp op, OpBuilder &b, Location loc,
                     ValueRange args) {
    Value x = args[0];
    Type type = x.getType();
    Value zero = scalarConstant(b, loc, type, 0.0);
    Value one = scalarConstant(b, loc, type, 1.0);
    if (isa<FloatType>(type)) {
      Value minusOne = scalarConstant(b, loc, type, -1.0);
      Value positive =
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, zero);
      Value negative =
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, zero);
      Value low = arith::SelectOp::create(b, loc, negative, minusOne, x);
      Value sign = arith::SelectOp::create(b, loc, positive, one, low);
      // A zero stays zero (of its sign) and a NaN NaN through `x`.
      return sign;
    }
    Value positive = arith::CmpIOp::create(b, loc,
                                           isUnsignedOperand(op, 0)
                                               ? arith::CmpIPredicate::ugt
                                               : arith::CmpIPredicate::sgt,
                                           x, zero);
    Value negative =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, zero);
    if (isUnsignedOperand(op, 0))
      negative = arith::ConstantIntOp::create(b, loc, 0, 1);
    Value minusOne = scalarConstant(b, loc, type, -1.0);
    Value low = arith::SelectOp::create(b, loc, negative, minusOne, zero);
    return arith::SelectOp::create(b, loc, positive, one, low);
  }
};

/// x for x > 0, else alpha (exp(x) - 1).
template <> struct Body<ONNXEluOp> {
  static bool supports(Type t) { return isa<FloatType>(t); }
  static Value build(ONNXEluOp op, OpBuilder &b, Location loc,
                     ValueRange args) {
    Type type = args[0].getType();
    Value zero = scalarConstant(b, loc, type, 0.0);
    Value alpha = scalarConstant(b, loc, type, op.getAlpha().convertToDouble());
    Value expm1 = math::ExpM1Op::create(b, loc, args[0]);
    Value negative = arith::MulFOp::create(b, loc, alpha, expm1);
    Value positive =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, args[0], zero);
    return arith::SelectOp::create(b, loc, positive, args[0], negative);
  }
};

/// gamma x for x > 0, else gamma alpha (exp(x) - 1).
template <> struct Body<ONNXSeluOp> {
  static bool supports(Type t) { return isa<FloatType>(t); }
  static Value build(ONNXSeluOp op, OpBuilder &b, Location loc,
                     ValueRange args) {
    Type type = args[0].getType();
    Value zero = scalarConstant(b, loc, type, 0.0);
    double alpha = op.getAlpha().convertToDouble();
    double gamma = op.getGamma().convertToDouble();
    Value expm1 = math::ExpM1Op::create(b, loc, args[0]);
    Value negative = arith::MulFOp::create(
        b, loc, scalarConstant(b, loc, type, alpha * gamma), expm1);
    Value positive = arith::MulFOp::create(
        b, loc, scalarConstant(b, loc, type, gamma), args[0]);
    Value isPositive =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, args[0], zero);
    return arith::SelectOp::create(b, loc, isPositive, positive, negative);
  }
};

/// log(1 + exp(x)) as max(x, 0) + log1p(exp(-|x|)), which does not
/// overflow.
template <> struct Body<ONNXSoftplusOp> {
  static bool supports(Type t) { return isa<FloatType>(t); }
  static Value build(ONNXSoftplusOp, OpBuilder &b, Location loc,
                     ValueRange args) {
    Type type = args[0].getType();
    Value zero = scalarConstant(b, loc, type, 0.0);
    Value abs = math::AbsFOp::create(b, loc, args[0]);
    Value exp = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, abs));
    Value log1p = math::Log1pOp::create(b, loc, exp);
    Value relu = arith::MaximumFOp::create(b, loc, args[0], zero);
    return arith::AddFOp::create(b, loc, relu, log1p);
  }
};

/// x / (1 + |x|).
template <> struct Body<ONNXSoftsignOp> {
  static bool supports(Type t) { return isa<FloatType>(t); }
  static Value build(ONNXSoftsignOp, OpBuilder &b, Location loc,
                     ValueRange args) {
    Type type = args[0].getType();
    Value one = scalarConstant(b, loc, type, 1.0);
    Value abs = math::AbsFOp::create(b, loc, args[0]);
    Value denominator = arith::AddFOp::create(b, loc, one, abs);
    return arith::DivFOp::create(b, loc, args[0], denominator);
  }
};

/// x for x > alpha, else 0.
template <> struct Body<ONNXThresholdedReluOp> {
  static bool supports(Type t) { return isa<FloatType>(t); }
  static Value build(ONNXThresholdedReluOp op, OpBuilder &b, Location loc,
                     ValueRange args) {
    Type type = args[0].getType();
    Value zero = scalarConstant(b, loc, type, 0.0);
    Value alpha = scalarConstant(b, loc, type, op.getAlpha().convertToDouble());
    Value above = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                        args[0], alpha);
    return arith::SelectOp::create(b, loc, above, args[0], zero);
  }
};

/// x + bias for x < -lambd, x - bias for x > lambd, else 0.
template <> struct Body<ONNXShrinkOp> {
  static bool supports(Type t) { return isa<FloatType>(t); }
  static Value build(ONNXShrinkOp op, OpBuilder &b, Location loc,
                     ValueRange args) {
    Type type = args[0].getType();
    double lambd = op.getLambd().convertToDouble();
    double bias = op.getBias().convertToDouble();
    Value x = args[0];
    Value below = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x,
                                        scalarConstant(b, loc, type, -lambd));
    Value above = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x,
                                        scalarConstant(b, loc, type, lambd));
    Value raised =
        arith::AddFOp::create(b, loc, x, scalarConstant(b, loc, type, bias));
    Value lowered =
        arith::SubFOp::create(b, loc, x, scalarConstant(b, loc, type, bias));
    Value outer = arith::SelectOp::create(b, loc, above, lowered,
                                          scalarConstant(b, loc, type, 0.0));
    return arith::SelectOp::create(b, loc, below, raised, outer);
  }
};

/// Max and Min over any number of operands; a NaN wins for floats.
template <bool IsMax>
static Value extremum(Operation *op, OpBuilder &b, Location loc,
                      ValueRange args) {
  bool isUnsigned = isUnsignedOperand(op, 0);
  Value v = args[0];
  for (Value next : args.drop_front()) {
    if (isa<FloatType>(v.getType()))
      v = IsMax ? arith::MaximumFOp::create(b, loc, v, next).getResult()
                : arith::MinimumFOp::create(b, loc, v, next).getResult();
    else if (isUnsigned)
      v = IsMax ? arith::MaxUIOp::create(b, loc, v, next).getResult()
                : arith::MinUIOp::create(b, loc, v, next).getResult();
    else
      v = IsMax ? arith::MaxSIOp::create(b, loc, v, next).getResult()
                : arith::MinSIOp::create(b, loc, v, next).getResult();
  }
  return v;
}

template <> struct Body<ONNXMaxOp> {
  static bool supports(Type t) {
    return isa<FloatType>(t) || (isa<IntegerType>(t) && !t.isInteger(1));
  }
  static Value build(ONNXMaxOp op, OpBuilder &b, Location loc,
                     ValueRange args) {
    return extremum<true>(op, b, loc, args);
  }
};

template <> struct Body<ONNXMinOp> {
  static bool supports(Type t) {
    return isa<FloatType>(t) || (isa<IntegerType>(t) && !t.isInteger(1));
  }
  static Value build(ONNXMinOp op, OpBuilder &b, Location loc,
                     ValueRange args) {
    return extremum<false>(op, b, loc, args);
  }
};

#define FQT_BOOLEAN_BINARY(OP, IOP)                                            \
  template <> struct Body<OP> {                                                \
    static bool supports(Type t) { return t.isInteger(1); }                    \
    static Value build(OP, OpBuilder &b, Location loc, ValueRange args) {      \
      return IOP::create(b, loc, args[0], args[1]);                            \
    }                                                                          \
  };
FQT_BOOLEAN_BINARY(ONNXAndOp, arith::AndIOp)
FQT_BOOLEAN_BINARY(ONNXOrOp, arith::OrIOp)
FQT_BOOLEAN_BINARY(ONNXXorOp, arith::XOrIOp)
#undef FQT_BOOLEAN_BINARY

/// fmod = 1: the remainder takes the dividend's sign (C's fmod); fmod = 0
/// (integers): the divisor's sign, as Python's %.
template <> struct Body<ONNXModOp> {
  static bool supports(Type t) {
    return isa<FloatType>(t) || (isa<IntegerType>(t) && !t.isInteger(1));
  }
  static Value build(ONNXModOp op, OpBuilder &b, Location loc,
                     ValueRange args) {
    Value x = args[0], y = args[1];
    Type type = x.getType();
    if (isa<FloatType>(type)) {
      Value r = arith::RemFOp::create(b, loc, x, y);
      if (op.getFmod() != 0)
        return r;
      Value zero = scalarConstant(b, loc, type, 0.0);
      Value nonzero =
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ONE, r, zero);
      Value rNeg =
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, r, zero);
      Value yNeg =
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, y, zero);
      Value differ = arith::XOrIOp::create(b, loc, rNeg, yNeg);
      Value fix = arith::AndIOp::create(b, loc, nonzero, differ);
      return arith::SelectOp::create(b, loc, fix,
                                     arith::AddFOp::create(b, loc, r, y), r);
    }
    if (isUnsignedOperand(op, 0))
      return arith::RemUIOp::create(b, loc, x, y);
    Value r = arith::RemSIOp::create(b, loc, x, y);
    if (op.getFmod() != 0)
      return r;
    Value zero = scalarConstant(b, loc, type, 0.0);
    Value nonzero =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, r, zero);
    Value rNeg =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, r, zero);
    Value yNeg =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, y, zero);
    Value differ = arith::XOrIOp::create(b, loc, rNeg, yNeg);
    Value fix = arith::AndIOp::create(b, loc, nonzero, differ);
    return arith::SelectOp::create(b, loc, fix,
                                   arith::AddIOp::create(b, loc, r, y), r);
  }
};

/// Shifts of unsigned integers; a shift by the bit width or more gives 0.
template <> struct Body<ONNXBitShiftOp> {
  static bool supports(Type t) { return isa<IntegerType>(t); }
  static Value build(ONNXBitShiftOp op, OpBuilder &b, Location loc,
                     ValueRange args) {
    Value x = args[0], y = args[1];
    Type type = x.getType();
    Value shifted = op.getDirection() == "LEFT"
                        ? arith::ShLIOp::create(b, loc, x, y).getResult()
                        : arith::ShRUIOp::create(b, loc, x, y).getResult();
    Value width =
        scalarConstant(b, loc, type, double(type.getIntOrFloatBitWidth()));
    Value inRange =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, y, width);
    return arith::SelectOp::create(b, loc, inRange, shifted,
                                   scalarConstant(b, loc, type, 0.0));
  }
};

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

/// max(0, min(1, alpha x + beta)).
static Value hardSigmoid(OpBuilder &b, Location loc, Value x, double alpha,
                         double beta) {
  Type type = x.getType();
  Value scaled =
      arith::MulFOp::create(b, loc, x, scalarConstant(b, loc, type, alpha));
  Value shifted =
      arith::AddFOp::create(b, loc, scaled, scalarConstant(b, loc, type, beta));
  Value low = arith::MaximumFOp::create(b, loc, shifted,
                                        scalarConstant(b, loc, type, 0.0));
  return arith::MinimumFOp::create(b, loc, low,
                                   scalarConstant(b, loc, type, 1.0));
}

template <> struct Body<ONNXHardSigmoidOp> {
  static bool supports(Type t) { return isa<FloatType>(t); }
  static Value build(ONNXHardSigmoidOp op, OpBuilder &b, Location loc,
                     ValueRange args) {
    return hardSigmoid(b, loc, args[0], op.getAlpha().convertToDouble(),
                       op.getBeta().convertToDouble());
  }
};

/// x * HardSigmoid(x) with alpha = 1/6, beta = 1/2.
template <> struct Body<ONNXHardSwishOp> {
  static bool supports(Type t) { return isa<FloatType>(t); }
  static Value build(ONNXHardSwishOp, OpBuilder &b, Location loc,
                     ValueRange args) {
    Value gate = hardSigmoid(b, loc, args[0], 1.0 / 6.0, 0.5);
    return arith::MulFOp::create(b, loc, args[0], gate);
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

//===----------------------------------------------------------------------===//
// Ops whose operands and result differ in element type
//===----------------------------------------------------------------------===//

/// The ranked result type of `op`'s result `i`, or null.
static RankedTensorType rankedResult(Operation *op, unsigned i = 0) {
  return dyn_cast<RankedTensorType>(op->getResult(i).getType());
}

/// The element type of `v` when it is a ranked tensor, else null.
static Type rankedElementType(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type ? type.getElementType() : Type();
}

/// Replaces `op` by a broadcasting elementwise generic over `operands`.
static LogicalResult replaceWithElementwise(PatternRewriter &rewriter,
                                            Operation *op, ValueRange operands,
                                            RankedTensorType resultType,
                                            ElementwiseBody body) {
  FailureOr<Value> result =
      broadcastElementwise(rewriter, op, operands, resultType, body);
  if (failed(result))
    return failure();
  rewriter.replaceOp(op, *result);
  return success();
}

/// Equal, Less, Greater: cmpf (ordered) for floats, cmpi (unsigned where the
/// operands are) for integers and booleans.
template <typename OpTy, arith::CmpFPredicate FPred, arith::CmpIPredicate SPred,
          arith::CmpIPredicate UPred>
struct CompareToGeneric : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType resultType = rankedResult(op);
    Type elementType = rankedElementType(op->getOperand(0));
    if (!resultType || !resultType.getElementType().isInteger(1) ||
        !elementType || !isa<FloatType, IntegerType>(elementType) ||
        rankedElementType(op->getOperand(1)) != elementType)
      return rewriter.notifyMatchFailure(
          op, "operands are not ranked numeric tensors of one type with a "
              "boolean result");
    bool isUnsigned = isUnsignedOperand(op, 0);
    return replaceWithElementwise(
        rewriter, op, op->getOperands(), resultType,
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          if (isa<FloatType>(elementType))
            return arith::CmpFOp::create(b, loc, FPred, args[0], args[1]);
          return arith::CmpIOp::create(b, loc, isUnsigned ? UPred : SPred,
                                       args[0], args[1]);
        });
  }
};

struct WhereToGeneric : OpRewritePattern<ONNXWhereOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXWhereOp op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType resultType = rankedResult(op);
    Type conditionType = rankedElementType(op.getCondition());
    if (!resultType || !conditionType || !conditionType.isInteger(1) ||
        rankedElementType(op.getX()) != resultType.getElementType() ||
        rankedElementType(op.getY()) != resultType.getElementType())
      return rewriter.notifyMatchFailure(
          op, "condition is not a boolean tensor or X and Y are not ranked "
              "tensors of the result element type");
    return replaceWithElementwise(
        rewriter, op, op->getOperands(), resultType,
        [](OpBuilder &b, Location loc, ValueRange args) -> Value {
          return arith::SelectOp::create(b, loc, args[0], args[1], args[2]);
        });
  }
};

/// IsNaN, IsInf: a boolean per float element.
static LogicalResult replaceWithFloatPredicate(
    PatternRewriter &rewriter, Operation *op,
    llvm::function_ref<Value(OpBuilder &, Location, Value)> predicate) {
  RankedTensorType resultType = rankedResult(op);
  Type elementType = rankedElementType(op->getOperand(0));
  if (!resultType || !resultType.getElementType().isInteger(1) ||
      !elementType || !isa<FloatType>(elementType))
    return rewriter.notifyMatchFailure(
        op, "operand is not a ranked float tensor or the result not boolean");
  return replaceWithElementwise(
      rewriter, op, op->getOperand(0), resultType,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        return predicate(b, loc, args[0]);
      });
}

struct IsNaNToGeneric : OpRewritePattern<ONNXIsNaNOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXIsNaNOp op,
                                PatternRewriter &rewriter) const override {
    return replaceWithFloatPredicate(
        rewriter, op, [](OpBuilder &b, Location loc, Value x) -> Value {
          return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, x, x);
        });
  }
};

/// IsInf, of the signs detect_positive and detect_negative ask for.
struct IsInfToGeneric : OpRewritePattern<ONNXIsInfOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXIsInfOp op,
                                PatternRewriter &rewriter) const override {
    bool positive = op.getDetectPositive() != 0;
    bool negative = op.getDetectNegative() != 0;
    return replaceWithFloatPredicate(
        rewriter, op, [&](OpBuilder &b, Location loc, Value x) -> Value {
          auto type = cast<FloatType>(x.getType());
          auto infinity = [&](bool negativeInf) {
            return arith::ConstantOp::create(
                b, loc,
                b.getFloatAttr(type, APFloat::getInf(type.getFloatSemantics(),
                                                     negativeInf)));
          };
          Value result = arith::ConstantIntOp::create(b, loc, 0, 1);
          if (positive)
            result = arith::OrIOp::create(
                b, loc, result,
                arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, x,
                                      infinity(false)));
          if (negative)
            result = arith::OrIOp::create(
                b, loc, result,
                arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, x,
                                      infinity(true)));
          return result;
        });
  }
};

/// Whether the ONNX TensorProto data type `dataType` is unsigned.
static bool isUnsignedDataType(int64_t dataType) {
  // UINT8, UINT16, UINT32, UINT64.
  return dataType == 2 || dataType == 4 || dataType == 12 || dataType == 13;
}

/// `v` converted to `to` as ONNX's Cast does: to bool by comparing with 0,
/// between floats by extension or truncation, integers by extension (signed
/// or not as the source is) or truncation, across by the signedness of the
/// integer side.
static Value castElement(OpBuilder &b, Location loc, Value v, Type to,
                         bool fromUnsigned, bool toUnsigned) {
  Type from = v.getType();
  if (from == to)
    return v;
  if (to.isInteger(1)) {
    if (isa<FloatType>(from))
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, v,
                                   scalarConstant(b, loc, from, 0.0));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, v,
                                 scalarConstant(b, loc, from, 0.0));
  }
  fromUnsigned |= from.isInteger(1);
  unsigned fromWidth = from.getIntOrFloatBitWidth();
  unsigned toWidth = to.getIntOrFloatBitWidth();
  if (isa<FloatType>(from) && isa<FloatType>(to)) {
    if (fromWidth < toWidth)
      return arith::ExtFOp::create(b, loc, to, v);
    if (fromWidth > toWidth)
      return arith::TruncFOp::create(b, loc, to, v);
    // f16 <-> bf16: through f32.
    Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), v);
    return arith::TruncFOp::create(b, loc, to, wide);
  }
  if (isa<FloatType>(to)) {
    if (fromUnsigned)
      return arith::UIToFPOp::create(b, loc, to, v);
    return arith::SIToFPOp::create(b, loc, to, v);
  }
  if (isa<FloatType>(from)) {
    if (toUnsigned)
      return arith::FPToUIOp::create(b, loc, to, v);
    return arith::FPToSIOp::create(b, loc, to, v);
  }
  if (fromWidth > toWidth)
    return arith::TruncIOp::create(b, loc, to, v);
  if (fromUnsigned)
    return arith::ExtUIOp::create(b, loc, to, v);
  return arith::ExtSIOp::create(b, loc, to, v);
}

struct CastToGeneric : OpRewritePattern<ONNXCastOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXCastOp op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType resultType = rankedResult(op);
    Type from = rankedElementType(op.getInput());
    if (!resultType || !from || !isa<FloatType, IntegerType>(from) ||
        !isa<FloatType, IntegerType>(resultType.getElementType()))
      return rewriter.notifyMatchFailure(
          op, "operand or result is not a ranked numeric tensor");
    Type to = resultType.getElementType();
    bool fromUnsigned = isUnsignedOperand(op, 0);
    bool toUnsigned = isUnsignedDataType(op.getTo());
    return replaceWithElementwise(
        rewriter, op, op.getInput(), resultType,
        [&](OpBuilder &b, Location loc, ValueRange args) {
          return castElement(b, loc, args[0], to, fromUnsigned, toUnsigned);
        });
  }
};

/// Pow: math.powf for a float base (the exponent converted to its type),
/// math.ipowi for integers, and an integer base with a float exponent in
/// f64, truncated back as numpy's astype does.
struct PowToGeneric : OpRewritePattern<ONNXPowOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXPowOp op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType resultType = rankedResult(op);
    Type base = rankedElementType(op.getX());
    Type exponent = rankedElementType(op.getY());
    if (!resultType || base != resultType.getElementType() || !exponent ||
        !isa<FloatType, IntegerType>(base) ||
        !isa<FloatType, IntegerType>(exponent) || base.isInteger(1) ||
        exponent.isInteger(1))
      return rewriter.notifyMatchFailure(
          op, "X and Y are not ranked numeric tensors, or the result is not "
              "of X's type");
    bool baseUnsigned = isUnsignedOperand(op, 0);
    bool exponentUnsigned = isUnsignedOperand(op, 1);
    return replaceWithElementwise(
        rewriter, op, op->getOperands(), resultType,
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          Value x = args[0], y = args[1];
          if (isa<FloatType>(base)) {
            y = castElement(b, loc, y, base, exponentUnsigned, false);
            return math::PowFOp::create(b, loc, x, y);
          }
          if (isa<IntegerType>(exponent)) {
            y = castElement(b, loc, y, base, exponentUnsigned, baseUnsigned);
            return math::IPowIOp::create(b, loc, x, y);
          }
          Type f64 = b.getF64Type();
          Value wideX = castElement(b, loc, x, f64, baseUnsigned, false);
          Value wideY = castElement(b, loc, y, f64, false, false);
          Value wide = math::PowFOp::create(b, loc, wideX, wideY);
          return castElement(b, loc, wide, base, false, baseUnsigned);
        });
  }
};

/// Clip to the optional scalar bounds min and max; a NaN stays NaN.
struct ClipToGeneric : OpRewritePattern<ONNXClipOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXClipOp op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType resultType = rankedResult(op);
    if (!resultType ||
        !isa<FloatType, IntegerType>(resultType.getElementType()))
      return rewriter.notifyMatchFailure(op, "result is not a numeric tensor");
    Type elementType = resultType.getElementType();
    SmallVector<Value> operands = {op.getInput()};
    bool hasMin = !isa<NoneType>(op.getMin().getType());
    bool hasMax = !isa<NoneType>(op.getMax().getType());
    if (hasMin)
      operands.push_back(op.getMin());
    if (hasMax)
      operands.push_back(op.getMax());
    for (Value operand : operands)
      if (rankedElementType(operand) != elementType)
        return rewriter.notifyMatchFailure(
            op, "operands are not ranked tensors of the result element type");
    for (Value bound : ArrayRef<Value>(operands).drop_front())
      if (cast<RankedTensorType>(bound.getType()).getNumElements() != 1)
        return rewriter.notifyMatchFailure(op, "min or max is not a scalar");
    bool isUnsigned = isUnsignedOperand(op, 0);
    return replaceWithElementwise(
        rewriter, op, operands, resultType,
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value v = args[0];
          auto bound = [&](Value bound, bool lower) {
            if (isa<FloatType>(elementType)) {
              Value outside = arith::CmpFOp::create(
                  b, loc,
                  lower ? arith::CmpFPredicate::OLT : arith::CmpFPredicate::OGT,
                  v, bound);
              return arith::SelectOp::create(b, loc, outside, bound, v)
                  .getResult();
            }
            if (lower)
              return isUnsigned
                         ? arith::MaxUIOp::create(b, loc, v, bound).getResult()
                         : arith::MaxSIOp::create(b, loc, v, bound).getResult();
            return isUnsigned
                       ? arith::MinUIOp::create(b, loc, v, bound).getResult()
                       : arith::MinSIOp::create(b, loc, v, bound).getResult();
          };
          unsigned next = 1;
          if (hasMin)
            v = bound(args[next++], /*lower=*/true);
          if (hasMax)
            v = bound(args[next], /*lower=*/false);
          return v;
        });
  }
};

/// Dropout. Without a training_mode, or with a constant false one, it is the
/// identity and its mask all true. Otherwise, at run time in training mode,
/// an element is kept with probability 1 - ratio and scaled by
/// 1 / (1 - ratio); the random numbers come from a counter-based hash of
/// the seed attribute (0 without one) and the element's position, so a
/// given seed gives the same mask on every call.
struct DropoutToGeneric : OpRewritePattern<ONNXDropoutOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(ONNXDropoutOp op,
                                PatternRewriter &rewriter) const override {
    auto dataType = dyn_cast<RankedTensorType>(op.getData().getType());
    RankedTensorType resultType = rankedResult(op);
    if (!dataType || !resultType || dataType != resultType ||
        !isa<FloatType>(dataType.getElementType()))
      return rewriter.notifyMatchFailure(
          op, "data and output are not float tensors of one type");
    bool hasMask = !isa<NoneType>(op.getMask().getType());
    auto maskType =
        RankedTensorType::get(dataType.getShape(), rewriter.getI1Type());
    if (hasMask && op.getMask().getType() != maskType)
      return rewriter.notifyMatchFailure(op, "mask is not a boolean tensor "
                                             "of the data's shape");
    Value training = op.getTrainingMode();
    bool hasRatio = !isa<NoneType>(op.getRatio().getType());
    if (!isa<NoneType>(training.getType())) {
      auto type = dyn_cast<RankedTensorType>(training.getType());
      if (!type || type.getNumElements() != 1 ||
          !type.getElementType().isInteger(1))
        return rewriter.notifyMatchFailure(
            op, "training_mode is not a boolean scalar");
    }
    if (hasRatio) {
      auto type = dyn_cast<RankedTensorType>(op.getRatio().getType());
      if (!type || type.getNumElements() != 1 ||
          !isa<FloatType>(type.getElementType()))
        return rewriter.notifyMatchFailure(op, "ratio is not a float scalar");
    }

    Location loc = op.getLoc();
    SmallVector<Value> dynSizes =
        tensor::createDynamicDimValues(rewriter, loc, op.getData());
    bool inference = isa<NoneType>(training.getType());
    if (auto constant = training.getDefiningOp<arith::ConstantOp>())
      if (auto dense = dyn_cast<DenseElementsAttr>(constant.getValue()))
        inference = !dense.getSplatValue<bool>();
    if (inference) {
      if (hasMask) {
        Value one = arith::ConstantIntOp::create(rewriter, loc, 1, 1);
        rewriter.replaceAllUsesWith(
            op.getMask(), filledTensor(rewriter, loc, maskType, dynSizes, one));
      }
      rewriter.replaceAllUsesWith(op.getOutput(), op.getData());
      rewriter.eraseOp(op);
      return success();
    }

    Type f32 = rewriter.getF32Type();
    Value ratio =
        hasRatio ? castElement(rewriter, loc,
                               extractScalar(rewriter, loc, op.getRatio(), 0),
                               f32, false, false)
                 : scalarConstant(rewriter, loc, f32, 0.5);
    auto trainingType = cast<RankedTensorType>(training.getType());
    SmallVector<Value> zeros(trainingType.getRank(),
                             arith::ConstantIndexOp::create(rewriter, loc, 0));
    Value isTraining =
        tensor::ExtractOp::create(rewriter, loc, training, zeros);
    Type elementType = dataType.getElementType();
    Value one = scalarConstant(rewriter, loc, f32, 1.0);
    Value scale = arith::SelectOp::create(
        rewriter, loc, isTraining,
        arith::DivFOp::create(rewriter, loc, one,
                              arith::SubFOp::create(rewriter, loc, one, ratio)),
        one);
    scale = castElement(rewriter, loc, scale, elementType, false, false);
    int64_t rank = dataType.getRank();
    SmallVector<OpFoldResult> sizes =
        tensor::getMixedSizes(rewriter, loc, op.getData());
    uint64_t seed = static_cast<uint64_t>(op.getSeed().value_or(0));
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    Value outInit = tensor::EmptyOp::create(rewriter, loc, dataType, dynSizes);
    Value maskInit = tensor::EmptyOp::create(rewriter, loc, maskType, dynSizes);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{dataType, maskType}, op.getData(),
        ValueRange{outInit, maskInit}, {identity, identity, identity},
        iterators, [&](OpBuilder &b, Location l, ValueRange args) {
          // The row-major position of the element.
          Value position = arith::ConstantIndexOp::create(b, l, 0);
          for (auto [i, index] : llvm::enumerate(loopIndices(b, l, rank)))
            position = arith::AddIOp::create(
                b, l,
                arith::MulIOp::create(
                    b, l, position,
                    getValueOrCreateConstantIndexOp(b, l, sizes[i])),
                index);
          Value uniform = uniformFloat(b, l, toI64(b, l, position), seed);
          Value drawnKept = arith::CmpFOp::create(
              b, l, arith::CmpFPredicate::OGE, uniform, ratio);
          Value notTraining = arith::XOrIOp::create(
              b, l, isTraining, arith::ConstantIntOp::create(b, l, 1, 1));
          Value kept = arith::OrIOp::create(b, l, drawnKept, notTraining);
          Value scaled = arith::MulFOp::create(b, l, args[0], scale);
          Value out = arith::SelectOp::create(
              b, l, kept, scaled, scalarConstant(b, l, elementType, 0.0));
          linalg::YieldOp::create(b, l, ValueRange{out, kept});
        });
    rewriter.replaceAllUsesWith(op.getOutput(), generic.getResult(0));
    if (hasMask)
      rewriter.replaceAllUsesWith(op.getMask(), generic.getResult(1));
    rewriter.eraseOp(op);
    return success();
  }

  /// A float in [0, 1) from the splitmix64 hash of `seed` and `counter`.
  static Value uniformFloat(OpBuilder &b, Location loc, Value counter,
                            uint64_t seed) {
    auto constant = [&](uint64_t v) {
      return arith::ConstantIntOp::create(b, loc, static_cast<int64_t>(v), 64)
          .getResult();
    };
    auto xorShift = [&](Value z, uint64_t shift) {
      return arith::XOrIOp::create(
                 b, loc, z, arith::ShRUIOp::create(b, loc, z, constant(shift)))
          .getResult();
    };
    Value z = arith::AddIOp::create(
        b, loc, constant(seed),
        arith::MulIOp::create(b, loc, counter,
                              constant(0x9E3779B97F4A7C15ull)));
    z = arith::MulIOp::create(b, loc, xorShift(z, 30),
                              constant(0xBF58476D1CE4E5B9ull));
    z = arith::MulIOp::create(b, loc, xorShift(z, 27),
                              constant(0x94D049BB133111EBull));
    z = xorShift(z, 31);
    // The top 24 bits, scaled to [0, 1).
    Value bits = arith::ShRUIOp::create(b, loc, z, constant(40));
    Value asFloat = arith::UIToFPOp::create(b, loc, b.getF32Type(), bits);
    return arith::MulFOp::create(
        b, loc, asFloat,
        scalarConstant(b, loc, b.getF32Type(), 1.0 / (1 << 24)));
  }
};

} // namespace

void fqt::onnx_to_linalg::populateElementwisePatterns(
    RewritePatternSet &patterns) {
  patterns.add<
      ElementwiseToGeneric<ONNXAddOp>, ElementwiseToGeneric<ONNXSubOp>,
      ElementwiseToGeneric<ONNXMulOp>, ElementwiseToGeneric<ONNXDivOp>,
      ElementwiseToGeneric<ONNXReluOp>, ElementwiseToGeneric<ONNXLeakyReluOp>,
      ElementwiseToGeneric<ONNXSigmoidOp>,
      ElementwiseToGeneric<ONNXHardSigmoidOp>,
      ElementwiseToGeneric<ONNXHardSwishOp>, ElementwiseToGeneric<ONNXTanhOp>,
      ElementwiseToGeneric<ONNXExpOp>, ElementwiseToGeneric<ONNXLogOp>,
      ElementwiseToGeneric<ONNXSqrtOp>, ElementwiseToGeneric<ONNXNegOp>,
      ElementwiseToGeneric<ONNXAbsOp>, ElementwiseToGeneric<ONNXReciprocalOp>,
      ElementwiseToGeneric<ONNXErfOp>, ElementwiseToGeneric<ONNXNotOp>,
      ElementwiseToGeneric<ONNXSinOp>, ElementwiseToGeneric<ONNXCosOp>,
      ElementwiseToGeneric<ONNXTanOp>, ElementwiseToGeneric<ONNXAsinOp>,
      ElementwiseToGeneric<ONNXAcosOp>, ElementwiseToGeneric<ONNXAtanOp>,
      ElementwiseToGeneric<ONNXSinhOp>, ElementwiseToGeneric<ONNXCoshOp>,
      ElementwiseToGeneric<ONNXAsinhOp>, ElementwiseToGeneric<ONNXAcoshOp>,
      ElementwiseToGeneric<ONNXAtanhOp>, ElementwiseToGeneric<ONNXCeilOp>,
      ElementwiseToGeneric<ONNXFloorOp>, ElementwiseToGeneric<ONNXRoundOp>,
      ElementwiseToGeneric<ONNXSignOp>, ElementwiseToGeneric<ONNXEluOp>,
      ElementwiseToGeneric<ONNXSeluOp>, ElementwiseToGeneric<ONNXSoftplusOp>,
      ElementwiseToGeneric<ONNXSoftsignOp>,
      ElementwiseToGeneric<ONNXThresholdedReluOp>,
      ElementwiseToGeneric<ONNXMaxOp>, ElementwiseToGeneric<ONNXMinOp>,
      ElementwiseToGeneric<ONNXAndOp>, ElementwiseToGeneric<ONNXOrOp>,
      ElementwiseToGeneric<ONNXXorOp>, ElementwiseToGeneric<ONNXModOp>,
      ElementwiseToGeneric<ONNXBitShiftOp>, ElementwiseToGeneric<ONNXShrinkOp>,
      IsNaNToGeneric, IsInfToGeneric,
      CompareToGeneric<ONNXEqualOp, arith::CmpFPredicate::OEQ,
                       arith::CmpIPredicate::eq, arith::CmpIPredicate::eq>,
      CompareToGeneric<ONNXLessOp, arith::CmpFPredicate::OLT,
                       arith::CmpIPredicate::slt, arith::CmpIPredicate::ult>,
      CompareToGeneric<ONNXGreaterOp, arith::CmpFPredicate::OGT,
                       arith::CmpIPredicate::sgt, arith::CmpIPredicate::ugt>,
      WhereToGeneric, CastToGeneric, PowToGeneric, ClipToGeneric,
      DropoutToGeneric>(patterns.getContext());
}
