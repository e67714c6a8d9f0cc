//===- Bindings.cpp - The fqt._fqt Python extension -----------------------===//
//
// pybind11 over fqt's own C++ API: the compile driver (lib/Driver), the
// compiled program's C ABI (include/fqt/Runtime/Model.h, called directly on
// numpy buffers), the runtime's model-info parser and ONNX export, and the
// JIT-compiled quantizer kernels. python_bindings/fqt/__init__.py is the
// documented, typed API over this module; tests and users import `fqt`.
//
// Buffers: the Trainer runs the runtime's Program (lib/Runtime), which owns
// the params and state; batches that are C-contiguous arrays of the
// program's element type are passed to the compiled code as they are (no
// copy), anything else is converted once. What the Trainer returns (params,
// gradients) are numpy copies.
//
//===----------------------------------------------------------------------===//

#include "fqt/Driver/Driver.h"
#include "fqt/Driver/QuantizerKernel.h"
#include "fqt/Runtime/AtomicFile.h"
#include "fqt/Runtime/Error.h"
#include "fqt/Runtime/Model.h"
#include "fqt/Runtime/ModelInfo.h"
#include "fqt/Runtime/OnnxExport.h"
#include "fqt/Runtime/Program.h"
#include "fqt/Runtime/StepAverager.h"
#include "fqt/Runtime/Tensor.h"
#ifdef FQT_HAVE_MPI
#include "fqt/Runtime/MpiCommunicator.h"
#endif

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <tuple>

namespace py = pybind11;
using namespace fqt::runtime;

