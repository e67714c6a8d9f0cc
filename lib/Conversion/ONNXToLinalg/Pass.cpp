//===- Pass.cpp - --fqt-convert-onnx-to-linalg ----------------------------===//
//
// Inlines the immutable ml_program globals as arith.constant, applies every
// onnx-to-linalg pattern greedily, and reports each onnx op left over.
//
//===----------------------------------------------------------------------===//

#include "fqt/Conversion/Passes.h"

#include "Patterns.h"

#include "ONNX/ONNXOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MLProgram/IR/MLProgram.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace fqt {
#define GEN_PASS_DEF_FQTCONVERTONNXTOLINALG
#include "fqt/Conversion/Passes.h.inc"
} // namespace fqt

using namespace mlir;
using namespace fqt;

void fqt::populateONNXToLinalgPatterns(RewritePatternSet &patterns) {
  onnx_to_linalg::populateElementwisePatterns(patterns);
  onnx_to_linalg::populateLinearPatterns(patterns);
  onnx_to_linalg::populatePoolingPatterns(patterns);
  onnx_to_linalg::populateShapePatterns(patterns);
  onnx_to_linalg::populateReductionPatterns(patterns);
  onnx_to_linalg::populateNormalizationPatterns(patterns);
}

namespace {

/// `ml_program.global_load_const` of an immutable global with a value
/// becomes an `arith.constant`; immutable globals left unused are erased.
static void inlineConstantGlobals(ModuleOp module) {
  SmallVector<ml_program::GlobalLoadConstOp> loads;
  module.walk(
      [&](ml_program::GlobalLoadConstOp load) { loads.push_back(load); });
  for (ml_program::GlobalLoadConstOp load : loads) {
    auto global = SymbolTable::lookupNearestSymbolFrom<ml_program::GlobalOp>(
        load, load.getGlobal());
    if (!global || global.getIsMutable() || !global.getValue())
      continue;
    auto value = dyn_cast<TypedAttr>(*global.getValue());
    if (!value || value.getType() != load.getType())
      continue;
    OpBuilder builder(load);
    Value constant = arith::ConstantOp::create(builder, load.getLoc(), value);
    load.getResult().replaceAllUsesWith(constant);
    load.erase();
  }
  for (auto global :
       llvm::make_early_inc_range(module.getOps<ml_program::GlobalOp>()))
    if (!global.getIsMutable() && global.getValue() &&
        SymbolTable::symbolKnownUseEmpty(global, module))
      global.erase();
}

struct FQTConvertONNXToLinalgPass
    : fqt::impl::FQTConvertONNXToLinalgBase<FQTConvertONNXToLinalgPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    inlineConstantGlobals(module);

    RewritePatternSet patterns(&getContext());
    populateONNXToLinalgPatterns(patterns);
    // Non-convergence is reported below through the ops left over.
    (void)applyPatternsGreedily(module, std::move(patterns));

    bool leftOver = false;
    SmallVector<Operation *> deadNoValues;
    module.walk([&](Operation *op) {
      if (!isa_and_present<onnx::ONNXDialect>(op->getDialect()))
        return;
      if (isa<onnx::ONNXNoValueOp>(op) && op->use_empty()) {
        deadNoValues.push_back(op);
        return;
      }
      // A NoValue still used only feeds an op reported here.
      if (isa<onnx::ONNXNoValueOp>(op))
        return;
      op->emitOpError("could not be lowered to linalg on tensors");
      leftOver = true;
    });
    for (Operation *op : deadNoValues)
      op->erase();
    if (leftOver)
      signalPassFailure();
  }
};

} // namespace
