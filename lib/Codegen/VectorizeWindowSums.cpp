//===- VectorizeWindowSums.cpp - The windows' sum as vector code ----------===//
//
// A convolution's data gradient leaves its columns cols[n, oh, ow, c, kh,
// kw] (one row per window) to be added back into the pixels each window
// covers: a linalg.generic whose output index mixes a window and a kernel
// position, (n, c, oh + kh, ow + kw) for stride 1. As loops it is scalar
// code (the bundled CNN's second convolution: 11 % of its step). Along ow
// the pixels a fixed (oh, c, kh, kw) adds to are one contiguous row
// segment, and distinct windows of that row add to distinct pixels: 16
// windows at a time it is one vector of their values, a masked load of the
// row segment, an add and a masked store. The windows' values for one
// kernel position lie K = C * KH * KW apart; a gather of them was slower
// than the loops (16 cache lines each), so the segment's 16 x K columns
// are transposed in 16 x 16 tiles by shuffles first.
//
// The generic visits the windows from the last (oh, ow) to the first, so
// that every pixel adds its terms with kh, then kw, ascending; the vector
// code keeps that order for every pixel (rows from the last, segments of
// the row from the last, kw ascending inside a segment), so the sums have
// the bits of the loops.
//
//===----------------------------------------------------------------------===//

#include "fqt/Codegen/Passes.h"

#include "VectorTranspose.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace fqt {
#define GEN_PASS_DEF_FQTVECTORIZEWINDOWSUMS
#include "fqt/Codegen/Passes.h.inc"
} // namespace fqt

using namespace mlir;

namespace {

/// A static, contiguous f32 buffer of the given rank.
bool isDenseF32(Value v, int64_t rank) {
  auto type = dyn_cast<MemRefType>(v.getType());
  return type && type.getRank() == rank && type.getElementType().isF32() &&
         type.hasStaticShape() && type.getLayout().isIdentity();
}

/// Whether the body is `yield addf(out, in)` (or `addf(in, out)`).
bool isSumIntoOutput(linalg::GenericOp op) {
  Block *body = op.getBody();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
  if (!add || add->getBlock() != body || body->getOperations().size() != 2)
    return false;
  Value in = body->getArgument(0), out = body->getArgument(2);
  return (add.getLhs() == out && add.getRhs() == in) ||
         (add.getLhs() == in && add.getRhs() == out);
}

struct VectorizeWindowSum : OpRewritePattern<linalg::GenericOp> {
  VectorizeWindowSum(MLIRContext *ctx, int64_t lanes, bool parallel)
      : OpRewritePattern(ctx), lanes(lanes), parallel(parallel) {}

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
        op.getNumDpsInits() != 1 || op.getNumLoops() != 6)
      return rewriter.notifyMatchFailure(op, "not a windows' sum");
    // The transposes are 16 x 16 (AVX-512's f32 lanes); with narrower
    // vectors the loops stay.
    if (lanes != 16)
      return rewriter.notifyMatchFailure(op, "not 16 lanes");
    Value cols = op.getDpsInputs()[0], output = op.getDpsInits()[0];
    if (!isDenseF32(cols, 6) || !isDenseF32(output, 4))
      return rewriter.notifyMatchFailure(op, "not dense f32 buffers");
    using utils::IteratorType;
    SmallVector<IteratorType> expected = {
        IteratorType::parallel,  IteratorType::reduction,
        IteratorType::reduction, IteratorType::parallel,
        IteratorType::reduction, IteratorType::reduction};
    if (op.getIteratorTypesArray() != expected || !isSumIntoOutput(op))
      return rewriter.notifyMatchFailure(op, "not a sum over the windows");

