//===- fqt-run.cpp - run an ONNX model's forward pass on the CPU ----------===//
//
// fqt-run MODEL.onnx --test-data DIR [--rtol R] [--atol A]
//
// Imports the model, lowers it with fqt's CPU pipeline, JIT-compiles it for
// the host, feeds DIR/input_<i>.pb and compares the results with
// DIR/output_<i>.pb (ONNX backend test layout) under
// |got - want| <= atol + rtol * |want|. Prints PASS, or what differs, and
// exits 0 / 1.
//
//===----------------------------------------------------------------------===//

#include "fqt/Conversion/Passes.h"
#include "fqt/Driver/Context.h"
#include "fqt/Import/ONNXImporter.h"
#include "fqt/Import/TensorProto.h"
#include "fqt/Pipelines/Pipelines.h"
#include "fqt/Training/Passes.h"

#include "FQT/FQTDialect.h"
#include "ONNX/ONNXDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

using namespace mlir;
namespace cl = llvm::cl;

static cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model.onnx>"),
                                      cl::Required);
static cl::opt<std::string>
    testDataDir("test-data",
                cl::desc("Directory with input_<i>.pb and output_<i>.pb"),
                cl::value_desc("dir"), cl::Required);
static cl::opt<double> relTolerance("rtol", cl::desc("Relative tolerance"),
                                    cl::init(1e-3));
static cl::opt<double> absTolerance("atol", cl::desc("Absolute tolerance"),
                                    cl::init(1e-7));
static cl::opt<unsigned> trainSteps(
    "train-steps",
    cl::desc("Run the model's ONNX training algorithm (TrainingInfoProto) "
             "this many steps instead of the inference graph: training_init, "
             "then training_step with the test inputs, the updated "
             "initializers fed back; the last step's outputs are compared"),
    cl::init(0));
static cl::opt<bool> printIR("print-ir",
                             cl::desc("Print the module before JIT compiling"),
                             cl::init(false));

namespace {

/// A tensor from a .pb file: shape, ONNX data type and packed bytes.
struct HostTensor {
  std::string name;
  std::vector<int64_t> shape;
  int32_t dataType = 0;
  std::string bytes;
  int64_t numElements() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
};

/// A memref descriptor of any rank as the C interface lays it out:
/// {allocated, aligned, offset, sizes[rank], strides[rank]}.
struct Descriptor {
  /// Words of a descriptor of RANK.
  static size_t size(int64_t rank) { return 3 + 2 * rank; }
  std::vector<int64_t> words;
  explicit Descriptor(size_t rank) : words(size(rank), 0) {}
};

} // namespace

static void fail(const llvm::Twine &message) {
  llvm::errs() << "fqt-run: " << message << "\n";
}

static bool readTensorFile(const std::string &path, HostTensor &out) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!buffer) {
    fail(path + ": cannot read: " + buffer.getError().message());
    return false;
  }
  ::onnx::TensorProto tensor;
  if (!tensor.ParseFromArray((*buffer)->getBufferStart(),
                             int((*buffer)->getBufferSize()))) {
    fail(path + ": not a serialized ONNX TensorProto");
    return false;
  }
  std::string error;
  std::optional<std::string> bytes = fqt::readTensorBytes(tensor, error);
  if (!bytes) {
    fail(path + ": " + error);
    return false;
  }
  out.name = tensor.name();
  out.shape.assign(tensor.dims().begin(), tensor.dims().end());
  out.dataType = tensor.data_type();
  out.bytes = std::move(*bytes);
  return true;
}

/// Files DIR/<prefix>_0.pb, _1.pb, ... in order.
static std::vector<std::string> numberedFiles(StringRef dir, StringRef prefix) {
  std::vector<std::string> files;
  for (int i = 0;; ++i) {
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path,
                            (prefix + "_" + llvm::Twine(i) + ".pb").str());
    if (!llvm::sys::fs::exists(path))
      break;
    files.push_back(std::string(path));
  }
  return files;
}

