//===- Trainer.cpp - fqt.Trainer: a compiled program and its state --------===//
//
// The Trainer runs the runtime's Program (lib/Runtime), which owns the
// params and state; batches that are C-contiguous arrays of the program's
// element type are passed to the compiled code as they are (no copy),
// anything else is converted once. What it returns (params, gradients) are
// numpy copies. With distributed="mpi" it is one rank of an MPI job.
//
//===----------------------------------------------------------------------===//

#include "Bindings.h"

#include "fqt/Driver/Driver.h"
#include "fqt/Runtime/AtomicFile.h"
#include "fqt/Runtime/Error.h"
#include "fqt/Runtime/Model.h"
#include "fqt/Runtime/ModelInfo.h"
#include "fqt/Runtime/OnnxExport.h"
#include "fqt/Runtime/Program.h"
#include "fqt/Runtime/StepAverager.h"
#include "fqt/Runtime/WeightsFormat.h"
#ifdef FQT_HAVE_MPI
#include "fqt/Runtime/MpiCommunicator.h"
#endif

#include <pybind11/stl.h>

#include <dlfcn.h>

#include <memory>
#include <mutex>

using namespace fqt::runtime;

namespace fqt::python {
namespace {

class Trainer {
public:
  Trainer(const std::string &libraryPath, double lr, int64_t seed);
  ~Trainer();
  Trainer(const Trainer &) = delete;
  Trainer &operator=(const Trainer &) = delete;

  void reset();
  double step(py::handle x, py::handle y, std::optional<double> lrOverride);
  std::pair<double, double> evaluate(py::handle x, py::handle y);
  py::dict gradients(py::handle x, py::handle y, std::optional<int64_t> seed,
                     std::optional<int64_t> step, bool withLoss, bool qat);
  bool hasQatGradients() const { return program->hasQatGradStep(); }
  py::dict parameters() const { return copies(program->getParams()); }
  py::dict optimizerState() const { return copies(program->getState()); }
  void setParameters(const py::dict &values);
  void save(const std::string &path) const;

  int64_t getSeed() const { return seed; }
  void setSeed(int64_t s) { seed = s; }
  double getLr() const { return lr; }
  void setLr(double value) { lr = value; }
  int64_t getStepCount() const { return stepCount; }
  void setStepCount(int64_t value) {
    if (value < 0)
      valueError("step_count must be non-negative, got " +
                 std::to_string(value));
    stepCount = value;
  }
  int64_t getBatchSize() const { return batch; }
  int64_t getNumClasses() const { return numClasses; }
  py::tuple getInputShape() const { return py::cast(input->shape); }
  const std::string &getInfo() const { return infoText; }
  std::string getLoss() const { return program->getInfo().loss; }
  std::vector<std::string> getParameterNames() const;
  bool hasOnnxModel() const { return !program->getOnnxModel().empty(); }

  /// Makes this trainer one rank of the MPI job the process belongs to
  /// (MPI_COMM_WORLD; MPI is initialized here unless it already is): every
  /// step averages the gradients, loss and state over the ranks, ALLREDUCE
  /// (fp32, int8, int4) saying how, the quantized modes' local work on
  /// THREADS threads.
  void joinMpi(const std::string &allreduce, int threads);
  int getRank() const { return comm ? comm->getRank() : 0; }
  int getRanks() const { return comm ? comm->getSize() : 1; }
  /// Bytes this rank sent in the averaging, in all steps so far.
  uint64_t getCommBytes() const { return averager ? averager->getBytes() : 0; }

private:
  /// Runs BODY on the program: without the GIL (the compiled code may run
  /// long and on threads), one call at a time (the trainer's lock is taken
  /// after the GIL is released: a thread waiting for it must not hold the
  /// GIL). BODY touches no Python object beyond the buffers' data.
  template <typename Body> auto locked(Body body) {
    py::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(callMutex);
    return body();
  }
  /// X as one batch of the program's input (no copy when it fits).
  py::array batchInput(py::handle x) const;
  /// Y as one batch of the program's label.
  py::array batchLabel(py::handle y) const;
  /// The class indices of Y (for N samples): integer labels, or the argmax
  /// of one-hot rows.
  py::array classIndices(py::handle y, int64_t n, const char *what) const;
  void checkClasses(const py::array &classes, const char *what) const;
  void fillLabel(const int64_t *classes, int64_t rows, void *label) const;
  py::array newArray(const BufferDesc &desc) const {
    return py::array(numpyDType(desc.dtype), desc.shape);
  }
  /// Numpy copies of the program's TENSORS, by name.
  static py::dict
  copies(const std::vector<std::pair<std::string, const Tensor *>> &tensors);