namespace {

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

/// A compilation failed; `diagnostics` holds every line the compiler printed.
struct CompileFailure : std::exception {
  CompileFailure(std::string message, std::string diagnostics)
      : message(std::move(message)), diagnostics(std::move(diagnostics)) {}
  const char *what() const noexcept override { return message.c_str(); }
  std::string message;
  std::string diagnostics;
};

PyObject *compileErrorType = nullptr;

[[noreturn]] void valueError(const std::string &message) {
  throw py::value_error(message);
}
[[noreturn]] void typeError(const std::string &message) {
  throw py::type_error(message);
}

//===----------------------------------------------------------------------===//
// numpy helpers
//===----------------------------------------------------------------------===//

py::dtype numpyDType(DType type) {
  switch (type) {
  case DType::F16:
    return py::dtype("float16");
  case DType::BF16: // numpy has no bfloat16: the raw 16-bit patterns.
    return py::dtype("uint16");
  case DType::F32:
    return py::dtype::of<float>();
  case DType::F64:
    return py::dtype::of<double>();
  case DType::I1:
    return py::dtype::of<bool>();
  case DType::I8:
    return py::dtype::of<int8_t>();
  case DType::I16:
    return py::dtype::of<int16_t>();
  case DType::I32:
    return py::dtype::of<int32_t>();
  case DType::I64:
    return py::dtype::of<int64_t>();
  case DType::U8:
    return py::dtype::of<uint8_t>();
  }
  return py::dtype::of<float>();
}

std::string shapeRepr(const Shape &shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    text += std::to_string(shape[i]) + (shape.size() == 1 ? "," : "") +
            (i + 1 < shape.size() ? ", " : "");
  return text + ")";
}

Shape arrayShape(const py::array &a) {
  return Shape(a.shape(), a.shape() + a.ndim());
}

std::string typeName(py::handle obj) {
  return py::str(py::type::handle_of(obj).attr("__name__"));
}

/// OBJ as a C-contiguous array of DTYPE: OBJ itself when it already is one,
/// else a converted copy. WHAT names the argument in errors.
py::array asArray(py::handle obj, const py::dtype &dtype, const char *what) {
  if (obj.is_none())
    typeError(std::string(what) + " must be an array, got None");
  if (py::isinstance<py::array>(obj)) {
    auto a = py::reinterpret_borrow<py::array>(obj);
    if (a.dtype().is(dtype) || a.dtype().equal(dtype))
      if (a.flags() & py::array::c_style)
        return a;
  }
  py::module_ np = py::module_::import("numpy");
  try {
    py::array a = np.attr("asarray")(obj);
    char kind = a.dtype().kind();
    if (kind != 'f' && kind != 'i' && kind != 'u' && kind != 'b')
      typeError(std::string(what) + " must be a numeric array, got " +
                (py::isinstance<py::array>(obj)
                     ? "an array of dtype " + std::string(py::str(a.dtype()))
                     : typeName(obj)));
    return np.attr("ascontiguousarray")(a, dtype);
  } catch (py::error_already_set &e) {
    if (e.matches(PyExc_TypeError) || e.matches(PyExc_ValueError))
      typeError(std::string(what) + " must be a numeric array, got " +
                typeName(obj) + " (" + e.what() + ")");
    throw;
  }
}

/// The kind of OBJ's elements as numpy sees them: 'f', 'i', 'u', 'b', ...
char elementKind(py::handle obj) {
  if (py::isinstance<py::array>(obj))
    return py::reinterpret_borrow<py::array>(obj).dtype().kind();
  py::module_ np = py::module_::import("numpy");
  try {
    return py::array(np.attr("asarray")(obj)).dtype().kind();
  } catch (py::error_already_set &) {
    return '?';
  }
}

//===----------------------------------------------------------------------===//
// Trainer: a compiled program, its parameters and its optimizer state
//===----------------------------------------------------------------------===//

/// A small host buffer for a scalar argument of any type.
struct Scalar {
  alignas(8) unsigned char bytes[16] = {};
  void set(DType type, double value) {
    switch (type) {
    case DType::F32: {
      float v = static_cast<float>(value);
      std::memcpy(bytes, &v, sizeof v);
      break;
    }
    case DType::F64:
      std::memcpy(bytes, &value, sizeof value);
      break;
    case DType::I32: {
      int32_t v = static_cast<int32_t>(value);
      std::memcpy(bytes, &v, sizeof v);
      break;
    }
    default: {
      int64_t v = static_cast<int64_t>(value);
      std::memcpy(bytes, &v, sizeof v);
      break;
    }
    }
  }
};

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
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : job)
    hash = (hash ^ c) * 0x100000001b3ull;
  std::vector<uint64_t> hashes = locked([&] { return allgather(*comm, hash); });
  for (size_t r = 1; r < hashes.size(); ++r)
    if (hashes[r] != hashes[0])
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
      valueError(std::string(what) + "[" + std::to_string(i) + "] = " +
                 std::to_string(c(i)) + " is outside the model's " +
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
               " elements each (the program's input '" + input->name +
               "' is " + shapeRepr(input->shape) + ")");
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
      const Tensor &sampleLoss = program->getSampleLoss();
      const Tensor &output = program->getOutput();
      int64_t k = output.getShape()[1];
      for (int64_t r = 0; r < valid; ++r) {
        lossSum += sampleLoss.getAsDouble(r);
        int64_t best = 0;
        double bestValue = output.getAsDouble(r * k);
        for (int64_t j = 1; j < k; ++j) {
          double v = output.getAsDouble(r * k + j);
          if (v > bestValue) {
            bestValue = v;
            best = j;
          }
        }
        correct += best == batchClasses[r];
      }
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

//===----------------------------------------------------------------------===//
// Compilation
//===----------------------------------------------------------------------===//