/// Element `i` of the packed array `data` of T.
template <typename T> static T load(const char *data, int64_t i) {
  T v;
  std::memcpy(&v, data + sizeof(T) * i, sizeof(T));
  return v;
}

/// Value `i` of a tensor as double, for comparison.
static double elementAsDouble(int32_t dataType, const char *data, int64_t i) {
  using TP = ::onnx::TensorProto;
  switch (dataType) {
  case TP::FLOAT:
    return load<float>(data, i);
  case TP::DOUBLE:
    return load<double>(data, i);
  case TP::INT64:
    return double(load<int64_t>(data, i));
  case TP::INT32:
    return load<int32_t>(data, i);
  case TP::INT16:
    return double(load<int16_t>(data, i));
  case TP::UINT16:
    return double(load<uint16_t>(data, i));
  case TP::UINT32:
    return double(load<uint32_t>(data, i));
  case TP::UINT64:
    return double(load<uint64_t>(data, i));
  case TP::INT8:
    return double(int8_t(data[i]));
  case TP::UINT8:
  case TP::BOOL:
    return double(uint8_t(data[i]));
  case TP::FLOAT16:
  case TP::BFLOAT16: {
    llvm::APFloat value(dataType == TP::FLOAT16 ? llvm::APFloat::IEEEhalf()
                                                : llvm::APFloat::BFloat(),
                        llvm::APInt(16, load<uint16_t>(data, i)));
    bool losesInfo;
    value.convert(llvm::APFloat::IEEEdouble(),
                  llvm::APFloat::rmNearestTiesToEven, &losesInfo);
    return value.convertToDouble();
  }
  default:
    return NAN;
  }
}

/// The descriptor of a contiguous row-major tensor stored in `bytes`.
static Descriptor descriptorOf(const std::vector<int64_t> &shape,
                               std::string &bytes) {
  Descriptor d(shape.size());
  d.words[0] = d.words[1] = reinterpret_cast<int64_t>(bytes.data());
  int64_t stride = 1;
  for (int64_t i = shape.size() - 1; i >= 0; --i) {
    d.words[3 + i] = shape[i];
    d.words[3 + shape.size() + i] = stride;
    stride *= shape[i];
  }
  return d;
}

/// Calls `_mlir_ciface_NAME` with `args`; its results, one descriptor after
/// the other, land in `results`.
static bool invoke(ExecutionEngine &engine, StringRef name,
                   std::vector<HostTensor *> args,
                   ArrayRef<int64_t> resultRanks,
                   std::vector<int64_t> &results) {
  std::vector<Descriptor> argDescriptors;
  for (HostTensor *arg : args)
    argDescriptors.push_back(descriptorOf(arg->shape, arg->bytes));
  size_t resultWords = 0;
  for (int64_t rank : resultRanks)
    resultWords += Descriptor::size(rank);
  results.assign(resultWords, 0);
  void *resultPtr = results.data();
  std::vector<void *> argPtrs;
  for (Descriptor &d : argDescriptors)
    argPtrs.push_back(d.words.data());
  SmallVector<void *> packed;
  // A function without results takes no result pointer.
  if (!resultRanks.empty())
    packed.push_back(&resultPtr);
  for (void *&ptr : argPtrs)
    packed.push_back(&ptr);
  std::string entry = ("_mlir_ciface_" + name).str();
  if (llvm::Error error = engine.invokePacked(entry, packed)) {
    fail("cannot run " + entry + ": " + llvm::toString(std::move(error)));
    return false;
  }
  return true;
}

/// Frees the buffers the JIT'd function allocated for its results (the
/// memref lowering mallocs them and hands them to the caller). A result
/// may be an argument's buffer (ARGBUFFERS), a constant global (allocated
/// pointer 0xdeadbeef) or share another result's buffer: those are not
/// freed.
static void releaseResults(std::vector<int64_t> &results,
                           ArrayRef<int64_t> resultRanks,
                           ArrayRef<const void *> argBuffers) {
  llvm::SmallPtrSet<void *, 8> freed;
  size_t offset = 0;
  for (int64_t rank : resultRanks) {
    void *allocated = reinterpret_cast<void *>(results[offset]);
    offset += Descriptor::size(rank);
    if (!allocated || allocated == reinterpret_cast<void *>(0xdeadbeef) ||
        llvm::is_contained(argBuffers, allocated) ||
        !freed.insert(allocated).second)
      continue;
    std::free(allocated);
  }
  results.clear();
}

