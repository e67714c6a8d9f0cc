//===- VectorizePooling.cpp - 2x2 max-pooling as vector code --------------===//
//
// linalg's loops for `linalg.pooling_nchw_max` run the 2x2 window innermost:
// two iterations that LLVM does not vectorize, with a stride-2 read along
// the row around them (1.3 ns per input value in the bundled CNN, 7 % of its
// step; reordering the loops so that the row is innermost did not help).
// A 2x2 window with stride 2 tiles each pair of input rows: two vector loads
// of 2L values, their maximum, and the maximum of its even and odd lanes
// (two shuffles) give L outputs.
//
// maximumf is commutative and associative (NaN wins, -0 < +0), so the
// result has the bits of the loops in any order.
//
//===----------------------------------------------------------------------===//

#include "fqt/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace fqt {
#define GEN_PASS_DEF_FQTVECTORIZEPOOLING
#include "fqt/Codegen/Passes.h.inc"
} // namespace fqt

using namespace mlir;

namespace {

/// Rank-4 f32 buffer whose rows are contiguous.
bool isContiguousRows(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  return type && type.getRank() == 4 && type.getElementType().isF32() &&
         type.isLastDimUnitStride();
}

struct VectorizeMaxPool2x2 : OpRewritePattern<linalg::PoolingNchwMaxOp> {
  VectorizeMaxPool2x2(MLIRContext *ctx, int64_t lanes, bool parallel)
      : OpRewritePattern(ctx), lanes(lanes), parallel(parallel) {}

  LogicalResult matchAndRewrite(linalg::PoolingNchwMaxOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "not on buffers");
    auto is = [](DenseIntElementsAttr attr, int64_t v) {
      return llvm::all_of(attr.getValues<int64_t>(),
                          [&](int64_t x) { return x == v; });
    };
    if (!is(op.getStrides(), 2) || !is(op.getDilations(), 1))
      return rewriter.notifyMatchFailure(op, "not stride 2, dilation 1");
    Value input = op.getInputs()[0], window = op.getInputs()[1],
          output = op.getOutputs()[0];
    auto windowType = cast<MemRefType>(window.getType());
    if (windowType.getShape() != ArrayRef<int64_t>{2, 2})
      return rewriter.notifyMatchFailure(op, "not a 2x2 window");
    if (!isContiguousRows(input) || !isContiguousRows(output))
      return rewriter.notifyMatchFailure(op, "not f32 rows in memory");

    Location loc = op.getLoc();
    Type f32 = rewriter.getF32Type();
    auto wide = VectorType::get({2 * lanes}, f32);
    auto narrow = VectorType::get({lanes}, f32);
    auto cst = [&](int64_t v) {
      return arith::ConstantIndexOp::create(rewriter, loc, v).getResult();
    };
    auto dim = [&](Value v, int64_t d) {
      return memref::DimOp::create(rewriter, loc, v, d).getResult();
    };
    auto mask = [&](Value count, int64_t n) {
      Value clamped = arith::MinSIOp::create(rewriter, loc, count, cst(n));
      return vector::CreateMaskOp::create(
          rewriter, loc, VectorType::get({n}, rewriter.getI1Type()),
          ValueRange{clamped});
    };
    Value zeroWide =
        arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(wide));
    Value zeroNarrow =
        arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(narrow));
    SmallVector<int64_t> even, odd;
    for (int64_t i = 0; i < lanes; ++i) {
      even.push_back(2 * i);
      odd.push_back(2 * i + 1);
    }
    Value c0 = cst(0), c1 = cst(1), two = cst(2);
    Value outWidth = dim(output, 3);

    // One row of outputs (n, c, oh), lanes of them at a time.
    auto row = [&](OpBuilder &b, Value n, Value c, Value oh) {
      Value ih = arith::MulIOp::create(b, loc, oh, two);
      Value ih1 = arith::AddIOp::create(b, loc, ih, c1);
      scf::ForOp::create(
          b, loc, c0, outWidth, cst(lanes), {},
          [&](OpBuilder &b, Location, Value ow, ValueRange) {
            Value left = arith::SubIOp::create(b, loc, outWidth, ow);
            Value inMask =
                mask(arith::MulIOp::create(b, loc, left, two), 2 * lanes);
            Value outMask = mask(left, lanes);
            Value iw = arith::MulIOp::create(b, loc, ow, two);
            Value top = vector::MaskedLoadOp::create(
                b, loc, wide, input, ValueRange{n, c, ih, iw}, inMask,
                zeroWide);
            Value bottom = vector::MaskedLoadOp::create(
                b, loc, wide, input, ValueRange{n, c, ih1, iw}, inMask,
                zeroWide);
            Value rows = arith::MaximumFOp::create(b, loc, top, bottom);
            Value pairs = arith::MaximumFOp::create(
                b, loc, vector::ShuffleOp::create(b, loc, rows, rows, even),
                vector::ShuffleOp::create(b, loc, rows, rows, odd));
            Value before = vector::MaskedLoadOp::create(
                b, loc, narrow, output, ValueRange{n, c, oh, ow}, outMask,
                zeroNarrow);
            vector::MaskedStoreOp::create(
                b, loc, output, ValueRange{n, c, oh, ow}, outMask,
                arith::MaximumFOp::create(b, loc, before, pairs));
            scf::YieldOp::create(b, loc);
          });
    };
    SmallVector<Value> ubs = {dim(output, 0), dim(output, 1), dim(output, 2)};
    if (parallel) {
      scf::ParallelOp::create(
          rewriter, loc, ValueRange{c0, c0, c0}, ubs, ValueRange{c1, c1, c1},
          [&](OpBuilder &b, Location, ValueRange ivs) {
            row(b, ivs[0], ivs[1], ivs[2]);
          });
    } else {
      scf::buildLoopNest(rewriter, loc, ValueRange{c0, c0, c0}, ubs,
                         ValueRange{c1, c1, c1},
                         [&](OpBuilder &b, Location, ValueRange ivs) {
                           row(b, ivs[0], ivs[1], ivs[2]);
                         });
    }
    rewriter.eraseOp(op);
    return success();
  }

  int64_t lanes;
  bool parallel;
};

struct FQTVectorizePoolingPass
    : fqt::impl::FQTVectorizePoolingBase<FQTVectorizePoolingPass> {
  using Base::Base;

  void runOnOperation() override {
    FailureOr<fqt::KernelOptions> options =
        fqt::selectKernelOptions("auto", cpuFeatures);
    RewritePatternSet patterns(&getContext());
    patterns.add<VectorizeMaxPool2x2>(&getContext(), options->vectorWidth,
                                      parallel);
    GreedyRewriteConfig config;
    config.setMaxIterations(1);
    (void)applyPatternsGreedily(getOperation(), std::move(patterns), config);
  }
};

} // namespace
