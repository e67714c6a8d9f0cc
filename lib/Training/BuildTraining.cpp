//===- BuildTraining.cpp - train/eval/grad steps from a forward function --===//
//
// Assembles the four functions of a training program around the forward
// replay and reverse pass of Differentiate.cpp: parameters become
// arguments, the loss and the optimizer are appended, and every argument
// and result is labelled with its kind and ONNX name for the runtime ABI
// (include/fqt/Runtime/Model.h).
//
//===----------------------------------------------------------------------===//

#include "Differentiate.h"
#include "LossesAndOptimizers.h"

#include "fqt/Training/Passes.h"

#include "FQT/FQTDialect.h"
#include "ONNX/ONNXOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MLProgram/IR/MLProgram.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringSet.h"

#include <cctype>

namespace fqt {
#define GEN_PASS_DEF_FQTBUILDTRAINING
#include "fqt/Training/Passes.h.inc"
} // namespace fqt

using namespace mlir;
using namespace fqt;
using namespace fqt::training;

namespace {

/// One argument or result of a generated function.
struct Slot {
  Type type;
  StringRef kind;
  std::string name;
};

struct Parameter {
  ml_program::GlobalLoadConstOp load;
  std::string name;
  RankedTensorType type;
};

/// A running mean or variance of a training-mode BatchNormalization: state
/// that train_step updates as the op's running_mean/running_var outputs
/// say, and that eval_step normalizes with.
struct RunningStatistic {
  onnx::ONNXBatchNormalizationOp op;
  bool isVariance;
  ml_program::GlobalLoadConstOp load;
  std::string name;
  RankedTensorType type;
};

func::FuncOp createFunction(OpBuilder &b, Location loc, StringRef name,
                            ArrayRef<Slot> args, ArrayRef<Slot> results) {
  SmallVector<Type> argTypes, resultTypes;
  for (const Slot &s : args)
    argTypes.push_back(s.type);
  for (const Slot &s : results)
    resultTypes.push_back(s.type);
  auto fn = func::FuncOp::create(b, loc, name,
                                 b.getFunctionType(argTypes, resultTypes));
  auto attrs = [&](const Slot &s) {
    // Every kind the builder uses is one of SlotKind's.
    return fqt::getSlotAttrs(b.getContext(), *fqt::symbolizeSlotKind(s.kind),
                             s.name);
  };
  for (auto [i, s] : llvm::enumerate(args))
    fn.setArgAttrs(i, attrs(s));
  for (auto [i, s] : llvm::enumerate(results))
    fn.setResultAttrs(i, attrs(s));
  fn.addEntryBlock();
  return fn;
}

struct FQTBuildTrainingPass
    : fqt::impl::FQTBuildTrainingBase<FQTBuildTrainingPass> {
  using Base::Base;

  void runOnOperation() override;

private:
  LogicalResult collectParameters(func::FuncOp forward);
  LogicalResult collectRunningStatistics(func::FuncOp forward);
  FailureOr<OptimizerConfig> optimizerConfig(Location loc);
  /// Replays the forward function into `fn` (whose first arguments are the
  /// parameters, then the inputs) and computes the loss.
  FailureOr<std::pair<ForwardReplay, LossValues>>
  emitForwardAndLoss(TensorEmitter &e, func::FuncOp forward,
                     ValueRange paramArgs, ValueRange inputArgs, Value labels,
                     ValueRange statArgs = {}, bool inference = false);

  SmallVector<Parameter> params;
  SmallVector<RunningStatistic> stats;
};

} // namespace

