//===- TrainingOps.cpp - ONNX's training operators to linalg
//---------------===//
//
// Lowers the operators of ONNX's `ai.onnx.preview.training` domain, which
// ONNX training graphs (TrainingInfoProto) and ONNX's own tests use:
// `Gradient` by the graph-level reverse pass of Differentiate.cpp, and the
// optimizers `Momentum`, `Adagrad` and `Adam` by the update rules that
// --fqt-build-training emits (LossesAndOptimizers.cpp), so that a training
// graph written in ONNX and one built by fqt update parameters the same way.
//
//===----------------------------------------------------------------------===//

#include "Differentiate.h"
#include "LossesAndOptimizers.h"

#include "fqt/Training/Passes.h"

#include "ONNX/ONNXOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SetVector.h"

#include <optional>
#include <string>

namespace fqt {
#define GEN_PASS_DEF_FQTLOWERTRAININGOPS
#include "fqt/Training/Passes.h.inc"
} // namespace fqt

using namespace mlir;
using namespace fqt;
using namespace fqt::training;
namespace onnxd = fqt::onnx;

namespace {

//===----------------------------------------------------------------------===//
// Optimizers
//===----------------------------------------------------------------------===//

/// The update rule and hyper-parameters of an optimizer op.
OptimizerConfig configOf(onnxd::ONNXMomentumOp op) {
  OptimizerConfig c;
  c.kind = op.getMode() == "nesterov" ? OptimizerKind::Nesterov
                                      : OptimizerKind::Momentum;
  c.alpha = op.getAlpha().convertToDouble();
  c.beta = op.getBeta().convertToDouble();
  c.weightDecay = op.getNormCoefficient().convertToDouble();
  return c;
}

OptimizerConfig configOf(onnxd::ONNXAdagradOp op) {
  OptimizerConfig c;
  c.kind = OptimizerKind::Adagrad;
  c.decayFactor = op.getDecayFactor().convertToDouble();
  c.epsilon = op.getEpsilon().convertToDouble();
  c.weightDecay = op.getNormCoefficient().convertToDouble();
  return c;
}

OptimizerConfig configOf(onnxd::ONNXAdamOp op) {
  OptimizerConfig c;
  c.kind = OptimizerKind::Adam;
  c.alpha = op.getAlpha().convertToDouble();
  c.beta2 = op.getBeta().convertToDouble();
  c.epsilon = op.getEpsilon().convertToDouble();
  c.weightDecay = op.getNormCoefficient().convertToDouble();
  c.postWeightDecay = op.getNormCoefficientPost().convertToDouble();
  return c;
}

bool isF32Tensor(Type type, int64_t rank = -1) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.hasStaticShape() && tensor.getElementType().isF32() &&
         (rank < 0 || tensor.getRank() == rank);
}

/// Why the operands of `op` (an optimizer with `stateCount` state tensors
/// per parameter) cannot be lowered, or nullopt if they can.
template <typename OpTy>
std::optional<std::string> unsupportedOperands(OpTy op, unsigned stateCount) {
  if (!isF32Tensor(op.getR().getType(), 0))
    return std::string("the learning rate R must be a f32 scalar");
  auto t = dyn_cast<RankedTensorType>(op.getT().getType());
  if (!t || t.getRank() != 0 || !t.getElementType().isInteger(64))
    return std::string("the iteration count T must be an i64 scalar");
  unsigned groups = 2 + stateCount;
  size_t count = op.getInputs().size();
  if (count == 0 || count % groups != 0)
    return "expected X, G and " + std::to_string(stateCount) +
           " state tensor(s) per parameter, " + std::to_string(groups) +
           " lists of equal length, but got " + std::to_string(count) +
           " tensors";
  if (op->getNumResults() != count - count / groups)
    return std::string("expected one output per parameter and state tensor");
  size_t n = count / groups;
  for (size_t i = 0; i < n; ++i) {
    Type x = op.getInputs()[i].getType();
    if (!isF32Tensor(x))
      return "tensor " + std::to_string(i) +
             " is not a statically shaped f32 tensor";
    for (unsigned g = 1; g < groups; ++g)
      if (op.getInputs()[g * n + i].getType() != x)
        return "the tensors of parameter " + std::to_string(i) +
               " differ in type";
  }
  return std::nullopt;
}

