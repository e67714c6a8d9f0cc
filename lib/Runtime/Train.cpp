//===- Train.cpp - The training executable's driver -----------------------===//
//
// fqt_train_main: options, data, the epoch loop, evaluation, checkpoints,
// --save and --dump-gradients. Everything that can fail throws Error; the
// one catch at the bottom turns it into `fqt: error: <subject>: <what>` and
// exit status 1.
//
//===----------------------------------------------------------------------===//

#include "fqt/Runtime/AtomicFile.h"
#include "fqt/Runtime/Batching.h"
#include "fqt/Runtime/Checkpoint.h"
#include "fqt/Runtime/Communicator.h"
#include "fqt/Runtime/Dataset.h"
#include "fqt/Runtime/Error.h"
#include "fqt/Runtime/GradientAllreduce.h"
#include "fqt/Runtime/Model.h"
#include "fqt/Runtime/Npy.h"
#include "fqt/Runtime/OnnxExport.h"
#include "fqt/Runtime/Options.h"
#include "fqt/Runtime/Program.h"
#include "fqt/Runtime/Progress.h"
#include "fqt/Runtime/StepAverager.h"
#include "fqt/Runtime/TrainMain.h"
#include "fqt/Runtime/WeightsFormat.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <malloc.h>
#include <memory>
#include <set>
#include <system_error>
#include <thread>

using namespace fqt::runtime;

// libomp's, where the program was compiled with OpenMP (fqt-compile links it
// then); null otherwise, so that the runtime does not depend on it.
extern "C" void omp_set_num_threads(int) __attribute__((weak));

namespace {

/// An error every rank of a job finds at the same point (a collective check
/// failed): rank 0 reports it for all, and no rank needs to end the others.
class JobError : public Error {
public:
  using Error::Error;
};

struct Metrics {
  double loss = 0;
  double accuracy = 0;
};

/// Mean per-sample loss and accuracy of eval_step over DATA; the padded rows
/// of the last batch are not counted. In a job of several ranks each
/// evaluates its contiguous share of DATA and the sums are added up.
Metrics evaluate(Program &program, const Dataset &data, Tensor &input,
                 Tensor &label, const std::string &labelSubject,
                 Communicator &comm) {
  int64_t batch = program.getBatchSize();
  auto [shardBegin, shardEnd] =
      chunkOf(static_cast<size_t>(data.size()), comm.getSize(), comm.getRank());
  int64_t shardFirst = static_cast<int64_t>(shardBegin);
  BatchPlan plan{static_cast<int64_t>(shardEnd - shardBegin), batch,
                 /*padLast=*/true};
  size_t rowBytes = static_cast<size_t>(data.sampleSize()) * sizeof(float);
  std::vector<int64_t> classes(static_cast<size_t>(batch));
  double lossSum = 0;
  int64_t correct = 0;
  for (int64_t b = 0; b < plan.numBatches(); ++b) {
    int64_t first = shardFirst + plan.firstRow(b), valid = plan.validRows(b);
    gatherRows(data.images.data(), rowBytes, nullptr, first, valid, batch,
               input.data());
    gatherRows(data.labels.data(), sizeof(int64_t), nullptr, first, valid,
               batch, classes.data());
    program.setLabels(label, classes.data(), labelSubject);
    program.evalStep(input, label);
    auto [batchLoss, batchCorrect] = program.scoreRows(classes.data(), valid);
    lossSum += batchLoss;
    correct += batchCorrect;
  }
  double sums[2] = {lossSum, static_cast<double>(correct)};
  allreduceSum(comm, sums, 2);
  double n = static_cast<double>(data.size());
  return {sums[0] / n, sums[1] / n};
}

/// NAME with every character that is not safe in a file name replaced by
/// '_' (ONNX names often contain '/' and ':').
std::string fileNameFor(const std::string &name) {
  std::string safe = name;
  for (char &c : safe) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok)
      c = '_';
  }
  if (safe.empty() || safe == "." || safe == "..")
    safe = "_" + safe;
  return safe;
}

