//===- VectorizeTransposes.cpp - Layout transposes as 16x16 vector tiles --===//
//
// A convolution's input moves between NCHW and NHWC around its im2col
// (`linalg.transpose` with permutation [0, 2, 3, 1] or [0, 3, 1, 2]).
// linalg's loops read one of the two layouts with a stride of a whole
// plane per element (5 % of the bundled CNN's step). Both are a batch of
// 2-d transposes, [B][R][C] -> [B][C][R] once the dimensions on either side
// are collapsed; each 16 x 16 tile is 16 row loads, 64 shuffles
// (fqt::transpose16) and 16 row stores, masked at the edges.
//
//===----------------------------------------------------------------------===//

#include "fqt/Codegen/Passes.h"

#include "IndependentLoops.h"
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
#define GEN_PASS_DEF_FQTVECTORIZETRANSPOSES
#include "fqt/Codegen/Passes.h.inc"
} // namespace fqt

using namespace mlir;

namespace {

/// For a permutation [0 .. a-1, s .. r-1, a .. s-1] (the dimensions a .. s-1
/// moved behind s .. r-1), the split points (a, s); none otherwise.
std::optional<std::pair<int64_t, int64_t>>
matchBlockRotation(ArrayRef<int64_t> perm) {
  int64_t r = perm.size(), a = 0;
  while (a < r && perm[a] == a)
    ++a;
  if (a == 0 || a >= r - 1)
    return std::nullopt;
  int64_t s = perm[a];
  if (s <= a)
    return std::nullopt;
  for (int64_t k = 0; k < r - s; ++k)
    if (perm[a + k] != s + k)
      return std::nullopt;
  for (int64_t k = 0; k < s - a; ++k)
    if (perm[a + (r - s) + k] != a + k)
      return std::nullopt;
  return std::make_pair(a, s);
}

struct VectorizeBlockTranspose : OpRewritePattern<linalg::TransposeOp> {
  VectorizeBlockTranspose(MLIRContext *ctx, bool parallel)
      : OpRewritePattern(ctx), parallel(parallel) {}

  LogicalResult matchAndRewrite(linalg::TransposeOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "not on buffers");
    auto inType = cast<MemRefType>(op.getInput().getType());
    auto outType = cast<MemRefType>(op.getInit().getType());
    if (!inType.getLayout().isIdentity() || !outType.getLayout().isIdentity())
      return rewriter.notifyMatchFailure(op, "not contiguous buffers");
    Type elt = inType.getElementType();
    if (elt.getIntOrFloatBitWidth() != 32 || elt.isInteger(4))
      return rewriter.notifyMatchFailure(op, "not 32-bit elements");
    auto split = matchBlockRotation(op.getPermutation());
    if (!split)
      return rewriter.notifyMatchFailure(op, "not a batch of 2-d transposes");
    auto [a, s] = *split;
    int64_t r = inType.getRank();
    auto range = [](int64_t lo, int64_t hi) {
      ReassociationIndices group;
      for (int64_t i = lo; i < hi; ++i)
        group.push_back(i);
      return group;
    };
    Location loc = op.getLoc();
    // in [B][R][C], out [B][C][R].
    Value in = memref::CollapseShapeOp::create(
        rewriter, loc, op.getInput(),
        ArrayRef<ReassociationIndices>{range(0, a), range(a, s), range(s, r)});
    Value out = memref::CollapseShapeOp::create(
        rewriter, loc, op.getInit(),
        ArrayRef<ReassociationIndices>{range(0, a), range(a, a + r - s),
                                       range(a + r - s, r)});
    auto cst = [&](int64_t v) {
      return arith::ConstantIndexOp::create(rewriter, loc, v).getResult();
    };
    Value c0 = cst(0), c1 = cst(1), c16 = cst(16);
    Value batch = memref::DimOp::create(rewriter, loc, in, 0);
    Value rows = memref::DimOp::create(rewriter, loc, in, 1);
    Value cols = memref::DimOp::create(rewriter, loc, in, 2);
    auto vecType = VectorType::get({16}, elt);
    Value zero =
        arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(vecType));

    auto tile = [&](OpBuilder &b, Value bi, Value r0, Value k0) {
      auto minIdx = [&](Value x, Value y) {
        return arith::MinSIOp::create(b, loc, x, y).getResult();
      };
      // A line i of the tile: `count` elements when the line lies inside
      // (i < `lines`), none past the edge; its index clamped into range.
      auto line = [&](int64_t i, Value lines, Value count, Value last,
                      Value base) {
        Value inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt,
                                             lines, cst(i));
        Value n = arith::SelectOp::create(b, loc, inside, count, c0);
        Value mask = vector::CreateMaskOp::create(
            b, loc, VectorType::get({16}, b.getI1Type()), ValueRange{n});
        Value index = minIdx(arith::AddIOp::create(b, loc, base, cst(i)), last);
        return std::make_pair(mask, index);
      };
      Value rowsLeft = arith::SubIOp::create(b, loc, rows, r0);
      Value colsLeft = arith::SubIOp::create(b, loc, cols, k0);
      Value lastRow = arith::SubIOp::create(b, loc, rows, c1);
      Value lastCol = arith::SubIOp::create(b, loc, cols, c1);
      SmallVector<Value> loaded;
      for (int64_t i = 0; i < 16; ++i) {
        auto [mask, row] =
            line(i, rowsLeft, minIdx(colsLeft, c16), lastRow, r0);
        loaded.push_back(vector::MaskedLoadOp::create(
            b, loc, vecType, in, ValueRange{bi, row, k0}, mask, zero));
      }
      SmallVector<Value> flipped = fqt::transpose16(b, loc, loaded);
      for (int64_t j = 0; j < 16; ++j) {
        auto [mask, col] =
            line(j, colsLeft, minIdx(rowsLeft, c16), lastCol, k0);
        vector::MaskedStoreOp::create(b, loc, out, ValueRange{bi, col, r0},
                                      mask, flipped[j]);
      }
    };
    auto perBatch = [&](OpBuilder &b, Value bi) {
      scf::buildLoopNest(b, loc, ValueRange{c0, c0}, ValueRange{rows, cols},
                         ValueRange{c16, c16},
                         [&](OpBuilder &b, Location, ValueRange ivs) {
                           tile(b, bi, ivs[0], ivs[1]);
                         });
    };
    fqt::buildIndependentLoops(
        rewriter, loc, ValueRange{c0}, ValueRange{batch}, ValueRange{c1},
        parallel, [&](OpBuilder &b, ValueRange ivs) { perBatch(b, ivs[0]); });
    rewriter.eraseOp(op);
    return success();
  }

  bool parallel;
};

struct FQTVectorizeTransposesPass
    : fqt::impl::FQTVectorizeTransposesBase<FQTVectorizeTransposesPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<VectorizeBlockTranspose>(&getContext(), parallel);
    GreedyRewriteConfig config;
    config.setMaxIterations(1);
    (void)applyPatternsGreedily(getOperation(), std::move(patterns), config);
  }
};

} // namespace
