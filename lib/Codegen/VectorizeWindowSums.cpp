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
// are transposed in 16 x 16 tiles by shuffles first. The vectors are 16
// f32 lanes on every target (two registers with AVX2, where the loops took
// a fifth of the bundled CNN's step).
//
// The columns may arrive as the i32 product of the data gradient with its
// dequantizing epilogue fused into the sum (--fqt-fuse-elementwise): the
// body then computes each value from the product, per-window and
// per-kernel-position sums and scales, and each tile row applies it to 16
// lanes before the transpose; the f32 columns never reach memory.
//
// The generic visits the windows from the last (oh, ow) to the first, so
// that every pixel adds its terms with kh, then kw, ascending; the vector
// code keeps that order for every pixel (rows from the last, segments of
// the row from the last, kw ascending inside a segment), so the sums have
// the bits of the loops.
//
//===----------------------------------------------------------------------===//

#include "fqt/Codegen/Passes.h"

#include "IndependentLoops.h"
#include "VectorBody.h"
#include "VectorTranspose.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace fqt {
#define GEN_PASS_DEF_FQTVECTORIZEWINDOWSUMS
#include "fqt/Codegen/Passes.h.inc"
} // namespace fqt

using namespace mlir;

namespace {

/// A static, contiguous buffer of the given rank (at any offset: a group of
/// samples of a larger buffer, from --fqt-tile-window-sums).
bool isDense(Value v, int64_t rank) {
  auto type = dyn_cast<MemRefType>(v.getType());
  return type && type.getRank() == rank &&
         memref::isStaticShapeAndContiguousRowMajor(type);
}

/// The windows' value the body adds into the output: `v` of `yield
/// addf(out, v)` (or `addf(v, out)`), where out is used nowhere else and
/// every other op is elementwise arithmetic (a dequantizing epilogue fused
/// in by --fqt-fuse-elementwise) or a constant. Null if not so.
Value valueAddedToOutput(linalg::GenericOp op) {
  Block *body = op.getBody();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
  BlockArgument out = op.getMatchingBlockArgument(op.getDpsInitOperand(0));
  if (!add || add->getBlock() != body || !out.hasOneUse())
    return {};
  for (Operation &inner : body->without_terminator()) {
    bool scalar = llvm::all_of(inner.getResultTypes(),
                               [](Type t) { return t.isIntOrFloat(); });
    if (!scalar || inner.getNumRegions() != 0 ||
        !(inner.hasTrait<OpTrait::Elementwise>() ||
          isa<arith::ConstantOp>(inner)))
      return {};
  }
  if (add.getLhs() == out)
    return add.getRhs();
  if (add.getRhs() == out)
    return add.getLhs();
  return {};
}

/// The value `added` of the body, 16 lanes at once: every op but the sum
/// into the output applied lanewise, block arguments taken from `lanesOf`.
Value vectorizeBody(OpBuilder &b, Location loc, Block *body, Value added,
                    int64_t lanes, IRMapping &lanesOf) {
  Operation *sum = body->getTerminator()->getOperand(0).getDefiningOp();
  fqt::vectorizeBodyOps(b, loc, body, lanes, lanesOf,
                        [&](Operation &inner) { return &inner == sum; });
  return lanesOf.lookup(added);
}

/// 16 f32 lanes on every target (one AVX-512 register, two AVX, four
/// SSE): the 16 x 16 transposes, and the same code everywhere.
constexpr int64_t kLanes = 16;

struct VectorizeWindowSum : OpRewritePattern<linalg::GenericOp> {
  VectorizeWindowSum(MLIRContext *ctx, bool parallel)
      : OpRewritePattern(ctx), parallel(parallel) {}

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
        op.getNumLoops() != 6)
      return rewriter.notifyMatchFailure(op, "not a windows' sum");
    Value output = op.getDpsInits()[0];
    auto outputType = dyn_cast<MemRefType>(output.getType());
    if (!isDense(output, 4) || !outputType.getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "not a dense f32 output");
    using utils::IteratorType;
    SmallVector<IteratorType> expected = {
        IteratorType::parallel,  IteratorType::reduction,
        IteratorType::reduction, IteratorType::parallel,
        IteratorType::reduction, IteratorType::reduction};
    Value added = valueAddedToOutput(op);
    if (op.getIteratorTypesArray() != expected || !added)
      return rewriter.notifyMatchFailure(op, "not a sum over the windows");