LogicalResult FQTBuildTrainingPass::collectParameters(func::FuncOp forward) {
  llvm::StringSet<> requested;
  for (const std::string &name : trainable)
    requested.insert(name);
  llvm::StringSet<> found;
  forward.walk([&](ml_program::GlobalLoadConstOp load) {
    auto type = dyn_cast<RankedTensorType>(load.getType());
    if (!type || !isa<FloatType>(type.getElementType()))
      return;
    std::string name = load.getGlobal().getLeafReference().str();
    bool take;
    if (!requested.empty()) {
      take = requested.contains(name);
    } else {
      take = llvm::any_of(load->getUses(), [](OpOperand &use) {
        return isDifferentiableOperand(use.getOwner(), use.getOperandNumber());
      });
    }
    if (!take)
      return;
    found.insert(name);
    params.push_back({load, name, type});
  });
  for (const std::string &name : trainable)
    if (!found.contains(name))
      return forward.emitError("trainable '")
             << name << "' is not a float initializer of the model";
  if (params.empty())
    return forward.emitError("the model has no trainable float initializers");
  for (Parameter &p : params)
    if (!p.type.hasStaticShape())
      return p.load.emitError("parameter '")
             << p.name << "' has a dynamic shape";
  return success();
}

LogicalResult
FQTBuildTrainingPass::collectRunningStatistics(func::FuncOp forward) {
  llvm::StringSet<> paramNames;
  for (Parameter &p : params)
    paramNames.insert(p.name);
  llvm::StringSet<> seen;
  WalkResult walk = forward.walk([&](onnx::ONNXBatchNormalizationOp op) {
    if (op.getTrainingMode() == 0)
      return WalkResult::advance();
    for (auto [value, isVariance] : {std::pair(op.getInputMean(), false),
                                     std::pair(op.getInputVar(), true)}) {
      auto load = value.getDefiningOp<ml_program::GlobalLoadConstOp>();
      auto type = dyn_cast<RankedTensorType>(value.getType());
      if (!load || !type || !type.hasStaticShape()) {
        op.emitError("training-mode BatchNormalization needs its running "
                     "mean and variance to be initializers");
        return WalkResult::interrupt();
      }
      std::string name = load.getGlobal().getLeafReference().str();
      if (paramNames.contains(name)) {
        op.emitError("running statistic '")
            << name << "' cannot also be a trained parameter";
        return WalkResult::interrupt();
      }
      // One initializer shared by two BatchNormalizations would be updated
      // twice per step; ONNX has no such model.
      if (!seen.insert(name).second) {
        op.emitError("running statistic '")
            << name << "' is shared by two BatchNormalizations";
        return WalkResult::interrupt();
      }
      stats.push_back({op, isVariance, load, name, type});
    }
    return WalkResult::advance();
  });
  return failure(walk.wasInterrupted());
}

FailureOr<OptimizerConfig> FQTBuildTrainingPass::optimizerConfig(Location loc) {
  OptimizerConfig c;
  if (optimizer == "sgd")
    c.kind = OptimizerKind::SGD;
  else if (optimizer == "momentum")
    c.kind = OptimizerKind::Momentum;
  else if (optimizer == "nesterov")
    c.kind = OptimizerKind::Nesterov;
  else if (optimizer == "adagrad")
    c.kind = OptimizerKind::Adagrad;
  else if (optimizer == "adam")
    c.kind = OptimizerKind::Adam;
  else
    return emitError(loc, "unknown optimizer '")
           << optimizer
           << "'; expected sgd, momentum, nesterov, adagrad or adam";
  c.alpha = momentum;
  c.beta = momentumBeta;
  c.beta2 = beta2;
  c.epsilon = epsilon;
  c.decayFactor = decayFactor;
  c.weightDecay = weightDecay;
  return c;
}

FailureOr<std::pair<ForwardReplay, LossValues>>
FQTBuildTrainingPass::emitForwardAndLoss(TensorEmitter &e, func::FuncOp forward,
                                         ValueRange paramArgs,
                                         ValueRange inputArgs, Value labels,
                                         ValueRange statArgs, bool inference) {
  IRMapping bound;
  for (auto [p, arg] : llvm::zip(params, paramArgs))
    bound.map(p.load.getResult(), arg);
  for (auto [r, arg] : llvm::zip(stats, statArgs))
    bound.map(r.load.getResult(), arg);
  for (auto [fwdArg, arg] : llvm::zip(forward.getArguments(), inputArgs))
    bound.map(fwdArg, arg);
  FailureOr<ForwardReplay> replay = replayForward(e, forward, bound, inference);
  if (failed(replay))
    return failure();
  Value output = replay->mapping.lookup(
      forward.getBody().front().getTerminator()->getOperand(0));
  e.setLoc(forward.getLoc());
  LossValues lossValues =
      loss == "mse" ? emitMeanSquaredError(e, output, labels)
                    : emitSoftmaxCrossEntropy(e, output, labels, ignoreIndex);
  return std::make_pair(std::move(*replay), lossValues);
}