  void *handle = nullptr;
  fqt_program abi = {};
  std::string infoText;
  /// The runtime's program: it checks the functions, owns the params and
  /// state (two sets, ping-ponged) and calls the entry points, for the
  /// training executable and this trainer alike.
  std::unique_ptr<Program> program;
  const BufferDesc *input = nullptr, *label = nullptr;
  int64_t batch = 0;
  int64_t numClasses = 0;
  int64_t sampleSize = 0;
  std::mutex callMutex;
  /// A rank of a data-parallel job (joinMpi), or null.
  std::unique_ptr<Communicator> comm;
  std::unique_ptr<StepAverager> averager;

  double lr;
  int64_t seed;
  int64_t stepCount = 0;
};

#ifdef FQT_HAVE_MPI
/// MPI, initialized once per process by the first trainer that joins a job
/// (unless the program or mpi4py did), and finalized when Python exits.
void ensureMpi() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized)
    return;
  // This extension was loaded RTLD_LOCAL; OpenMPI's components, which it
  // loads at MPI_Init, need libmpi's symbols in the global namespace.
  for (const char *name : {"libmpi.so.40", "libmpi.so.12", "libmpi.so"})
    if (dlopen(name, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD))
      break;
  int provided = 0;
  if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided) !=
      MPI_SUCCESS)
    throw std::runtime_error("MPI_Init failed");
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  py::module_::import("atexit").attr("register")(py::cpp_function([] {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized)
      MPI_Finalize();
  }));
}
#endif

void Trainer::joinMpi(const std::string &allreduce, int threads) {
  std::optional<AllreduceMode> mode = parseAllreduceMode(allreduce);
  if (!mode)
    valueError("allreduce must be fp32, int8 or int4, got '" + allreduce + "'");
  if (comm)
    throw std::runtime_error("the trainer is already a rank of a job");
  if (!program->isSplitStep())
    throw std::runtime_error(
        "the program trains in one process; compile it with "
        "distributed='mpi' to train as a rank of a job");
#ifdef FQT_HAVE_MPI
  ensureMpi();
  comm = std::make_unique<MpiCommunicator>(MPI_COMM_WORLD);
#else
  throw std::runtime_error("this fqt was built without MPI (install "
                           "libopenmpi-dev and rebuild)");
#endif
  // Every rank must run the same program in the same mode.
  std::string job = infoText + "\n" + allreduce;
  uint64_t hash = fqt::weights::checksum(job.data(), job.size());
  if (int r = locked([&] { return firstRankDiffering(*comm, hash); }); r >= 0)
    throw std::runtime_error(
        "rank " + std::to_string(r) +
        " runs another program or another allreduce mode than rank 0");
  averager = std::make_unique<StepAverager>(*comm, *mode, std::max(1, threads));
  program->setStepReducer(
      [this](Program::StepValues &values) { (*averager)(values); });
}