std::optional<std::string> unsupportedReason(onnxd::ONNXMomentumOp op,
                                             unsigned stateCount) {
  if (op.getMode() != "standard" && op.getMode() != "nesterov")
    return "unknown mode '" + op.getMode().str() + "'";
  return unsupportedOperands(op, stateCount);
}

std::optional<std::string> unsupportedReason(onnxd::ONNXAdagradOp op,
                                             unsigned stateCount) {
  return unsupportedOperands(op, stateCount);
}

std::optional<std::string> unsupportedReason(onnxd::ONNXAdamOp op,
                                             unsigned stateCount) {
  return unsupportedOperands(op, stateCount);
}

/// Momentum (X, G, V), Adagrad (X, G, H) and Adam (X, G, V, H): the
/// operands are R, T and then the lists X..., G..., state...; the results
/// X_new..., state_new....
template <typename OpTy> struct LowerOptimizer : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    OptimizerConfig config = configOf(op);
    unsigned stateCount = optimizerStateNames(config.kind).size();
    if (std::optional<std::string> reason = unsupportedReason(op, stateCount))
      return rewriter.notifyMatchFailure(op, *reason);
    ValueRange tensors = op.getInputs();
    size_t n = tensors.size() / (2 + stateCount);
    SmallVector<Value> results(op->getNumResults());
    TensorEmitter e(rewriter, op.getLoc());
    for (size_t i = 0; i < n; ++i) {
      SmallVector<Value> state, newState;
      for (unsigned k = 0; k < stateCount; ++k)
        state.push_back(tensors[(2 + k) * n + i]);
      Value newParam;
      emitOptimizerUpdate(e, config, tensors[i], tensors[n + i], state,
                          op.getR(), op.getT(), newParam, newState);
      results[i] = newParam;
      for (unsigned k = 0; k < stateCount; ++k)
        results[(1 + k) * n + i] = newState[k];
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Gradient
//===----------------------------------------------------------------------===//

/// Replaces `grad` by the reverse pass of the ops its `y_value` depends on.
/// The differentiated sub-graph is copied into a temporary function (the
/// form Differentiate.cpp works on) whose arguments are those of `parent`;
/// it is replayed at the Gradient op and differentiated with a seed of ones
/// (the gradient of the sum of y's elements), then erased.
LogicalResult lowerGradient(onnxd::ONNXGradientOp grad, func::FuncOp parent,
                            SymbolTable &symbols) {
  Location loc = grad.getLoc();
  size_t numXs = grad.getXs().size();
  if (grad.getInputs().size() < numXs)
    return emitError(loc) << "Gradient has " << grad.getInputs().size()
                          << " inputs but names " << numXs << " in 'xs'";
  if (grad.getOutputs().size() != numXs)
    return emitError(loc) << "Gradient has " << grad.getOutputs().size()
                          << " outputs but names " << numXs << " in 'xs'";
  Value y = grad.getYValue();
  if (!isF32Tensor(y.getType()))
    return emitError(loc) << "Gradient: y must be a statically shaped f32 "
                             "tensor, but it is "
                          << y.getType();
  for (auto [i, x] : llvm::enumerate(grad.getInputs().take_front(numXs)))
    if (!isF32Tensor(x.getType()) ||
        grad.getOutputs()[i].getType() != x.getType())
      return emitError(loc)
             << "Gradient: xs[" << i
             << "] must be a statically shaped f32 tensor of the output's "
                "type, but it is "
             << x.getType();
  if (y.getParentBlock() != grad->getBlock())
    return emitError(loc) << "Gradient: y must be computed in the same graph";

  // The ops y depends on, in order.
  llvm::SetVector<Operation *> slice;
  SmallVector<Value> worklist{y};
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    Operation *def = v.getDefiningOp();
    if (!def || slice.contains(def))
      continue;
    slice.insert(def);
    llvm::append_range(worklist, def->getOperands());
  }

  OpBuilder b(parent);
  auto tmp = func::FuncOp::create(
      b, loc, "__fqt_gradient_subgraph",
      b.getFunctionType(parent.getArgumentTypes(), {y.getType()}));
  symbols.insert(tmp);
  IRMapping toTmp;
  Block *body = tmp.addEntryBlock();
  for (auto [from, to] : llvm::zip(parent.getArguments(), tmp.getArguments()))
    toTmp.map(from, to);
  b.setInsertionPointToEnd(body);
  for (Operation &op : parent.getBody().front())
    if (slice.contains(&op))
      b.clone(op, toTmp);
  func::ReturnOp::create(b, loc, toTmp.lookupOrDefault(y));

  IRMapping bound;
  for (auto [from, to] : llvm::zip(tmp.getArguments(), parent.getArguments()))
    bound.map(from, to);
  b.setInsertionPoint(grad);
  TensorEmitter e(b, loc);
  LogicalResult result = success();
  FailureOr<ForwardReplay> replay = replayForward(e, tmp, bound);
  if (succeeded(replay)) {
    SmallVector<Value> wrt;
    for (Value x : grad.getInputs().take_front(numXs))
      wrt.push_back(toTmp.lookupOrDefault(x));
    e.setLoc(loc);
    auto yType = cast<RankedTensorType>(y.getType());
    Value seed = e.splat(yType.getShape(), yType.getElementType(), 1.0);
    FailureOr<SmallVector<Value>> grads =
        emitReverse(e, tmp, *replay, /*resultIndex=*/0, seed, wrt);
    if (succeeded(grads))
      grad.replaceAllUsesWith(*grads);
    else
      result = failure();
  } else {
    result = failure();
  }
  symbols.erase(tmp);
  if (succeeded(result))
    grad.erase();
  return result;
}

