//===- EmulateAmx.cpp - AMX tile ops as vector code, for testing ----------===//
//
// Most machines have no AMX, and no AMX kernel may run there: the kernels
// of --fqt-amx-kernels are tested by running their tile ops as plain code
// instead. A tile becomes the 1-d vector of its elements, row after row;
// loads and stores become vector loads and stores of the rows the
// instruction would read or write (the implicit stride is that of the
// buffer's second innermost dimension, as in the instruction); a tile
// product becomes the contraction it performs,
//
//   acc[m][n] += sum_{g < K/4} sum_{j < 4}
//                ext(lhs[m][4g + j]) * ext(rhs[g][4n + j])
//
// as scalar loops over the tile vectors, in i32. The run-time check of the AMX
// kernels answers true: emulated tiles need no permission. What this cannot
// test is LLVM's tile configuration, which only AMX hardware runs.
//
//===----------------------------------------------------------------------===//

#include "fqt/Codegen/Passes.h"

#include "mlir/Dialect/AMX/AMXDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/DialectConversion.h"

namespace fqt {
#define GEN_PASS_DEF_FQTEMULATEAMX
#include "fqt/Codegen/Passes.h.inc"
} // namespace fqt

using namespace mlir;

namespace {

/// A tile as a value: the vector of its elements, row after row (1-d, so
/// that loops can carry it through LLVM's conversion).
VectorType vectorOf(amx::TileType tile) {
  return VectorType::get({tile.getShape()[0] * tile.getShape()[1]},
                         tile.getElementType());
}

struct EmulateTileZero : OpConversionPattern<amx::TileZeroOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(amx::TileZeroOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    VectorType type = vectorOf(op.getTileType());
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, type,
                                                   rewriter.getZeroAttr(type));
    return success();
  }
};

/// The indices of row R of a tile at INDICES: the second innermost one
/// moves by R (the instruction's implicit stride).
SmallVector<Value> rowIndices(OpBuilder &b, Location loc, ValueRange indices,
                              int64_t r) {
  SmallVector<Value> row(indices.begin(), indices.end());
  Value &index = row[row.size() - 2];
  index = arith::AddIOp::create(b, loc, index,
                                arith::ConstantIndexOp::create(b, loc, r));
  return row;
}

struct EmulateTileLoad : OpConversionPattern<amx::TileLoadOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(amx::TileLoadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (op.getStride())
      return rewriter.notifyMatchFailure(op, "explicit stride");
    Location loc = op.getLoc();
    ArrayRef<int64_t> shape = op.getTileType().getShape();
    Type elt = op.getTileType().getElementType();
    VectorType type = vectorOf(op.getTileType());
    auto rowType = VectorType::get({shape[1]}, elt);
    Value tile =
        arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(type));
    for (int64_t r = 0; r < shape[0]; ++r) {
      Value row = vector::LoadOp::create(
          rewriter, loc, rowType, adaptor.getBase(),
          rowIndices(rewriter, loc, adaptor.getIndices(), r));
      tile = vector::InsertStridedSliceOp::create(
          rewriter, loc, row, tile, ArrayRef<int64_t>{r * shape[1]},
          ArrayRef<int64_t>{1});
    }
    rewriter.replaceOp(op, tile);
    return success();
  }
};

struct EmulateTileStore : OpConversionPattern<amx::TileStoreOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(amx::TileStoreOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (op.getStride())
      return rewriter.notifyMatchFailure(op, "explicit stride");
    Location loc = op.getLoc();
    ArrayRef<int64_t> shape = op.getTileType().getShape();
    for (int64_t r = 0; r < shape[0]; ++r) {
      Value row = vector::ExtractStridedSliceOp::create(
          rewriter, loc, adaptor.getVal(), ArrayRef<int64_t>{r * shape[1]},
          ArrayRef<int64_t>{shape[1]}, ArrayRef<int64_t>{1});
      vector::StoreOp::create(
          rewriter, loc, row, adaptor.getBase(),
          rowIndices(rewriter, loc, adaptor.getIndices(), r));
    }
    rewriter.eraseOp(op);
    return success();
  }
};