Trainer::Trainer(const std::string &libraryPath, double lr, int64_t seed)
    : lr(lr), seed(seed) {
  handle = dlopen(libraryPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    throw std::runtime_error(std::string("cannot load the compiled program: ") +
                             dlerror());
  auto symbol = [&](const char *name) { return dlsym(handle, name); };
  auto entry = [&](const char *name) {
    return reinterpret_cast<fqt_entry_fn>(symbol(name));
  };
  auto infoFn = reinterpret_cast<const char *(*)()>(symbol("fqt_model_info"));
  if (!infoFn)
    throw std::runtime_error("the compiled program has no fqt_model_info");
  abi.info = infoFn();
  abi.init = entry("fqt_init");
  abi.train_step = entry("fqt_train_step");
  abi.eval_step = entry("fqt_eval_step");
  abi.grad_step = entry("fqt_grad_step");
  abi.onnx = reinterpret_cast<const unsigned char *(*)(unsigned long *)>(
      symbol("fqt_model_onnx"));
  abi.weights = reinterpret_cast<const unsigned char *(*)(unsigned long *)>(
      symbol("fqt_weights"));
  abi.cpu_features =
      reinterpret_cast<const char *(*)()>(symbol("fqt_cpu_features"));
  abi.qat_grad_step = entry("fqt_qat_grad_step");
  abi.train_grad_step = entry("fqt_train_grad_step");
  abi.apply_update = entry("fqt_apply_update");
  infoText = abi.info;
  program = std::make_unique<Program>(abi);
  batch = program->getBatchSize();
  numClasses = program->getNumClasses();
  input = &program->getInputDesc();
  label = &program->getLabelDesc();
  sampleSize = numElements(input->shape) / batch;
  reset();
}

Trainer::~Trainer() {
  program.reset();
  if (handle)
    dlclose(handle);
}

void Trainer::reset() {
  locked([&] { program->init(); });
  stepCount = 0;
}

py::array Trainer::batchInput(py::handle x) const {
  py::array a = asArray(x, numpyDType(input->dtype), "x");
  if (a.ndim() == 0 || a.shape(0) != batch || a.size() != batch * sampleSize)
    valueError("x has shape " + shapeRepr(arrayShape(a)) +
               "; the program was compiled for one batch of " +
               std::to_string(batch) + " samples: input '" + input->name +
               "' of shape " + shapeRepr(input->shape));
  return a;
}

void Trainer::checkClasses(const py::array &classes, const char *what) const {
  auto c = classes.unchecked<int64_t, 1>();
  for (py::ssize_t i = 0; i < c.shape(0); ++i)
    if (c(i) < 0 || (numClasses && c(i) >= numClasses))
      valueError(std::string(what) + "[" + std::to_string(i) +
                 "] = " + std::to_string(c(i)) + " is outside the model's " +
                 std::to_string(numClasses) + " classes");
}

py::array Trainer::classIndices(py::handle y, int64_t n,
                                const char *what) const {
  char kind = elementKind(y);
  if (kind == 'f' && label->shape.size() == 2) {
    // One-hot (or soft) rows: their argmax is the class.
    py::array rows = asArray(y, py::dtype::of<float>(), what);
    if (rows.ndim() != 2 || rows.shape(0) != n ||
        rows.shape(1) != label->shape[1])
      valueError(std::string(what) + " has shape " +
                 shapeRepr(arrayShape(rows)) + "; expected " +
                 std::to_string(n) + " class indices or " + std::to_string(n) +
                 " one-hot rows of " + std::to_string(label->shape[1]));
    py::module_ np = py::module_::import("numpy");
    return asArray(np.attr("argmax")(rows, 1), py::dtype::of<int64_t>(), what);
  }
  if (kind != 'i' && kind != 'u')
    typeError(std::string(what) + " must hold integer class indices" +
              (label->shape.size() == 2 ? " or float one-hot rows" : "") +
              ", got " +
              (kind == '?' ? typeName(y)
                           : std::string("elements of kind '") + kind + "'"));
  py::array classes = asArray(y, py::dtype::of<int64_t>(), what);
  if (classes.ndim() != 1 || classes.shape(0) != n)
    valueError(std::string(what) + " has shape " +
               shapeRepr(arrayShape(classes)) + "; expected (" +
               std::to_string(n) + ",): one class index per sample");
  checkClasses(classes, what);
  return classes;
}

void Trainer::fillLabel(const int64_t *classes, int64_t rows,
                        void *data) const {
  Tensor view(label->dtype, {});
  bool oneHot = label->shape.size() == 2;
  int64_t k = oneHot ? label->shape[1] : 1;
  size_t element = dtypeSize(label->dtype);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < k; ++c) {
      view.setFromDouble(0, oneHot ? (c == classes[r] ? 1.0 : 0.0)
                                   : static_cast<double>(classes[r]));
      std::memcpy(static_cast<char *>(data) + (r * k + c) * element,
                  view.data(), element);
    }
  }
}

py::array Trainer::batchLabel(py::handle y) const {
  // Float rows given for a float label pass as they are.
  if (label->shape.size() == 2 && elementKind(y) == 'f') {
    py::array rows = asArray(y, numpyDType(label->dtype), "y");
    if (arrayShape(rows) == label->shape)
      return rows;
  }
  // Integer classes for an integer label of the same type pass as they are.
  if (label->shape.size() == 1 && py::isinstance<py::array>(y) &&
      py::reinterpret_borrow<py::array>(y).dtype().equal(
          numpyDType(label->dtype))) {
    py::array classes = asArray(y, numpyDType(label->dtype), "y");
    if (arrayShape(classes) == label->shape) {
      checkClasses(asArray(classes, py::dtype::of<int64_t>(), "y"), "y");
      return classes;
    }
  }
  py::array classes = classIndices(y, batch, "y");
  py::array result = newArray(*label);
  fillLabel(classes.unchecked<int64_t, 1>().data(0), batch,
            result.mutable_data());
  return result;
}