/// Reads the batch of --inputs/--labels into the program's buffers.
void loadBatch(const Options &options, Program &program, Tensor &input,
               Tensor &label) {
  int64_t batch = program.getBatchSize();

  Tensor x = readNpy(options.inputs);
  if (x.getDType() == DType::U8)
    x = normalizeImages(x, options.normalize);
  if (x.getDType() != DType::F32)
    throw Error(options.inputs, std::string("has dtype ") +
                                    dtypeName(x.getDType()) +
                                    "; inputs must be float (or u8 pixels)");
  if (x.getShape().empty() || x.getShape()[0] != batch)
    throw Error(options.inputs, "has shape " + shapeString(x.getShape()) +
                                    "; it must hold one batch of " +
                                    std::to_string(batch) +
                                    " samples (the program's input is " +
                                    shapeString(input.getShape()) + ")");
  checkSampleSize(x.getNumElements() / batch, input.getShape(), options.inputs,
                  "the array");
  std::memcpy(input.data(), x.data(), input.getByteSize());

  Tensor y = readNpy(options.labels);
  if (isFloat(y.getDType())) {
    if (!isFloat(label.getDType()) ||
        y.getNumElements() != label.getNumElements())
      throw Error(options.labels,
                  "float labels must match the program's label " +
                      std::string(dtypeName(label.getDType())) + " " +
                      shapeString(label.getShape()) +
                      "; give integer class indices otherwise");
    for (int64_t i = 0, e = y.getNumElements(); i < e; ++i)
      label.setFromDouble(i, y.getAsDouble(i));
  } else {
    if (y.getShape() != Shape{batch})
      throw Error(options.labels,
                  "has shape " + shapeString(y.getShape()) + "; it must hold " +
                      std::to_string(batch) + " class indices (one batch)");
    std::vector<int64_t> classes(static_cast<size_t>(batch));
    for (int64_t i = 0; i < batch; ++i)
      classes[i] = static_cast<int64_t>(y.getAsDouble(i));
    program.setLabels(label, classes.data(), options.labels);
  }
}

/// --dump-gradients: one grad_step on the batch of --inputs/--labels.
void dumpGradients(const Options &options, Program &program, int64_t step,
                   int64_t seed) {
  if (!program.hasGradStep())
    throw Error("--dump-gradients",
                "the program has no grad_step; compile it with "
                "fqt-compile --entry-points=train,eval,grad");
  Tensor input = program.makeInput();
  Tensor label = program.makeLabel();
  loadBatch(options, program, input, label);

  // Name every file before writing any, so that a collision leaves nothing.
  auto grads = program.getGrads();
  std::set<std::string> names{"loss.npy"};
  std::vector<std::string> files;
  for (const auto &[name, value] : grads) {
    std::string file = fileNameFor(name) + ".npy";
    if (!names.insert(file).second)
      throw Error(options.dumpGradients, "two outputs would be written to " +
                                             file + " (gradient of '" + name +
                                             "')");
    files.push_back(options.dumpGradients + "/" + file);
  }

  double loss = program.gradStep(input, label, step, seed);
  std::error_code ec;
  std::filesystem::create_directories(options.dumpGradients, ec);
  if (ec)
    throw Error(options.dumpGradients,
                "cannot create the directory: " + ec.message());
  Tensor lossTensor(DType::F32, {});
  lossTensor.setFromDouble(0, loss);
  // Every file is written to its temporary before any is renamed into
  // place: a full disk leaves the directory as it was, not holding a part
  // of the dump.
  std::vector<std::unique_ptr<AtomicFile>> outputs;
  auto add = [&](const std::string &path, const Tensor &tensor) {
    outputs.push_back(std::make_unique<AtomicFile>(path));
    outputs.back()->write(encodeNpy(tensor));
  };
  add(options.dumpGradients + "/loss.npy", lossTensor);
  for (size_t i = 0; i < grads.size(); ++i)
    add(files[i], *grads[i].second);
  for (std::unique_ptr<AtomicFile> &output : outputs)
    output->commit();
}

