//===- Philox.cpp - Philox-4x32-10 in arith -------------------------------===//

#include "fqt/Conversion/Philox.h"
#include "fqt/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

namespace {
// Random123 philox.h: multipliers and Weyl key increments of Philox-4x32.
constexpr uint32_t kPhiloxM0 = 0xD2511F53u;
constexpr uint32_t kPhiloxM1 = 0xCD9E8D57u;
constexpr uint32_t kPhiloxW0 = 0x9E3779B9u;
constexpr uint32_t kPhiloxW1 = 0xBB67AE85u;
constexpr int kPhiloxRounds = 10;
} // namespace

/// An i32 constant of `like`'s type (scalar or vector of i32).
static Value constantLike(OpBuilder &b, Location loc, Value like,
                          uint32_t value) {
  Type type = like.getType();
  auto attr = b.getIntegerAttr(b.getI32Type(), static_cast<int32_t>(value));
  if (auto vec = dyn_cast<VectorType>(type))
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(vec, attr));
  return arith::ConstantOp::create(b, loc, attr);
}

std::array<Value, 4> fqt::buildPhilox4x32x10(OpBuilder &b, Location loc,
                                             std::array<Value, 4> c,
                                             std::array<Value, 2> k) {
  Value m0 = constantLike(b, loc, c[0], kPhiloxM0);
  Value m1 = constantLike(b, loc, c[0], kPhiloxM1);
  Value w0 = constantLike(b, loc, k[0], kPhiloxW0);
  Value w1 = constantLike(b, loc, k[0], kPhiloxW1);
  for (int round = 0; round < kPhiloxRounds; ++round) {
    if (round) {
      k[0] = arith::AddIOp::create(b, loc, k[0], w0);
      k[1] = arith::AddIOp::create(b, loc, k[1], w1);
    }
    auto p0 = arith::MulUIExtendedOp::create(b, loc, m0, c[0]);
    auto p1 = arith::MulUIExtendedOp::create(b, loc, m1, c[2]);
    Value x0 = arith::XOrIOp::create(
        b, loc, arith::XOrIOp::create(b, loc, p1.getHigh(), c[1]), k[0]);
    Value x2 = arith::XOrIOp::create(
        b, loc, arith::XOrIOp::create(b, loc, p0.getHigh(), c[3]), k[1]);
    c = {x0, p1.getLow(), x2, p0.getLow()};
  }
  return c;
}

/// (lo32(v), hi32(v)) of an i64 value.
static std::pair<Value, Value> split64(OpBuilder &b, Location loc, Value v) {
  Type i32 = b.getI32Type();
  Value lo = arith::TruncIOp::create(b, loc, i32, v);
  Value shift = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(32));
  Value hi = arith::TruncIOp::create(b, loc, i32,
                                     arith::ShRUIOp::create(b, loc, v, shift));
  return {lo, hi};
}

std::array<Value, 4> fqt::buildPhiloxBlockUniforms(OpBuilder &b, Location loc,
                                                   Value seed, Value step,
                                                   Value stream, Value block) {
  auto [k0, k1] = split64(b, loc, seed);
  auto [c0, c1] = split64(b, loc, block);
  Type i32 = b.getI32Type();
  Value c2 = arith::TruncIOp::create(b, loc, i32, step);
  Value c3 = arith::TruncIOp::create(b, loc, i32, stream);
  std::array<Value, 4> words =
      buildPhilox4x32x10(b, loc, {c0, c1, c2, c3}, {k0, k1});
  // Top 24 bits of each word: every value is exact in f32, and times 2^-24
  // it lies in [0, 1 - 2^-24].
  Value eight = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(8));
  Value ulp = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0x1p-24f));
  std::array<Value, 4> uniforms;
  for (int w = 0; w < 4; ++w) {
    Value bits24 = arith::ShRUIOp::create(b, loc, words[w], eight);
    Value asFloat = arith::UIToFPOp::create(b, loc, b.getF32Type(), bits24);
    uniforms[w] = arith::MulFOp::create(b, loc, asFloat, ulp);
  }
  return uniforms;
}

Value fqt::selectPhiloxLane(OpBuilder &b, Location loc,
                            const std::array<Value, 4> &uniforms, Value lane) {
  Value u = uniforms[0];
  for (int w = 1; w < 4; ++w) {
    Value wanted = lane.getType().isIndex()
                       ? arith::ConstantIndexOp::create(b, loc, w).getResult()
                       : arith::ConstantOp::create(
                             b, loc, b.getIntegerAttr(lane.getType(), w))
                             .getResult();
    Value isLane =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane, wanted);
    u = arith::SelectOp::create(b, loc, isLane, uniforms[w], u);
  }
  return u;
}

Value fqt::buildPhiloxUniform(OpBuilder &b, Location loc, Value seed,
                              Value step, Value stream, Value index) {
  Type i64 = b.getI64Type();
  Value two = arith::ConstantOp::create(b, loc, b.getIntegerAttr(i64, 2));
  Value three = arith::ConstantOp::create(b, loc, b.getIntegerAttr(i64, 3));
  Value block = arith::ShRUIOp::create(b, loc, index, two);
  Value lane = arith::AndIOp::create(b, loc, index, three);
  return selectPhiloxLane(
      b, loc, buildPhiloxBlockUniforms(b, loc, seed, step, stream, block),
      lane);
}

//===----------------------------------------------------------------------===//
// Test pass
//===----------------------------------------------------------------------===//

namespace fqt {
#define GEN_PASS_DEF_FQTTESTPHILOX
#include "fqt/Conversion/Passes.h.inc"
} // namespace fqt

namespace {

struct FQTTestPhiloxPass : fqt::impl::FQTTestPhiloxBase<FQTTestPhiloxPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    Type i32 = IntegerType::get(ctx, 32), i64 = IntegerType::get(ctx, 64);
    Type f32 = Float32Type::get(ctx);
    auto rawType = FunctionType::get(ctx, SmallVector<Type>(6, i32),
                                     SmallVector<Type>(4, i32));
    auto uniformType = FunctionType::get(ctx, SmallVector<Type>(4, i64), {f32});
    bool failed = false;
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      StringRef name = func.getSymName();
      bool raw = name == "fqt_test_philox4x32_10";
      if (!raw && name != "fqt_test_philox_uniform")
        continue;
      FunctionType expected = raw ? rawType : uniformType;
      if (!func.isDeclaration() || func.getFunctionType() != expected) {
        func.emitError() << "expected a declaration of type " << expected;
        failed = true;
        continue;
      }
      Block *entry = func.addEntryBlock();
      auto b = OpBuilder::atBlockBegin(entry);
      Location loc = func.getLoc();
      ValueRange args = entry->getArguments();
      SmallVector<Value> results;
      if (raw) {
        std::array<Value, 4> words = fqt::buildPhilox4x32x10(
            b, loc, {args[0], args[1], args[2], args[3]}, {args[4], args[5]});
        results.assign(words.begin(), words.end());
      } else {
        results.push_back(fqt::buildPhiloxUniform(b, loc, args[0], args[1],
                                                  args[2], args[3]));
      }
      func::ReturnOp::create(b, loc, results);
      func.setPrivate();
    }
    if (failed)
      signalPassFailure();
  }
};

} // namespace
