//===- LowerQuantize.cpp - fqt.quantize to linalg -------------------------===//
//
// Every quantizer of docs/quantizers.md as linalg on tensors, in three
// steps:
//
//  1. ranges: a linalg.generic reduction per tensor / row / column (min and
//     max, or max|g| for LBT);
//  2. parameters: a linalg.generic over the scale shape giving, per group of
//     elements, the affine map y = (x - lo) * mul + zc to code space, the
//     dequantization scale and offset;
//  3. codes: one elementwise linalg.generic computing y, clamping it to the
//     code range and rounding it (math.roundeven, or stochastic rounding
//     floor(y) + (u < frac(y)) with Philox noise keyed by the element's
//     row-major linear index: word index % 4 of block index / 4, the
//     generic running over blocks of four lanes where it can, so that a
//     block is drawn once per four codes).
//
// BHQ first rotates the rows (Y = T x, built from the row ranges with scf
// loops on tensors over the rows) and then quantizes Y per row. The block
// quantizers (blk, rht) take their own path on the view of the input with
// the block axis split in two (BlockViews.h), rht after its transform.
//
// All arithmetic is f32 with a fixed order of operations, so that
// test/Integration/Inputs/quantizers_ref.py reproduces the codes bit for bit.
//
//===----------------------------------------------------------------------===//

#include "fqt/Conversion/BlockViews.h"
#include "fqt/Conversion/Passes.h"
#include "fqt/Conversion/Philox.h"
#include "fqt/Conversion/RowGroups.h"

#include "FQT/FQTOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <limits>

namespace fqt {
#define GEN_PASS_DEF_FQTLOWERQUANTIZE
#include "fqt/Conversion/Passes.h.inc"
} // namespace fqt

using namespace mlir;
using namespace fqt;

namespace {

/// The 1e-8 that every min/max range is widened by (f32; docs/quantizers.md
/// §2).
constexpr float kRangeEps = 1e-8f;
/// Start of the inverse cube root iteration: the exponent bits of w^(-1/3)
/// are about kInvCbrtMagic - bits(w) / 3.
constexpr uint32_t kInvCbrtMagic = 0x54A2FA8Cu;
constexpr int kInvCbrtNewtonSteps = 4;

//===----------------------------------------------------------------------===//
// Scalar helpers
//===----------------------------------------------------------------------===//

/// Small builder of scalar arith on f32, index and i1, to keep the formulas
/// readable. Every method emits exactly one op (or a constant).
struct Arith {
  OpBuilder &b;
  Location loc;

  Value f32(float v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) {
    if (isa<FloatType>(x.getType()))
      return arith::AddFOp::create(b, loc, x, y);
    return arith::AddIOp::create(b, loc, x, y);
  }
  Value sub(Value x, Value y) {
    if (isa<FloatType>(x.getType()))
      return arith::SubFOp::create(b, loc, x, y);
    return arith::SubIOp::create(b, loc, x, y);
  }
  Value mul(Value x, Value y) {
    if (isa<FloatType>(x.getType()))
      return arith::MulFOp::create(b, loc, x, y);
    return arith::MulIOp::create(b, loc, x, y);
  }
  Value div(Value x, Value y) { return arith::DivFOp::create(b, loc, x, y); }
  Value neg(Value x) { return arith::NegFOp::create(b, loc, x); }
  Value minf(Value x, Value y) {
    return arith::MinimumFOp::create(b, loc, x, y);
  }
  Value maxf(Value x, Value y) {
    return arith::MaximumFOp::create(b, loc, x, y);
  }
  Value mins(Value x, Value y) { return arith::MinSIOp::create(b, loc, x, y); }
  Value maxs(Value x, Value y) { return arith::MaxSIOp::create(b, loc, x, y); }
  Value cmpf(arith::CmpFPredicate p, Value x, Value y) {
    return arith::CmpFOp::create(b, loc, p, x, y);
  }
  Value cmpi(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }
  Value andi(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  Value ori(Value x, Value y) { return arith::OrIOp::create(b, loc, x, y); }
  Value sqrt(Value x) { return math::SqrtOp::create(b, loc, x); }
  Value floor(Value x) { return math::FloorOp::create(b, loc, x); }
  Value absf(Value x) { return math::AbsFOp::create(b, loc, x); }
  /// index -> f32 (through i64).
  Value toF32(Value i) {
    Value i64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), i);
    return arith::SIToFPOp::create(b, loc, b.getF32Type(), i64);
  }
  Value extract(Value tensor, ValueRange indices) {
    return tensor::ExtractOp::create(b, loc, tensor, indices);
  }
  Value insert(Value v, Value tensor, ValueRange indices) {
    return tensor::InsertOp::create(b, loc, v, tensor, indices);
  }
};

/// w^(-1/3) for w > 0 with f32 +, -, *, / only, so that every target gives
/// the same bits: a start from the exponent bits, then Newton steps
/// y <- y * (4 - w * y^3) / 3 (start within 4 %, result within 3 ulp).
static Value invCbrt(Arith &a, Value w) {
  OpBuilder &b = a.b;
  Type i32 = b.getI32Type();
  Value bits = arith::BitcastOp::create(b, a.loc, i32, w);
  Value three = arith::ConstantOp::create(b, a.loc, b.getI32IntegerAttr(3));
  Value magic = arith::ConstantOp::create(
      b, a.loc, b.getI32IntegerAttr(static_cast<int32_t>(kInvCbrtMagic)));
  Value third = arith::DivUIOp::create(b, a.loc, bits, three);
  Value y = arith::BitcastOp::create(
      b, a.loc, b.getF32Type(), arith::SubIOp::create(b, a.loc, magic, third));
  Value four = a.f32(4.0f), threeF = a.f32(3.0f);
  for (int i = 0; i < kInvCbrtNewtonSteps; ++i) {
    Value t = a.mul(a.mul(y, y), y);
    t = a.mul(w, t);
    y = a.div(a.mul(y, a.sub(four, t)), threeF);
  }
  return y;
}

/// Entry (p, q) of the n x n Householder reflection H_n = I - 2 v v^T with
/// H_n e1 = 1/sqrt(n) (docs/quantizers.md §3.5): 1/sqrt(n) on the first row and
/// column, 1 - 1/(n - sqrt(n)) on the rest of the diagonal and
/// -1/(n - sqrt(n)) elsewhere. p, q, n are index values.
static Value householderEntry(Arith &a, Value p, Value q, Value n) {
  Value nf = a.toF32(n);
  Value sq = a.sqrt(nf);
  Value one = a.f32(1.0f);
  Value inv = a.div(one, a.sub(nf, sq));
  Value zero = a.idx(0);
  Value qZero = a.cmpi(arith::CmpIPredicate::eq, q, zero);
  Value first = a.ori(a.cmpi(arith::CmpIPredicate::eq, p, zero), qZero);
  Value diag = a.cmpi(arith::CmpIPredicate::eq, p, q);
  Value negInv = a.neg(inv);
  Value rest = a.select(diag, a.sub(one, inv), negInv);
  return a.select(first, a.div(one, sq), rest);
}