/// --gradient-variance=N: the statistics of the reference code's debug.py
/// on one batch. The FQT gradient g is sampled N times (steps 0..N-1, so N
/// independent stochastic roundings), its mean and spread compared with
/// the QAT gradient g_qat of the same quantized forward pass:
/// rel_bias = |mean - g_qat| / |g_qat| (0 up to sampling noise for the
/// unbiased quantizers) and variance = sum |g_i - mean|^2 / (N - 1), the
/// unbiased estimate of E|g - E g|^2, which is the quantization variance.
void gradientVariance(const Options &options, Program &program, int64_t seed) {
  if (!program.hasQatGradStep() || !program.hasGradStep())
    throw Error("--gradient-variance",
                std::string("the program has no ") +
                    (program.hasGradStep() ? "qat_grad_step" : "grad_step") +
                    "; compile it with fqt-compile "
                    "--entry-points=train,eval,grad,qat-grad");
  Tensor input = program.makeInput();
  Tensor label = program.makeLabel();
  loadBatch(options, program, input, label);

  program.qatGradStep(input, label, 0, seed);
  auto qat = program.getQatGrads();
  std::vector<std::vector<double>> sum(qat.size()), sumSq(qat.size());
  for (size_t p = 0; p < qat.size(); ++p) {
    sum[p].assign(qat[p].second->getNumElements(), 0.0);
    sumSq[p].assign(qat[p].second->getNumElements(), 0.0);
  }
  int64_t n = options.gradientVariance;
  for (int64_t i = 0; i < n; ++i) {
    program.gradStep(input, label, i, seed);
    auto grads = program.getGrads();
    for (size_t p = 0; p < grads.size(); ++p)
      for (int64_t e = 0, end = grads[p].second->getNumElements(); e < end;
           ++e) {
        double g = grads[p].second->getAsDouble(e);
        sum[p][e] += g;
        sumSq[p][e] += g * g;
      }
  }
  const ModelInfo &info = program.getInfo();
  auto spec = [&](const char *role) {
    auto it = info.quantizers.find(role);
    return it == info.quantizers.end() ? std::string("none") : it->second;
  };
  for (size_t p = 0; p < qat.size(); ++p) {
    double biasSq = 0, qatSq = 0, variance = 0;
    for (size_t e = 0; e < sum[p].size(); ++e) {
      double mean = sum[p][e] / n;
      double ref = qat[p].second->getAsDouble(e);
      biasSq += (mean - ref) * (mean - ref);
      qatSq += ref * ref;
      variance += std::max(0.0, sumSq[p][e] - n * mean * mean) / (n - 1);
    }
    std::printf("gradient-variance param=%s quantizer=%s rel_bias=%.6g "
                "variance=%.6g qat_norm2=%.6g wgrad=%s\n",
                qat[p].first.c_str(), spec("dgrad").c_str(),
                qatSq > 0 ? std::sqrt(biasSq / qatSq) : 0.0, variance, qatSq,
                spec("wgrad").c_str());
  }
}

/// --log=FILE.csv: one line per train step. The file is rewritten whole
/// (atomically) at every flush, so that a kill leaves the previous complete
/// log, and a resumed run keeps exactly the lines before its checkpoint's
/// step: the log of an interrupted and resumed run equals the log of an
/// uninterrupted one.
class StepLog {
public:
  /// Starts the log at PATH; when FIRSTSTEP > 0 (resuming), the lines of
  /// the existing file for steps before FIRSTSTEP are kept.
  void open(const std::string &path, int64_t firstStep) {
    this->path = path;
    text = "step,epoch,train_loss\n";
    if (firstStep > 0 && std::filesystem::exists(path)) {
      std::string old = readFile(path);
      size_t pos = old.find('\n');
      while (pos != std::string::npos && pos + 1 < old.size()) {
        size_t end = old.find('\n', pos + 1);
        if (end == std::string::npos)
          break;
        std::string line = old.substr(pos + 1, end - pos - 1);
        char *rest = nullptr;
        long long lineStep = std::strtoll(line.c_str(), &rest, 10);
        if (rest == line.c_str() || *rest != ',' || lineStep >= firstStep)
          break;
        text += line + "\n";
        pos = end;
      }
    }
    dirty = true;
  }
  void add(int64_t step, int64_t epoch, double loss) {
    if (path.empty())
      return;
    char line[96];
    std::snprintf(line, sizeof(line), "%lld,%lld,%.9g\n",
                  static_cast<long long>(step), static_cast<long long>(epoch),
                  loss);
    text += line;
    dirty = true;
  }
  void flush() {
    if (path.empty() || !dirty)
      return;
    writeFileAtomically(path, text);
    dirty = false;
  }

private:
  std::string path;
  std::string text;
  bool dirty = false;
};

/// After a train step: whether its loss and its updated params and state
/// are finite. A step that is not has diverged (or met a NaN or an infinity
/// in the data); going on would train on NaN to a NaN model and exit 0. It
/// is an error naming the step and the first param that is not finite, or,
/// with --skip-non-finite, undone and counted (the update is discarded, as
/// loss scaling skips overflowing steps). Returns false for a skipped step.
bool acceptStep(const Options &options, Program &program, double loss,
                int64_t step, int64_t &skipped) {
  std::optional<std::string> param = program.findNonFinite();
  if (std::isfinite(loss) && !param)
    return true;
  if (options.skipNonFinite) {
    program.revertLastStep();
    ++skipped;
    return false;
  }
  std::string what =
      !std::isfinite(loss)
          ? "the training loss is " +
                std::string(std::isnan(loss) ? "nan" : "infinite")
          : "the update of '" + *param + "' is not finite";
  throw Error("step " + std::to_string(step),
              what + ": training diverged or the batch holds a NaN or an "
                     "infinity (a lower --lr may help; --skip-non-finite "
                     "skips such steps)");
}