    // The windows' sum of TensorEmitter::scatterWindows for stride 1 and
    // dilation 1, windows visited from the last: columns read at (n,
    // OH-1-oh, OW-1-ow, c, kh, kw), the pixels at (n, c, OH-1-oh + kh,
    // OW-1-ow + kw). A fused epilogue adds operands read per window (n,
    // OH-1-oh, OW-1-ow), per kernel position (c, kh, kw) or once.
    SmallVector<int64_t> loops = op.getStaticLoopRanges();
    if (ShapedType::isDynamicShape(loops))
      return rewriter.notifyMatchFailure(op, "dynamic loops");
    int64_t n = loops[0], oh = loops[1], ow = loops[2], c = loops[3],
            kh = loops[4], kw = loops[5];
    MLIRContext *ctx = getContext();
    AffineExpr dn, dh, dw, dc, di, dj;
    bindDims(ctx, dn, dh, dw, dc, di, dj);
    AffineExpr row = (oh - 1) - dh, column = (ow - 1) - dw;
    AffineMap columnsMap =
        AffineMap::get(6, 0, {dn, row, column, dc, di, dj}, ctx);
    AffineMap windowMap = AffineMap::get(6, 0, {dn, row, column}, ctx);
    AffineMap positionMap = AffineMap::get(6, 0, {dc, di, dj}, ctx);
    AffineMap onceMap = AffineMap::get(6, 0, {}, ctx);
    AffineMap shapeMap = AffineMap::get(6, 0, {dh, dw}, ctx);
    AffineMap out = AffineMap::get(6, 0, {dn, dc, row + di, column + dj}, ctx);
    if (op.getMatchingIndexingMap(op.getDpsInitOperand(0)) != out)
      return rewriter.notifyMatchFailure(op, "not stride 1, dilation 1");
    ArrayRef<int64_t> pixels = outputType.getShape();
    if (pixels[0] != n || pixels[1] != c || pixels[2] < oh + kh - 1 ||
        pixels[3] < ow + kw - 1)
      return rewriter.notifyMatchFailure(op, "pixels do not fit the windows");
    enum class Reads { columns, window, position, once };
    SmallVector<std::pair<OpOperand *, Reads>> reads;
    for (OpOperand *input : op.getDpsInputOperands()) {
      AffineMap map = op.getMatchingIndexingMap(input);
      bool used = !op.getMatchingBlockArgument(input).use_empty();
      if (map == shapeMap && !used)
        continue;
      std::optional<Reads> kind;
      if (map == columnsMap)
        kind = Reads::columns;
      else if (map == windowMap)
        kind = Reads::window;
      else if (map == positionMap)
        kind = Reads::position;
      else if (map == onceMap)
        kind = Reads::once;
      if (!kind || !isDense(input->get(), map.getNumResults()))
        return rewriter.notifyMatchFailure(op, "an input read otherwise");
      reads.push_back({input, *kind});
    }
    if (llvm::none_of(reads, [](auto r) { return r.second == Reads::columns; }))
      return rewriter.notifyMatchFailure(op, "no columns");

