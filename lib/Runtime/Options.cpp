//===- Options.cpp - The training executable's command line ---------------===//

#include "fqt/Runtime/Options.h"
#include "fqt/Runtime/Error.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <vector>

namespace fqt::runtime {

double LrSchedule::at(double base, int64_t epoch, int64_t step,
                      int64_t stepsPerEpoch, int64_t epochs) const {
  switch (kind) {
  case Constant:
    return base;
  case Step:
    return base * std::pow(gamma, static_cast<double>(epoch / every));
  case Cosine: {
    double total = static_cast<double>(stepsPerEpoch * epochs);
    double progress = total > 0 ? static_cast<double>(step) / total : 0;
    if (progress > 1)
      progress = 1;
    return base * 0.5 * (1 + std::cos(M_PI * progress));
  }
  }
  return base;
}

static int64_t parseInt(const std::string &option, const std::string &text,
                        int64_t min) {
  char *end = nullptr;
  errno = 0;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || errno || *end)
    throw Error(option, "'" + text + "' is not an integer");
  if (value < min)
    throw Error(option, "must be at least " + std::to_string(min));
  return value;
}

static double parseDouble(const std::string &option, const std::string &text) {
  char *end = nullptr;
  errno = 0;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || errno || *end || !std::isfinite(value))
    throw Error(option, "'" + text + "' is not a number");
  return value;
}

static LrSchedule parseSchedule(const std::string &option,
                                const std::string &text) {
  LrSchedule schedule;
  if (text == "constant")
    return schedule;
  if (text == "cosine") {
    schedule.kind = LrSchedule::Cosine;
    return schedule;
  }
  if (text.rfind("step:", 0) == 0) {
    size_t colon = text.find(':', 5);
    if (colon != std::string::npos) {
      schedule.kind = LrSchedule::Step;
      schedule.every = parseInt(option, text.substr(5, colon - 5), 1);
      schedule.gamma = parseDouble(option, text.substr(colon + 1));
      if (schedule.gamma <= 0)
        throw Error(option, "GAMMA must be positive");
      return schedule;
    }
  }
  throw Error(option, "expected constant, step:EPOCHS:GAMMA or cosine, got '" +
                          text + "'");
}

Options parseOptions(int argc, char **argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    size_t eq = arg.find('=');
    std::string name = arg.substr(0, eq);
    bool hasValue = eq != std::string::npos;
    std::string value = hasValue ? arg.substr(eq + 1) : "";
    auto needValue = [&] {
      if (!hasValue)
        throw Error(name, "needs a value: " + name + "=...");
    };
    auto needPath = [&] {
      needValue();
      if (value.empty())
        throw Error(name, "needs a path");
    };

    if (name == "--help" || name == "-h") {
      options.help = true;
    } else if (name == "--quiet" || name == "-q") {
      if (hasValue)
        throw Error(name, "takes no value");
      options.quiet = true;
    } else if (name == "--data") {
      needPath();
      options.data = value;
    } else if (name == "--epochs") {
      needValue();
      options.epochs = parseInt(name, value, 1);
    } else if (name == "--batch") {
      needValue();
      options.batch = parseInt(name, value, 1);
    } else if (name == "--seed") {
      needValue();
      options.seed = parseInt(name, value, 0);
      options.seedGiven = true;
    } else if (name == "--lr") {
      needValue();
      options.lr = parseDouble(name, value);
      if (*options.lr <= 0)
        throw Error(name, "must be positive");
    } else if (name == "--lr-schedule") {
      needValue();
      options.schedule = parseSchedule(name, value);
    } else if (name == "--train-limit") {
      needValue();
      options.trainLimit = parseInt(name, value, 1);
    } else if (name == "--test-limit") {
      needValue();
      options.testLimit = parseInt(name, value, 1);
    } else if (name == "--save") {
      needPath();
      options.save = value;
    } else if (name == "--checkpoint") {
      needPath();
      options.checkpoint = value;
    } else if (name == "--checkpoint-every") {
      needValue();
      options.checkpointEvery = parseInt(name, value, 1);
    } else if (name == "--log") {
      needPath();
      options.log = value;
    } else if (name == "--resume") {
      needPath();
      options.resume = value;
    } else if (name == "--weights") {
      needPath();
      options.weights = value;
    } else if (name == "--threads") {
      needValue();
      options.threads = parseInt(name, value, 1);
      if (*options.threads > kMaxThreads)
        throw Error(name, "must be at most " + std::to_string(kMaxThreads));
    } else if (name == "--dump-gradients") {
      needPath();
      options.dumpGradients = value;
    } else if (name == "--gradient-variance") {
      needValue();
      options.gradientVariance = parseInt(name, value, 2);
    } else if (name == "--skip-non-finite") {
      if (hasValue)
        throw Error(name, "takes no value");
      options.skipNonFinite = true;
    } else if (name == "--allreduce") {
      needValue();
      if (value != "fp32" && value != "int8" && value != "int4")
        throw Error(name, "expected fp32, int8 or int4, got '" + value + "'");
      options.allreduce = value;
    } else if (name == "--batch-steps") {
      needValue();
      options.batchSteps = parseInt(name, value, 1);
    } else if (name == "--inputs") {
      needPath();
      options.inputs = value;
    } else if (name == "--labels") {
      needPath();
      options.labels = value;
    } else if (name == "--normalize") {
      needValue();
      size_t comma = value.find(',');
      if (comma == std::string::npos)
        throw Error(name, "expected MEAN,STD, got '" + value + "'");
      options.normalize.mean =
          static_cast<float>(parseDouble(name, value.substr(0, comma)));
      options.normalize.std =
          static_cast<float>(parseDouble(name, value.substr(comma + 1)));
      if (options.normalize.std <= 0)
        throw Error(name, "STD must be positive");
    } else {
      throw Error(arg, "unknown option (see --help)");
    }
  }
  if (options.checkpointEvery && options.checkpoint.empty())
    throw Error("--checkpoint-every", "needs --checkpoint=PATH");
  // The modes that work on the one batch of --inputs/--labels.
  std::vector<std::string> oneBatchModes;
  if (!options.dumpGradients.empty())
    oneBatchModes.push_back("--dump-gradients");
  if (options.gradientVariance)
    oneBatchModes.push_back("--gradient-variance");
  if (options.batchSteps)
    oneBatchModes.push_back("--batch-steps");
  if (oneBatchModes.empty() &&
      (!options.inputs.empty() || !options.labels.empty()))
    throw Error(options.inputs.empty() ? "--labels" : "--inputs",
                "only goes with --dump-gradients=DIR, --gradient-variance=N "
                "or --batch-steps=N");
  if (oneBatchModes.size() > 1)
    throw Error(oneBatchModes[1],
                "cannot be combined with " + oneBatchModes[0]);
  if (!oneBatchModes.empty() &&
      (options.inputs.empty() || options.labels.empty()))
    throw Error(oneBatchModes[0],
                "needs --inputs=X.npy and --labels=Y.npy (one batch)");
  return options;
}

