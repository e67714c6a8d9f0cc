//===- SimulateQMatmul.cpp - qmatmul as dequantize + float matmul ---------===//
//
// The `simulate` semantics of a quantized product: dequantize both operands
// and multiply in f32. This is what the papers' reference code computes, and
// the reference the integer lowering is checked against.
//
//===----------------------------------------------------------------------===//

#include "fqt/Conversion/Passes.h"

#include "FQT/FQTOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace fqt {
#define GEN_PASS_DEF_FQTSIMULATEQMATMUL
#include "fqt/Conversion/Passes.h.inc"
} // namespace fqt

using namespace mlir;
using namespace fqt;

namespace {

/// Dequantizes one stored operand of a qmatmul to f32.
static Value dequantizeOperand(PatternRewriter &rewriter, Location loc,
                               Value codes, Value scale, Value offset,
                               Value transform,
                               QuantizerAttrInterface quantizer) {
  auto codesType = cast<RankedTensorType>(codes.getType());
  auto floatType = codesType.clone(rewriter.getF32Type());
  // Both operands of an #fqt.rht product are in the transformed domain,
  // where the product is the same: their values are those of the blocks.
  if (auto rht = dyn_cast<RHTAttr>(quantizer))
    quantizer = cast<QuantizerAttrInterface>(
        BlockAttr::get(rewriter.getContext(), rht.getBits(), rht.getSize(),
                       rht.getAxis(), rht.getRounding()));
  return DequantizeOp::create(rewriter, loc, floatType, codes, scale, offset,
                              transform, quantizer);
}

/// Dynamic sizes of `value` at the dimensions `dims` of its type, for
/// tensor.empty.
static SmallVector<Value>
dynamicSizes(OpBuilder &b, Location loc, RankedTensorType type,
             ArrayRef<std::pair<Value, int64_t>> src) {
  SmallVector<Value> sizes;
  for (auto [i, source] : llvm::enumerate(src))
    if (type.isDynamicDim(i))
      sizes.push_back(
          tensor::DimOp::create(b, loc, source.first, source.second));
  return sizes;
}

struct SimulateQMatmul : OpRewritePattern<QMatmulOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(QMatmulOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value lhs = dequantizeOperand(rewriter, loc, op.getLhs(), op.getLhsScale(),
                                  op.getLhsOffset(), op.getLhsTransform(),
                                  op.getLhsQuantizer());
    Value rhs = dequantizeOperand(rewriter, loc, op.getRhs(), op.getRhsScale(),
                                  op.getRhsOffset(), /*transform=*/Value(),
                                  op.getRhsQuantizer());

    RankedTensorType resultType = op.getResult().getType();
    // Result dim 0 is lhs dim 0 (or 1 if transposed), dim 1 is rhs dim 1 (or
    // 0 if transposed).
    SmallVector<Value> sizes =
        dynamicSizes(rewriter, loc, resultType,
                     {{lhs, op.getTransposeLhs() ? 1 : 0},
                      {rhs, op.getTransposeRhs() ? 0 : 1}});
    Value empty = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                          rewriter.getF32Type(), sizes);
    Value zero = arith::ConstantOp::create(rewriter, loc,
                                           rewriter.getF32FloatAttr(0.0f));
    Value init =
        linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);

    // (m, n, k) iteration space; transposes are expressed in the maps.
    MLIRContext *ctx = rewriter.getContext();
    AffineExpr m, n, k;
    bindDims(ctx, m, n, k);
    auto map = [&](AffineExpr a, AffineExpr b) {
      return AffineMap::get(3, 0, {a, b}, ctx);
    };
    SmallVector<Attribute> maps = {
        AffineMapAttr::get(op.getTransposeLhs() ? map(k, m) : map(m, k)),
        AffineMapAttr::get(op.getTransposeRhs() ? map(n, k) : map(k, n)),
        AffineMapAttr::get(map(m, n))};
    auto matmul = linalg::MatmulOp::create(
        rewriter, loc, TypeRange{resultType}, ValueRange{lhs, rhs},
        ValueRange{init},
        {rewriter.getNamedAttr("indexing_maps", rewriter.getArrayAttr(maps))});
    rewriter.replaceOp(op, matmul.getResult(0));
    return success();
  }
};

struct FQTSimulateQMatmulPass
    : fqt::impl::FQTSimulateQMatmulBase<FQTSimulateQMatmulPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateSimulateQMatmulPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void fqt::populateSimulateQMatmulPatterns(RewritePatternSet &patterns) {
  patterns.add<SimulateQMatmul>(patterns.getContext());
}