/// The line that reports skipped steps, if any.
void reportSkipped(int64_t skipped) {
  if (skipped)
    std::printf("skipped %lld steps whose loss or update was not finite\n",
                static_cast<long long>(skipped));
}

/// --batch-steps=N: N training steps on the batch of --inputs/--labels,
/// with the learning rate and schedule of a normal run. A model that
/// cannot lower its loss on one batch has a wrong gradient somewhere; this
/// checks that without a dataset in IDX files.
void batchSteps(const Options &options, Program &program, int64_t firstStep) {
  Tensor input = program.makeInput();
  Tensor label = program.makeLabel();
  loadBatch(options, program, input, label);
  double baseLr = options.lr
                      ? *options.lr
                      : program.getInfo().getOptimizerLr().value_or(0.01);
  StepLog log;
  if (!options.log.empty())
    log.open(options.log, firstStep);
  double loss = NAN, seconds = 0;
  int64_t n = options.batchSteps, skipped = 0, step = firstStep;
  for (int64_t i = 0; i < n; ++i) {
    double lr = options.schedule.at(baseLr, 0, step - firstStep, n, 1);
    auto begin = std::chrono::steady_clock::now();
    double stepLoss = program.trainStep(input, label, lr, step, options.seed);
    seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin)
            .count();
    if (!acceptStep(options, program, stepLoss, step, skipped))
      continue;
    loss = stepLoss;
    log.add(step, 0, loss);
    if (!options.quiet)
      std::printf("step=%lld train_loss=%.6f\n", static_cast<long long>(step),
                  loss);
    ++step;
  }
  log.flush();
  reportSkipped(skipped);
  std::printf("final train_loss=%.6f step_ms=%.3f\n", loss,
              1000 * seconds / static_cast<double>(n));
  std::fflush(stdout);
}

/// Every so many steps the ranks of a job compare their weights.
constexpr int64_t kConsistencyCheckEvery = 100;

/// The ranks of a job must run the same program with the same options: the
/// same data order, steps and rounding on every rank, or the weights would
/// drift apart (or a rank wait for a message that never comes).
void checkSameJob(Communicator &comm, const Options &options,
                  const char *programInfo) {
  std::string job = programInfo;
  for (const std::string *text :
       {&options.data, &options.resume, &options.allreduce})
    job += "\n" + *text;
  for (double value :
       {double(options.epochs), double(options.batch.value_or(0)),
        double(options.seed), options.lr.value_or(-1.0),
        double(options.schedule.kind), double(options.schedule.every),
        options.schedule.gamma, double(options.trainLimit),
        double(options.testLimit), double(options.skipNonFinite),
        double(options.normalize.mean), double(options.normalize.std)})
    job += "\n" + std::to_string(value);
  if (int r = firstRankDiffering(
          comm, fqt::weights::checksum(job.data(), job.size()));
      r >= 0)
    throw JobError("mpirun", "rank " + std::to_string(r) +
                                 " runs another program or other options "
                                 "than rank 0 (--data, --epochs, --seed, "
                                 "--lr, --lr-schedule, --train-limit, "
                                 "--test-limit, --allreduce, --resume, "
                                 "--normalize and --skip-non-finite must "
                                 "agree)");
}

/// The ranks hold the same params and state after every step (they apply
/// the same averaged update); a difference is a bug or a broken machine,
/// and the run stops rather than drift.
void checkSameWeights(Communicator &comm, const Program &program,
                      int64_t step) {
  // The buffers themselves: a snapshot() would copy them.
  auto params = program.getParams(), state = program.getState();
  uint64_t hash = 0;
  for (const auto *buffers : {&params, &state})
    for (const auto &[name, tensor] : *buffers)
      hash =
          fqt::weights::checksum(tensor->data(), tensor->getByteSize(), hash);
  if (int r = firstRankDiffering(comm, hash); r >= 0)
    throw JobError("step " + std::to_string(step),
                   "the params and state of rank " + std::to_string(r) +
                       " differ from rank 0's; the ranks no longer train "
                       "the same model");
}