/// max_ij |H_n[i, j]| for n >= 2.
static Value householderMax(Arith &a, Value n) {
  Value nf = a.toF32(n);
  Value sq = a.sqrt(nf);
  Value one = a.f32(1.0f);
  Value inv = a.div(one, a.sub(nf, sq));
  Value m = a.maxf(a.div(one, sq), a.absf(a.sub(one, inv)));
  // -1/(n - sqrt n) appears off the diagonal only from n = 3 on.
  Value offDiag = a.select(a.cmpi(arith::CmpIPredicate::sge, n, a.idx(3)), inv,
                           a.f32(0.0f));
  return a.maxf(m, offDiag);
}

//===----------------------------------------------------------------------===//
// Shapes and maps
//===----------------------------------------------------------------------===//

/// True for the dimensions a scale of `granularity` varies along.
static bool isScaleDim(Granularity granularity, unsigned dim) {
  switch (granularity) {
  case Granularity::row:
    return dim == 0;
  case Granularity::column:
    return dim != 0;
  case Granularity::tensor:
  case Granularity::none:
  case Granularity::block: // lowered on its own (lowerBlockQuantizer)
    break;
  }
  return false;
}

/// The map from the input's iteration space to a scale of `granularity`.
static AffineMap scaleMap(Granularity granularity, unsigned rank,
                          MLIRContext *ctx) {
  SmallVector<AffineExpr> dims;
  for (unsigned d = 0; d < rank; ++d)
    if (isScaleDim(granularity, d))
      dims.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(rank, 0, dims, ctx);
}

/// An empty f32 tensor of the scale shape that `granularity` gives `input`.
static Value emptyScale(OpBuilder &b, Location loc, Value input,
                        Granularity granularity, Type elementType) {
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape;
  SmallVector<Value> dynamic;
  for (unsigned d = 0; d < type.getRank(); ++d) {
    if (!isScaleDim(granularity, d))
      continue;
    shape.push_back(type.getDimSize(d));
    if (type.isDynamicDim(d))
      dynamic.push_back(tensor::DimOp::create(b, loc, input, d));
  }
  return tensor::EmptyOp::create(b, loc, shape, elementType, dynamic);
}

static Value filled(OpBuilder &b, Location loc, Value empty, Value value) {
  return linalg::FillOp::create(b, loc, value, empty).getResult(0);
}

/// An elementwise linalg.generic over a tensor of the scale shape (all
/// parallel; rank 0 for per-tensor scales) with `inputs` of that shape and
/// `numResults` f32 results.
static SmallVector<Value>
mapScales(OpBuilder &b, Location loc, ValueRange inputs, unsigned numResults,
          function_ref<SmallVector<Value>(Arith &, ValueRange)> body) {
  auto type = cast<RankedTensorType>(inputs.front().getType());
  unsigned rank = type.getRank();
  SmallVector<Value> dynamic;
  for (unsigned d = 0; d < rank; ++d)
    if (type.isDynamicDim(d))
      dynamic.push_back(tensor::DimOp::create(b, loc, inputs.front(), d));
  SmallVector<Value> outs;
  SmallVector<Type> types;
  for (unsigned i = 0; i < numResults; ++i) {
    outs.push_back(tensor::EmptyOp::create(b, loc, type.getShape(),
                                           b.getF32Type(), dynamic));
    types.push_back(outs.back().getType());
  }
  SmallVector<AffineMap> maps(inputs.size() + numResults,
                              b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, types, inputs, outs, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Arith a{nb, nloc};
        SmallVector<Value> results = body(a, args.take_front(inputs.size()));
        linalg::YieldOp::create(nb, nloc, results);
      });
  return SmallVector<Value>(generic.getResults());
}

//===----------------------------------------------------------------------===//
// Ranges
//===----------------------------------------------------------------------===//

/// Min and max of `input` over each group of `granularity`.
static std::pair<Value, Value>
reduceMinMax(OpBuilder &b, Location loc, Value input, Granularity granularity) {
  auto type = cast<RankedTensorType>(input.getType());
  unsigned rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  Value empty = emptyScale(b, loc, input, granularity, b.getF32Type());
  Value inf = arith::ConstantOp::create(
      b, loc, b.getF32FloatAttr(std::numeric_limits<float>::infinity()));
  Value ninf = arith::ConstantOp::create(
      b, loc, b.getF32FloatAttr(-std::numeric_limits<float>::infinity()));
  Value minInit = filled(b, loc, empty, inf);
  Value maxInit = filled(b, loc, empty, ninf);
  AffineMap out = scaleMap(granularity, rank, ctx);
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank), out, out};
  SmallVector<utils::IteratorType> iterators;
  for (unsigned d = 0; d < rank; ++d)
    iterators.push_back(isScaleDim(granularity, d)
                            ? utils::IteratorType::parallel
                            : utils::IteratorType::reduction);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{minInit.getType(), maxInit.getType()}, input,
      ValueRange{minInit, maxInit}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Arith a{nb, nloc};
        linalg::YieldOp::create(
            nb, nloc,
            ValueRange{a.minf(args[0], args[1]), a.maxf(args[0], args[2])});
      });
  return {generic.getResult(0), generic.getResult(1)};
}

/// max |input| over the whole tensor (rank-0 result).
static Value reduceAbsMax(OpBuilder &b, Location loc, Value input) {
  auto type = cast<RankedTensorType>(input.getType());
  unsigned rank = type.getRank();
  Value empty =
      tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{}, b.getF32Type());
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  Value init = filled(b, loc, empty, zero);
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank),
                                 AffineMap::get(rank, 0, {}, b.getContext())};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::reduction);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, input, init, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Arith a{nb, nloc};
        linalg::YieldOp::create(nb, nloc, a.maxf(a.absf(args[0]), args[1]));
      });
  return generic.getResult(0);
}

//===----------------------------------------------------------------------===//
// Parameters
//===----------------------------------------------------------------------===//

/// Per group: codes are round-or-SR(clamp((x - lo) * mul + zc, qlo, qhi)) and
/// values code * scale + offset. `lo`, `zc` and `offset` may be null (zero).
struct GroupParams {
  Value mul, lo, zc, scale, offset;
};