    // The windows' sum of TensorEmitter::scatterWindows for stride 1 and
    // dilation 1, windows visited from the last: cols read at (n, OH-1-oh,
    // OW-1-ow, c, kh, kw), the pixels at (n, c, OH-1-oh + kh, OW-1-ow + kw).
    ArrayRef<int64_t> shape = cast<MemRefType>(cols.getType()).getShape();
    int64_t n = shape[0], oh = shape[1], ow = shape[2], c = shape[3],
            kh = shape[4], kw = shape[5];
    MLIRContext *ctx = getContext();
    AffineExpr dn, dh, dw, dc, di, dj;
    bindDims(ctx, dn, dh, dw, dc, di, dj);
    AffineExpr row = (oh - 1) - dh, column = (ow - 1) - dw;
    AffineMap in = AffineMap::get(6, 0, {dn, row, column, dc, di, dj}, ctx);
    AffineMap windows = AffineMap::get(6, 0, {dh, dw}, ctx);
    AffineMap out =
        AffineMap::get(6, 0, {dn, dc, row + di, column + dj}, ctx);
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    if (maps[0] != in || maps[1] != windows || maps[2] != out)
      return rewriter.notifyMatchFailure(op, "not stride 1, dilation 1");
    ArrayRef<int64_t> pixels = cast<MemRefType>(output.getType()).getShape();
    if (pixels[0] != n || pixels[1] != c || pixels[2] < oh + kh - 1 ||
        pixels[3] < ow + kw - 1)
      return rewriter.notifyMatchFailure(op, "pixels do not fit the windows");

