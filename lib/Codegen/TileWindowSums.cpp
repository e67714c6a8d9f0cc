//===- TileWindowSums.cpp - A windows' sum a group of samples at a time ---===//
//
// A convolution's data gradient is a product with one row per window,
// dcols[n * OH * OW, C * KH * KW] (i32 in integer mode), whose columns a
// windows' sum adds back into the pixels. Computed whole, the product is
// the step's largest temporary (14.5 MB for the bundled CNN at batch 128),
// written once and read once from memory: at that size the step's buffers
// outgrow the L3 cache. The sum's samples are independent (a sample's
// pixels only receive its own windows), and so are the product's rows:
// here the sum runs over groups of samples in an scf.for, each iteration
// computing the product rows (and the row sums of its operand) of its group
// into a scratch that stays in cache. Every element is computed by the same
// arithmetic in the same order: the same bits.
//
// Matched on tensors: a windows' sum (a linalg.generic whose output map
// mixes loops, first loop parallel over the samples) whose per-sample
// inputs are either read directly (sliced by sample) or through a
// tensor.expand_shape that splits the rows of a single-use linalg.generic
// whose inputs are read by row or not at all (the product, the row sums):
// that producer is recomputed per group on the group's rows.
//
//===----------------------------------------------------------------------===//

#include "fqt/Codegen/Passes.h"

#include "WindowSum.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace fqt {
#define GEN_PASS_DEF_FQTTILEWINDOWSUMS
#include "fqt/Codegen/Passes.h.inc"
} // namespace fqt

using namespace mlir;

namespace {

/// A producer recomputed per group of samples: a single-use linalg.generic
/// with one result, its first loop parallel and the result's first
/// dimension (its rows, n * rowsPerSample of them), every input either
/// indexed by that loop in its first dimension or not at all.
bool isRowwiseProducer(linalg::GenericOp producer) {
  if (!producer || producer->getNumResults() != 1 ||
      !producer->hasOneUse() || !producer.hasPureTensorSemantics() ||
      producer.getIteratorTypesArray().front() !=
          utils::IteratorType::parallel)
    return false;
  AffineExpr rows = getAffineDimExpr(0, producer.getContext());
  for (OpOperand &operand : producer->getOpOperands()) {
    AffineMap map = producer.getMatchingIndexingMap(&operand);
    if (!map.isProjectedPermutation())
      return false;
    bool byRow = map.getNumResults() > 0 && map.getResult(0) == rows;
    if (!byRow && map.isFunctionOfDim(0))
      return false;
    if (producer.isDpsInit(&operand) && !byRow)
      return false;
  }
  return true;
}

/// The windows' sum's operand for one group of samples.
struct GroupOperand {
  OpOperand *operand;
  /// Set when the operand is the rows of a producer split by an
  /// expand_shape: the producer is recomputed on the group's rows.
  tensor::ExpandShapeOp expand;
  linalg::GenericOp producer;
};

struct TileWindowSum : OpRewritePattern<linalg::GenericOp> {
  TileWindowSum(MLIRContext *ctx, int64_t groupBytes, int64_t minBytes)
      : OpRewritePattern(ctx), groupBytes(groupBytes), minBytes(minBytes) {}

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics() || op->getNumResults() != 1 ||
        op->getParentOfType<scf::ForOp>())
      return rewriter.notifyMatchFailure(op, "not a windows' sum on tensors");
    AffineExpr samples = rewriter.getAffineDimExpr(0);
    AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    if (!fqt::isWindowSum(op) || outMap.getNumResults() == 0 ||
        outMap.getResult(0) != samples ||
        op.getIteratorTypesArray().front() != utils::IteratorType::parallel)
      return rewriter.notifyMatchFailure(op, "not a windows' sum");
    if (!op.getBody()->getOps<linalg::IndexOp>().empty())
      return rewriter.notifyMatchFailure(op, "reads the iteration indices");
    SmallVector<int64_t> loops = op.getStaticLoopRanges();
    if (ShapedType::isDynamicShape(loops))
      return rewriter.notifyMatchFailure(op, "dynamic loops");
    int64_t n = loops[0];

    // The per-sample inputs; the largest recomputed producer sets the
    // group's size.
    SmallVector<GroupOperand> perSample;
    int64_t producerBytes = 0;
    for (OpOperand *input : op.getDpsInputOperands()) {
      AffineMap map = op.getMatchingIndexingMap(input);
      if (!map.isFunctionOfDim(0))
        continue;
      auto type = dyn_cast<RankedTensorType>(input->get().getType());
      if (!type || !type.hasStaticShape() || map.getResult(0) != samples)
        return rewriter.notifyMatchFailure(op, "an input mixes the samples");
      GroupOperand group{input, {}, {}};
      auto expand = input->get().getDefiningOp<tensor::ExpandShapeOp>();
      auto producer =
          expand ? expand.getSrc().getDefiningOp<linalg::GenericOp>()
                 : linalg::GenericOp();
      if (expand && expand->hasOneUse() && isRowwiseProducer(producer) &&
          expand.getReassociationIndices().front().front() == 0 &&
          expand.getResultType().getDimSize(0) == n) {
        group.expand = expand;
        group.producer = producer;
        auto result = cast<RankedTensorType>(producer->getResult(0).getType());
        producerBytes = std::max(producerBytes,
                                 result.getNumElements() *
                                     result.getElementTypeBitWidth() / 8);
      }
      perSample.push_back(group);
    }
    if (producerBytes < minBytes)
      return rewriter.notifyMatchFailure(op, "no large product to split");
    // The largest divisor of n whose group of the product fits groupBytes.
    int64_t perSampleBytes = producerBytes / n, size = 1;
    for (int64_t s = 1; s <= n; ++s)
      if (n % s == 0 && s * perSampleBytes <= groupBytes)
        size = s;
    if (size == n)
      return rewriter.notifyMatchFailure(op, "one group");