/// A zero-width range (constant group, or a NaN) becomes width 1: every
/// element of the group is then exactly its offset.
static Value guardRange(Arith &a, Value range) {
  Value positive = a.cmpf(arith::CmpFPredicate::OGT, range, a.f32(0.0f));
  return a.select(positive, range, a.f32(1.0f));
}

/// `values` where `extent` (a group's max - min, or its max |x|) is finite,
/// NaN where it is not. A group holding an infinity or a NaN must not be
/// given finite parameters: they would quantize the non-finite element to a
/// finite value and every other element of the group wrongly, and training
/// would go on with a wrong but finite gradient. With NaN parameters the
/// whole group dequantizes to NaN, which the step then reports.
static SmallVector<Value> nanUnlessFinite(Arith &a, Value extent,
                                          ArrayRef<Value> values) {
  // Operands in named values: the order of evaluation of a call's
  // arguments is unspecified, and the IR should not depend on the compiler
  // fqt was built with.
  Value inf = a.f32(std::numeric_limits<float>::infinity());
  Value finite = a.cmpf(arith::CmpFPredicate::OLT, a.absf(extent), inf);
  Value nan = a.f32(std::numeric_limits<float>::quiet_NaN());
  SmallVector<Value> guarded;
  for (Value v : values)
    guarded.push_back(a.select(finite, v, nan));
  return guarded;
}

/// act / psq / percol / BHQ rows (docs/quantizers.md §3.2
/// ScalarPreconditionerAct, §3.4): [min - 1e-8, max + 1e-8], no zero
/// snapping.
static GroupParams rangeParams(OpBuilder &b, Location loc, Value min, Value max,
                               unsigned bits) {
  float levels = static_cast<float>((uint64_t(1) << bits) - 1);
  SmallVector<Value> r = mapScales(
      b, loc, ValueRange{min, max}, 3,
      [&](Arith &a, ValueRange args) -> SmallVector<Value> {
        Value eps = a.f32(kRangeEps), B = a.f32(levels);
        Value mn = a.sub(args[0], eps);
        Value mx = a.add(args[1], eps);
        Value range = guardRange(a, a.sub(mx, mn));
        SmallVector<Value> values = {a.div(B, range), a.div(range, B), mn};
        return nanUnlessFinite(a, a.sub(args[1], args[0]), values);
      });
  return {r[0], r[2], Value(), r[1], r[2]};
}

/// weight / ptq (docs/quantizers.md §3.2 ScalarPreconditioner), and per group
/// psq / percol with `zero = snapped` (§5.1): the range is
/// widened to contain 0 and the zero point snapped to an integer code zc, so
/// that y = x * s + zc maps 0 to exactly zc and, with
/// offset = 0 - zc * scale, 0 dequantizes to exactly 0. Normally
/// zc = iq = floor(-mn * B / range) and s = iq / -mn. Where iq == 0 (the
/// negative part is less than one bin; the reference code divides by zero)
/// the range is set by the maximum instead: zc = 0 and s = B / mx when no
/// element is negative, zc = 1 and s = (B - 1) / mx when some are (that
/// still covers them, since -mn < mx / (B - 1) when iq == 0); with one bit
/// (B = 1) the latter is impossible and the plain min/max range is used.
static GroupParams snappedParams(OpBuilder &b, Location loc, Value min,
                                 Value max, unsigned bits) {
  float levels = static_cast<float>((uint64_t(1) << bits) - 1);
  SmallVector<Value> r = mapScales(
      b, loc, ValueRange{min, max}, 5,
      [&](Arith &a, ValueRange args) -> SmallVector<Value> {
        Value eps = a.f32(kRangeEps), B = a.f32(levels), zero = a.f32(0.0f),
              one = a.f32(1.0f);
        Value mn = a.minf(a.sub(args[0], eps), zero);
        Value mx = a.maxf(a.add(args[1], eps), zero);
        Value range = guardRange(a, a.sub(mx, mn));
        Value s0 = a.div(B, range);
        Value negMn = a.neg(mn);
        Value iq = a.floor(a.mul(negMn, s0));
        // zc and the number of codes above it when iq == 0.
        Value negative = a.cmpf(arith::CmpFPredicate::OLT, args[0], zero);
        Value zcMax = a.select(negative, one, zero);
        Value above = a.sub(B, zcMax);
        Value byMin = a.cmpf(arith::CmpFPredicate::OGE, iq, one);
        Value byMax = a.cmpf(arith::CmpFPredicate::OGE, above, one);
        Value snapped = a.ori(byMin, byMax);
        Value zc = a.select(byMin, iq, zcMax);
        Value mulMax = a.div(above, mx);
        Value mul = a.select(byMin, a.div(iq, negMn), mulMax);
        Value scaleMax = a.div(mx, above);
        Value scale = a.select(byMin, a.div(negMn, iq), scaleMax);
        Value offset = a.sub(zero, a.mul(zc, scale));
        SmallVector<Value> values = {a.select(snapped, mul, s0),
                                     a.select(snapped, zero, mn),
                                     a.select(snapped, zc, zero),
                                     a.select(snapped, scale, a.div(range, B)),
                                     a.select(snapped, offset, mn)};
        return nanUnlessFinite(a, a.sub(args[1], args[0]), values);
      });
  return {r[0], r[1], r[2], r[3], r[4]};
}

/// The symmetric quantizers, per group: lbt (docs/quantizers.md §4.2) with
/// c = gamma * max|g|, the block quantizers (§3.6) without `gamma` (null)
/// and c = max|x|; c is 1e-8 where it is 0, codes are signed in [-M, M]
/// with M = 2^(bits-1) - 1, the scale is c / M.
static GroupParams symmetricParams(OpBuilder &b, Location loc, Value absMax,
                                   Value gamma, unsigned bits) {
  float maxCode = static_cast<float>((uint64_t(1) << (bits - 1)) - 1);
  SmallVector<Value> r = mapScales(
      b, loc, ValueRange{absMax}, 2,
      [&](Arith &a, ValueRange args) -> SmallVector<Value> {
        Value M = a.f32(maxCode);
        Value c = gamma ? a.mul(gamma, args[0]) : args[0];
        Value isZero = a.cmpf(arith::CmpFPredicate::OEQ, c, a.f32(0.0f));
        c = a.select(isZero, a.f32(kRangeEps), c);
        return nanUnlessFinite(a, args[0], {a.div(M, c), a.div(c, M)});
      });
  return {r[0], Value(), Value(), r[1], Value()};
}

//===----------------------------------------------------------------------===//
// Codes
//===----------------------------------------------------------------------===//

/// The noise key of a stochastic quantizer; null seed for nearest rounding.
struct NoiseKey {
  Value seed, step;
  int64_t stream;
};