/// Result `index` (a strided memref of `elementBytes` per element) as a
/// contiguous row-major tensor of the descriptor's shape.
static HostTensor readResult(const std::vector<int64_t> &results,
                             ArrayRef<int64_t> resultRanks, size_t index,
                             size_t elementBytes) {
  size_t offset = 0;
  for (size_t i = 0; i < index; ++i)
    offset += Descriptor::size(resultRanks[i]);
  int64_t rank = resultRanks[index];
  const int64_t *d = results.data() + offset;
  HostTensor out;
  out.shape.assign(d + 3, d + 3 + rank);
  const char *base = reinterpret_cast<const char *>(d[1]);
  int64_t n = out.numElements();
  out.bytes.resize(size_t(n) * elementBytes);
  for (int64_t e = 0; e < n; ++e) {
    // Linear index e in row-major order -> strided element address.
    int64_t rest = e, address = d[2];
    for (int64_t k = rank - 1; k >= 0; --k) {
      address += (rest % out.shape[k]) * d[3 + rank + k];
      rest /= out.shape[k];
    }
    std::memcpy(&out.bytes[size_t(e) * elementBytes],
                base + address * elementBytes, elementBytes);
  }
  return out;
}

/// Replaces `state`'s values by result `index`, which must have its shape.
static bool updateFromResult(const std::vector<int64_t> &results,
                             ArrayRef<int64_t> resultRanks, size_t index,
                             size_t elementBytes, HostTensor &state) {
  HostTensor value = readResult(results, resultRanks, index, elementBytes);
  if (value.shape != state.shape)
    return false;
  state.bytes = std::move(value.bytes);
  return true;
}