double Trainer::step(py::handle x, py::handle y,
                     std::optional<double> lrOverride) {
  py::array in = batchInput(x);
  py::array lab = batchLabel(y);
  double stepLr = lrOverride.value_or(lr);
  double loss = locked([&] {
    return program->trainStep({in.data(), lab.data()}, stepLr, stepCount, seed);
  });
  ++stepCount;
  return loss;
}

std::pair<double, double> Trainer::evaluate(py::handle x, py::handle y) {
  if (!program->hasEvalStep())
    throw std::runtime_error("the program has no eval_step function");
  py::array data = asArray(x, numpyDType(input->dtype), "x");
  if (data.ndim() == 0 || data.shape(0) == 0 ||
      data.size() != data.shape(0) * sampleSize)
    valueError("x has shape " + shapeRepr(arrayShape(data)) +
               "; expected N samples of " + std::to_string(sampleSize) +
               " elements each (the program's input '" + input->name + "' is " +
               shapeRepr(input->shape) + ")");
  int64_t n = data.shape(0);
  py::array classes = classIndices(y, n, "y");
  const int64_t *c = classes.unchecked<int64_t, 1>().data(0);
  const char *base = static_cast<const char *>(data.data());
  return locked([&] {
    size_t inputRow = sampleSize * dtypeSize(input->dtype);
    Tensor padded = program->makeInput();
    Tensor labelBuffer = program->makeLabel();
    std::vector<int64_t> batchClasses(batch);
    double lossSum = 0;
    int64_t correct = 0;
    for (int64_t first = 0; first < n; first += batch) {
      int64_t valid = std::min(batch, n - first);
      const void *in = base + first * inputRow;
      if (valid < batch) {
        // The last batch: valid rows, then zeros; only valid rows count.
        std::memset(padded.data(), 0, padded.getByteSize());
        std::memcpy(padded.data(), in, valid * inputRow);
        in = padded.data();
      }
      for (int64_t r = 0; r < batch; ++r)
        batchClasses[r] = r < valid ? c[first + r] : 0;
      fillLabel(batchClasses.data(), batch, labelBuffer.data());
      program->evalStep({in, labelBuffer.data()});
      auto [batchLoss, batchCorrect] =
          program->scoreRows(batchClasses.data(), valid);
      lossSum += batchLoss;
      correct += batchCorrect;
    }
    return std::pair(lossSum / double(n), double(correct) / double(n));
  });
}

py::dict Trainer::gradients(py::handle x, py::handle y,
                            std::optional<int64_t> seedOverride,
                            std::optional<int64_t> stepOverride, bool withLoss,
                            bool qat) {
  if (!(qat ? program->hasQatGradStep() : program->hasGradStep()))
    throw std::runtime_error(
        std::string("the program has no ") +
        (qat ? "qat_grad_step function" : "grad_step function") +
        "; compile it with entry_points including " +
        (qat ? "'qat-grad'" : "'grad'"));
  py::array in = batchInput(x);
  py::array lab = batchLabel(y);
  int64_t stepValue = stepOverride.value_or(stepCount);
  int64_t seedValue = seedOverride.value_or(seed);
  double loss = locked([&] {
    Program::Batch batchData{in.data(), lab.data()};
    return qat ? program->qatGradStep(batchData, stepValue, seedValue)
               : program->gradStep(batchData, stepValue, seedValue);
  });
  py::dict grads = copies(qat ? program->getQatGrads() : program->getGrads());
  if (withLoss)
    grads[py::str("loss")] = py::float_(loss);
  return grads;
}

py::dict Trainer::copies(
    const std::vector<std::pair<std::string, const Tensor *>> &tensors) {
  py::dict values;
  for (const auto &[name, tensor] : tensors) {
    py::array a(numpyDType(tensor->getDType()), tensor->getShape());
    std::memcpy(a.mutable_data(), tensor->data(), tensor->getByteSize());
    values[py::str(name)] = a;
  }
  return values;
}

std::vector<std::string> Trainer::getParameterNames() const {
  std::vector<std::string> names;
  for (const auto &[name, tensor] : program->getParams())
    names.push_back(name);
  return names;
}

