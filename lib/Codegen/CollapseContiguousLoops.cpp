//===- CollapseContiguousLoops.cpp - One loop per contiguous run ----------===//
//
// The structured ops left for linalg's loops (elementwise maps, fills,
// reductions) iterate over the tensors' own dimensions: a 28-wide image
// row, 16 channels. LLVM fully unrolls such a short innermost loop before
// its loop vectorizer runs and then vectorizes the next loop out, whose
// accesses are strided: gathers and scatters (the bundled CNN's bias + ReLU
// over 64x16x28x28 ran at 0.5 ns per value, a fill of 64x14x14x16 with 448
// scatters). Where consecutive loops walk every operand contiguously they
// are one loop in disguise; as one they are long enough to vectorize with
// plain loads and stores.
//
// Merging loops keeps the order in which the iterations run (row-major
// order of the merged loops), so reductions sum in the same order and the
// bits are those of the separate loops.
//
//===----------------------------------------------------------------------===//

#include "fqt/Codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace fqt {
#define GEN_PASS_DEF_FQTCOLLAPSECONTIGUOUSLOOPS
#include "fqt/Codegen/Passes.h.inc"
} // namespace fqt

using namespace mlir;

namespace {

/// Whether loops `d` and `d + 1` of `op` (of static `ranges`) can be one
/// loop: both of the same kind, and every operand either indexed by neither
/// or by both, `d` right before `d + 1`, in dimensions that are contiguous
/// in its buffer and that the loops walk whole (a window that reads 3 of a
/// row's 4 values, an im2col's for a 1 x 1 output, is no run of 9).
bool canMergeWithNext(linalg::GenericOp op, unsigned d,
                      ArrayRef<int64_t> ranges) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (iterators[d] != iterators[d + 1])
    return false;
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    std::optional<unsigned> outer =
        map.getResultPosition(getAffineDimExpr(d, op.getContext()));
    std::optional<unsigned> inner =
        map.getResultPosition(getAffineDimExpr(d + 1, op.getContext()));
    if (!outer && !inner)
      continue;
    if (!outer || !inner || *inner != *outer + 1)
      return false;
    auto type = cast<MemRefType>(operand.get().getType());
    SmallVector<int64_t> strides;
    int64_t offset;
    if (failed(type.getStridesAndOffset(strides, offset)))
      return false;
    int64_t innerSize = type.getDimSize(*inner);
    if (type.getDimSize(*outer) != ranges[d] || innerSize != ranges[d + 1])
      return false;
    if (ShapedType::isDynamic(strides[*outer]) ||
        ShapedType::isDynamic(strides[*inner]) ||
        ShapedType::isDynamic(innerSize) ||
        strides[*outer] != strides[*inner] * innerSize)
      return false;
  }
  return true;
}

/// i4 codes are stored two per byte with every row padded to whole bytes
/// (fqt-pack-i4-buffers, later), so their rows must stay rows.
bool hasSubByteOperand(Operation *op) {
  return llvm::any_of(op->getOperandTypes(), [](Type type) {
    auto shaped = dyn_cast<ShapedType>(type);
    return shaped && shaped.getElementType().isIntOrFloat() &&
           shaped.getElementType().getIntOrFloatBitWidth() < 8;
  });
}