static size_t elementBytesOf(Type type) {
  Type element = cast<RankedTensorType>(type).getElementType();
  return element.isIntOrFloat()
             ? std::max(1u, element.getIntOrFloatBitWidth() / 8)
             : 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  cl::ParseCommandLineOptions(argc, argv,
                              "Run an ONNX model's forward pass with fqt\n");

  // Test data first: its shapes bind the model's symbolic dimensions.
  std::vector<HostTensor> inputs, expected;
  for (const std::string &path : numberedFiles(testDataDir, "input")) {
    inputs.emplace_back();
    if (!readTensorFile(path, inputs.back()))
      return 1;
  }
  for (const std::string &path : numberedFiles(testDataDir, "output")) {
    expected.emplace_back();
    if (!readTensorFile(path, expected.back()))
      return 1;
  }
  if (expected.empty()) {
    fail(testDataDir + ": no output_0.pb");
    return 1;
  }

  // The compile driver's context: the same dialects and translations.
  std::unique_ptr<MLIRContext> contextOwner = fqt::createCompilerContext();
  MLIRContext &context = *contextOwner;
  ScopedDiagnosticHandler handler(&context, [](Diagnostic &diag) {
    fqt::printModelDiagnostic(diag, llvm::errs());
    return success();
  });

  fqt::ONNXImportOptions options;
  for (const HostTensor &input : inputs)
    options.inputShapes.push_back(input.shape);
  OwningOpRef<ModuleOp> module =
      fqt::importONNXModelFile(modelPath, &context, options);
  if (!module)
    return 1;

  // What runs: the inference graph, or with --train-steps the training
  // algorithm, whose leading arguments are the state (the initializers it
  // updates) and whose results may replace them (`onnx.update`).
  func::FuncOp init;
  std::string runName = options.functionName;
  if (trainSteps > 0) {
    init = module->lookupSymbol<func::FuncOp>("training_init");
    runName = "training_step";
    if (!init || !module->lookupSymbol<func::FuncOp>(runName)) {
      fail(modelPath + ": --train-steps needs a training algorithm, but the "
                       "model has no training_info");
      return 1;
    }
  }
  auto forward = module->lookupSymbol<func::FuncOp>(runName);
  if (!forward)
    return 1;
  unsigned numState = init ? init.getNumResults() : 0;
  // Result i of the step -> the state argument it updates.
  SmallVector<std::optional<unsigned>> updates(forward.getNumResults());
  for (unsigned i = 0, e = forward.getNumResults(); i < e; ++i) {
    auto target = forward.getResultAttrOfType<StringAttr>(i, "onnx.update");
    for (unsigned a = 0; target && a < numState; ++a)
      if (forward.getArgAttrOfType<StringAttr>(a, "onnx.name") == target)
        updates[i] = a;
  }
  if (forward.getNumArguments() != numState + inputs.size()) {
    fail(modelPath + ": the model takes " +
         llvm::Twine(forward.getNumArguments() - numState) +
         " inputs, the test data has " + llvm::Twine(inputs.size()));
    return 1;
  }
  if (forward.getNumResults() != expected.size()) {
    fail(modelPath + ": the model has " + llvm::Twine(forward.getNumResults()) +
         " outputs, the test data has " + llvm::Twine(expected.size()));
    return 1;
  }
  SmallVector<int64_t> resultRanks;
  for (auto [i, type] : llvm::enumerate(forward.getResultTypes())) {
    auto ranked = dyn_cast<RankedTensorType>(type);
    if (!ranked) {
      fail(modelPath + ": an output of unknown rank cannot be returned");
      return 1;
    }
    // The results are read as the test data's type: the widths must agree.
    Type elementType = ranked.getElementType();
    size_t bytes = elementType.isIntOrFloat()
                       ? std::max(1u, elementType.getIntOrFloatBitWidth() / 8)
                       : 0;
    if (bytes != fqt::onnxElementBytes(expected[i].dataType)) {
      fail(modelPath + ": output " + llvm::Twine(i) +
           " has an element type of another width than its test data");
      return 1;
    }
    resultRanks.push_back(ranked.getRank());
  }
  SmallVector<int64_t> stateRanks;
  SmallVector<size_t> stateBytes;
  std::vector<HostTensor> state;
  for (func::FuncOp f : {forward, init})
    if (f)
      f->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                 UnitAttr::get(&context));
  for (auto f : module->getOps<func::FuncOp>()) {
    // The ONNX names on arguments and results mean nothing to LLVM.
    for (unsigned i = 0, e = f.getNumArguments(); i < e; ++i)
      f.removeArgAttr(i, "onnx.name");
    for (unsigned i = 0, e = f.getNumResults(); i < e; ++i) {
      f.removeResultAttr(i, StringAttr::get(&context, "onnx.name"));
      f.removeResultAttr(i, StringAttr::get(&context, "onnx.update"));
    }
  }
  if (init) {
    for (Type type : init.getResultTypes()) {
      auto ranked = cast<RankedTensorType>(type);
      stateRanks.push_back(ranked.getRank());
      stateBytes.push_back(elementBytesOf(type));
      state.emplace_back();
      state.back().shape.assign(ranked.getShape().begin(),
                                ranked.getShape().end());
    }
  }

  PassManager pm(&context);
  // ONNX's training operators (Gradient, the optimizers) first: Gradient
  // differentiates onnx ops, before they are lowered.
  pm.addPass(fqt::createFQTLowerTrainingOps());
  pm.addPass(fqt::createFQTConvertONNXToLinalg());
  // The functions return their results as buffers that releaseResults
  // frees; their temporaries are freed in them.
  fqt::FqtCpuPipelineOptions cpuOptions;
  cpuOptions.deallocate = true;
  fqt::buildFqtCpuPipeline(pm, cpuOptions);
  if (failed(pm.run(*module)))
    return 1;
  if (printIR)
    module->print(llvm::outs());

  fqt::initializeNativeTarget();
  ExecutionEngineOptions engineOptions;
  // Bufferized copies call memrefCopy from MLIR's C runner utilities; the
  // parallel loops call libomp.
  SmallVector<StringRef> sharedLibs = {FQT_MLIR_C_RUNNER_UTILS,
                                       FQT_OPENMP_LIBRARY};
  engineOptions.sharedLibPaths = sharedLibs;
  // `transformer` is a function_ref: the function it calls must outlive the
  // engine's creation.
  auto transformer = makeOptimizingTransformer(
      /*optLevel=*/2, /*sizeLevel=*/0, /*targetMachine=*/nullptr);
  engineOptions.transformer = transformer;
  auto engine = ExecutionEngine::create(*module, engineOptions);
  if (!engine) {
    fail("JIT compilation failed: " + llvm::toString(engine.takeError()));
    return 1;
  }

  std::vector<HostTensor *> args;
  for (HostTensor &t : state)
    args.push_back(&t);
  for (HostTensor &input : inputs)
    args.push_back(&input);
  std::vector<int64_t> results;
  if (init) {
    std::vector<int64_t> initial;
    if (!invoke(**engine, "training_init", {}, stateRanks, initial))
      return 1;
    for (unsigned a = 0; a < numState; ++a)
      if (!updateFromResult(initial, stateRanks, a, stateBytes[a], state[a])) {
        fail("training_init returned a tensor of an unexpected shape");
        return 1;
      }
    releaseResults(initial, stateRanks, {});
  }
  // The buffers the arguments live in while the function runs.
  std::vector<const void *> argBuffers;
  for (unsigned step = 0, e = std::max(1u, unsigned(trainSteps)); step < e;
       ++step) {
    if (step > 0)
      releaseResults(results, resultRanks, argBuffers);
    argBuffers.clear();
    for (HostTensor *arg : args)
      argBuffers.push_back(arg->bytes.data());
    if (!invoke(**engine, runName, args, resultRanks, results))
      return 1;
    // The updated initializers become the next step's state. Every result
    // is read before any state tensor is written.
    std::vector<HostTensor> next = state;
    for (auto [i, target] : llvm::enumerate(updates))
      if (target && !updateFromResult(results, resultRanks, i,
                                      stateBytes[*target], next[*target])) {
        fail("training_step returned a tensor of an unexpected shape");
        return 1;
      }
    // In place: `args` points at the state tensors. Results that are
    // argument buffers are read before a last step's state is replaced.
    if (step + 1 == e)
      break;
    for (auto [s, n] : llvm::zip(state, next))
      s.bytes = std::move(n.bytes);
  }

  // Compare.
  bool ok = true;
  for (auto [i, want] : llvm::enumerate(expected)) {
    HostTensor got = readResult(results, resultRanks, i,
                                fqt::onnxElementBytes(want.dataType));
    std::string label = "output " + std::to_string(i) +
                        (want.name.empty() ? "" : " '" + want.name + "'");
    if (got.shape != want.shape) {
      llvm::errs() << label << ": shape differs\n";
      ok = false;
      continue;
    }
    int64_t n = want.numElements(), mismatches = 0;
    double worst = 0;
    for (int64_t e = 0; e < n; ++e) {
      double value = elementAsDouble(want.dataType, got.bytes.data(), e);
      double ref = elementAsDouble(want.dataType, want.bytes.data(), e);
      double diff = std::fabs(value - ref);
      bool bad = std::isnan(value) != std::isnan(ref) ||
                 (!std::isnan(ref) &&
                  diff > absTolerance + relTolerance * std::fabs(ref));
      if (bad) {
        if (mismatches < 5)
          llvm::errs() << label << "[" << e << "]: got " << value
                       << ", expected " << ref << "\n";
        ++mismatches;
        worst = std::max(worst, diff);
      }
    }
    if (mismatches) {
      llvm::errs() << label << ": " << mismatches << " of " << n
                   << " elements differ (max |diff| " << worst << ")\n";
      ok = false;
    }
  }
  releaseResults(results, resultRanks, argBuffers);
  llvm::outs() << (ok ? "PASS" : "FAIL") << "\n";
  return ok ? 0 : 1;
}