/// Row-major strides of `input` as index values.
static SmallVector<Value> strides(OpBuilder &b, Location loc, Value input) {
  auto type = cast<RankedTensorType>(input.getType());
  unsigned rank = type.getRank();
  SmallVector<Value> result(rank);
  Value stride = arith::ConstantIndexOp::create(b, loc, 1);
  for (int d = static_cast<int>(rank) - 1; d >= 0; --d) {
    result[d] = stride;
    if (d > 0) {
      Value size =
          type.isDynamicDim(d)
              ? tensor::DimOp::create(b, loc, input, d).getResult()
              : arith::ConstantIndexOp::create(b, loc, type.getDimSize(d))
                    .getResult();
      stride = arith::MulIOp::create(b, loc, stride, size);
    }
  }
  return result;
}

/// The generic that rounds `input` (f32, the iteration shape) to codes of
/// `codeType`: y = (x - lo) * mul + zc clamped to [qlo, qhi] (every param read
/// through `paramMap`), rounded to nearest (ties to even) or, where `uniform`
/// is given, stochastically with the uniform it builds in the body.
static Value
roundToCodes(OpBuilder &b, Location loc, Value input, AffineMap paramMap,
             const GroupParams &params, int64_t qlo, int64_t qhi,
             IntegerType codeType, bool isSigned,
             function_ref<Value(OpBuilder &, Location, Arith &)> uniform) {
  auto type = cast<RankedTensorType>(input.getType());
  unsigned rank = type.getRank();
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  SmallVector<Value> inputs = {input, params.mul};
  SmallVector<AffineMap> maps = {identity, paramMap};
  int loPos = -1, zcPos = -1;
  if (params.lo) {
    loPos = inputs.size();
    inputs.push_back(params.lo);
    maps.push_back(paramMap);
  }
  if (params.zc) {
    zcPos = inputs.size();
    inputs.push_back(params.zc);
    maps.push_back(paramMap);
  }
  maps.push_back(identity);

  SmallVector<Value> dynamic;
  for (unsigned d = 0; d < rank; ++d)
    if (type.isDynamicDim(d))
      dynamic.push_back(tensor::DimOp::create(b, loc, input, d));
  Value empty =
      tensor::EmptyOp::create(b, loc, type.getShape(), codeType, dynamic);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{empty.getType()}, inputs, empty, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Arith a{nb, nloc};
        Value y = args[0];
        if (loPos >= 0)
          y = a.sub(y, args[loPos]);
        y = a.mul(y, args[1]);
        if (zcPos >= 0)
          y = a.add(y, args[zcPos]);
        y = a.maxf(a.minf(y, a.f32(static_cast<float>(qhi))),
                   a.f32(static_cast<float>(qlo)));
        Value q;
        if (uniform) {
          Value u = uniform(nb, nloc, a);
          Value down = a.floor(y);
          Value frac = a.sub(y, down);
          Value up = a.cmpf(arith::CmpFPredicate::OLT, u, frac);
          Value zero = a.f32(0.0f);
          q = a.add(down, a.select(up, a.f32(1.0f), zero));
        } else {
          q = math::RoundEvenOp::create(nb, nloc, y);
        }
        Value code =
            isSigned
                ? arith::FPToSIOp::create(nb, nloc, codeType, q).getResult()
                : arith::FPToUIOp::create(nb, nloc, codeType, q).getResult();
        linalg::YieldOp::create(nb, nloc, code);
      });
  return generic.getResult(0);
}

/// Stochastic codes drawn a Philox block at a time: the four elements of a
/// block (Philox.h: element i takes word i % 4 of block i / 4) are the four
/// lanes of an innermost dimension of 4, so the block depends on the outer
/// indices only and LLVM computes it once per four codes (hoisted out of
/// the lane loop, which it unrolls) instead of once per code. A per-tensor
/// quantizer's tensor is viewed as one row first, so that the loop LLVM
/// vectorizes runs over the whole buffer rather than over rows of a few
/// blocks (a convolution's dY has rows of 16). Null where the shape is not
/// static, the innermost dimension (the row) is not a multiple of 4, or the
/// codes are narrower than a byte (`--fqt-pack-i4-buffers` packs the stores
/// of plain row loops).
static Value emitCodesByPhiloxBlocks(OpBuilder &b, Location loc, Value input,
                                     AffineMap paramMap,
                                     const GroupParams &params, int64_t qlo,
                                     int64_t qhi, const NoiseKey &key,
                                     IntegerType codeType, bool isSigned) {
  auto type = cast<RankedTensorType>(input.getType());
  unsigned rank = type.getRank();
  if (!type.hasStaticShape() || rank == 0 || codeType.getWidth() < 8)
    return {};
  MLIRContext *ctx = b.getContext();
  bool perTensor = paramMap.getNumResults() == 0;
  SmallVector<int64_t> shape = perTensor
                                   ? SmallVector<int64_t>{type.getNumElements()}
                                   : SmallVector<int64_t>(type.getShape());
  if (shape.back() % 4 != 0)
    return {};
  unsigned r = shape.size();
  SmallVector<ReassociationIndices> whole(1);
  for (unsigned d = 0; d < rank; ++d)
    whole[0].push_back(d);
  Value rows =
      r == rank
          ? input
          : tensor::CollapseShapeOp::create(b, loc, input, whole).getResult();

  // [..., D] -> [..., D / 4, 4]: iteration (d_0, ..., d_{r-2}, g, j).
  SmallVector<int64_t> lanes(shape);
  lanes.back() /= 4;
  lanes.push_back(4);
  SmallVector<ReassociationIndices> split;
  for (unsigned d = 0; d + 1 < r; ++d)
    split.push_back({static_cast<int64_t>(d)});
  split.push_back({static_cast<int64_t>(r) - 1, static_cast<int64_t>(r)});
  Value blocks = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(lanes, b.getF32Type()), rows, split);
  SmallVector<AffineExpr> element;
  for (unsigned d = 0; d + 1 < r; ++d)
    element.push_back(getAffineDimExpr(d, ctx));
  element.push_back(getAffineDimExpr(r - 1, ctx) * 4 +
                    getAffineDimExpr(r, ctx));
  paramMap = perTensor
                 ? AffineMap::get(r + 1, 0, ctx)
                 : paramMap.compose(AffineMap::get(r + 1, 0, element, ctx));
  // Block of (d_0, ..., g): its row-major index among the blocks.
  SmallVector<int64_t> blockStride =
      computeSuffixProduct(ArrayRef<int64_t>(lanes).drop_back());
  Value stream =
      arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(key.stream));
  Value codes = roundToCodes(
      b, loc, blocks, paramMap, params, qlo, qhi, codeType, isSigned,
      [&](OpBuilder &nb, Location nloc, Arith &a) {
        Value block = a.idx(0);
        for (unsigned d = 0; d < r; ++d)
          block = a.add(block, a.mul(linalg::IndexOp::create(nb, nloc, d),
                                     a.idx(blockStride[d])));
        Value block64 =
            arith::IndexCastOp::create(nb, nloc, nb.getI64Type(), block);
        return selectPhiloxLane(nb, nloc,
                                buildPhiloxBlockUniforms(nb, nloc, key.seed,
                                                         key.step, stream,
                                                         block64),
                                linalg::IndexOp::create(nb, nloc, r));
      });
  codes = tensor::CollapseShapeOp::create(
      b, loc, RankedTensorType::get(shape, codeType), codes, split);
  if (r != rank)
    codes = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get(type.getShape(), codeType), codes, whole);
  return codes;
}