    Location loc = op.getLoc();
    Type f32 = rewriter.getF32Type();
    auto vector = VectorType::get({lanes}, f32);
    auto maskType = VectorType::get({lanes}, rewriter.getI1Type());
    auto cst = [&](int64_t v) {
      return arith::ConstantIndexOp::create(rewriter, loc, v).getResult();
    };
    // The row-major position of `indices` in a buffer of `sizes` (the
    // first size unused).
    auto linearize = [&](OpBuilder &b, ArrayRef<Value> indices,
                         ArrayRef<int64_t> sizes) {
      Value flat = indices[0];
      for (auto [index, size] :
           llvm::zip(indices.drop_front(), sizes.drop_front()))
        flat = arith::AddIOp::create(
            b, loc, arith::MulIOp::create(b, loc, flat, cst(size)), index);
      return flat;
    };
    int64_t k = c * kh * kw, tiles = llvm::divideCeil(k, lanes);
    // The columns as one row: a segment's windows are L rows of K values.
    ReassociationIndices all = {0, 1, 2, 3, 4, 5};
    Value flat = memref::CollapseShapeOp::create(
        rewriter, loc, cols, ArrayRef<ReassociationIndices>{all});
    // Per sample, the segment's columns transposed: [K][L], a kernel
    // position's values for the L windows in one vector.
    auto scratchType = MemRefType::get({n, tiles * lanes, lanes}, f32);
    Value scratch = memref::AllocOp::create(rewriter, loc, scratchType,
                                            rewriter.getI64IntegerAttr(64));
    Value zero =
        arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(vector));
    Value c0 = cst(0), c1 = cst(1);
    int64_t segments = llvm::divideCeil(ow, lanes);

    auto segment = [&](OpBuilder &b, Value sampleIndex, Value windowRow,
                       Value first) {
      Value count = arith::MinSIOp::create(
          b, loc, arith::SubIOp::create(b, loc, cst(ow), first), cst(lanes));
      Value mask =
          vector::CreateMaskOp::create(b, loc, maskType, ValueRange{count});
      // cols[n, windowRow, first, 0, 0, 0] in the flat columns.
      Value windowIndex =
          linearize(b, {sampleIndex, windowRow, first}, {n, oh, ow});
      Value base = arith::MulIOp::create(b, loc, windowIndex, cst(k));
      // L x L tiles of the segment's L x K columns, transposed in
      // registers (missing windows and columns past K load as zeros).
      scf::ForOp::create(
          b, loc, c0, cst(tiles), c1, {},
          [&](OpBuilder &b, Location, Value tile, ValueRange) {
            Value column = arith::MulIOp::create(b, loc, tile, cst(lanes));
            Value columns = vector::CreateMaskOp::create(
                b, loc, maskType,
                ValueRange{arith::SubIOp::create(b, loc, cst(k), column)});
            SmallVector<Value> transposed = fqt::loadTransposed16(
                b, loc, vector, flat,
                [&](int64_t i) -> SmallVector<Value> {
                  return {arith::AddIOp::create(
                      b, loc, base,
                      arith::AddIOp::create(b, loc, cst(i * k), column))};
                },
                count, columns, zero);
            for (int64_t j = 0; j < lanes; ++j)
              vector::StoreOp::create(
                  b, loc, transposed[j], scratch,
                  ValueRange{sampleIndex,
                             arith::AddIOp::create(b, loc, column, cst(j)),
                             c0});
            scf::YieldOp::create(b, loc);
          });
      // kw outermost: a store at column first + kw and the load at
      // first + kw + 1 of the same row (an overlapping, unaligned vector)
      // would wait for each other; between them now lie the other C * KH
      // rows.
      scf::buildLoopNest(
          b, loc, ValueRange{c0, c0, c0}, ValueRange{cst(kw), cst(c), cst(kh)},
          ValueRange{c1, c1, c1},
          [&](OpBuilder &b, Location, ValueRange loops) {
            Value j = loops[0], channel = loops[1], i = loops[2];
            Value position = linearize(b, {channel, i, j}, {c, kh, kw});
            Value values = vector::LoadOp::create(
                b, loc, vector, scratch, ValueRange{sampleIndex, position, c0});
            SmallVector<Value> pixel = {
                sampleIndex, channel, arith::AddIOp::create(b, loc, windowRow, i),
                arith::AddIOp::create(b, loc, first, j)};
            Value sums = vector::MaskedLoadOp::create(b, loc, vector, output,
                                                      pixel, mask, zero);
            vector::MaskedStoreOp::create(
                b, loc, output, pixel, mask,
                arith::AddFOp::create(b, loc, sums, values));
          });
    };

    // One sample: rows of windows from the last, segments of L windows
    // from the last.
    auto sample = [&](OpBuilder &b, Value sampleIndex) {
      scf::buildLoopNest(
          b, loc, ValueRange{c0, c0}, ValueRange{cst(oh), cst(segments)},
          ValueRange{c1, c1}, [&](OpBuilder &b, Location, ValueRange ivs) {
            Value windowRow =
                arith::SubIOp::create(b, loc, cst(oh - 1), ivs[0]);
            Value first = arith::MulIOp::create(
                b, loc,
                arith::SubIOp::create(b, loc, cst(segments - 1), ivs[1]),
                cst(lanes));
            segment(b, sampleIndex, windowRow, first);
          });
    };
    if (parallel) {
      scf::ParallelOp::create(rewriter, loc, ValueRange{c0},
                              ValueRange{cst(n)}, ValueRange{c1},
                              [&](OpBuilder &b, Location, ValueRange ivs) {
                                sample(b, ivs[0]);
                              });
    } else {
      scf::buildLoopNest(rewriter, loc, ValueRange{c0}, ValueRange{cst(n)},
                         ValueRange{c1},
                         [&](OpBuilder &b, Location, ValueRange ivs) {
                           sample(b, ivs[0]);
                         });
    }
    memref::DeallocOp::create(rewriter, loc, scratch);
    rewriter.eraseOp(op);
    return success();
  }

  int64_t lanes;
  bool parallel;
};

struct FQTVectorizeWindowSumsPass
    : fqt::impl::FQTVectorizeWindowSumsBase<FQTVectorizeWindowSumsPass> {
  using Base::Base;

  void runOnOperation() override {
    FailureOr<fqt::KernelOptions> options =
        fqt::selectKernelOptions("auto", cpuFeatures);
    RewritePatternSet patterns(&getContext());
    patterns.add<VectorizeWindowSum>(&getContext(), options->vectorWidth,
                                     parallel);
    GreedyRewriteConfig config;
    config.setMaxIterations(1);
    (void)applyPatternsGreedily(getOperation(), std::move(patterns), config);
  }
};

} // namespace