/// A linalg.generic on buffers whose consecutive loops walk every operand
/// contiguously runs them as one loop (upstream's collapseOpIterationDims,
/// which collapses the buffers to match).
struct CollapseGenericLoops : OpRewritePattern<linalg::GenericOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "not on buffers");
    // Upstream's collapsing needs projected permutations; a body that reads
    // its loop indices (the quantizers' random streams) would read them
    // back through a division and a remainder per element.
    if (!llvm::all_of(op.getIndexingMapsArray(), [](AffineMap map) {
          return map.isProjectedPermutation();
        }))
      return rewriter.notifyMatchFailure(op, "not projected permutations");
    if (!op.getBody()->getOps<linalg::IndexOp>().empty())
      return rewriter.notifyMatchFailure(op, "reads its loop indices");
    if (hasSubByteOperand(op))
      return rewriter.notifyMatchFailure(op, "sub-byte codes");
    FailureOr<SmallVector<int64_t>> ranges = op.getStaticLoopRanges();
    if (failed(ranges) || llvm::any_of(*ranges, ShapedType::isDynamic))
      return rewriter.notifyMatchFailure(op, "dynamic loop ranges");

    SmallVector<ReassociationIndices> groups;
    bool merges = false;
    for (unsigned d = 0, e = op.getNumLoops(); d < e; ++d) {
      if (d > 0 && canMergeWithNext(op, d - 1, *ranges)) {
        groups.back().push_back(d);
        merges = true;
      } else {
        groups.push_back({static_cast<int64_t>(d)});
      }
    }
    if (!merges)
      return rewriter.notifyMatchFailure(op, "no contiguous loops");
    FailureOr<linalg::CollapseResult> collapsed =
        linalg::collapseOpIterationDims(op, groups, rewriter);
    if (failed(collapsed))
      return rewriter.notifyMatchFailure(op, "collapsing failed");
    rewriter.eraseOp(op);
    return success();
  }
};

/// A fill of a contiguous buffer fills it as one row.
struct CollapseFill : OpRewritePattern<linalg::FillOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(linalg::FillOp op,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<MemRefType>(op.getOutputs()[0].getType());
    if (!type || type.getRank() < 2 || !type.getLayout().isIdentity())
      return rewriter.notifyMatchFailure(op, "not a contiguous buffer");
    if (hasSubByteOperand(op))
      return rewriter.notifyMatchFailure(op, "sub-byte codes");
    ReassociationIndices all =
        llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()));
    Value flat = memref::CollapseShapeOp::create(
        rewriter, op.getLoc(), op.getOutputs()[0], ArrayRef{all});
    linalg::FillOp::create(rewriter, op.getLoc(), op.getInputs()[0], flat);
    rewriter.eraseOp(op);
    return success();
  }
};

struct FQTCollapseContiguousLoopsPass
    : fqt::impl::FQTCollapseContiguousLoopsBase<
          FQTCollapseContiguousLoopsPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    // Operands broadcast along unit dimensions (a bias [C, 1, 1] read as
    // (c, 0, 0)) are not projected permutations until those are dropped.
    // As in upstream's --linalg-fold-unit-extent-dims, whether the greedy
    // driver converges does not matter: some of these patterns report a
    // rewrite of an op they leave as it was.
    // Only generics whose operands are indexed by loops and constants: with
    // a compound index (an im2col's oh * 2 + kh), dropping a unit oh would
    // leave kh indexing a dimension longer than its loop, an invalid op.
    RewritePatternSet unitDims(ctx);
    linalg::ControlDropUnitDims options;
    options.controlFn = [](Operation *op) -> SmallVector<unsigned> {
      auto generic = dyn_cast<linalg::GenericOp>(op);
      if (!generic)
        return {};
      for (AffineMap map : generic.getIndexingMapsArray())
        for (AffineExpr result : map.getResults())
          if (!isa<AffineDimExpr, AffineConstantExpr>(result))
            return {};
      return llvm::to_vector(llvm::seq<unsigned>(0, generic.getNumLoops()));
    };
    linalg::populateFoldUnitExtentDimsPatterns(unitDims, options);
    (void)applyPatternsGreedily(getOperation(), std::move(unitDims));

    RewritePatternSet patterns(ctx);
    patterns.add<CollapseGenericLoops, CollapseFill>(ctx);
    // Every rewrite removes a loop, so this converges.
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns)))) {
      getOperation().emitError("merging contiguous loops did not converge");
      signalPassFailure();
    }
  }
};

} // namespace