/// Fails before any training when a label is outside the model's classes.
void checkLabels(const Dataset &data, int64_t numClasses,
                 const std::string &subject) {
  const int64_t *labels = data.labels.as<int64_t>();
  for (int64_t i = 0; i < data.size(); ++i)
    if (numClasses && labels[i] >= numClasses)
      throw Error(subject, "label " + std::to_string(labels[i]) +
                               " of sample " + std::to_string(i) +
                               " is outside the model's " +
                               std::to_string(numClasses) + " classes");
}

int run(int argc, char **argv, const fqt_program *programAbi,
        Communicator &comm) {
  Options options = parseOptions(argc, argv);
  int ranks = comm.getSize(), rank = comm.getRank();
  // Rank 0 speaks and writes for the job.
  bool lead = rank == 0;
  if (options.help) {
    if (lead)
      std::fputs(helpText(argc > 0 ? argv[0] : "fqt-train").c_str(), stdout);
    return 0;
  }
  if (!lead)
    options.quiet = true;
  if (!programAbi)
    throw Error("fqt_train_main", "no program");
  Program program(*programAbi);
  if (ranks > 1 && !program.isSplitStep())
    throw Error("mpirun -np " + std::to_string(ranks),
                "this program trains in one process; compile it with "
                "fqt-compile --distributed=mpi to train on several");
  if (ranks > 1 && (!options.dumpGradients.empty() ||
                    options.gradientVariance || options.batchSteps))
    throw Error("mpirun -np " + std::to_string(ranks),
                "--dump-gradients, --gradient-variance and --batch-steps "
                "look at one batch in one process; run them without mpirun");
  AllreduceMode allreduceMode = *parseAllreduceMode(options.allreduce);
  if (ranks > 1)
    checkSameJob(comm, options, programAbi->info);
  program.setWeightsFile(options.weights);
  int64_t batch = program.getBatchSize();
  if (options.batch && *options.batch != batch)
    throw Error("--batch=" + std::to_string(*options.batch),
                "the program was compiled for batch " + std::to_string(batch) +
                    "; the batch size is static: recompile with fqt-compile "
                    "--batch=" +
                    std::to_string(*options.batch));

  // Everything that can be checked before training is: a dry run of --save
  // on the (not yet initialised) params finds a model that does not parse
  // or does not fit the program.
  std::string_view onnxModel;
  if (!options.save.empty()) {
    onnxModel = program.getOnnxModel();
    if (onnxModel.empty())
      throw Error(options.save, "the program embeds no ONNX model "
                                "(fqt_model_onnx); cannot save trained "
                                "weights");
    std::vector<std::string> unmatched;
    replaceInitializers(onnxModel, program.getParams(), "fqt_model_onnx",
                        &unmatched);
    // State named after an initializer (BatchNormalization's running
    // statistics) is saved too; other state (optimizer moments) has no
    // initializer and is left out without a warning.
    replaceInitializers(onnxModel, program.getState(), "fqt_model_onnx",
                        nullptr);
    if (!options.quiet)
      for (const std::string &name : unmatched)
        std::fprintf(stderr,
                     "fqt: warning: %s: the model has no initializer named "
                     "'%s'; that param will not be saved\n",
                     options.save.c_str(), name.c_str());
  }

  // An unwritable --checkpoint, --save or --log should not cost a training
  // run: creating (and discarding) the temporary file finds it now.
  for (const std::string &output :
       {options.checkpoint, options.save, options.log})
    if (!output.empty() && options.dumpGradients.empty() && lead)
      AtomicFile probe(output);

  Checkpoint resumed;
  bool resuming = !options.resume.empty();
  if (resuming) {
    resumed = readCheckpoint(options.resume);
    program.restore(resumed, options.resume);
    // Another seed would draw other shuffles and roundings than the run
    // that wrote the checkpoint: the resumed run would not be the
    // continuation it claims to be.
    if (options.seedGiven && options.seed != resumed.seed)
      throw Error("--seed=" + std::to_string(options.seed),
                  "the checkpoint " + options.resume +
                      " was written by a run with --seed=" +
                      std::to_string(resumed.seed) +
                      "; resume without --seed (or with the same one)");
    options.seed = resumed.seed;
    // Another number of ranks cuts other global batches from the shuffle.
    if (resumed.ranks > 0 && resumed.ranks != ranks)
      throw Error(options.resume,
                  "was written by a job of " + std::to_string(resumed.ranks) +
                      (resumed.ranks == 1 ? " rank" : " ranks") +
                      "; resume with " +
                      (resumed.ranks == 1
                           ? std::string("one process")
                           : "mpirun -np " + std::to_string(resumed.ranks)) +
                      " (this job has " + std::to_string(ranks) + ")");
    if (!options.threads && resumed.threads > 0)
      options.threads = resumed.threads;
    if (resumed.epoch + (resumed.batchInEpoch > 0) > options.epochs &&
        options.dumpGradients.empty())
      throw Error("--epochs=" + std::to_string(options.epochs),
                  "the checkpoint " + options.resume + " has already trained " +
                      std::to_string(resumed.epoch) + " epochs" +
                      (resumed.batchInEpoch
                           ? " and " + std::to_string(resumed.batchInEpoch) +
                                 " steps of epoch " +
                                 std::to_string(resumed.epoch + 1)
                           : std::string()));
  }
  // The thread count of the compiled program's parallel regions: set in
  // libomp directly, and in the environment for anything the program
  // starts; both before the first call into the program.
  if (options.threads) {
    setenv("OMP_NUM_THREADS", std::to_string(*options.threads).c_str(), 1);
    if (omp_set_num_threads)
      omp_set_num_threads(static_cast<int>(*options.threads));
  }
  if (!resuming)
    program.init();

  auto saveModel = [&] {
    std::vector<std::pair<std::string, const Tensor *>> saved =
        program.getParams();
    for (const auto &entry : program.getState())
      saved.push_back(entry);
    writeFileAtomically(
        options.save, replaceInitializers(onnxModel, saved, "fqt_model_onnx"));
  };

  if (!options.dumpGradients.empty()) {
    dumpGradients(options, program, resuming ? resumed.step : 0, options.seed);
    return 0;
  }
  if (options.gradientVariance) {
    gradientVariance(options, program, options.seed);
    return 0;
  }
  if (options.batchSteps) {
    batchSteps(options, program, resuming ? resumed.step : 0);
    if (!options.save.empty())
      saveModel();
    return 0;
  }
  if (!program.hasEvalStep())
    throw Error("fqt_model_info",
                "the program has no eval_step function; the training driver "
                "needs it for the test set (compile it with fqt-compile "
                "--entry-points=train,eval)");

  Dataset train = loadIdxDataset(options.data, "train", options.trainLimit,
                                 options.normalize);
  Dataset test = loadIdxDataset(options.data, "t10k", options.testLimit,
                                options.normalize);
  const Shape &inputShape = program.getInputDesc().shape;
  std::string trainImages =
      findIdxFile(options.data, "train-images-idx3-ubyte");
  std::string testImages = findIdxFile(options.data, "t10k-images-idx3-ubyte");
  checkSampleSize(train.sampleSize(), inputShape, trainImages, "each image");
  checkSampleSize(test.sampleSize(), inputShape, testImages, "each image");
  std::string trainLabels =
      findIdxFile(options.data, "train-labels-idx1-ubyte");
  std::string testLabels = findIdxFile(options.data, "t10k-labels-idx1-ubyte");
  checkLabels(train, program.getNumClasses(), trainLabels);
  checkLabels(test, program.getNumClasses(), testLabels);
  // Each global batch is `ranks` consecutive batches of the shuffled
  // order, one per rank.
  int64_t globalBatch = batch * ranks;
  if (train.size() < globalBatch)
    throw Error(options.trainLimit >= 0 ? "--train-limit" : trainImages,
                std::to_string(train.size()) +
                    " training samples are fewer than one batch of " +
                    std::to_string(batch) +
                    (ranks > 1
                         ? " for each of " + std::to_string(ranks) + " ranks"
                         : std::string()));
  if (test.size() == 0)
    throw Error(testImages, "has no samples");

  double baseLr = options.lr
                      ? *options.lr
                      : program.getInfo().getOptimizerLr().value_or(0.01);
  int64_t stepsPerEpoch = train.size() / globalBatch;
  int64_t step = resuming ? resumed.step : 0;
  int64_t firstEpoch = resuming ? resumed.epoch : 0;
  int64_t firstBatch = resuming ? resumed.batchInEpoch : 0;
  // A mid-epoch checkpoint is only meaningful for the same epochs: the
  // batches of an epoch are cut from the same number of samples.
  if (firstBatch > 0 &&
      (resumed.trainSamples != train.size() || firstBatch >= stepsPerEpoch))
    throw Error(options.resume, "was written in the middle of an epoch of " +
                                    std::to_string(resumed.trainSamples) +
                                    " training samples; this run has " +
                                    std::to_string(train.size()) +
                                    " (resume with the same --train-limit)");
  // The generator's state before an epoch's shuffle is what a checkpoint
  // stores, so that a resumed epoch visits the same batches.
  SplitMix64 rng(static_cast<uint64_t>(options.seed));
  if (resuming)
    rng.setState(resumed.rngState);

  StepLog log;
  if (!options.log.empty() && lead)
    log.open(options.log, resuming ? resumed.step : 0);

  // A split step (a program compiled with --distributed) averages the
  // gradients, the loss and the state train_grad_step updated over the
  // ranks before apply_update; the time and bytes that takes are the
  // job's communication cost.
  StepAverager averager(comm, allreduceMode,
                        static_cast<int>(options.threads.value_or(
                            std::max(1u, std::thread::hardware_concurrency()))));
  program.setStepReducer(
      [&](Program::StepValues &values) { averager(values); });

  Tensor input = program.makeInput();
  Tensor label = program.makeLabel();
  std::vector<int64_t> classes(static_cast<size_t>(batch));
  size_t rowBytes = static_cast<size_t>(train.sampleSize()) * sizeof(float);
  Progress progress(!options.quiet);
  double trainLoss = resuming ? resumed.lastTrainLoss : NAN;
  double totalStepSeconds = 0;
  int64_t totalSteps = 0, skipped = 0;
  Metrics metrics;
  bool evaluated = false;

  auto saveCheckpoint = [&](int64_t epoch, int64_t batchInEpoch,
                            uint64_t rngState, double epochLossSum) {
    Checkpoint checkpoint;
    checkpoint.epoch = epoch;
    checkpoint.step = step;
    checkpoint.rngState = rngState;
    checkpoint.seed = options.seed;
    checkpoint.threads = options.threads.value_or(0);
    checkpoint.lastTrainLoss = trainLoss;
    checkpoint.batchInEpoch = batchInEpoch;
    checkpoint.epochLossSum = epochLossSum;
    checkpoint.trainSamples = train.size();
    checkpoint.ranks = ranks;
    checkpoint.buffers = program.snapshot();
    // The log holds at least the steps the checkpoint covers.
    log.flush();
    writeCheckpoint(options.checkpoint, checkpoint);
  };

  for (int64_t epoch = firstEpoch; epoch < options.epochs; ++epoch) {
    uint64_t epochRngState = rng.getState();
    std::vector<int64_t> order = shuffledOrder(train.size(), rng);
    progress.start("epoch " + std::to_string(epoch + 1) + "/" +
                       std::to_string(options.epochs),
                   stepsPerEpoch);
    int64_t startBatch = epoch == firstEpoch ? firstBatch : 0;
    double lossSum = startBatch ? resumed.epochLossSum : 0;
    // Steps of this epoch whose loss is in lossSum (all but the skipped).
    int64_t taken = startBatch;
    double epochSeconds = 0;
    for (int64_t b = startBatch; b < stepsPerEpoch; ++b) {
      int64_t firstRow = b * globalBatch + rank * batch;
      gatherRows(train.images.data(), rowBytes, order.data(), firstRow, batch,
                 batch, input.data());
      gatherRows(train.labels.data(), sizeof(int64_t), order.data(), firstRow,
                 batch, batch, classes.data());
      program.setLabels(label, classes.data(), trainLabels);
      double lr = options.schedule.at(baseLr, epoch, step, stepsPerEpoch,
                                      options.epochs);
      auto begin = std::chrono::steady_clock::now();
      double loss = program.trainStep(input, label, lr, step, options.seed);
      bool accepted = acceptStep(options, program, loss, step, skipped);
      epochSeconds += std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - begin)
                          .count();
      // A skipped step adds nothing to the epoch's mean, no log line and
      // no step: `step` counts the updates made (the learning-rate
      // schedule's and the stochastic rounding's clock).
      if (accepted) {
        lossSum += loss;
        ++taken;
        log.add(step, epoch, loss);
        ++step;
      }
      progress.update(b + 1, taken ? lossSum / static_cast<double>(taken)
                                   : static_cast<double>(NAN));
      if (ranks > 1 && step % kConsistencyCheckEvery == 0)
        checkSameWeights(comm, program, step);
      if (options.checkpointEvery && step % options.checkpointEvery == 0 &&
          b + 1 < stepsPerEpoch && lead)
        saveCheckpoint(epoch, b + 1, epochRngState, lossSum);
    }
    progress.finish();
    int64_t epochSteps = stepsPerEpoch - startBatch;
    totalStepSeconds += epochSeconds;
    totalSteps += epochSteps;
    trainLoss =
        taken ? lossSum / static_cast<double>(taken) : static_cast<double>(NAN);
    if (ranks > 1)
      checkSameWeights(comm, program, step);
    metrics = evaluate(program, test, input, label, testLabels, comm);
    evaluated = true;
    if (!options.quiet) {
      std::printf("epoch %lld/%lld train_loss=%.6f test_loss=%.6f "
                  "test_accuracy=%.4f step_ms=%.3f\n",
                  static_cast<long long>(epoch + 1),
                  static_cast<long long>(options.epochs), trainLoss,
                  metrics.loss, metrics.accuracy,
                  epochSteps
                      ? 1000 * epochSeconds / static_cast<double>(epochSteps)
                      : 0.0);
      std::fflush(stdout);
    }
    log.flush();
    if (!options.checkpoint.empty() && lead)
      saveCheckpoint(epoch + 1, 0, rng.getState(), 0);
  }
  log.flush();
  if (!evaluated) // resumed from a checkpoint of the last epoch
    metrics = evaluate(program, test, input, label, testLabels, comm);

  if (!options.save.empty() && lead)
    saveModel();
  if (!lead)
    return 0;

  double stepMs =
      totalSteps ? 1000 * totalStepSeconds / static_cast<double>(totalSteps)
                 : 0.0;
  reportSkipped(skipped);
  // The last line of stdout; scripts parse it, keep its format.
  std::printf("final train_loss=%.6f test_loss=%.6f test_accuracy=%.4f "
              "step_ms=%.3f",
              trainLoss, metrics.loss, metrics.accuracy, stepMs);
  if (program.isSplitStep()) {
    double steps = std::max<double>(1, static_cast<double>(averager.getSteps()));
    std::printf(" ranks=%d allreduce=%s comm_bytes_per_step=%.0f "
                "comm_ms_per_step=%.3f",
                ranks, allreduceModeName(allreduceMode),
                static_cast<double>(averager.getBytes()) / steps,
                1000 * averager.getSeconds() / steps);
  }
  std::printf("\n");
  std::fflush(stdout);
  return 0;
}

} // namespace