std::string helpText(const char *program) {
  return std::string("usage: ") + program + " [options]\n" +
         R"(
Trains the compiled model on an image classification set in IDX files
(Fashion-MNIST by default) and prints, last,
  final train_loss=L test_loss=L test_accuracy=A step_ms=T
(a data-parallel program adds ranks=N allreduce=MODE comm_bytes_per_step=B
comm_ms_per_step=T)

options:
  --data=DIR              dataset directory with {train,t10k}-{images-idx3,
                          labels-idx1}-ubyte[.gz]
                          (default /usr/share/datasets/fashion-mnist)
  --epochs=N              epochs to train, in all when resuming (default 1)
  --batch=B               must equal the batch the program was compiled for
  --seed=S                seeds shuffling and stochastic rounding (default 0)
  --lr=F                  learning rate (default: the compiled optimizer's,
                          else 0.01)
  --lr-schedule=S         constant (default), step:EPOCHS:GAMMA (multiply by
                          GAMMA every EPOCHS epochs) or cosine (per step, to 0)
  --normalize=MEAN,STD    image normalisation (x/255 - MEAN)/STD
                          (default 0.2860,0.3530: Fashion-MNIST)
  --train-limit=N         use only the first N training samples
  --test-limit=N          use only the first N test samples
  --threads=T             threads of the program's parallel loops (OpenMP;
                          default: OMP_NUM_THREADS, else one per core;
                          at most 1024)
  --checkpoint=PATH       write a checkpoint after every epoch
  --checkpoint-every=N    also write it after every N-th step (mid-epoch:
                          a killed run resumes within the epoch)
  --resume=PATH           continue from a checkpoint; the rest of the run
                          is bit-identical to one that was not interrupted
  --weights=FILE          the initial weights (a file fqt-compile
                          --weights=external wrote; default: the ones in
                          the program, else PROGRAM.weights beside it)
  --log=FILE.csv          one line per training step: step,epoch,train_loss
                          (when resuming, the lines up to the checkpoint's
                          step are kept)
  --save=OUT.onnx         write the model with the trained weights
  --gradient-variance=N   with --inputs=X.npy --labels=Y.npy (one batch):
                          N quantized gradients (steps 0..N-1) against the
                          QAT gradient; per parameter one line
                          gradient-variance param=NAME quantizer=DGRAD
                          rel_bias=|E g - g_qat|/|g_qat| variance=E|g-E g|^2
                          qat_norm2=|g_qat|^2 wgrad=WGRAD
  --skip-non-finite       undo and skip a step whose loss or updated params
                          hold a NaN or an infinity (default: stop with an
                          error naming the step and the param)
  --batch-steps=N         with --inputs=X.npy --labels=Y.npy (one batch):
                          N training steps on that batch, one line each
                          step=K train_loss=L, then final train_loss=L
  --dump-gradients=DIR    with --inputs=X.npy --labels=Y.npy (one batch):
                          write loss.npy and NAME.npy per gradient, then exit
  --allreduce=MODE        a data-parallel job's gradient average (a program
                          compiled with --distributed=mpi, started by
                          mpirun -np N): fp32 (default; exact, the same for
                          a given N), int8 or int4 (unbiased, stochastically
                          rounded codes summed in integers: 4x or 8x fewer
                          bytes). --batch is per rank; rank 0 prints and
                          writes checkpoints, --save and --log
  --quiet, -q             no progress bar and no per-epoch lines
  --help, -h              this text
)";
}

} // namespace fqt::runtime
