//===- LBTState.cpp - Kim et al.'s clipping factor as training state ------===//
//
// The rule is the official code's `update_interval` (docs/quantizers.md §4.3):
// every step gamma moves by gamma_step towards the point where the fraction
// R of gradient elements beyond gamma * max|g| equals tau = alpha/(2^b - 1);
// on the first step a calibration loop on that step's gradient replaces the
// single move. Everything is f32, in this order, so that a numpy replay of
// the same operations lands on the same gamma.
//
//===----------------------------------------------------------------------===//

#include "LBTState.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace fqt;

namespace {

/// f32 scalar arithmetic at one location.
struct F32 {
  OpBuilder &b;
  Location loc;
  Value c(float v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return arith::DivFOp::create(b, loc, x, y); }
  Value gt(Value x, Value y) {
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, y);
  }
  Value lt(Value x, Value y) {
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, y);
  }
  Value select(Value cond, Value x, Value y) {
    return arith::SelectOp::create(b, loc, cond, x, y);
  }
  /// +1, 0 or -1 (0 for NaN as well). Operands in named values here and
  /// below: the order in which a call's arguments are evaluated is the
  /// compiler's choice, the IR's op order should not be.
  Value sign(Value x) {
    Value zero = c(0.0f);
    Value minusOne = c(-1.0f);
    Value negative = select(lt(x, zero), minusOne, zero);
    Value one = c(1.0f);
    return select(gt(x, zero), one, negative);
  }
  /// clamp(x, lo, hi) as the reference's torch.clamp.
  Value clamp(Value x, float lo, float hi) {
    Value low = arith::MaximumFOp::create(b, loc, x, c(lo));
    return arith::MinimumFOp::create(b, loc, low, c(hi));
  }
};

/// Reduces every element of `input` into one scalar of `init`'s type.
Value reduceAll(OpBuilder &b, Location loc, Value input, TypedAttr init,
                function_ref<Value(OpBuilder &, Location, Value, Value)> body) {
  auto type = cast<RankedTensorType>(input.getType());
  unsigned rank = type.getRank();
  Value empty =
      tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{}, init.getType());
  Value initValue = arith::ConstantOp::create(b, loc, init);
  Value filled = linalg::FillOp::create(b, loc, initValue, empty).getResult(0);
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank),
                                 AffineMap::get(rank, 0, {}, b.getContext())};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::reduction);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{filled.getType()}, input, filled, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc, body(nb, nloc, args[0], args[1]));
      });
  return tensor::ExtractOp::create(b, loc, generic.getResult(0), ValueRange{});
}

/// max|g|, computed as the quantize op's lowering does.
Value absMax(OpBuilder &b, Location loc, Value grad) {
  return reduceAll(
      b, loc, grad, b.getF32FloatAttr(0.0f),
      [](OpBuilder &nb, Location nloc, Value x, Value acc) {
        Value abs = math::AbsFOp::create(nb, nloc, x);
        return arith::MaximumFOp::create(nb, nloc, abs, acc).getResult();
      });
}

/// R = mean(|g| > threshold): the clip-out ratio, counted exactly in i64.
Value clippedFraction(OpBuilder &b, Location loc, Value grad, Value threshold) {
  Value count = reduceAll(
      b, loc, grad, b.getI64IntegerAttr(0),
      [&](OpBuilder &nb, Location nloc, Value x, Value acc) {
        Value abs = math::AbsFOp::create(nb, nloc, x);
        Value beyond = arith::CmpFOp::create(
            nb, nloc, arith::CmpFPredicate::OGT, abs, threshold);
        Value one =
            arith::ConstantOp::create(nb, nloc, nb.getI64IntegerAttr(1));
        Value zero =
            arith::ConstantOp::create(nb, nloc, nb.getI64IntegerAttr(0));
        Value inc = arith::SelectOp::create(nb, nloc, beyond, one, zero);
        return arith::AddIOp::create(nb, nloc, acc, inc).getResult();
      });
  F32 f{b, loc};
  int64_t n = cast<RankedTensorType>(grad.getType()).getNumElements();
  Value countF = arith::SIToFPOp::create(b, loc, b.getF32Type(), count);
  return f.div(countF, f.c(static_cast<float>(n)));
}

} // namespace