/// Codes of `input` (element type `codeType`) under `params` broadcast along
/// `granularity`, clamped to [qlo, qhi] and rounded to nearest (ties to
/// even) or stochastically.
static Value emitCodes(OpBuilder &b, Location loc, Value input,
                       Granularity granularity, const GroupParams &params,
                       int64_t qlo, int64_t qhi, const NoiseKey &key,
                       IntegerType codeType, bool isSigned) {
  AffineMap paramMap =
      scaleMap(granularity, cast<RankedTensorType>(input.getType()).getRank(),
               b.getContext());
  if (!key.seed)
    return roundToCodes(b, loc, input, paramMap, params, qlo, qhi, codeType,
                        isSigned, nullptr);
  if (Value codes = emitCodesByPhiloxBlocks(b, loc, input, paramMap, params,
                                            qlo, qhi, key, codeType, isSigned))
    return codes;
  // One Philox block per code, of which one word is used.
  SmallVector<Value> stride = strides(b, loc, input);
  Value stream =
      arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(key.stream));
  return roundToCodes(
      b, loc, input, paramMap, params, qlo, qhi, codeType, isSigned,
      [&](OpBuilder &nb, Location nloc, Arith &a) {
        Value linear = a.idx(0);
        for (unsigned d = 0; d < stride.size(); ++d)
          linear = a.add(
              linear, a.mul(linalg::IndexOp::create(nb, nloc, d), stride[d]));
        Value index =
            arith::IndexCastOp::create(nb, nloc, nb.getI64Type(), linear);
        return buildPhiloxUniform(nb, nloc, key.seed, key.step, stream, index);
      });
}

//===----------------------------------------------------------------------===//
// BHQ transform
//===----------------------------------------------------------------------===//