struct FQTLowerTrainingOpsPass
    : fqt::impl::FQTLowerTrainingOpsBase<FQTLowerTrainingOpsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<std::pair<onnxd::ONNXGradientOp, func::FuncOp>> gradients;
    module.walk([&](onnxd::ONNXGradientOp op) {
      gradients.push_back({op, op->getParentOfType<func::FuncOp>()});
    });
    for (auto [op, parent] : gradients)
      if (!parent || failed(lowerGradient(op, parent, symbols)))
        return signalPassFailure();

    RewritePatternSet patterns(&getContext());
    populateLowerTrainingOpsPatterns(patterns);
    // Only the optimizers' own rewrites: folding the rest of the module is
    // for later passes.
    GreedyRewriteConfig config;
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled)
        .enableFolding(false);
    if (failed(applyPatternsGreedily(module, std::move(patterns), config)))
      return signalPassFailure();

    // What is left could not be lowered: say why.
    bool failedAny = false;
    module.walk([&](Operation *op) {
      std::optional<std::string> reason;
      if (auto m = dyn_cast<onnxd::ONNXMomentumOp>(op))
        reason = unsupportedReason(m, 1);
      else if (auto a = dyn_cast<onnxd::ONNXAdagradOp>(op))
        reason = unsupportedReason(a, 1);
      else if (auto a = dyn_cast<onnxd::ONNXAdamOp>(op))
        reason = unsupportedReason(a, 2);
      else
        return;
      op->emitError() << op->getName().stripDialect() << ": "
                      << reason.value_or("could not be lowered");
      failedAny = true;
    });
    if (failedAny)
      signalPassFailure();
  }
};

} // namespace

void fqt::populateLowerTrainingOpsPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerOptimizer<onnxd::ONNXMomentumOp>,
               LowerOptimizer<onnxd::ONNXAdagradOp>,
               LowerOptimizer<onnxd::ONNXAdamOp>>(patterns.getContext());
}
