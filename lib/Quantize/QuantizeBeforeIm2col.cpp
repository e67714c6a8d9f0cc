//===- QuantizeBeforeIm2col.cpp - Quantize a convolution's input once -----===//
//
// A convolution is a product through im2col: the padded input is gathered
// into a [N*OH*OW, C*KH*KW] matrix, and the forward quantizer of the
// product's operand quantized that matrix, which holds every input element
// KH*KW times (9 times for a 3x3 kernel). A per-tensor quantizer with
// nearest rounding maps each element on its own, by a range that only
// depends on the set of values; where the gather reads every element of the
// padded input, that set is the padded input's. So the padded input is
// quantized instead and the codes are gathered: the same codes, scale and
// offset, from a ninth of the range reduction and of the rounding, and an
// im2col of bytes instead of floats.
//
//===----------------------------------------------------------------------===//

#include "fqt/Quantize/Passes.h"

#include "FQT/FQTOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace fqt {
#define GEN_PASS_DEF_FQTQUANTIZEBEFOREIM2COL
#include "fqt/Quantize/Passes.h.inc"
} // namespace fqt

using namespace mlir;
using namespace fqt;

namespace {

/// Whether GATHER is a pure gather (one input, every loop parallel, the
/// body yields the input element) that reads every element of its input:
/// each input dimension indexed by one loop of the input's extent, or by
/// the sum of two loops whose extents cover it (a window of stride and
/// dilation 1 sliding over all positions).
bool isCoveringGather(linalg::GenericOp gather) {
  if (gather.getNumDpsInputs() != 1 || gather.getNumDpsInits() != 1 ||
      gather.getNumParallelLoops() != gather.getNumLoops())
    return false;
  Block &body = gather.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (body.getOperations().size() != 1 ||
      yield.getValues().front() != body.getArgument(0))
    return false;
  auto inputType =
      dyn_cast<RankedTensorType>(gather.getDpsInputOperand(0)->get().getType());
  if (!inputType || !inputType.hasStaticShape())
    return false;
  SmallVector<int64_t> loops = gather.getStaticLoopRanges();
  AffineMap map = gather.getMatchingIndexingMap(gather.getDpsInputOperand(0));
  auto extent = [&](AffineExpr e) -> int64_t {
    auto dim = dyn_cast<AffineDimExpr>(e);
    return dim ? loops[dim.getPosition()] : ShapedType::kDynamic;
  };
  for (auto [expr, size] : llvm::zip(map.getResults(), inputType.getShape())) {
    int64_t covered = extent(expr);
    if (auto sum = dyn_cast<AffineBinaryOpExpr>(expr);
        sum && sum.getKind() == AffineExprKind::Add) {
      int64_t a = extent(sum.getLHS()), b = extent(sum.getRHS());
      covered = ShapedType::isDynamic(a) || ShapedType::isDynamic(b)
                    ? ShapedType::kDynamic
                    : a + b - 1;
    }
    if (covered != size)
      return false;
  }
  return true;
}

/// fqt.quantize(expand(collapse(gather(X)))) with a per-tensor quantizer
/// that rounds to nearest -> expand(collapse(gather(codes of X))).
struct QuantizeBeforeGather : OpRewritePattern<QuantizeOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    QuantizerAttrInterface quantizer = op.getQuantizer();
    if (quantizer.getGranularity() != Granularity::tensor ||
        quantizer.getRounding() != Rounding::nearest || op.getSeed() ||
        op.getGamma() || op.getTransform())
      return rewriter.notifyMatchFailure(op, "not per tensor and nearest");
    auto expand = op.getInput().getDefiningOp<tensor::ExpandShapeOp>();
    auto collapse =
        expand ? expand.getSrc().getDefiningOp<tensor::CollapseShapeOp>()
               : nullptr;
    auto gather =
        collapse ? collapse.getSrc().getDefiningOp<linalg::GenericOp>()
                 : nullptr;
    if (!gather || !isCoveringGather(gather))
      return rewriter.notifyMatchFailure(op, "input is not an im2col gather");

    Location loc = op.getLoc();
    Type codeElement = op.getCodes().getType().getElementType();
    Value source = gather.getDpsInputOperand(0)->get();
    auto sourceType = cast<RankedTensorType>(source.getType());

    // The source quantized: a copy of the op on it.
    auto sourceQuantize = cast<QuantizeOp>(rewriter.clone(*op));
    sourceQuantize->setOperand(0, source);
    sourceQuantize.getCodes().setType(sourceType.clone(codeElement));

    // The codes gathered as the floats were.
    auto gatheredType =
        cast<RankedTensorType>(gather.getResult(0).getType()).clone(codeElement);
    Value init = tensor::EmptyOp::create(rewriter, loc, gatheredType.getShape(),
                                         codeElement);
    auto codeGather = linalg::GenericOp::create(
        rewriter, loc, TypeRange{gatheredType},
        ValueRange{sourceQuantize.getCodes()}, ValueRange{init},
        gather.getIndexingMapsArray(), gather.getIteratorTypesArray(),
        [](OpBuilder &b, Location l, ValueRange args) {
          linalg::YieldOp::create(b, l, args[0]);
        });
    Value collapsed = tensor::CollapseShapeOp::create(
        rewriter, loc, codeGather.getResult(0),
        collapse.getReassociationIndices());
    Value codes = tensor::ExpandShapeOp::create(
        rewriter, loc, op.getCodes().getType(), collapsed,
        expand.getReassociationIndices());

    SmallVector<Value> results = {codes, sourceQuantize.getScale()};
    if (Value offset = sourceQuantize.getOffset())
      results.push_back(offset);
    rewriter.replaceOp(op, results);
    return success();
  }
};

struct FQTQuantizeBeforeIm2colPass
    : fqt::impl::FQTQuantizeBeforeIm2colBase<FQTQuantizeBeforeIm2colPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<QuantizeBeforeGather>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