    Location loc = op.getLoc();
    const int64_t lanes = kLanes;
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
    // Every input as one row (columns: a segment's windows are L rows of K
    // values); inputs read once as splats.
    IRMapping uniform;
    SmallVector<Value> flat;
    for (auto [input, kind] : reads) {
      Value buffer = input->get();
      auto type = cast<MemRefType>(buffer.getType());
      if (kind == Reads::once) {
        Value scalar = memref::LoadOp::create(rewriter, loc, buffer);
        uniform.map(op.getMatchingBlockArgument(input),
                    vector::BroadcastOp::create(
                        rewriter, loc,
                        VectorType::get({lanes}, type.getElementType()), scalar)
                        .getResult());
        flat.push_back({});
        continue;
      }
      ReassociationIndices all =
          llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()));
      flat.push_back(memref::CollapseShapeOp::create(
          rewriter, loc, buffer, ArrayRef<ReassociationIndices>{all}));
    }
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
      // The segment's first window in the flat windows, and its first value
      // in the flat columns.
      Value windowIndex =
          linearize(b, {sampleIndex, windowRow, first}, {n, oh, ow});
      Value base = arith::MulIOp::create(b, loc, windowIndex, cst(k));
      Value lastRow = arith::SubIOp::create(b, loc, count, c1);
      // L x L tiles of the segment's L x K values, transposed in registers
      // (lanes of missing windows and of columns past K are never stored
      // to pixels).
      scf::ForOp::create(
          b, loc, c0, cst(tiles), c1, {},
          [&](OpBuilder &b, Location, Value tile, ValueRange) {
            Value column = arith::MulIOp::create(b, loc, tile, cst(lanes));
            Value columns = vector::CreateMaskOp::create(
                b, loc, maskType,
                ValueRange{arith::SubIOp::create(b, loc, cst(k), column)});
            IRMapping tileLanes = uniform;
            for (auto [read, buffer] : llvm::zip(reads, flat)) {
              if (read.second != Reads::position)
                continue;
              auto type = VectorType::get(
                  {lanes}, cast<MemRefType>(buffer.getType()).getElementType());
              tileLanes.map(
                  op.getMatchingBlockArgument(read.first),
                  vector::MaskedLoadOp::create(
                      b, loc, type, buffer, ValueRange{column}, columns,
                      arith::ConstantOp::create(b, loc, b.getZeroAttr(type)))
                      .getResult());
            }
            SmallVector<Value> transposed = fqt::transposedRows16(
                b, loc,
                [&](int64_t i, Value rowMask) -> Value {
                  IRMapping rowLanes = tileLanes;
                  // A missing window reads the segment's last one.
                  Value window = arith::AddIOp::create(
                      b, loc, windowIndex,
                      arith::MinSIOp::create(b, loc, cst(i), lastRow));
                  Value offset = arith::AddIOp::create(
                      b, loc, base,
                      arith::AddIOp::create(b, loc, cst(i * k), column));
                  for (auto [read, buffer] : llvm::zip(reads, flat)) {
                    if (read.second != Reads::columns &&
                        read.second != Reads::window)
                      continue;
                    Type element =
                        cast<MemRefType>(buffer.getType()).getElementType();
                    auto type = VectorType::get({lanes}, element);
                    Value lanesOfRow =
                        read.second == Reads::columns
                            ? vector::MaskedLoadOp::create(
                                  b, loc, type, buffer, ValueRange{offset},
                                  rowMask,
                                  arith::ConstantOp::create(
                                      b, loc, b.getZeroAttr(type)))
                                  .getResult()
                            : vector::BroadcastOp::create(
                                  b, loc, type,
                                  memref::LoadOp::create(b, loc, buffer,
                                                         ValueRange{window}))
                                  .getResult();
                    rowLanes.map(op.getMatchingBlockArgument(read.first),
                                 lanesOfRow);
                  }
                  return vectorizeBody(b, loc, op.getBody(), added, lanes,
                                       rowLanes);
                },
                count, columns);
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
    fqt::buildIndependentLoops(
        rewriter, loc, ValueRange{c0}, ValueRange{cst(n)}, ValueRange{c1},
        parallel, [&](OpBuilder &b, ValueRange ivs) { sample(b, ivs[0]); });
    memref::DeallocOp::create(rewriter, loc, scratch);
    rewriter.eraseOp(op);
    return success();
  }

  bool parallel;
};

struct FQTVectorizeWindowSumsPass
    : fqt::impl::FQTVectorizeWindowSumsBase<FQTVectorizeWindowSumsPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<VectorizeWindowSum>(&getContext(), parallel);
    GreedyRewriteConfig config;
    config.setMaxIterations(1);
    (void)applyPatternsGreedily(getOperation(), std::move(patterns), config);
  }
};

} // namespace