void Trainer::setParameters(const py::dict &values) {
  // Check everything before changing anything.
  std::vector<std::pair<Tensor *, py::array>> copies;
  for (auto [key, value] : values) {
    if (!py::isinstance<py::str>(key))
      typeError("parameter names must be strings, got " + typeName(key));
    std::string name = py::str(key);
    Tensor *param = program->findCurrent(BufferKind::Param, name);
    if (!param) {
      std::string known;
      for (const std::string &n : getParameterNames())
        known += (known.empty() ? "" : ", ") + n;
      valueError("the program has no parameter '" + name +
                 "'; its parameters are " + known);
    }
    py::array a = asArray(value, numpyDType(param->getDType()), name.c_str());
    if (arrayShape(a) != param->getShape())
      valueError("parameter '" + name + "' has shape " +
                 shapeRepr(param->getShape()) + ", got " +
                 shapeRepr(arrayShape(a)));
    copies.emplace_back(param, a);
  }
  for (auto &[dst, src] : copies)
    std::memcpy(dst->data(), src.data(), dst->getByteSize());
}

void Trainer::save(const std::string &path) const {
  std::string_view onnxModel = program->getOnnxModel();
  if (onnxModel.empty())
    throw std::runtime_error(
        "the program embeds no ONNX model (fqt_model_onnx); cannot save");
  // Params, and the state named after an initializer (BatchNormalization's
  // running statistics); other state has no initializer and is skipped.
  std::vector<std::pair<std::string, const Tensor *>> saved =
      program->getParams();
  for (const auto &entry : program->getState())
    saved.push_back(entry);
  writeFileAtomically(path,
                      replaceInitializers(onnxModel, saved, "fqt_model_onnx"));
}

std::unique_ptr<Trainer> compileTrainer(fqt::CompileOptions options,
                                        int64_t seed) {
  TempDir dir;
  options.outputPath = dir.get() + "/program.so";
  options.emit = "shared";
  fqt::CompileResult result;
  {
    py::gil_scoped_release release;
    result = fqt::compileModel(options);
  }
  if (!result.succeeded)
    throw CompileFailure(messageOf(result.diagnostics), result.diagnostics);
  // The library stays mapped after its file is removed with the directory.
  return std::make_unique<Trainer>(result.output, options.lr, seed);
}

} // namespace

void registerTrainer(py::module_ &m) {
  py::class_<Trainer>(m, "Trainer")
      .def("reset", &Trainer::reset)
      .def("step", &Trainer::step, py::arg("x"), py::arg("y"),
           py::arg("lr") = py::none())
      .def("evaluate", &Trainer::evaluate, py::arg("x"), py::arg("y"))
      .def("gradients", &Trainer::gradients, py::arg("x"), py::arg("y"),
           py::arg("seed") = py::none(), py::arg("step") = py::none(),
           py::arg("with_loss") = false, py::arg("qat") = false)
      .def("parameters", &Trainer::parameters)
      .def("optimizer_state", &Trainer::optimizerState)
      .def("set_parameters", &Trainer::setParameters, py::arg("values"))
      .def("save", &Trainer::save, py::arg("path"))
      .def_property("seed", &Trainer::getSeed, &Trainer::setSeed)
      .def_property("lr", &Trainer::getLr, &Trainer::setLr)
      .def_property("step_count", &Trainer::getStepCount,
                    &Trainer::setStepCount)
      .def_property_readonly("batch_size", &Trainer::getBatchSize)
      .def_property_readonly("num_classes", &Trainer::getNumClasses)
      .def_property_readonly("input_shape", &Trainer::getInputShape)
      .def_property_readonly("info", &Trainer::getInfo)
      .def_property_readonly("loss", &Trainer::getLoss)
      .def_property_readonly("has_qat_gradients", &Trainer::hasQatGradients)
      .def_property_readonly("parameter_names", &Trainer::getParameterNames)
      .def("join_mpi", &Trainer::joinMpi, py::arg("allreduce"),
           py::arg("threads"))
      .def_property_readonly("rank", &Trainer::getRank)
      .def_property_readonly("ranks", &Trainer::getRanks)
      .def_property_readonly("comm_bytes", &Trainer::getCommBytes);

  m.def("compile", &compileTrainer, py::arg("options"), py::arg("seed"));
}

} // namespace fqt::python