/// The rows of `input` rotated group by group, Y = T x, and T^-1
/// (docs/quantizers.md §3.5). Rows are ranked by range (descending, ties by row
/// index), the number k of followers is found by the reference loop, the
/// followers are dealt out to the leaders by rounded cumulative shares, and
/// every group gets the scales of the w^(-1/3) rule. Per row we keep its
/// position in its group (0 = leader), the group's start in group order, the
/// group size and the row scale; `perm` lists the rows in group order. Then
///   Y[r] = sum_q H[pos(r), q] * s[perm[start(r) + q]] * x[perm[start(r) + q]]
///   T^-1[r, c] = H[pos(r), pos(c)] / s[r] if r and c share a group, else 0,
/// which costs O(D * sum of squared group sizes), not O(N^2 D).
static std::pair<Value, Value> buildBHQTransform(OpBuilder &b, Location loc,
                                                 Value input) {
  auto type = cast<RankedTensorType>(input.getType());
  unsigned rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  Arith a{b, loc};
  Type f32 = b.getF32Type(), indexType = b.getIndexType();
  int64_t staticRows = type.getDimSize(0);
  Value rows = type.isDynamicDim(0)
                   ? tensor::DimOp::create(b, loc, input, 0).getResult()
                   : a.idx(staticRows);
  SmallVector<Value> dynRows;
  if (type.isDynamicDim(0))
    dynRows.push_back(rows);
  auto vectorOf = [&](Type element) -> Value {
    return tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{staticRows},
                                   element, dynRows);
  };
  Value c0 = a.idx(0), c1 = a.idx(1);

  // Row ranges lambda_r = (max - min) + 1e-8.
  auto [rowMin, rowMax] = reduceMinMax(b, loc, input, Granularity::row);
  Value lambda =
      mapScales(b, loc, ValueRange{rowMin, rowMax}, 1,
                [&](Arith &na, ValueRange args) -> SmallVector<Value> {
                  return {na.add(na.sub(args[1], args[0]), na.f32(kRangeEps))};
                })[0];

  // rank[r] = #{j : lambda_j > lambda_r} + #{j < r : lambda_j == lambda_r},
  // with a NaN range (a row holding NaN) above every number and equal to
  // the other NaNs: the ranks must be a permutation whatever the input,
  // since they index `order` below.
  Value rankInit = filled(b, loc, vectorOf(indexType), c0);
  AffineMap d0 = AffineMap::get(2, 0, getAffineDimExpr(0, ctx), ctx);
  AffineMap d1 = AffineMap::get(2, 0, getAffineDimExpr(1, ctx), ctx);
  Value ranks =
      linalg::GenericOp::create(
          b, loc, TypeRange{rankInit.getType()}, ValueRange{lambda, lambda},
          rankInit, ArrayRef<AffineMap>{d0, d1, d0},
          ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                        utils::IteratorType::reduction},
          [&](OpBuilder &nb, Location nloc, ValueRange args) {
            Arith na{nb, nloc};
            Value r = linalg::IndexOp::create(nb, nloc, 0);
            Value j = linalg::IndexOp::create(nb, nloc, 1);
            Value nanJ = na.cmpf(arith::CmpFPredicate::UNO, args[1], args[1]);
            Value nanR = na.cmpf(arith::CmpFPredicate::UNO, args[0], args[0]);
            Value numberR =
                na.cmpf(arith::CmpFPredicate::ORD, args[0], args[0]);
            // j ranks above r: j is NaN and r is not, or both are numbers
            // and lambda_j > lambda_r.
            Value larger =
                na.ori(na.andi(nanJ, numberR),
                       na.cmpf(arith::CmpFPredicate::OGT, args[1], args[0]));
            Value equal =
                na.ori(na.andi(nanJ, nanR),
                       na.cmpf(arith::CmpFPredicate::OEQ, args[1], args[0]));
            Value tie =
                na.andi(equal, na.cmpi(arith::CmpIPredicate::ult, j, r));
            Value before = na.ori(larger, tie);
            Value zero = na.idx(0);
            Value count = na.select(before, na.idx(1), zero);
            linalg::YieldOp::create(nb, nloc, na.add(args[2], count));
          })
          .getResult(0);

  // order[rank[r]] = r, sorted[rank[r]] = lambda_r, total = sum(sorted).
  auto sortLoop = scf::ForOp::create(
      b, loc, c0, rows, c1, ValueRange{vectorOf(indexType), vectorOf(f32)},
      [&](OpBuilder &nb, Location nloc, Value r, ValueRange iter) {
        Arith na{nb, nloc};
        Value rk = na.extract(ranks, r);
        Value order = na.insert(r, iter[0], rk);
        Value sorted = na.insert(na.extract(lambda, r), iter[1], rk);
        scf::YieldOp::create(nb, nloc, ValueRange{order, sorted});
      });
  Value order = sortLoop.getResult(0), sorted = sortLoop.getResult(1);
  Value total =
      scf::ForOp::create(
          b, loc, c0, rows, c1, ValueRange{a.f32(0.0f)},
          [&](OpBuilder &nb, Location nloc, Value t, ValueRange iter) {
            Arith na{nb, nloc};
            scf::YieldOp::create(nb, nloc,
                                 na.add(iter[0], na.extract(sorted, t)));
          })
          .getResult(0);

  // k followers: repeat { k += 1; total -= v[N-k]; num = k v[N-k-1] / total }
  // until num > 1 (at most N - 1 times, so that one leader remains).
  Value lastK = a.sub(rows, c1);
  Value falseV = arith::ConstantOp::create(b, loc, b.getBoolAttr(false));
  auto search = scf::WhileOp::create(
      b, loc, TypeRange{indexType, f32, b.getI1Type()},
      ValueRange{c0, total, falseV},
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Arith na{nb, nloc};
        Value more = na.cmpi(arith::CmpIPredicate::slt, args[0], lastK);
        Value notDone = arith::XOrIOp::create(
            nb, nloc, args[2],
            arith::ConstantOp::create(nb, nloc, nb.getBoolAttr(true)));
        scf::ConditionOp::create(nb, nloc, na.andi(more, notDone), args);
      },
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Arith na{nb, nloc};
        Value k = na.add(args[0], na.idx(1));
        Value tail = na.sub(rows, k);
        Value t = na.sub(args[1], na.extract(sorted, tail));
        Value num = na.div(
            na.mul(na.toF32(k), na.extract(sorted, na.sub(tail, na.idx(1)))),
            t);
        Value done = na.cmpf(arith::CmpFPredicate::OGT, num, na.f32(1.0f));
        scf::YieldOp::create(nb, nloc, ValueRange{k, t, done});
      });
  Value k = search.getResult(0);
  Value leaderTotal = search.getResult(1);
  Value leaders = a.sub(rows, k);
  Value kf = a.toF32(k);

  // Groups: leader i gets the sorted followers [L + nums[i-1], L + nums[i]),
  // nums[i] = roundf(sum_{t <= i} k v[t] / total), nums[L-1] = k.
  SmallVector<Value> groupInit = {c0,
                                  a.f32(0.0f),
                                  vectorOf(indexType),
                                  vectorOf(indexType),
                                  vectorOf(indexType),
                                  vectorOf(f32),
                                  vectorOf(indexType)};
  auto groupLoop = scf::ForOp::create(
      b, loc, c0, leaders, c1, groupInit,
      [&](OpBuilder &nb, Location nloc, Value i, ValueRange iter) {
        Arith na{nb, nloc};
        Value prev = iter[0];
        Value cum = na.add(
            iter[1], na.div(na.mul(kf, na.extract(sorted, i)), leaderTotal));
        Value rounded = arith::IndexCastOp::create(
            nb, nloc, nb.getIndexType(),
            arith::FPToSIOp::create(nb, nloc, nb.getI64Type(),
                                    math::RoundOp::create(nb, nloc, cum)));
        Value isLast =
            na.cmpi(arith::CmpIPredicate::eq, i, na.sub(leaders, na.idx(1)));
        Value nums = na.select(isLast, k, rounded);
        nums = na.mins(na.maxs(nums, prev), k);
        Value size = na.add(na.idx(1), na.sub(nums, prev));
        Value start = na.add(i, prev);
        Value firstFollower = na.add(leaders, prev);

        // Scales of the w^(-1/3) rule; 1 for a lone row.
        Value multi = na.cmpi(arith::CmpIPredicate::sge, size, na.idx(2));
        Value sizeF = na.toF32(size);
        Value lambda1 = na.extract(sorted, i);
        Value lambda2 = na.extract(sorted, na.select(multi, firstFollower, i));
        Value w1 = na.div(lambda1, na.sqrt(sizeF));
        Value w2 = na.mul(lambda2, householderMax(na, size));
        Value s1 = invCbrt(na, w1);
        Value s2 = invCbrt(na, na.div(w2, na.sub(sizeF, na.f32(1.0f))));
        Value one = na.f32(1.0f);
        Value inv2 = na.div(one, na.mul(s2, s2));
        Value norm = na.sqrt(na.add(na.div(one, na.mul(s1, s1)), inv2));
        s1 = na.select(multi, na.mul(s1, norm), one);
        s2 = na.select(multi, na.mul(s2, norm), one);

        auto members = scf::ForOp::create(
            nb, nloc, na.idx(0), size, na.idx(1), iter.drop_front(2),
            [&](OpBuilder &mb, Location mloc, Value q, ValueRange t) {
              Arith ma{mb, mloc};
              Value isLeader = ma.cmpi(arith::CmpIPredicate::eq, q, ma.idx(0));
              Value sortedPos = ma.select(
                  isLeader, i, ma.sub(ma.add(firstFollower, q), ma.idx(1)));
              Value row = ma.extract(order, sortedPos);
              Value pos = ma.insert(q, t[0], row);
              Value starts = ma.insert(start, t[1], row);
              Value sizes = ma.insert(size, t[2], row);
              Value scales = ma.insert(ma.select(isLeader, s1, s2), t[3], row);
              Value perm = ma.insert(row, t[4], ma.add(start, q));
              scf::YieldOp::create(
                  mb, mloc, ValueRange{pos, starts, sizes, scales, perm});
            });
        SmallVector<Value> yields = {nums, cum};
        llvm::append_range(yields, members.getResults());
        scf::YieldOp::create(nb, nloc, yields);
      });
  Value pos = groupLoop.getResult(2), start = groupLoop.getResult(3),
        size = groupLoop.getResult(4), scale = groupLoop.getResult(5),
        perm = groupLoop.getResult(6);

  // Y = T x, one group at a time.
  SmallVector<Value> dynamic;
  for (unsigned d = 0; d < rank; ++d)
    if (type.isDynamicDim(d))
      dynamic.push_back(tensor::DimOp::create(b, loc, input, d));
  Value yEmpty = tensor::EmptyOp::create(b, loc, type.getShape(), f32, dynamic);
  AffineMap rowMap = AffineMap::get(rank, 0, getAffineDimExpr(0, ctx), ctx);
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  Value rotated =
      linalg::GenericOp::create(
          b, loc, TypeRange{yEmpty.getType()}, ValueRange{pos, start, size},
          yEmpty, ArrayRef<AffineMap>{rowMap, rowMap, rowMap, identity},
          SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
          [&](OpBuilder &nb, Location nloc, ValueRange args) {
            Arith na{nb, nloc};
            SmallVector<Value> at;
            for (unsigned d = 0; d < rank; ++d)
              at.push_back(linalg::IndexOp::create(nb, nloc, d));
            auto sum = scf::ForOp::create(
                nb, nloc, na.idx(0), args[2], na.idx(1),
                ValueRange{na.f32(0.0f)},
                [&](OpBuilder &mb, Location mloc, Value q, ValueRange acc) {
                  Arith ma{mb, mloc};
                  Value c = ma.extract(perm, ma.add(args[1], q));
                  Value h = householderEntry(ma, args[0], q, args[2]);
                  SmallVector<Value> src = at;
                  src[0] = c;
                  Value term = ma.mul(ma.mul(h, ma.extract(scale, c)),
                                      ma.extract(input, src));
                  scf::YieldOp::create(mb, mloc, ma.add(acc[0], term));
                });
            linalg::YieldOp::create(nb, nloc, sum.getResult(0));
          })
          .getResult(0);

  // T^-1[r, c] = H[pos r, pos c] / s[r] within a group.
  SmallVector<Value> dynSquare(dynRows.size() * 2, rows);
  Value tEmpty = tensor::EmptyOp::create(
      b, loc, ArrayRef<int64_t>{staticRows, staticRows}, f32, dynSquare);
  Value inverse =
      linalg::GenericOp::create(
          b, loc, TypeRange{tEmpty.getType()},
          ValueRange{pos, pos, start, start, size, scale}, tEmpty,
          ArrayRef<AffineMap>{d0, d1, d0, d1, d0, d0,
                              b.getMultiDimIdentityMap(2)},
          ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                        utils::IteratorType::parallel},
          [&](OpBuilder &nb, Location nloc, ValueRange args) {
            Arith na{nb, nloc};
            Value same = na.cmpi(arith::CmpIPredicate::eq, args[2], args[3]);
            Value h = householderEntry(na, args[0], args[1], args[4]);
            Value zero = na.f32(0.0f);
            linalg::YieldOp::create(nb, nloc,
                                    na.select(same, na.div(h, args[5]), zero));
          })
          .getResult(0);
  return {rotated, inverse};
}