/// A fresh directory under $TMPDIR, removed with its contents on scope exit.
class TempDir {
public:
  TempDir() {
    std::filesystem::path base = std::filesystem::temp_directory_path();
    std::string pattern = (base / "fqt-XXXXXX").string();
    if (!mkdtemp(pattern.data()))
      throw std::runtime_error("cannot create a temporary directory in " +
                               base.string() + ": " + std::strerror(errno));
    path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  const std::string &get() const { return path; }

private:
  std::string path;
};

/// The message of a CompileError: the diagnostics without the final
/// newline.
std::string messageOf(const std::string &diagnostics) {
  std::string message = diagnostics;
  while (!message.empty() && message.back() == '\n')
    message.pop_back();
  return message.empty() ? "compilation failed" : message;
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

/// fqt-compile: OPTIONS.modelPath to OPTIONS.outputPath as OPTIONS.emit
/// says; the diagnostics (--timing, --kernel-stats, warnings) are returned,
/// an error raises CompileError.
std::string compileFile(const fqt::CompileOptions &options) {
  fqt::CompileResult result;
  {
    py::gil_scoped_release release;
    result = fqt::compileModel(options);
  }
  if (!result.succeeded)
    throw CompileFailure(messageOf(result.diagnostics), result.diagnostics);
  return result.diagnostics;
}

std::string emitIR(const fqt::CompileOptions &options,
                    const std::string &stageName) {
  auto stage = fqt::parseCompileStage(stageName);
  if (!stage)
    valueError("unknown stage '" + stageName + "'; expected one of " +
               fqt::compileStageNames());
  fqt::CompileResult result;
  {
    py::gil_scoped_release release;
    result = fqt::emitStage(options, *stage);
  }
  if (!result.succeeded)
    throw CompileFailure(messageOf(result.diagnostics), result.diagnostics);
  return result.output;
}

//===----------------------------------------------------------------------===//
// Quantizer kernels
//===----------------------------------------------------------------------===//

using KernelKey = std::tuple<int, std::string, std::vector<int64_t>, int64_t>;

std::mutex kernelMutex;
std::map<KernelKey, std::shared_ptr<fqt::QuantizerKernel>> &kernelCache() {
  static auto *cache =
      new std::map<KernelKey, std::shared_ptr<fqt::QuantizerKernel>>();
  return *cache;
}

std::shared_ptr<fqt::QuantizerKernel>
getKernel(fqt::QuantizerKernel::Kind kind, const std::string &spec,
          const std::vector<int64_t> &shape, int64_t stream) {
  KernelKey key(static_cast<int>(kind), spec, shape, stream);
  {
    std::lock_guard<std::mutex> lock(kernelMutex);
    auto it = kernelCache().find(key);
    if (it != kernelCache().end())
      return it->second;
  }
  std::string error;
  std::unique_ptr<fqt::QuantizerKernel> kernel;
  {
    py::gil_scoped_release release;
    kernel = fqt::QuantizerKernel::create(kind, spec, shape, stream, error);
  }
  if (!kernel)
    throw CompileFailure(messageOf(error), error);
  std::shared_ptr<fqt::QuantizerKernel> shared = std::move(kernel);
  std::lock_guard<std::mutex> lock(kernelMutex);
  return kernelCache().emplace(key, shared).first->second;
}

/// SPEC parsed (once per distinct string: parsing builds an MLIR context).
fqt::QuantizerSpec parseSpec(const std::string &spec) {
  static std::mutex mutex;
  static auto *parsed = new std::map<std::string, fqt::QuantizerSpec>();
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = parsed->find(spec);
    if (it != parsed->end())
      return it->second;
  }
  fqt::QuantizerSpec result;
  std::string error;
  if (!fqt::parseQuantizerSpec(spec, result, error))
    valueError(error);
  std::lock_guard<std::mutex> lock(mutex);
  return parsed->emplace(spec, result).first->second;
}

py::dtype codeDType(const fqt::QuantizerSpec &spec) {
  return spec.symmetric ? py::dtype::of<int8_t>() : py::dtype::of<uint8_t>();
}

py::tuple quantize(py::handle x, const std::string &specText, int64_t seed,
                   int64_t step, std::optional<double> gamma, int64_t stream) {
  fqt::QuantizerSpec spec = parseSpec(specText);
  if (spec.gamma && !gamma)
    valueError(spec.attribute + " needs its clipping factor: pass gamma=");
  if (!spec.gamma && gamma)
    valueError("only lbt takes gamma, not " + spec.attribute);
  py::array in = asArray(x, py::dtype::of<float>(), "array");
  if (in.size() == 0)
    valueError("array is empty (shape " + shapeRepr(arrayShape(in)) +
               "); there is nothing to quantize");
  std::vector<int64_t> shape = arrayShape(in);
  auto kernel =
      getKernel(fqt::QuantizerKernel::Kind::Quantize, specText, shape, stream);
  Scalar seedBuf, stepBuf, gammaBuf;
  std::memcpy(seedBuf.bytes, &seed, sizeof seed);
  std::memcpy(stepBuf.bytes, &step, sizeof step);
  gammaBuf.set(DType::F32, gamma.value_or(0.0));
  std::vector<void *> pointers;
  for (const auto &arg : kernel->args()) {
    if (arg.name == "input")
      pointers.push_back(const_cast<void *>(in.data()));
    else if (arg.name == "seed")
      pointers.push_back(seedBuf.bytes);
    else if (arg.name == "step")
      pointers.push_back(stepBuf.bytes);
    else
      pointers.push_back(gammaBuf.bytes);
  }
  std::vector<py::array> results;
  for (const auto &r : kernel->results()) {
    py::dtype dt =
        r.name == "codes" ? codeDType(spec) : py::dtype::of<float>();
    results.push_back(py::array(dt, r.shape));
    pointers.push_back(results.back().mutable_data());
  }
  {
    py::gil_scoped_release release;
    kernel->call(pointers.data());
  }
  py::tuple t(results.size());
  for (size_t i = 0; i < results.size(); ++i)
    t[i] = results[i];
  return t;
}

py::array dequantize(py::handle codes, py::handle scales, py::handle offsets,
                     const std::string &specText, py::handle transform) {
  fqt::QuantizerSpec spec = parseSpec(specText);
  char kind = elementKind(codes);
  if (kind != 'i' && kind != 'u')
    typeError("codes must be an integer array, got " +
              (kind == '?' ? typeName(codes)
                           : std::string("elements of kind '") + kind + "'"));
  // Range check before narrowing to the 8-bit storage of the codes.
  py::module_ np = py::module_::import("numpy");
  py::array wide = asArray(codes, py::dtype::of<int64_t>(), "codes");
  int64_t lo = spec.symmetric ? -((int64_t(1) << (spec.bits - 1)) - 1) : 0;
  int64_t hi = spec.symmetric ? (int64_t(1) << (spec.bits - 1)) - 1
                              : (int64_t(1) << spec.bits) - 1;
  if (wide.size() > 0) {
    int64_t mn = py::int_(np.attr("min")(wide));
    int64_t mx = py::int_(np.attr("max")(wide));
    if (mn < lo || mx > hi)
      valueError("codes range over [" + std::to_string(mn) + ", " +
                 std::to_string(mx) + "], outside the [" + std::to_string(lo) +
                 ", " + std::to_string(hi) + "] of " + spec.attribute);
  }
  py::array narrow = asArray(codes, codeDType(spec), "codes");
  std::vector<int64_t> shape = arrayShape(narrow);
  auto kernel = getKernel(fqt::QuantizerKernel::Kind::Dequantize, specText,
                          shape, 0);
  std::vector<py::array> keep;
  std::vector<void *> pointers;
  for (const auto &arg : kernel->args()) {
    if (arg.name == "codes") {
      keep.push_back(narrow);
    } else {
      py::handle value = arg.name == "scale"    ? scales
                         : arg.name == "offset" ? offsets
                                                : transform;
      if (value.is_none())
        valueError(spec.attribute + " needs its " + arg.name +
                   (arg.name == "transform" ? " (the 4th result of quantize)"
                                            : ""));
      py::array a = asArray(value, py::dtype::of<float>(), arg.name.c_str());
      if (arrayShape(a) != Shape(arg.shape))
        valueError(arg.name + " has shape " + shapeRepr(arrayShape(a)) +
                   "; " + spec.attribute + " on codes of shape " +
                   shapeRepr(shape) + " needs " + shapeRepr(arg.shape));
      keep.push_back(a);
    }
    // Read only: the kernel's arguments are not written.
    pointers.push_back(const_cast<void *>(keep.back().data()));
  }
  if (spec.symmetric && !offsets.is_none())
    valueError("symmetric " + spec.attribute + " has no offsets; pass None");
  if (!spec.transform && !transform.is_none())
    valueError("only bhq has a transform, not " + spec.attribute);
  py::array result(py::dtype::of<float>(), shape);
  pointers.push_back(result.mutable_data());
  {
    py::gil_scoped_release release;
    kernel->call(pointers.data());
  }
  return result;
}

} // namespace

