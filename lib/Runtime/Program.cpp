//===- Program.cpp - A compiled program and its buffers -------------------===//

#include "fqt/Runtime/Program.h"
#include "fqt/Runtime/Cpu.h"
#include "fqt/Runtime/Error.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <set>

namespace fqt::runtime {

static const char *const infoSubject = "fqt_model_info";

[[noreturn]] static void fail(const std::string &what) {
  throw Error(infoSubject, what);
}

static bool isPersistent(BufferKind kind) {
  return kind == BufferKind::Param || kind == BufferKind::State;
}

static std::set<std::pair<BufferKind, std::string>>
persistentKeys(const std::vector<BufferDesc> &buffers) {
  std::set<std::pair<BufferKind, std::string>> keys;
  for (const BufferDesc &buffer : buffers)
    if (isPersistent(buffer.kind))
      keys.insert({buffer.kind, buffer.name});
  return keys;
}

static bool sameType(const BufferDesc &a, const BufferDesc &b) {
  return a.dtype == b.dtype && a.shape == b.shape;
}

Program::Program(const fqt_program &program) : program(program) {
  if (program.cpu_features)
    checkCpuFlags(program.cpu_features());
  if (!program.info)
    fail("the program has no model description");
  info = parseModelInfo(program.info, infoSubject);
  bind(initFn, "init", program.init, true);
  bind(trainGrad, "train_grad_step", program.train_grad_step, false);
  bind(update, "apply_update", program.apply_update, false);
  bool split = trainGrad.desc || update.desc;
  if (split && !(trainGrad.desc && update.desc))
    fail(std::string("the program has ") +
         (trainGrad.desc ? "train_grad_step but no apply_update"
                         : "apply_update but no train_grad_step") +
         "; a split training step needs both");
  if (split && info.getFunction("train_step"))
    fail("the program has both train_step and train_grad_step; it trains "
         "with one or the other");
  bind(train, "train_step", program.train_step, !split);
  bind(eval, "eval_step", program.eval_step, false);
  bind(grad, "grad_step", program.grad_step, false);
  bind(qatGrad, "qat_grad_step", program.qat_grad_step, false);
  check();
  for (const BufferDesc *buffer : persistent)
    for (auto &set : sets)
      set.emplace(Key(buffer->kind, buffer->name),
                  Tensor(buffer->dtype, buffer->shape));
}

void Program::bind(Function &function, const char *name, fqt_entry_fn entry,
                   bool required) {
  function.desc = info.getFunction(name);
  if (!function.desc) {
    if (required)
      fail(std::string("the program has no ") + name + " function");
    return;
  }
  if (!entry)
    fail(std::string("the info lists ") + name +
         " but the program has no entry point for it");
  function.entry = entry;
  for (const BufferDesc &arg : function.desc->args) {
    if (arg.kind != BufferKind::Hyper)
      continue;
    if (arg.name != "lr" && arg.name != "step" && arg.name != "seed")
      fail(std::string(name) + " takes hyper '" + arg.name +
           "', which this runtime does not know how to set (it sets lr, "
           "step and seed)");
    if (!arg.shape.empty())
      fail(std::string(name) + "'s hyper '" + arg.name + "' is not a scalar");
    function.hypers.emplace(arg.name, Tensor(arg.dtype, arg.shape));
  }
  for (const BufferDesc &result : function.desc->results)
    function.results.emplace_back(isPersistent(result.kind)
                                      ? Tensor()
                                      : Tensor(result.dtype, result.shape));
}

void Program::check() {
  bool split = trainGrad.desc != nullptr;
  // The function that takes the batch.
  const FunctionDesc &t = split ? *trainGrad.desc : *train.desc;
  std::set<Key> keys;
  for (const FunctionDesc *f : {&t, split ? update.desc : nullptr})
    if (f)
      for (const BufferDesc &arg : f->args)
        if (isPersistent(arg.kind) && keys.insert({arg.kind, arg.name}).second)
          persistent.push_back(&arg);

  // The functions that produce params and state must produce all of them:
  // the next set is written whole, or it would carry stale buffers.
  for (const BufferDesc &arg : initFn.desc->args)
    if (arg.kind != BufferKind::Weight)
      fail("init takes " + arg.str() + "; it takes weights only");
  for (Function *function :
       {&train, &eval, &grad, &qatGrad, &trainGrad, &update})
    if (function->desc)
      for (const BufferDesc &arg : function->desc->args)
        if (arg.kind == BufferKind::Weight)
          fail(function->desc->name + " takes " + arg.str() +
               "; only init takes weights");
  for (const BufferDesc &result : initFn.desc->results)
    if (!isPersistent(result.kind))
      fail("init returns " + result.str() + "; it returns params and state");
  if (persistentKeys(initFn.desc->results) != keys)
    fail("init does not return exactly the params and state train_step "
         "takes");
  if (!split && persistentKeys(t.results) != keys)
    fail("train_step does not return exactly the params and state it takes");
  if (split) {
    // Between them, the halves write every param and state once: the next
    // set is written whole.
    std::set<Key> written;
    for (const FunctionDesc *f : {trainGrad.desc, update.desc})
      for (const BufferDesc &result : f->results)
        if (isPersistent(result.kind) &&
            (!keys.count({result.kind, result.name}) ||
             !written.insert({result.kind, result.name}).second))
          fail(f->name + " returns " + result.str() +
               ", which the other half of the step returns too or neither "
               "takes");
    if (written != keys)
      fail("train_grad_step and apply_update do not return all the params "
           "and state they take");
    for (const BufferDesc &arg : update.desc->args) {
      if (arg.kind == BufferKind::Input || arg.kind == BufferKind::Label)
        fail("apply_update takes " + arg.str() + "; it takes no batch");
      if (arg.kind != BufferKind::Grad)
        continue;
      const auto &results = trainGrad.desc->results;
      auto it = std::find_if(results.begin(), results.end(), [&](auto &r) {
        return r.kind == BufferKind::Grad && r.name == arg.name;
      });
      if (it == results.end() || !sameType(*it, arg))
        fail("apply_update takes " + arg.str() +
             ", which train_grad_step does not return");
    }
  }

  auto inputs = t.argsOfKind(BufferKind::Input);
  auto labels = t.argsOfKind(BufferKind::Label);
  if (inputs.size() != 1)
    fail(t.name + " takes " + std::to_string(inputs.size()) +
         " inputs; the training driver feeds one (the images)");
  if (labels.size() != 1)
    fail(t.name + " takes " + std::to_string(labels.size()) +
         " labels; the training driver feeds one");
  input = inputs[0];
  label = labels[0];
  if (input->shape.empty())
    fail("train_step's input '" + input->name +
         "' is a scalar; it needs a batch dimension");
  if (input->dtype != DType::F32)
    fail("train_step's input '" + input->name + "' is " +
         dtypeName(input->dtype) + "; the training driver feeds f32 images");
  batchSize = input->shape[0];
  bool classIndices = !isFloat(label->dtype) && label->dtype != DType::I1 &&
                      label->shape.size() == 1;
  bool oneHot = isFloat(label->dtype) && label->shape.size() == 2;
  if (!classIndices && !oneHot)
    fail("train_step's label " + label->str() +
         " is neither integer class indices [B] nor float one-hot rows "
         "[B, K]");
  if (label->shape[0] != batchSize)
    fail("train_step's label has batch " + std::to_string(label->shape[0]) +
         " but its input has batch " + std::to_string(batchSize));
  if (oneHot)
    numClasses = label->shape[1];
  auto losses = t.resultsOfKind(BufferKind::Loss);
  if (losses.size() != 1 || !losses[0]->shape.empty())
    fail(t.name + " must return one scalar loss");

  // eval_step and grad_step see the same params, input and label.
  for (Function *function : {&eval, &grad}) {
    if (!function->desc)
      continue;
    const FunctionDesc &f = *function->desc;
    for (const BufferDesc &arg : f.args) {
      if (isPersistent(arg.kind)) {
        auto it = keys.find({arg.kind, arg.name});
        if (it == keys.end())
          fail(f.name + " takes " + arg.str() +
               ", which train_step does not take");
      } else if (arg.kind == BufferKind::Input) {
        if (arg.name != input->name || !sameType(arg, *input))
          fail(f.name + " takes input " + arg.str() + ", train_step " +
               input->str());
      } else if (arg.kind == BufferKind::Label) {
        if (arg.name != label->name || !sameType(arg, *label))
          fail(f.name + " takes label " + arg.str() + ", train_step " +
               label->str());
      }
    }
    if (f.argsOfKind(BufferKind::Input).size() != 1 ||
        f.argsOfKind(BufferKind::Label).size() != 1)
      fail(f.name + " must take one input and one label");
    for (const BufferDesc &result : f.results)
      if (isPersistent(result.kind))
        fail(f.name + " returns " + result.str() +
             "; only init and the training step update params and state");
  }
  if (eval.desc) {
    auto sampleLosses = eval.desc->resultsOfKind(BufferKind::SampleLoss);
    auto outputs = eval.desc->resultsOfKind(BufferKind::Output);
    if (sampleLosses.size() != 1 ||
        sampleLosses[0]->shape != Shape{batchSize} ||
        !isFloat(sampleLosses[0]->dtype))
      fail("eval_step must return one float sample_loss of shape " +
           std::to_string(batchSize));
    if (outputs.size() != 1 || outputs[0]->shape.size() != 2 ||
        outputs[0]->shape[0] != batchSize || !isFloat(outputs[0]->dtype))
      fail("eval_step must return one float output of shape " +
           std::to_string(batchSize) + "xK");
    if (numClasses && outputs[0]->shape[1] != numClasses)
      fail("eval_step's output has " + std::to_string(outputs[0]->shape[1]) +
           " classes, the one-hot label " + std::to_string(numClasses));
    numClasses = outputs[0]->shape[1];
  }
  if (grad.desc) {
    auto gradLosses = grad.desc->resultsOfKind(BufferKind::Loss);
    if (gradLosses.size() != 1 || !gradLosses[0]->shape.empty())
      fail("grad_step must return one scalar loss");
  }
}

std::string_view Program::getOnnxModel() const {
  if (!program.onnx)
    return {};
  unsigned long size = 0;
  const unsigned char *bytes = program.onnx(&size);
  if (!bytes)
    return {};
  return std::string_view(reinterpret_cast<const char *>(bytes), size);
}

void Program::setLabels(Tensor &labelBuffer, const int64_t *classes,
                        const std::string &subject) const {
  bool oneHot = labelBuffer.getShape().size() == 2;
  int64_t classCount = oneHot ? labelBuffer.getShape()[1] : numClasses;
  for (int64_t row = 0; row < batchSize; ++row) {
    int64_t c = classes[row];
    if (c < 0 || (classCount && c >= classCount))
      throw Error(subject, "label " + std::to_string(c) +
                               " is outside the model's " +
                               std::to_string(classCount) + " classes");
    if (!oneHot) {
      labelBuffer.setFromDouble(row, static_cast<double>(c));
      continue;
    }
    for (int64_t k = 0; k < classCount; ++k)
      labelBuffer.setFromDouble(row * classCount + k, k == c ? 1.0 : 0.0);
  }
}

void Program::setHyper(Function &function, const char *name, double value) {
  auto it = function.hypers.find(name);
  if (it != function.hypers.end())
    it->second.setFromDouble(0, value);
}

Program::Batch Program::batchOf(const Tensor &inputBuffer,
                                const Tensor &labelBuffer) const {
  for (auto [buffer, desc] :
       {std::pair(&inputBuffer, input), std::pair(&labelBuffer, label)})
    if (buffer->getDType() != desc->dtype || buffer->getShape() != desc->shape)
      throw Error(infoSubject, "the program's " + desc->str() +
                                   " was given a buffer of " +
                                   dtypeName(buffer->getDType()) + " " +
                                   shapeString(buffer->getShape()));
  return {inputBuffer.data(), labelBuffer.data()};
}

void Program::call(Function &function, const Batch *batch, bool swap) {
  const FunctionDesc &desc = *function.desc;
  bool updates = false;
  pointers.clear();
  for (const BufferDesc &arg : desc.args) {
    switch (arg.kind) {
    case BufferKind::Param:
    case BufferKind::State:
      pointers.push_back(sets[current].at({arg.kind, arg.name}).data());
      break;
    case BufferKind::Input:
    case BufferKind::Label:
      // check() made every step's input and label those of batchOf.
      if (!batch)
        throw Error(infoSubject, desc.name + " takes " + arg.str() +
                                     " but was called without a batch");
      pointers.push_back(const_cast<void *>(
          arg.kind == BufferKind::Input ? batch->input : batch->label));
      break;
    case BufferKind::Hyper:
      pointers.push_back(function.hypers.at(arg.name).data());
      break;
    case BufferKind::Workspace:
      // Allocated at the first call, not when the program is checked.
      if (!workspace.data())
        workspace = Tensor(DType::I8, {info.getWorkspaceBytes()});
      pointers.push_back(workspace.data());
      break;
    case BufferKind::Weight:
      // init only reads them (its arguments are not writable).
      pointers.push_back(const_cast<void *>(weights.find(arg)));
      break;
    case BufferKind::Grad: {
      // apply_update's: train_grad_step's result of that name (check()
      // found it).
      const auto &results = trainGrad.desc->results;
      for (size_t i = 0; i < results.size(); ++i)
        if (results[i].kind == BufferKind::Grad && results[i].name == arg.name)
          pointers.push_back(trainGrad.results[i].data());
      break;
    }
    default:
      break; // The parser rejects result kinds among arguments.
    }
  }
  for (size_t i = 0; i < desc.results.size(); ++i) {
    const BufferDesc &result = desc.results[i];
    if (isPersistent(result.kind)) {
      pointers.push_back(
          sets[1 - current].at({result.kind, result.name}).data());
      updates = true;
    } else {
      pointers.push_back(function.results[i].data());
    }
  }
  function.entry(pointers.data());
  if (updates && swap)
    current = 1 - current;
}

const Tensor &Program::result(const Function &function, BufferKind kind) const {
  const auto &results = function.desc->results;
  for (size_t i = 0; i < results.size(); ++i)
    if (results[i].kind == kind)
      return function.results[i];
  throw Error(infoSubject,
              function.desc->name + " returns no " + kindName(kind));
}

void Program::loadWeights() {
  if (weightsLoaded || initFn.desc->argsOfKind(BufferKind::Weight).empty())
    return;
  weights = Weights::ofProgram(program, weightsFile);
  weightsLoaded = true;
}

void Program::init() {
  loadWeights();
  call(initFn, nullptr);
}

void Program::restore(const Checkpoint &checkpoint, const std::string &source) {
  for (const BufferDesc *buffer : persistent) {
    const Checkpoint::Buffer *saved =
        checkpoint.find(buffer->kind, buffer->name);
    if (!saved)
      throw Error(source, std::string("has no ") + kindName(buffer->kind) +
                              " '" + buffer->name +
                              "'; it was written for another program");
    if (saved->value.getDType() != buffer->dtype ||
        saved->value.getShape() != buffer->shape)
      throw Error(source,
                  std::string(kindName(buffer->kind)) + " '" + buffer->name +
                      "' is " + dtypeName(saved->value.getDType()) + " " +
                      shapeString(saved->value.getShape()) +
                      " in the checkpoint but " + dtypeName(buffer->dtype) +
                      " " + shapeString(buffer->shape) + " in the program");
  }
  for (const Checkpoint::Buffer &saved : checkpoint.buffers)
    if (!sets[current].count({saved.kind, saved.name}))
      throw Error(source, std::string("has ") + kindName(saved.kind) + " '" +
                              saved.name +
                              "', which the program does not have");
  for (const Checkpoint::Buffer &saved : checkpoint.buffers)
    sets[current].at({saved.kind, saved.name}) = saved.value;
}

std::vector<Checkpoint::Buffer> Program::snapshot() const {
  std::vector<Checkpoint::Buffer> buffers;
  for (const BufferDesc *buffer : persistent)
    buffers.push_back({buffer->kind, buffer->name,
                       sets[current].at({buffer->kind, buffer->name})});
  return buffers;
}

std::vector<std::pair<std::string, const Tensor *>> Program::getParams() const {
  std::vector<std::pair<std::string, const Tensor *>> params;
  for (const BufferDesc *buffer : persistent)
    if (buffer->kind == BufferKind::Param)
      params.emplace_back(buffer->name,
                          &sets[current].at({buffer->kind, buffer->name}));
  return params;
}

std::vector<std::pair<std::string, const Tensor *>> Program::getState() const {
  std::vector<std::pair<std::string, const Tensor *>> state;
  for (const BufferDesc *buffer : persistent)
    if (buffer->kind == BufferKind::State)
      state.emplace_back(buffer->name,
                         &sets[current].at({buffer->kind, buffer->name}));
  return state;
}

Tensor *Program::findCurrent(BufferKind kind, const std::string &name) {
  auto it = sets[current].find({kind, name});
  return it == sets[current].end() ? nullptr : &it->second;
}

double Program::trainStep(Batch batch, double lr, int64_t step, int64_t seed) {
  if (trainGrad.desc) {
    // Both halves read the current set and write the other one, which
    // becomes current after the update.
    setHyper(trainGrad, "step", static_cast<double>(step));
    setHyper(trainGrad, "seed", static_cast<double>(seed));
    call(trainGrad, &batch, /*swap=*/false);
    StepValues values;
    values.step = step;
    values.seed = seed;
    const auto &results = trainGrad.desc->results;
    for (size_t i = 0; i < results.size(); ++i) {
      const BufferDesc &r = results[i];
      if (r.kind == BufferKind::Loss)
        values.loss = trainGrad.results[i].getAsDouble(0);
      else if (r.kind == BufferKind::Grad)
        values.grads.emplace_back(r.name, &trainGrad.results[i]);
      else if (isPersistent(r.kind))
        values.state.emplace_back(r.name,
                                  &sets[1 - current].at({r.kind, r.name}));
    }
    if (stepReducer)
      stepReducer(values);
    setHyper(update, "lr", lr);
    setHyper(update, "step", static_cast<double>(step));
    call(update, nullptr, /*swap=*/false);
    current = 1 - current;
    return values.loss;
  }
  setHyper(train, "lr", lr);
  setHyper(train, "step", static_cast<double>(step));
  setHyper(train, "seed", static_cast<double>(seed));
  call(train, &batch);
  return result(train, BufferKind::Loss).getAsDouble(0);
}

// A value is not finite when its exponent bits are all ones. The loops
// below OR one flag per element, with no early exit: compare, and, or, which
// vectorize even at SSE2 (an unsigned minimum, the earlier form, does not
// exist before SSE4.1 and took 11 instructions per 4 values), and the clones
// run them 16 lanes wide where the CPU has AVX-512. The check reads every
// parameter and state value after every step: 9 % of the MLP's step before.
__attribute__((target_clones("avx512f", "avx2", "default"))) static bool
allFiniteF32(const uint32_t *bits, int64_t n) {
  uint32_t notFinite = 0;
  for (int64_t i = 0; i < n; ++i)
    notFinite |= uint32_t((bits[i] & 0x7f800000u) == 0x7f800000u);
  return notFinite == 0;
}

__attribute__((target_clones("avx512f", "avx2", "default"))) static bool
allFiniteF64(const uint64_t *bits, int64_t n) {
  uint64_t notFinite = 0;
  constexpr uint64_t exponent = 0x7ff0000000000000ull;
  for (int64_t i = 0; i < n; ++i)
    notFinite |= uint64_t((bits[i] & exponent) == exponent);
  return notFinite == 0;
}

std::optional<std::string> Program::findNonFinite() const {
  for (const auto &[key, tensor] : sets[current]) {
    int64_t n = tensor.getNumElements();
    bool finite = true;
    if (tensor.getDType() == DType::F32)
      finite = allFiniteF32(static_cast<const uint32_t *>(tensor.data()), n);
    else if (tensor.getDType() == DType::F64)
      finite = allFiniteF64(static_cast<const uint64_t *>(tensor.data()), n);
    if (!finite)
      return key.second;
  }
  return std::nullopt;
}

void Program::evalStep(Batch batch) {
  if (!eval.desc)
    throw Error(infoSubject, "the program has no eval_step function");
  call(eval, &batch);
}

const Tensor &Program::getSampleLoss() const {
  return result(eval, BufferKind::SampleLoss);
}

const Tensor &Program::getOutput() const {
  return result(eval, BufferKind::Output);
}

std::pair<double, int64_t> Program::scoreRows(const int64_t *classes,
                                              int64_t rows) const {
  const Tensor &sampleLoss = getSampleLoss();
  const Tensor &output = getOutput();
  int64_t k = output.getShape()[1];
  double lossSum = 0;
  int64_t correct = 0;
  for (int64_t row = 0; row < rows; ++row) {
    lossSum += sampleLoss.getAsDouble(row);
    int64_t best = 0;
    double bestValue = output.getAsDouble(row * k);
    for (int64_t c = 1; c < k; ++c) {
      double value = output.getAsDouble(row * k + c);
      if (value > bestValue) {
        bestValue = value;
        best = c;
      }
    }
    correct += best == classes[row];
  }
  return {lossSum, correct};
}

double Program::runGradients(Function &function, const char *name, Batch batch,
                             int64_t step, int64_t seed) {
  if (!function.desc)
    throw Error(infoSubject,
                std::string("the program has no ") + name + " function");
  setHyper(function, "step", static_cast<double>(step));
  setHyper(function, "seed", static_cast<double>(seed));
  call(function, &batch);
  return result(function, BufferKind::Loss).getAsDouble(0);
}

std::vector<std::pair<std::string, const Tensor *>>
Program::gradientsOf(const Function &function) {
  std::vector<std::pair<std::string, const Tensor *>> grads;
  const auto &results = function.desc->results;
  for (size_t i = 0; i < results.size(); ++i)
    if (results[i].kind == BufferKind::Grad)
      grads.emplace_back(results[i].name, &function.results[i]);
  return grads;
}

double Program::gradStep(Batch batch, int64_t step, int64_t seed) {
  return runGradients(grad, "grad_step", batch, step, seed);
}

double Program::qatGradStep(Batch batch, int64_t step, int64_t seed) {
  return runGradients(qatGrad, "qat_grad_step", batch, step, seed);
}

std::vector<std::pair<std::string, const Tensor *>>
Program::getQatGrads() const {
  return gradientsOf(qatGrad);
}

std::vector<std::pair<std::string, const Tensor *>> Program::getGrads() const {
  return gradientsOf(grad);
}

} // namespace fqt::runtime