//===----------------------------------------------------------------------===//
// Block quantizers
//===----------------------------------------------------------------------===//

/// #fqt.blk and #fqt.rht (docs/quantizers.md §3.6, §3.7) on the splitBlocks
/// view of the input (the block's values at dimension axis + 1): rht first
/// transforms every block; then per block c = max|x| (1e-8 where that is 0),
/// codes round-or-SR(clamp(x * (M / c), -M, M)) and scale c / M, with
/// M = 2^(bits-1) - 1. The noise of an element is keyed by its row-major
/// index in the input, as for every other quantizer. Returns the codes, the
/// scale and (rht) the signs.
static SmallVector<Value> lowerBlockQuantizer(OpBuilder &b, Location loc,
                                              QuantizeOp op,
                                              const NoiseKey &key,
                                              IntegerType codeType) {
  QuantizerAttrInterface quantizer = op.getQuantizer();
  MLIRContext *ctx = b.getContext();
  int64_t axis = quantizer.getBlockAxis(), size = quantizer.getBlockSize();
  Value input = op.getInput();
  auto inputType = cast<RankedTensorType>(input.getType());
  Value view = splitBlocks(b, loc, input, axis, size);
  auto viewType = cast<RankedTensorType>(view.getType());
  int64_t rank = viewType.getRank(), valueDim = axis + 1;
  Value signs;
  if (auto rht = dyn_cast<RHTAttr>(quantizer)) {
    signs = buildRandomSigns(b, loc, key.seed, key.step, rht.getSigns(), size);
    view = applyHadamard(b, loc, view, valueDim, signs, /*inverse=*/false);
  }

  // max |x| per block.
  SmallVector<AffineExpr> scaleDims;
  SmallVector<int64_t> scaleShape;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    iterators.push_back(d == valueDim ? utils::IteratorType::reduction
                                      : utils::IteratorType::parallel);
    if (d == valueDim)
      continue;
    scaleDims.push_back(getAffineDimExpr(d, ctx));
    scaleShape.push_back(viewType.getDimSize(d));
  }
  AffineMap scaleMap = AffineMap::get(rank, 0, scaleDims, ctx);
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  Value init = filled(
      b, loc, tensor::EmptyOp::create(b, loc, scaleShape, b.getF32Type()),
      zero);
  Value absMax =
      linalg::GenericOp::create(
          b, loc, TypeRange{init.getType()}, view, init,
          ArrayRef<AffineMap>{identity, scaleMap}, iterators,
          [&](OpBuilder &nb, Location nloc, ValueRange args) {
            Arith a{nb, nloc};
            linalg::YieldOp::create(nb, nloc,
                                    a.maxf(a.absf(args[0]), args[1]));
          })
          .getResult(0);

  int64_t maxCode = quantizer.getMaxCode();
  GroupParams params =
      symmetricParams(b, loc, absMax, /*gamma=*/Value(), quantizer.getBits());

  // Codes, each keyed by its index in the input.
  SmallVector<int64_t> strideOf(inputType.getRank(), 1);
  for (int64_t d = inputType.getRank() - 2; d >= 0; --d)
    strideOf[d] = strideOf[d + 1] * inputType.getDimSize(d + 1);
  Value stream;
  if (key.seed)
    stream = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(key.stream));
  Value empty = tensor::EmptyOp::create(b, loc, viewType.getShape(), codeType);
  float qhi = static_cast<float>(maxCode);
  Value codeView =
      linalg::GenericOp::create(
          b, loc, TypeRange{empty.getType()}, ValueRange{view, params.mul},
          empty, ArrayRef<AffineMap>{identity, scaleMap, identity},
          SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
          [&](OpBuilder &nb, Location nloc, ValueRange args) {
            Arith a{nb, nloc};
            Value y = a.mul(args[0], args[1]);
            y = a.maxf(a.minf(y, a.f32(qhi)), a.f32(-qhi));
            Value q;
            if (key.seed) {
              Value linear = a.idx(0);
              for (int64_t d = 0; d < rank; ++d) {
                if (d == valueDim)
                  continue;
                Value at = linalg::IndexOp::create(nb, nloc, d);
                int64_t inputDim = d < valueDim ? d : d - 1;
                if (d == axis)
                  at = a.add(a.mul(at, a.idx(size)),
                             linalg::IndexOp::create(nb, nloc, valueDim));
                linear = a.add(linear, a.mul(at, a.idx(strideOf[inputDim])));
              }
              Value index =
                  arith::IndexCastOp::create(nb, nloc, nb.getI64Type(), linear);
              Value u = buildPhiloxUniform(nb, nloc, key.seed, key.step,
                                           stream, index);
              Value down = a.floor(y);
              Value up = a.cmpf(arith::CmpFPredicate::OLT, u, a.sub(y, down));
              q = a.add(down, a.select(up, a.f32(1.0f), a.f32(0.0f)));
            } else {
              q = math::RoundEvenOp::create(nb, nloc, y);
            }
            linalg::YieldOp::create(
                nb, nloc,
                arith::FPToSIOp::create(nb, nloc, codeType, q).getResult());
          })
          .getResult(0);
  SmallVector<Value> results = {mergeBlocks(b, loc, codeView, axis, input),
                                params.scale};
  if (signs)
    results.push_back(signs);
  return results;
}