Value fqt::quantize::emitEffectiveGamma(OpBuilder &b, Location loc,
                                        Value gamma) {
  F32 f{b, loc};
  Value one = f.c(1.0f);
  return f.select(f.gt(gamma, f.c(kUncalibratedGamma)), gamma, one);
}

Value fqt::quantize::emitGammaUpdate(OpBuilder &b, Location loc, Value grad,
                                     Value gamma, Value effective,
                                     LBTAttr quantizer) {
  F32 f{b, loc};
  unsigned bits = quantizer.getBits();
  float tau = static_cast<float>(quantizer.getAlpha().convertToDouble() /
                                 double((uint64_t(1) << bits) - 1));
  float step = static_cast<float>(quantizer.getGammaStep().convertToDouble());
  float gammaMin =
      static_cast<float>(quantizer.getGammaMin().convertToDouble());
  Type f32 = b.getF32Type();

  Value amax = absMax(b, loc, grad);
  Value hasData = f.gt(amax, f.c(0.0f));
  auto outer = scf::IfOp::create(b, loc, TypeRange{f32}, hasData,
                                 /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&outer.getElseRegion().front());
    scf::YieldOp::create(b, loc, gamma);

    b.setInsertionPointToStart(&outer.getThenRegion().front());
    Value calibrated = f.gt(gamma, f.c(kUncalibratedGamma));
    auto inner = scf::IfOp::create(b, loc, TypeRange{f32}, calibrated,
                                   /*withElseRegion=*/true);
    scf::YieldOp::create(b, loc, inner.getResult(0));

    // Every later step: one move of gamma_step against the clipped fraction
    // of the gamma this step quantized with.
    b.setInsertionPointToStart(&inner.getThenRegion().front());
    Value r = clippedFraction(b, loc, grad, f.mul(effective, amax));
    Value direction = f.sign(f.sub(r, f.c(tau)));
    Value moved = f.add(gamma, f.mul(f.c(step), direction));
    scf::YieldOp::create(b, loc, f.clamp(moved, gammaMin, 1.0f));

    // The first step: from gamma = 1, m = 0, repeat
    //   R = mean(|g| > gamma max|g|); m = (1-s) m + s R; t = sign(m - tau);
    //   gamma += s t
    // until t > 0, then clamp. gamma falls by s per pass until the running
    // mean m of R passes tau; once gamma < 0 every element counts (R = 1),
    // so that happens within about 1/s + 3/s passes for any finite data.
    // The cap only bounds the loop when the data is not finite.
    b.setInsertionPointToStart(&inner.getElseRegion().front());
    Type i64 = b.getI64Type();
    int64_t cap = static_cast<int64_t>(std::ceil(8.0 / step)) + 8;
    Value zeroI = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(0));
    auto loop = scf::WhileOp::create(
        b, loc, TypeRange{f32, f32, i64},
        ValueRange{f.c(1.0f), f.c(0.0f), zeroI},
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          F32 g{nb, nloc};
          Value rr = clippedFraction(nb, nloc, grad, g.mul(args[0], amax));
          Value stepR = g.mul(g.c(step), rr);
          Value m = g.add(g.mul(args[1], g.c(1.0f - step)), stepR);
          Value t = g.sign(g.sub(m, g.c(tau)));
          Value next = g.add(args[0], g.mul(g.c(step), t));
          Value one =
              arith::ConstantOp::create(nb, nloc, nb.getI64IntegerAttr(1));
          Value k = arith::AddIOp::create(nb, nloc, args[2], one);
          Value notDone = arith::CmpFOp::create(
              nb, nloc, arith::CmpFPredicate::ULE, t, g.c(0.0f));
          Value capValue =
              arith::ConstantOp::create(nb, nloc, nb.getI64IntegerAttr(cap));
          Value underCap = arith::CmpIOp::create(
              nb, nloc, arith::CmpIPredicate::slt, k, capValue);
          Value more = arith::AndIOp::create(nb, nloc, notDone, underCap);
          scf::ConditionOp::create(nb, nloc, more, ValueRange{next, m, k});
        },
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          scf::YieldOp::create(nb, nloc, args);
        });
    scf::YieldOp::create(b, loc, f.clamp(loop.getResult(0), gammaMin, 1.0f));
  }
  return outer.getResult(0);
}
