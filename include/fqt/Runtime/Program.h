//===- Program.h - A compiled program and its buffers -----------*- C++ -*-===//
//
// Program wraps the fqt_program of Model.h: it parses the info text, checks
// that the entry points fit together (the same params everywhere, one input,
// one label, a static batch), owns every buffer, and calls the entry points
// with the buffer array in the order the info lists.
//
// Params and state live in two sets. A function that returns params reads
// the current set and writes the other, and the two swap after the call:
// results never alias arguments, and nothing is copied.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_RUNTIME_PROGRAM_H
#define FQT_RUNTIME_PROGRAM_H

#include "fqt/Runtime/Checkpoint.h"
#include "fqt/Runtime/Model.h"
#include "fqt/Runtime/ModelInfo.h"
#include "fqt/Runtime/Tensor.h"
#include "fqt/Runtime/Weights.h"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fqt::runtime {

class Program {
public:
  /// Throws Error("fqt_model_info", ...) when the program is inconsistent.
  explicit Program(const fqt_program &program);
  // Functions point into `info`.
  Program(const Program &) = delete;
  Program &operator=(const Program &) = delete;

  const ModelInfo &getInfo() const { return info; }
  int64_t getBatchSize() const { return batchSize; }
  /// train_step's input and label.
  const BufferDesc &getInputDesc() const { return *input; }
  const BufferDesc &getLabelDesc() const { return *label; }
  /// The classes of eval_step's output (its second dimension).
  int64_t getNumClasses() const { return numClasses; }
  bool hasEvalStep() const { return eval.desc != nullptr; }
  bool hasGradStep() const { return grad.desc != nullptr; }

  /// The serialized ONNX model embedded in the program, empty when none.
  std::string_view getOnnxModel() const;

  /// One batch as the step functions take it: data of the types and shapes
  /// of getInputDesc() and getLabelDesc() (every step takes the same).
  struct Batch {
    const void *input = nullptr;
    const void *label = nullptr;
  };
  /// INPUT and LABEL as a batch; throws Error when their types or shapes
  /// are not the program's.
  Batch batchOf(const Tensor &input, const Tensor &label) const;

  /// Zero-filled buffers shaped like the input and label arguments.
  Tensor makeInput() const { return Tensor(input->dtype, input->shape); }
  Tensor makeLabel() const { return Tensor(label->dtype, label->shape); }
  /// Writes B class indices into LABEL: as integers, or as one-hot rows
  /// when the label is a float [B, K] buffer. Throws Error(SUBJECT, ...)
  /// for a class outside the label's range.
  void setLabels(Tensor &label, const int64_t *classes,
                 const std::string &subject) const;

  /// Where init reads the weights from when the program does not hold them
  /// (fqt-compile --weights=external): by default the program's file name
  /// with `.weights` appended. A file given here is read even when the
  /// program holds its weights; either way it must be the program's own.
  void setWeightsFile(std::string path) { weightsFile = std::move(path); }
  /// Sets params and state to init's results.
  void init();
  /// Sets params and state from CHECKPOINT, which must hold exactly the
  /// program's params and state (errors name SOURCE).
  void restore(const Checkpoint &checkpoint, const std::string &source);
  /// The current params and state, in train_step's order.
  std::vector<Checkpoint::Buffer> snapshot() const;
  /// The current params by name, in train_step's order.
  std::vector<std::pair<std::string, const Tensor *>> getParams() const;
  /// The current state by name (optimizer state, lbt clipping factors,
  /// BatchNormalization running statistics), in train_step's order.
  std::vector<std::pair<std::string, const Tensor *>> getState() const;

  /// Whether the training step is train_grad_step and apply_update
  /// (fqt-compile --distributed) instead of train_step.
  bool isSplitStep() const { return trainGrad.desc != nullptr; }

  /// What a split step computed before its update: the loss, the gradients
  /// and the state train_grad_step updated (running statistics, lbt
  /// factors), each by name in result order.
  struct StepValues {
    /// The step's `step` and `seed` hypers.
    int64_t step = 0;
    int64_t seed = 0;
    double loss = 0;
    std::vector<std::pair<std::string, Tensor *>> grads;
    std::vector<std::pair<std::string, Tensor *>> state;
  };
  /// Called between the halves of a split step; it may change the values
  /// in place (a data-parallel job averages them over its processes), and
  /// apply_update then reads the gradients it leaves.
  using StepReducer = std::function<void(StepValues &)>;
  void setStepReducer(StepReducer reducer) { stepReducer = std::move(reducer); }