//===----------------------------------------------------------------------===//
// Pattern
//===----------------------------------------------------------------------===//

/// The number of row groups `op` scales, where its row quantizer has fewer
/// scales than rows; 0 otherwise (one scale per row, or another granularity).
static int64_t rowGroupsOf(QuantizeOp op) {
  RankedTensorType scaleType = op.getScale().getType();
  if (rowsPerScale(op.getQuantizer(), op.getInput().getType(), scaleType) == 1)
    return 0;
  return scaleType.getDimSize(0);
}

/// Why `op` cannot be lowered, or success. Shared by the pattern (match
/// failure) and the pass (error).
static LogicalResult
checkLowerable(QuantizeOp op, function_ref<void(const Twine &)> reportFailure) {
  int64_t stream = op.getStreamAttr().getInt();
  if (stream < 0 || stream > static_cast<int64_t>(UINT32_MAX)) {
    reportFailure("stream " + Twine(stream) +
                  " does not fit the 32-bit stream word of the Philox "
                  "counter; use a stream in [0, 2^32)");
    return failure();
  }
  if (int64_t groups = rowGroupsOf(op);
      groups && !op.getInput().getType().hasStaticShape()) {
    reportFailure("quantizing " + Twine(groups) +
                  " row groups needs static input sizes");
    return failure();
  }
  if (op.getQuantizer().getGranularity() == Granularity::block &&
      !op.getInput().getType().hasStaticShape()) {
    reportFailure("block quantizers need static input sizes");
    return failure();
  }
  return success();
}

/// Casts `value` to `type` where the static information differs.
static Value castTo(OpBuilder &b, Location loc, Value value, Type type) {
  if (value.getType() == type)
    return value;
  return tensor::CastOp::create(b, loc, type, value);
}

struct LowerQuantize : OpRewritePattern<QuantizeOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    std::string reason;
    if (failed(
            checkLowerable(op, [&](const Twine &msg) { reason = msg.str(); })))
      return rewriter.notifyMatchFailure(op, reason);

    QuantizerAttrInterface quantizer = op.getQuantizer();
    Location loc = op.getLoc();
    unsigned bits = quantizer.getBits();
    Granularity granularity = quantizer.getGranularity();
    auto codeType = cast<IntegerType>(op.getCodes().getType().getElementType());
    NoiseKey key{op.getSeed(), op.getStep(), op.getStreamAttr().getInt()};

    if (granularity == Granularity::block) {
      // Codes, scale and (rht) signs: the op's results, in order (block
      // quantizers are symmetric, without offset).
      SmallVector<Value> results;
      for (auto [value, result] : llvm::zip_equal(
               lowerBlockQuantizer(rewriter, loc, op, key, codeType),
               op.getResults()))
        results.push_back(castTo(rewriter, loc, value, result.getType()));
      rewriter.replaceOp(op, results);
      return success();
    }

    // A row quantizer with one scale per row group (a convolution's
    // samples, see RowGroups.h) quantizes the rows of the row-group view;
    // the codes then return to the input's shape.
    Value source = op.getInput();
    int64_t groups = rowGroupsOf(op);
    if (groups)
      source = toRowGroups(rewriter, loc, source, groups);
    Value inverse;
    if (isa<BHQAttr>(quantizer))
      std::tie(source, inverse) = buildBHQTransform(rewriter, loc, source);

    GroupParams params;
    int64_t qlo = 0, qhi = quantizer.getMaxCode();
    if (isa<LBTAttr>(quantizer)) {
      params =
          symmetricParams(rewriter, loc, reduceAbsMax(rewriter, loc, source),
                          op.getGamma(), bits);
      qlo = -qhi;
    } else {
      auto [min, max] = reduceMinMax(rewriter, loc, source, granularity);
      params = quantizer.snapsZero()
                   ? snappedParams(rewriter, loc, min, max, bits)
                   : rangeParams(rewriter, loc, min, max, bits);
    }

    Value codes = emitCodes(rewriter, loc, source, granularity, params, qlo,
                            qhi, key, codeType, quantizer.isSymmetric());
    if (groups)
      codes = fromRowGroups(rewriter, loc, codes, op.getInput());
    SmallVector<Value> results = {
        castTo(rewriter, loc, codes, op.getCodes().getType()),
        castTo(rewriter, loc, params.scale, op.getScale().getType())};
    if (Value offset = op.getOffset())
      results.push_back(castTo(rewriter, loc, params.offset, offset.getType()));
    if (Value transform = op.getTransform())
      results.push_back(castTo(rewriter, loc, inverse, transform.getType()));
    rewriter.replaceOp(op, results);
    return success();
  }
};

struct FQTLowerQuantizePass
    : fqt::impl::FQTLowerQuantizeBase<FQTLowerQuantizePass> {
  void runOnOperation() override {
    bool invalid = false;
    getOperation()->walk([&](QuantizeOp op) {
      if (failed(checkLowerable(
              op, [&](const Twine &msg) { op.emitOpError() << msg; })))
        invalid = true;
    });
    if (invalid)
      return signalPassFailure();

    RewritePatternSet patterns(&getContext());
    populateLowerQuantizePatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

void fqt::populateLowerQuantizePatterns(RewritePatternSet &patterns) {
  patterns.add<LowerQuantize>(patterns.getContext());
}
