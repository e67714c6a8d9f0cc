//===- Options.h - The training executable's command line -------*- C++ -*-===//

#ifndef FQT_RUNTIME_OPTIONS_H
#define FQT_RUNTIME_OPTIONS_H

#include "fqt/Runtime/Dataset.h"

#include <optional>
#include <string>

namespace fqt::runtime {

struct LrSchedule {
  enum Kind { Constant, Step, Cosine } kind = Constant;
  /// Step: multiply by `gamma` every `every` epochs.
  int64_t every = 0;
  double gamma = 1.0;

  /// The learning rate of global step STEP (in epoch EPOCH, both from 0) of
  /// a run of EPOCHS epochs of STEPSPEREPOCH steps, starting from BASE.
  /// Cosine decays per step from BASE to 0 over the whole run.
  double at(double base, int64_t epoch, int64_t step, int64_t stepsPerEpoch,
            int64_t epochs) const;
};

/// The most threads --threads accepts (and a checkpoint may carry). libomp
/// aborts the process when it cannot create the threads it is asked for;
/// far more threads than any machine has cores is a typo, not a request.
constexpr int64_t kMaxThreads = 1024;

struct Options {
  std::string data = "/usr/share/datasets/fashion-mnist";
  int64_t epochs = 1;
  std::optional<int64_t> batch;
  int64_t seed = 0;
  bool seedGiven = false;
  std::optional<double> lr;
  LrSchedule schedule;
  /// -1: all samples.
  int64_t trainLimit = -1;
  int64_t testLimit = -1;
  std::string save;
  std::string checkpoint;
  /// --checkpoint-every=N: also checkpoint after every N-th global step
  /// (0: at epoch ends only).
  int64_t checkpointEvery = 0;
  std::string resume;
  /// --weights=FILE: init's weights from this file (see Program).
  std::string weights;
  /// --log=FILE.csv: one line per train step (step,epoch,train_loss).
  std::string log;
  std::optional<int64_t> threads;
  std::string dumpGradients;
  /// --gradient-variance=N: N quantized gradient samples of one batch.
  int64_t gradientVariance = 0;
  /// --batch-steps=N: N training steps on the one batch of --inputs and
  /// --labels (an overfitting check of a model, without a dataset).
  int64_t batchSteps = 0;
  /// --skip-non-finite: a step whose loss or update is not finite is
  /// undone and counted instead of stopping the run (as with loss scaling).
  bool skipNonFinite = false;
  /// --allreduce: fp32, int8 or int4 (GradientAllreduce.h).
  std::string allreduce = "fp32";
  std::string inputs;
  std::string labels;
  Normalization normalize;
  bool quiet = false;
  bool help = false;
};

/// Parses ARGV[1..ARGC); throws Error(<the option>, ...) on a bad one.
Options parseOptions(int argc, char **argv);

/// The --help text.
std::string helpText(const char *program);

} // namespace fqt::runtime

#endif // FQT_RUNTIME_OPTIONS_H