struct EmulateTileMulI : OpConversionPattern<amx::TileMulIOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(amx::TileMulIOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto lhsShape = op.getLhsTileType().getShape();
    auto rhsShape = op.getRhsTileType().getShape();
    int64_t rows = lhsShape[0], groups = lhsShape[1] / 4,
            cols = op.getTileType().getShape()[1];
    if (rhsShape[0] != groups || rhsShape[1] != cols * 4)
      return rewriter.notifyMatchFailure(op, "shapes do not multiply");
    Type i32 = rewriter.getI32Type();
    bool zextLhs = op.getIsZextLhs(), zextRhs = op.getIsZextRhs();

    // Loops over the elements of the (1-d) tile vectors, in registers (no
    // scratch memory, which loops and threads would have to share):
    //   res[m cols + n] = acc[m cols + n]
    //     + sum_q ext(lhs[m depth + q]) ext(rhs[(q/4) 4cols + 4n + q%4])
    int64_t depth = lhsShape[1];
    auto idx = [&](OpBuilder &b, int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    auto ext = [&](OpBuilder &b, Value v, bool zext) -> Value {
      if (zext)
        return arith::ExtUIOp::create(b, loc, i32, v);
      return arith::ExtSIOp::create(b, loc, i32, v);
    };
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    auto perRow = scf::ForOp::create(
        rewriter, loc, idx(rewriter, 0), idx(rewriter, rows), idx(rewriter, 1),
        ValueRange{adaptor.getAcc()},
        [&](OpBuilder &b, Location, Value m, ValueRange rowAcc) {
          auto perCol = scf::ForOp::create(
              b, loc, idx(b, 0), idx(b, cols), idx(b, 1), rowAcc,
              [&](OpBuilder &b, Location, Value n, ValueRange colAcc) {
                Value at = arith::AddIOp::create(
                    b, loc, arith::MulIOp::create(b, loc, m, idx(b, cols)), n);
                Value start = vector::ExtractOp::create(b, loc, colAcc[0],
                                                        OpFoldResult(at));
                auto dot = scf::ForOp::create(
                    b, loc, idx(b, 0), idx(b, depth), idx(b, 1),
                    ValueRange{start},
                    [&](OpBuilder &b, Location, Value q, ValueRange sum) {
                      Value l = vector::ExtractOp::create(
                          b, loc, lhs,
                          OpFoldResult(arith::AddIOp::create(
                              b, loc,
                              arith::MulIOp::create(b, loc, m, idx(b, depth)),
                              q)));
                      Value group =
                          arith::DivUIOp::create(b, loc, q, idx(b, 4));
                      Value lane = arith::RemUIOp::create(b, loc, q, idx(b, 4));
                      Value r = vector::ExtractOp::create(
                          b, loc, rhs,
                          OpFoldResult(arith::AddIOp::create(
                              b, loc,
                              arith::MulIOp::create(b, loc, group,
                                                    idx(b, 4 * cols)),
                              arith::AddIOp::create(
                                  b, loc,
                                  arith::MulIOp::create(b, loc, n, idx(b, 4)),
                                  lane))));
                      Value product = arith::MulIOp::create(
                          b, loc, ext(b, l, zextLhs), ext(b, r, zextRhs));
                      scf::YieldOp::create(b, loc,
                                           ValueRange{arith::AddIOp::create(
                                               b, loc, sum[0], product)});
                    });
                Value updated = vector::InsertOp::create(
                    b, loc, dot.getResult(0), colAcc[0], OpFoldResult(at));
                scf::YieldOp::create(b, loc, ValueRange{updated});
              });
          scf::YieldOp::create(b, loc, perCol.getResults());
        });
    rewriter.replaceOp(op, perRow.getResults());
    return success();
  }
};

/// The AMX kernels' run-time check: true.
struct EmulateGate : OpRewritePattern<func::CallOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(func::CallOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getCallee() != fqt::kAmxGateName)
      return failure();
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op,
                                                   rewriter.getBoolAttr(true));
    return success();
  }
};

struct FQTEmulateAmxPass : fqt::impl::FQTEmulateAmxBase<FQTEmulateAmxPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    TypeConverter types;
    types.addConversion([](Type type) { return type; });
    types.addConversion(
        [](amx::TileType tile) -> Type { return vectorOf(tile); });

    ConversionTarget target(*ctx);
    target.addIllegalDialect<amx::AMXDialect>();
    target.addDynamicallyLegalOp<func::CallOp>([](func::CallOp call) {
      return call.getCallee() != fqt::kAmxGateName;
    });
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(ctx);
    patterns.add<EmulateTileZero, EmulateTileLoad, EmulateTileStore,
                 EmulateTileMulI>(types, ctx);
    patterns.add<EmulateGate>(ctx);
    scf::populateSCFStructuralTypeConversionsAndLegality(types, patterns,
                                                         target);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