PYBIND11_MODULE(_fqt, m) {
  m.doc() = "fqt's C++ extension; use the `fqt` package, which documents it.";

  compileErrorType = PyErr_NewExceptionWithDoc(
      "fqt.CompileError",
      "The compiler rejected a model or a quantizer. str(error) and "
      "error.diagnostics hold the compiler's diagnostics, one line each.",
      PyExc_RuntimeError, nullptr);
  m.add_object("CompileError", py::handle(compileErrorType));
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p)
        std::rethrow_exception(p);
    } catch (const CompileFailure &e) {
      // Diagnostics quote names from the model file, which need not be
      // UTF-8: undecodable bytes become U+FFFD rather than a second error.
      auto lossy = [](const std::string &text) {
        return py::reinterpret_steal<py::object>(PyUnicode_DecodeUTF8(
            text.data(), Py_ssize_t(text.size()), "replace"));
      };
      py::object message = lossy(e.message);
      if (!message)
        return; // The call set a Python error already.
      py::object error = py::reinterpret_steal<py::object>(
          PyObject_CallFunctionObjArgs(compileErrorType, message.ptr(),
                                       nullptr));
      if (!error)
        return;
      error.attr("diagnostics") = lossy(e.diagnostics);
      PyErr_SetObject(compileErrorType, error.ptr());
    } catch (const Error &e) {
      PyErr_SetString(PyExc_RuntimeError, e.message().c_str());
    }
  });

  py::class_<fqt::CompileOptions> compileOptions(m, "CompileOptions");
  compileOptions.def(py::init<>())
      .def_readwrite("model_path", &fqt::CompileOptions::modelPath)
      .def_readwrite("output_path", &fqt::CompileOptions::outputPath)
      .def_property(
          "model_bytes",
          [](const fqt::CompileOptions &o) -> py::object {
            if (!o.modelBytes)
              return py::none();
            return py::bytes(*o.modelBytes);
          },
          [](fqt::CompileOptions &o, py::object v) {
            if (v.is_none())
              o.modelBytes.reset();
            else
              o.modelBytes = std::string(py::bytes(v));
          })
      .def_readwrite("tool_name", &fqt::CompileOptions::toolName);
  // Every option of the two lists, as an attribute named by its Python
  // name (those fqt.compile takes) or else by its flag (`gpu-arch`:
  // gpu_arch); compile_option_schema() describes them all
  // (test/Python/test_options.py holds fqt.compile's keywords to it, and
  // `python -m fqt compile` builds its command line from it).
  py::list schema;
  static std::deque<std::string> attributeNames;
  auto option = [&](const char *kind, const char *flag, const char *python,
                    const std::string &shown, const char *help) {
    std::string attribute = *python ? python : flag;
    std::replace(attribute.begin(), attribute.end(), '-', '_');
    attributeNames.push_back(attribute);
    py::dict entry;
    entry["kind"] = kind;
    entry["flag"] = flag;
    entry["python"] = python;
    entry["attribute"] = attribute;
    entry["default"] = shown;
    entry["help"] = help;
    schema.append(entry);
    return attributeNames.back().c_str();
  };