/// The compiled steps allocate and free their large temporaries (im2col
/// matrices, pooling scatters, quantized copies) every step. With glibc's
/// defaults each one above 128 KiB is a fresh mmap whose pages the kernel
/// zeroes on first touch, about a quarter of the CNN's step; keeping them
/// in the heap (and not trimming it) reuses the same pages every step.
static void keepLargeBuffersInHeap() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20); // glibc's maximum on 64-bit
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

int fqt::runtime::trainMain(int argc, char **argv, const fqt_program *program,
                            Communicator &comm, bool *everyRankFailed) {
  keepLargeBuffersInHeap();
  if (everyRankFailed)
    *everyRankFailed = false;
  // In a job of several ranks, a message names the rank it comes from.
  std::string where = comm.getSize() > 1
                          ? "rank " + std::to_string(comm.getRank()) + ": "
                          : std::string();
  try {
    return run(argc, argv, program, comm);
  } catch (const JobError &error) {
    if (everyRankFailed)
      *everyRankFailed = true;
    std::fflush(stdout);
    if (comm.getRank() == 0)
      std::fprintf(stderr, "fqt: error: %s\n", error.message().c_str());
  } catch (const Error &error) {
    std::fflush(stdout);
    std::fprintf(stderr, "fqt: error: %s%s\n", where.c_str(),
                 error.message().c_str());
  } catch (const std::bad_alloc &) {
    std::fflush(stdout);
    std::fprintf(stderr, "fqt: error: %sout of memory\n", where.c_str());
  } catch (const std::exception &error) {
    std::fflush(stdout);
    std::fprintf(stderr, "fqt: error: %s%s\n", where.c_str(), error.what());
  }
  return 1;
}

/// The size of the job a launcher started this process in (OpenMPI's
/// mpirun, MPICH's and Slurm's), or 1.
static int launchedJobSize() {
  for (const char *name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"})
    if (const char *value = std::getenv(name))
      return std::max(1, std::atoi(value));
  return 1;
}

extern "C" int fqt_train_main(int argc, char **argv,
                              const fqt_program *program) {
  // N copies of a one-process program would each train alone and, with
  // --save or --checkpoint, overwrite each other's files.
  if (int size = launchedJobSize(); size > 1) {
    std::fprintf(stderr,
                 "fqt: error: mpirun -np %d: this program trains in one "
                 "process; compile it with fqt-compile --distributed=mpi to "
                 "train on several\n",
                 size);
    return 1;
  }
  SingleProcess comm;
  return trainMain(argc, argv, program, comm);
}
