//===- LowerDequantize.cpp - fqt.dequantize to linalg ---------------------===//
//
// code * scale + offset, elementwise, with scale and offset broadcast along
// the quantizer's granularity; then the inverse BHQ transform on the rows
// (on the row groups, see RowGroups.h), or the inverse Hadamard transform
// on the blocks of an #fqt.rht.
//
//===----------------------------------------------------------------------===//

#include "fqt/Conversion/BlockViews.h"
#include "fqt/Conversion/Passes.h"
#include "fqt/Conversion/RowGroups.h"

#include "FQT/FQTOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Utils/Utils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace fqt {
#define GEN_PASS_DEF_FQTLOWERDEQUANTIZE
#include "fqt/Conversion/Passes.h.inc"
} // namespace fqt

using namespace mlir;
using namespace fqt;

namespace {

/// The indexing map that broadcasts a scale of `granularity` over a tensor
/// of rank `rank`; a row scale covers `rowsPerScale` consecutive rows (more
/// than one for row groups).
static AffineMap scaleMap(QuantizerAttrInterface quantizer, unsigned rank,
                          int64_t rowsPerScale, MLIRContext *ctx) {
  switch (quantizer.getGranularity()) {
  case Granularity::row:
    return AffineMap::get(rank, 0,
                          getAffineDimExpr(0, ctx).floorDiv(rowsPerScale), ctx);
  case Granularity::column: {
    SmallVector<AffineExpr> dims;
    for (unsigned d = 1; d < rank; ++d)
      dims.push_back(getAffineDimExpr(d, ctx));
    return AffineMap::get(rank, 0, dims, ctx);
  }
  case Granularity::block: {
    SmallVector<AffineExpr> dims;
    for (unsigned d = 0; d < rank; ++d)
      dims.push_back(
          static_cast<int64_t>(d) == quantizer.getBlockAxis()
              ? getAffineDimExpr(d, ctx).floorDiv(quantizer.getBlockSize())
              : getAffineDimExpr(d, ctx));
    return AffineMap::get(rank, 0, dims, ctx);
  }
  case Granularity::tensor:
  case Granularity::none:
    break;
  }
  return AffineMap::get(rank, 0, {}, ctx);
}

struct LowerDequantize : OpRewritePattern<DequantizeOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(DequantizeOp op,
                                PatternRewriter &rewriter) const override {
    QuantizerAttrInterface quantizer = op.getQuantizer();
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    RankedTensorType resultType = op.getResult().getType();
    unsigned rank = resultType.getRank();

    SmallVector<Value> inputs = {op.getCodes(), op.getScale()};
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    AffineMap broadcast =
        scaleMap(quantizer, rank,
                 rowsPerScale(quantizer, op.getCodes().getType(),
                              cast<RankedTensorType>(op.getScale().getType())),
                 ctx);
    SmallVector<AffineMap> maps = {identity, broadcast};
    if (op.getOffset()) {
      inputs.push_back(op.getOffset());
      maps.push_back(broadcast);
    }
    maps.push_back(identity);

    Value empty = tensor::EmptyOp::create(
        rewriter, loc, resultType.getShape(), rewriter.getF32Type(),
        tensor::createDynamicDimValues(rewriter, loc, op.getCodes()));
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    bool isSigned = quantizer.isSymmetric();
    bool hasOffset = op.getOffset() != nullptr;
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{resultType}, inputs, ValueRange{empty}, maps,
        iterators, [&](OpBuilder &b, Location nested, ValueRange args) {
          Type f32 = b.getF32Type();
          // Unsigned codes of asymmetric quantizers use the full 2^bits
          // range, which a signed conversion of an 8-bit code would break.
          Value code =
              isSigned
                  ? arith::SIToFPOp::create(b, nested, f32, args[0]).getResult()
                  : arith::UIToFPOp::create(b, nested, f32, args[0])
                        .getResult();
          Value value = arith::MulFOp::create(b, nested, code, args[1]);
          if (hasOffset)
            value = arith::AddFOp::create(b, nested, value, args[2]);
          linalg::YieldOp::create(b, nested, value);
        });
    Value result = generic.getResult(0);
    if (auto rht = dyn_cast<RHTAttr>(quantizer)) {
      // The values of T x; T^T = D H / sqrt(size) takes them back.
      Value view = splitBlocks(rewriter, loc, result, rht.getAxis(),
                               rht.getSize());
      view = applyHadamard(rewriter, loc, view, rht.getAxis() + 1,
                           op.getTransform(), /*inverse=*/true);
      result = mergeBlocks(rewriter, loc, view, rht.getAxis(), result);
    } else if (Value transform = op.getTransform()) {
      result = applyRowTransform(rewriter, loc, transform, result);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct FQTLowerDequantizePass
    : fqt::impl::FQTLowerDequantizeBase<FQTLowerDequantizePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateLowerDequantizePatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void fqt::populateLowerDequantizePatterns(RewritePatternSet &patterns) {
  patterns.add<LowerDequantize>(patterns.getContext());
}