#define FQT_OPTION(KIND, FIELD, FLAG, PYTHON, DEFAULT, SHOWN, HELP)            \
  compileOptions.def_readwrite(option(#KIND, FLAG, PYTHON, SHOWN, HELP),       \
                               &fqt::CompileOptions::FIELD);
#include "fqt/Pipelines/TrainOptions.def"
#define FQT_OPTION(KIND, FIELD, FLAG, PYTHON, DEFAULT, SHOWN, HELP)            \
  compileOptions.def_readwrite(option(#KIND, FLAG, PYTHON, SHOWN, HELP),       \
                               &fqt::CompileOptions::FIELD);
  using fqt::kDefaultMinParallelWork;
#include "fqt/Driver/CompileOptions.def"
  m.def("compile_option_schema", [schema] { return schema; });

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
  m.def("emit_ir", &emitIR, py::arg("options"), py::arg("stage"));
  m.def("compile_file", &compileFile, py::arg("options"));
  m.def("quantize", &quantize, py::arg("array"), py::arg("spec"),
        py::arg("seed"), py::arg("step"), py::arg("gamma"), py::arg("stream"));
  m.def("dequantize", &dequantize, py::arg("codes"), py::arg("scales"),
        py::arg("offsets"), py::arg("spec"), py::arg("transform"));
  m.def(
      "parse_quantizer_spec",
      [](const std::string &spec) {
        fqt::QuantizerSpec s = parseSpec(spec);
        py::dict d;
        d["attribute"] = s.attribute;
        d["kind"] = s.kind;
        d["bits"] = s.bits;
        d["symmetric"] = s.symmetric;
        d["stochastic"] = s.stochastic;
        d["transform"] = s.transform;
        d["gamma"] = s.gamma;
        d["min_rows"] = s.minRows;
        return d;
      },
      py::arg("spec"));
  m.def("compile_stages", [] { return std::string(fqt::compileStageNames()); });
}