    Location loc = op.getLoc();
    auto cst = [&](OpBuilder &b, int64_t v) {
      return arith::ConstantIndexOp::create(b, loc, v).getResult();
    };
    // Offsets, sizes and strides of `count` of the first dimension of a
    // tensor of `type` from `first`, the others whole.
    struct Range {
      SmallVector<OpFoldResult> offsets, sizes, strides;
    };
    auto firstDim = [&](OpBuilder &b, Value tensor, Value first,
                        int64_t count) {
      auto type = cast<RankedTensorType>(tensor.getType());
      Range range{SmallVector<OpFoldResult>(type.getRank(), b.getIndexAttr(0)),
                  {},
                  SmallVector<OpFoldResult>(type.getRank(), b.getIndexAttr(1))};
      range.offsets[0] = first;
      for (int64_t d = 0; d < type.getRank(); ++d)
        range.sizes.push_back(
            b.getIndexAttr(d == 0 ? count : type.getDimSize(d)));
      return range;
    };
    auto slice = [&](OpBuilder &b, Value tensor, Value first, int64_t count) {
      Range range = firstDim(b, tensor, first, count);
      return tensor::ExtractSliceOp::create(b, loc, tensor, range.offsets,
                                            range.sizes, range.strides)
          .getResult();
    };

    Value init = op.getDpsInits()[0];
    auto loop = scf::ForOp::create(
        rewriter, loc, cst(rewriter, 0), cst(rewriter, n),
        cst(rewriter, size), ValueRange{init},
        [&](OpBuilder &b, Location, Value group, ValueRange iterArgs) {
          IRMapping operands;
          for (GroupOperand &input : perSample) {
            if (!input.producer) {
              operands.map(input.operand->get(),
                           slice(b, input.operand->get(), group, size));
              continue;
            }
            // The producer on the group's rows: row-indexed operands
            // sliced, its init a fresh tensor of the group's rows.
            linalg::GenericOp producer = input.producer;
            auto rowsType =
                cast<RankedTensorType>(producer->getResult(0).getType());
            int64_t rowsPerSample = rowsType.getDimSize(0) / n;
            Value firstRow = arith::MulIOp::create(b, loc, group,
                                                   cst(b, rowsPerSample));
            SmallVector<Value> ins, outs;
            for (OpOperand *in : producer.getDpsInputOperands()) {
              AffineMap map = producer.getMatchingIndexingMap(in);
              ins.push_back(map.isFunctionOfDim(0)
                                ? slice(b, in->get(), firstRow,
                                        size * rowsPerSample)
                                : in->get());
            }
            for (OpOperand &out : producer.getDpsInitsMutable()) {
              Value whole = out.get();
              // A fill of an empty tensor is made again at the group's
              // size, so that nothing of the whole remains.
              if (auto fill = whole.getDefiningOp<linalg::FillOp>();
                  fill && fill.getOutputs()[0]
                              .getDefiningOp<tensor::EmptyOp>()) {
                auto type = cast<RankedTensorType>(whole.getType());
                SmallVector<int64_t> shape(type.getShape());
                shape[0] = size * rowsPerSample;
                Value empty = tensor::EmptyOp::create(
                    b, loc, shape, type.getElementType());
                outs.push_back(linalg::FillOp::create(
                                   b, loc, fill.getInputs()[0], empty)
                                   .getResult(0));
                continue;
              }
              outs.push_back(slice(b, whole, firstRow, size * rowsPerSample));
            }
            llvm::append_range(ins, outs);
            auto rows = clone(b, producer, TypeRange{outs[0].getType()}, ins);
            SmallVector<int64_t> expanded(
                input.expand.getResultType().getShape());
            expanded[0] = size;
            operands.map(input.operand->get(),
                         tensor::ExpandShapeOp::create(
                             b, loc,
                             RankedTensorType::get(
                                 expanded,
                                 input.expand.getResultType().getElementType()),
                             rows.getResult(0),
                             input.expand.getReassociationIndices())
                             .getResult());
          }
          SmallVector<Value> groupOperands;
          for (Value in : op.getDpsInputs())
            groupOperands.push_back(operands.lookupOrDefault(in));
          Value out = slice(b, iterArgs[0], group, size);
          groupOperands.push_back(out);
          auto groupSum = clone(b, op, TypeRange{out.getType()}, groupOperands);
          Range range = firstDim(b, iterArgs[0], group, size);
          Value next = tensor::InsertSliceOp::create(
              b, loc, groupSum.getResult(0), iterArgs[0], range.offsets,
              range.sizes, range.strides);
          scf::YieldOp::create(b, loc, next);
        });
    rewriter.replaceOp(op, loop.getResults());
    for (GroupOperand &input : perSample)
      if (input.producer) {
        rewriter.eraseOp(input.expand);
        rewriter.eraseOp(input.producer);
      }
    return success();
  }

  int64_t groupBytes;
  int64_t minBytes;
};

struct FQTTileWindowSumsPass
    : fqt::impl::FQTTileWindowSumsBase<FQTTileWindowSumsPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<TileWindowSum>(&getContext(), groupBytes, minBytes);
    GreedyRewriteConfig config;
    config.setMaxIterations(1);
    (void)applyPatternsGreedily(getOperation(), std::move(patterns), config);
  }
};

} // namespace