void FQTBuildTrainingPass::runOnOperation() {
  ModuleOp module = getOperation();
  auto forward = module.lookupSymbol<func::FuncOp>(forwardName);
  if (!forward || forward.isExternal()) {
    module.emitError("no forward function '") << forwardName << "' to train";
    return signalPassFailure();
  }
  Location loc = forward.getLoc();
  if (!forward.getBody().hasOneBlock() || forward.getNumResults() == 0) {
    forward.emitError("the forward function must have one block and a result");
    return signalPassFailure();
  }
  for (Type t : llvm::concat<const Type>(forward.getArgumentTypes(),
                                         forward.getResultTypes())) {
    auto type = dyn_cast<RankedTensorType>(t);
    if (!type || !type.hasStaticShape()) {
      forward.emitError("training needs static shapes, but the forward "
                        "function has type ")
          << forward.getFunctionType()
          << "; bind the batch size at import (--batch-size)";
      return signalPassFailure();
    }
  }
  // Shapes PyTorch computes at run time (Shape -> Gather -> ... -> Slice)
  // are constants here; the rules need them as such.
  foldShapeComputations(forward);
  if (failed(collectParameters(forward)) ||
      failed(collectRunningStatistics(forward)))
    return signalPassFailure();
  FailureOr<OptimizerConfig> opt = optimizerConfig(loc);
  if (failed(opt))
    return signalPassFailure();
  llvm::StringSet<> wanted;
  for (const std::string &name : entryPoints) {
    if (!llvm::is_contained(
            {"train", "split-train", "eval", "grad", "qat-grad"}, name)) {
      emitError(loc, "unknown entry point '")
          << name << "'; expected train, split-train, eval, grad or qat-grad";
      return signalPassFailure();
    }
    wanted.insert(name);
  }
  auto builds = [&](StringRef name) {
    return entryPoints.empty() || wanted.contains(name);
  };
  // split-train replaces train_step; it is never a default.
  bool splitTrain = wanted.contains("split-train");
  if (splitTrain && wanted.contains("train")) {
    emitError(loc, "entry points train and split-train are two forms of the "
                   "same step; ask for one");
    return signalPassFailure();
  }

  MLIRContext *ctx = &getContext();
  OpBuilder b(ctx);
  auto outputType = cast<RankedTensorType>(forward.getResultTypes()[0]);
  Type labelType;
  if (loss == "softmax-cross-entropy") {
    if (outputType.getRank() != 2 || !outputType.getElementType().isF32()) {
      forward.emitError("softmax-cross-entropy needs [batch, classes] f32 "
                        "logits as the first result, got ")
          << outputType;
      return signalPassFailure();
    }
    labelType =
        RankedTensorType::get({outputType.getDimSize(0)}, b.getI64Type());
  } else if (loss == "mse") {
    labelType = outputType;
  } else {
    forward.emitError("unknown loss '")
        << loss << "'; expected softmax-cross-entropy or mse";
    return signalPassFailure();
  }

  auto f32Scalar = RankedTensorType::get({}, b.getF32Type());
  auto i64Scalar = RankedTensorType::get({}, b.getI64Type());
  SmallVector<StringRef> stateNames = optimizerStateNames(opt->kind);

  SmallVector<Slot> paramSlots, stateSlots, inputSlots, gradSlots;
  for (Parameter &p : params) {
    paramSlots.push_back({p.type, "param", p.name});
    gradSlots.push_back({p.type, "grad", p.name});
  }
  for (StringRef suffix : stateNames)
    for (Parameter &p : params)
      stateSlots.push_back({p.type, "state", p.name + "." + suffix.str()});
  SmallVector<Slot> statSlots;
  for (RunningStatistic &r : stats)
    statSlots.push_back({r.type, "state", r.name});
  for (auto [i, t] : llvm::enumerate(forward.getArgumentTypes())) {
    std::string name = "input" + std::to_string(i);
    if (auto n = forward.getArgAttrOfType<StringAttr>(i, "onnx.name"))
      name = n.str();
    inputSlots.push_back({t, "input", name});
  }
  Slot labelSlot{labelType, "label", "labels"};
  Slot lrSlot{f32Scalar, "hyper", "lr"}, stepSlot{i64Scalar, "hyper", "step"},
      seedSlot{i64Scalar, "hyper", "seed"};
  Slot lossSlot{f32Scalar, "loss", "loss"};
  std::string outputName = "output";
  if (auto n = forward.getResultAttrOfType<StringAttr>(0, "onnx.name"))
    outputName = n.str();

  for (const SmallVector<Slot> *slots : {&paramSlots, &statSlots, &inputSlots})
    for (const Slot &s : *slots)
      if (llvm::any_of(s.name, [](char c) { return std::isspace(c); })) {
        forward.emitError("name '") << s.name
                                    << "' contains whitespace, which the "
                                       "runtime's model description cannot "
                                       "carry";
        return signalPassFailure();
      }

  b.setInsertionPoint(forward);
  size_t numParams = params.size(), numInputs = inputSlots.size();

  // init(weight...) -> (param..., state...): the initial params and running
  // statistics are arguments, not constants, so that the weights stay data
  // (the runtime points init at them) and never pass through the compiler's
  // IR; the initializers they come from are named after them.
  {
    SmallVector<Slot> weights;
    for (Parameter &p : params)
      weights.push_back({p.type, "weight", p.name});
    for (RunningStatistic &r : stats)
      weights.push_back({r.type, "weight", r.name});
    SmallVector<Slot> results(paramSlots);
    results.append(stateSlots);
    results.append(statSlots);
    func::FuncOp fn = createFunction(b, loc, "init", weights, results);
    Block &block = fn.getBody().front();
    OpBuilder fb = OpBuilder::atBlockBegin(&block);
    TensorEmitter e(fb, loc);
    SmallVector<Value> values(block.getArguments().take_front(params.size()));
    for (const Slot &s : stateSlots) {
      auto type = cast<RankedTensorType>(s.type);
      values.push_back(e.splat(type.getShape(), type.getElementType(), 0.0));
    }
    values.append(block.getArguments().begin() + params.size(),
                  block.getArguments().end());
    func::ReturnOp::create(fb, loc, values);
  }

  // The gradient of the loss of FWD with respect to every param.
  auto emitParamGradients = [&](TensorEmitter &e,
                                std::pair<ForwardReplay, LossValues> &fwd) {
    SmallVector<Value> wrt;
    for (Parameter &p : params)
      wrt.push_back(p.load.getResult());
    return emitReverse(e, forward, fwd.first, 0, fwd.second.grad, wrt);
  };
  // The optimizer update of every param, from GRADS, and the updated
  // optimizer state in state-slot order.
  auto emitUpdates = [&](TensorEmitter &e, ValueRange paramArgs,
                         ValueRange stateArgs, ValueRange grads, Value lr,
                         Value step, SmallVectorImpl<Value> &newParams,
                         SmallVectorImpl<Value> &newStates) {
    newStates.assign(stateSlots.size(), Value());
    for (size_t i = 0; i < numParams; ++i) {
      SmallVector<Value> state;
      for (size_t s = 0; s < stateNames.size(); ++s)
        state.push_back(stateArgs[s * numParams + i]);
      Value np;
      SmallVector<Value> ns;
      emitOptimizerUpdate(e, *opt, paramArgs[i], grads[i], state, lr, step, np,
                          ns);
      newParams.push_back(np);
      for (size_t s = 0; s < ns.size(); ++s)
        newStates[s * numParams + i] = ns[s];
    }
  };
  // The running statistics after a step, as the BatchNormalizations'
  // running_mean and running_var outputs define them.
  auto emitStatistics = [&](TensorEmitter &e, const ForwardReplay &replay,
                            ValueRange statArgs,
                            SmallVectorImpl<Value> &newStats) {
    for (size_t i = 0; i < stats.size(); ++i) {
      RunningStatistic &r = stats[i];
      if (r.isVariance)
        continue; // Emitted with its mean, which precedes it.
      e.setLoc(r.op.getLoc());
      auto [mean, var] = emitRunningStatistics(
          e, replay.mapping.lookup(r.op.getX()), statArgs[i], statArgs[i + 1],
          r.op.getMomentum().convertToDouble());
      newStats.push_back(mean);
      newStats.push_back(var);
    }
  };
  size_t numStates = stateSlots.size(), numStats = statSlots.size();

  // train_step(param..., state..., input..., label, lr, step, seed)
  //   -> (loss, param'..., state'...)
  if (!splitTrain) {
    SmallVector<Slot> args(paramSlots);
    args.append(stateSlots);
    args.append(statSlots);
    args.append(inputSlots);
    args.append({labelSlot, lrSlot, stepSlot, seedSlot});
    SmallVector<Slot> results = {lossSlot};
    results.append(paramSlots);
    results.append(stateSlots);
    results.append(statSlots);
    func::FuncOp fn = createFunction(b, loc, "train_step", args, results);
    Block &block = fn.getBody().front();
    OpBuilder fb = OpBuilder::atBlockBegin(&block);
    TensorEmitter e(fb, loc);
    ValueRange all = block.getArguments();
    ValueRange paramArgs = all.take_front(numParams);
    ValueRange stateArgs = all.slice(numParams, numStates);
    ValueRange statArgs = all.slice(numParams + numStates, numStats);
    ValueRange inputArgs =
        all.slice(numParams + numStates + numStats, numInputs);
    Value labels = all[numParams + numStates + numStats + numInputs];
    Value lr = all[all.size() - 3], step = all[all.size() - 2];
    auto fwd =
        emitForwardAndLoss(e, forward, paramArgs, inputArgs, labels, statArgs);
    if (failed(fwd))
      return signalPassFailure();
    auto grads = emitParamGradients(e, *fwd);
    if (failed(grads))
      return signalPassFailure();
    e.setLoc(loc);
    SmallVector<Value> results2 = {fwd->second.loss}, newStates;
    emitUpdates(e, paramArgs, stateArgs, *grads, lr, step, results2, newStates);
    results2.append(newStates);
    emitStatistics(e, fwd->first, statArgs, results2);
    func::ReturnOp::create(fb, loc, results2);
  } else {
    // The same step in two functions, for data-parallel training: the
    // runtime averages the gradients (and the running statistics) of all
    // processes between them, so that every process applies the same
    // update.
    //   train_grad_step(param..., stat..., input..., label, step, seed)
    //     -> (loss, grad..., stat'...)
    //   apply_update(param..., state..., grad..., lr, step)
    //     -> (param'..., state'...)
    {
      SmallVector<Slot> args(paramSlots);
      args.append(statSlots);
      args.append(inputSlots);
      args.append({labelSlot, stepSlot, seedSlot});
      SmallVector<Slot> results = {lossSlot};
      results.append(gradSlots);
      results.append(statSlots);
      func::FuncOp fn =
          createFunction(b, loc, "train_grad_step", args, results);
      Block &block = fn.getBody().front();
      OpBuilder fb = OpBuilder::atBlockBegin(&block);
      TensorEmitter e(fb, loc);
      ValueRange all = block.getArguments();
      ValueRange paramArgs = all.take_front(numParams);
      ValueRange statArgs = all.slice(numParams, numStats);
      ValueRange inputArgs = all.slice(numParams + numStats, numInputs);
      Value labels = all[numParams + numStats + numInputs];
      auto fwd = emitForwardAndLoss(e, forward, paramArgs, inputArgs, labels,
                                    statArgs);
      if (failed(fwd))
        return signalPassFailure();
      auto grads = emitParamGradients(e, *fwd);
      if (failed(grads))
        return signalPassFailure();
      e.setLoc(loc);
      SmallVector<Value> results2 = {fwd->second.loss};
      results2.append(*grads);
      emitStatistics(e, fwd->first, statArgs, results2);
      func::ReturnOp::create(fb, loc, results2);
    }
    {
      SmallVector<Slot> args(paramSlots);
      args.append(stateSlots);
      args.append(gradSlots);
      args.append({lrSlot, stepSlot});
      SmallVector<Slot> results(paramSlots);
      results.append(stateSlots);
      func::FuncOp fn = createFunction(b, loc, "apply_update", args, results);
      Block &block = fn.getBody().front();
      OpBuilder fb = OpBuilder::atBlockBegin(&block);
      TensorEmitter e(fb, loc);
      ValueRange all = block.getArguments();
      SmallVector<Value> results2, newStates;
      emitUpdates(e, all.take_front(numParams), all.slice(numParams, numStates),
                  all.slice(numParams + numStates, numParams),
                  all[all.size() - 2], all[all.size() - 1], results2,
                  newStates);
      results2.append(newStates);
      func::ReturnOp::create(fb, loc, results2);
    }
  }

  // eval_step(param..., input..., label) -> (sample_loss, output)
  if (builds("eval")) {
    SmallVector<Slot> args(paramSlots);
    args.append(statSlots);
    args.append(inputSlots);
    args.push_back(labelSlot);
    Slot sampleLoss{
        RankedTensorType::get({outputType.getDimSize(0)}, b.getF32Type()),
        "sample_loss", "sample_loss"};
    Slot output{outputType, "output", outputName};
    func::FuncOp fn =
        createFunction(b, loc, "eval_step", args, {sampleLoss, output});
    Block &block = fn.getBody().front();
    OpBuilder fb = OpBuilder::atBlockBegin(&block);
    TensorEmitter e(fb, loc);
    ValueRange all = block.getArguments();
    // BatchNormalizations normalize with the running statistics here.
    auto fwd = emitForwardAndLoss(
        e, forward, all.take_front(numParams),
        all.slice(numParams + statSlots.size(), numInputs), all.back(),
        all.slice(numParams, statSlots.size()), /*inference=*/true);
    if (failed(fwd))
      return signalPassFailure();
    Value out = fwd->first.mapping.lookup(
        forward.getBody().front().getTerminator()->getOperand(0));
    func::ReturnOp::create(fb, loc, ValueRange{fwd->second.sampleLoss, out});
  }

  // grad_step(param..., input..., label, step, seed) -> (loss, grad...),
  // and its twin qat_grad_step, which --fqt-insert-quantizers leaves with
  // exact gradients: the QAT reference of --gradient-variance.
  for (auto [name, option] : {std::pair<StringRef, StringRef>("grad_step",
                                                              "grad"),
                              {"qat_grad_step", "qat-grad"}}) {
    if (!builds(option))
      continue;
    SmallVector<Slot> args(paramSlots);
    args.append(inputSlots);
    args.append({labelSlot, stepSlot, seedSlot});
    SmallVector<Slot> results = {lossSlot};
    results.append(gradSlots);
    func::FuncOp fn = createFunction(b, loc, name, args, results);
    Block &block = fn.getBody().front();
    OpBuilder fb = OpBuilder::atBlockBegin(&block);
    TensorEmitter e(fb, loc);
    ValueRange all = block.getArguments();
    auto fwd = emitForwardAndLoss(e, forward, all.take_front(numParams),
                                  all.slice(numParams, numInputs),
                                  all[numParams + numInputs]);
    if (failed(fwd))
      return signalPassFailure();
    auto grads = emitParamGradients(e, *fwd);
    if (failed(grads))
      return signalPassFailure();
    SmallVector<Value> results2 = {fwd->second.loss};
    results2.append(*grads);
    func::ReturnOp::create(fb, loc, results2);
  }

  // The training configuration the runtime reports and defaults to.
  module->setAttr("fqt.program",
                  fqt::ProgramAttr::get(ctx, loss, optimizer,
                                        llvm::APFloat(double(learningRate)),
                                        DictionaryAttr()));
  forward.erase();
}