  /// One training step (train_step, or train_grad_step, the reducer and
  /// apply_update); returns the loss (as the reducer left it).
  double trainStep(Batch batch, double lr, int64_t step, int64_t seed);
  double trainStep(const Tensor &input, const Tensor &label, double lr,
                   int64_t step, int64_t seed) {
    return trainStep(batchOf(input, label), lr, step, seed);
  }
  /// The current buffer of the param or state NAME (to read or to set),
  /// or null.
  Tensor *findCurrent(BufferKind kind, const std::string &name);
  /// The name of the first current param or state buffer holding a NaN or
  /// an infinity (after a train step: the first whose update is not
  /// finite), or nullopt.
  std::optional<std::string> findNonFinite() const;
  /// Undoes the last train_step: its inputs, the previous params and state,
  /// are still the other buffer set, which becomes the current one again.
  void revertLastStep() { current = 1 - current; }
  /// One eval_step; results in getSampleLoss() and getOutput().
  void evalStep(Batch batch);
  void evalStep(const Tensor &input, const Tensor &label) {
    evalStep(batchOf(input, label));
  }
  const Tensor &getSampleLoss() const;
  const Tensor &getOutput() const;
  /// After an eval step: the sum of the sample losses of its first ROWS
  /// rows, and how many of those rows have their largest output at
  /// CLASSES[row] (the first largest, on ties).
  std::pair<double, int64_t> scoreRows(const int64_t *classes,
                                       int64_t rows) const;
  /// One grad_step; returns the loss, gradients in getGrads().
  double gradStep(Batch batch, int64_t step, int64_t seed);
  double gradStep(const Tensor &input, const Tensor &label, int64_t step,
                  int64_t seed) {
    return gradStep(batchOf(input, label), step, seed);
  }
  /// grad_step's gradients by name, in result order.
  std::vector<std::pair<std::string, const Tensor *>> getGrads() const;

  bool hasQatGradStep() const { return qatGrad.desc != nullptr; }
  /// One qat_grad_step (gradients through the quantized forward pass with
  /// no gradient quantizer); gradients in getQatGrads().
  double qatGradStep(Batch batch, int64_t step, int64_t seed);
  double qatGradStep(const Tensor &input, const Tensor &label, int64_t step,
                     int64_t seed) {
    return qatGradStep(batchOf(input, label), step, seed);
  }
  std::vector<std::pair<std::string, const Tensor *>> getQatGrads() const;

private:
  using Key = std::pair<BufferKind, std::string>;

  /// An entry point, its description, and the buffers it owns (hypers and
  /// results that are not params or state).
  struct Function {
    const FunctionDesc *desc = nullptr;
    fqt_entry_fn entry = nullptr;
    std::map<std::string, Tensor> hypers;
    std::vector<Tensor> results;
  };

  void bind(Function &function, const char *name, fqt_entry_fn entry,
            bool required);
  void check();
  /// Calls FUNCTION. One that returns params or state writes them into the
  /// other set, which becomes the current one unless SWAP is false.
  void call(Function &function, const Batch *batch, bool swap = true);
  void setHyper(Function &function, const char *name, double value);
  const Tensor &result(const Function &function, BufferKind kind) const;
  /// grad_step and qat_grad_step: same buffers, different functions.
  double runGradients(Function &function, const char *name, Batch batch,
                      int64_t step, int64_t seed);
  static std::vector<std::pair<std::string, const Tensor *>>
  gradientsOf(const Function &function);

  /// Loads `weights` for init (once).
  void loadWeights();

  const fqt_program &program;
  ModelInfo info;
  std::string weightsFile;
  Weights weights;
  bool weightsLoaded = false;
  Function initFn, train, eval, grad, qatGrad, trainGrad, update;
  StepReducer stepReducer;
  const BufferDesc *input = nullptr;
  const BufferDesc *label = nullptr;
  int64_t batchSize = 0;
  int64_t numClasses = 0;
  /// The params and state of train_step (or of train_grad_step, then
  /// apply_update), in its order.
  std::vector<const BufferDesc *> persistent;
  std::map<Key, Tensor> sets[2];
  int current = 0;
  /// The scratch memory of every function (ModelInfo::getWorkspaceBytes),
  /// allocated at the first call that needs it.
  Tensor workspace;
  std::vector<void *> pointers;
};

} // namespace fqt::runtime

#endif // FQT_RUNTIME_PROGRAM_H
