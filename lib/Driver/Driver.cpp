//===- Driver.cpp - ONNX model to a compiled training program -------------===//
//
// Strings together the passes that fqt-opt runs one by one: import, build
// the training steps, lower to linalg and then to LLVM for the host CPU,
// add the C entry points of include/fqt/Runtime/Model.h, compile to an
// object file, and link it with the fqt runtime into a training executable
// (or a shared library). Nothing is written unless every stage succeeds.
//
//===----------------------------------------------------------------------===//

#include "fqt/Driver/Driver.h"
#include "fqt/Driver/Context.h"

#include "fqt/Codegen/Passes.h"
#include "fqt/Conversion/Passes.h"
#include "fqt/Import/ONNXProto.h"

#include "FQT/FQTAttrs.h"
#include "fqt/Import/ONNXImporter.h"
#include "fqt/Pipelines/Pipelines.h"
#include "fqt/Quantize/Passes.h"
#include "fqt/Runtime/RuntimeLink.h"
#include "fqt/Runtime/WeightsFormat.h"
#include "fqt/Training/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MLProgram/IR/MLProgram.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/Threading.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/Transforms/Instrumentation/AddressSanitizer.h"
#include "llvm/Transforms/Instrumentation/ThreadSanitizer.h"
#include "llvm/Transforms/Utils/SplitModule.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <dlfcn.h>
#include <thread>

using namespace mlir;

/// The directory of the runtime's archives that training executables link:
/// $FQT_RUNTIME_DIR; else, beside the binary that holds this function
/// (fqt-compile, or the Python extension) or the running executable,
/// lib/fqt of an installation (`cmake --install` puts the tools in bin/ and
/// the archives in lib/fqt) or runtime/ of the Python package (`pip
/// install .`); else the build tree's.
static const std::string &runtimeDir() {
  static const std::string dir = [] {
    if (const char *env = std::getenv("FQT_RUNTIME_DIR"); env && *env)
      return std::string(env);
    llvm::SmallVector<std::string, 2> binaries;
    Dl_info info;
    if (dladdr(reinterpret_cast<void *>(&runtimeDir), &info) && info.dli_fname)
      binaries.push_back(info.dli_fname);
    binaries.push_back(llvm::sys::fs::getMainExecutable(
        nullptr, reinterpret_cast<void *>(&runtimeDir)));
    for (const std::string &binary : binaries) {
      llvm::SmallString<256> dir(binary);
      if (llvm::sys::fs::make_absolute(dir))
        continue;
      llvm::sys::path::remove_filename(dir); // bin/, or the package
      llvm::SmallString<256> installed(dir), package(dir);
      llvm::sys::path::remove_filename(installed); // the prefix
      llvm::sys::path::append(installed, "lib", "fqt");
      llvm::sys::path::append(package, "runtime");
      for (const llvm::SmallString<256> &path : {installed, package}) {
        llvm::SmallString<256> probe(path);
        llvm::sys::path::append(probe, "libfqt_runtime.a");
        if (llvm::sys::fs::exists(probe))
          return std::string(path);
      }
    }
    return std::string(FQT_RUNTIME_BUILD_DIR);
  }();
  return dir;
}

/// FLAG with `{runtime}` replaced by runtimeDir().
static std::string withRuntimeDir(StringRef flag) {
  std::string text = flag.str();
  for (size_t at; (at = text.find("{runtime}")) != std::string::npos;)
    text.replace(at, 9, runtimeDir());
  return text;
}

namespace {

/// One compilation: the options, and where its messages go.
class Driver {
public:
  Driver(const fqt::CompileOptions &options, llvm::raw_ostream &diagnostics)
      : options(options), diagnostics(diagnostics) {}

  /// Compiles to options.outputPath (options.emit says what to write).
  bool compile();
  /// Stops after STAGE and prints the module into IR.
  bool emitStage(fqt::CompileStage stage, std::string &ir);

private:
  void fail(const llvm::Twine &message) {
    diagnostics << options.toolName << ": error: " << message << "\n";
  }
  bool checkOptions();
  /// Resolves options.sanitize into `sanitizer`.
  bool checkSanitizer();
  bool readModel();
  /// Imports the model into a module of `context`, which is created here.
  OwningOpRef<ModuleOp> import();
  /// Adds the passes after stage FROM up to and including stage TO.
  void addPasses(PassManager &pm, fqt::CompileStage from,
                 fqt::CompileStage to);
  /// Sets fqt-train-pipeline's options TRAIN from the compile options.
  void fillTrainPipelineOptions(fqt::FqtTrainPipelineOptions &train) const;
  void addLinalgPasses(PassManager &pm);
  void addTargetPipeline(PassManager &pm);
  /// Moves the data of init's weights out of the module (the initializers
  /// they come from are erased) into `weightEntries` and `weightData`.
  bool takeWeights(ModuleOp module);
  /// `fqt_weights`: the weights' header, and their data unless
  /// --weights=external.
  void embedWeights(llvm::Module &module);
  /// The model without the data of the initializers that are weights (the
  /// runtime's --save writes the trained values there), or the bytes as
  /// they are when they do not parse.
  std::string modelForSave() const;
  bool writeAtomically(StringRef path, StringRef bytes,
                       unsigned mode = llvm::sys::fs::all_read |
                                       llvm::sys::fs::all_write);
  /// The weights file (--weights=external), then the output.
  bool writeOutputs(StringRef bytes,
                    unsigned mode = llvm::sys::fs::all_read |
                                    llvm::sys::fs::all_write) {
    if (!weightFile.empty() &&
        !writeAtomically(options.outputPath + ".weights", weightFile))
      return false;
    return writeAtomically(options.outputPath, bytes, mode);
  }
  std::unique_ptr<llvm::TargetMachine> createTargetMachine();
  /// LLVM's optimization (and the sanitizer's instrumentation) of MODULE;
  /// an error message, or empty. Safe to run on several threads, each with
  /// its module's context and its own MACHINE.
  std::string optimize(llvm::Module &module, llvm::TargetMachine &machine);
  /// Writes MODULE's object code to PATH; an error message, or empty.
  std::string emitObject(llvm::Module &module, llvm::TargetMachine &machine,
                         StringRef path);
  /// Optimizes MODULE and writes its object code: into the one file of
  /// PATHS, or split into as many parts as PATHS has, one thread each;
  /// DATAMODULE (the program's data, in a context of its own), when
  /// given, goes unoptimized to DATAPATH on one more thread.
  bool generateObjects(std::unique_ptr<llvm::Module> module,
                       ArrayRef<std::string> paths, llvm::Module *dataModule,
                       StringRef dataPath);
  void embedModel(llvm::Module &module, StringRef bytes);
  /// `fqt_cpu_features`: the CPU flags the code MACHINE generates needs.
  static void embedCpuFeatures(llvm::Module &module,
                               const llvm::TargetMachine &machine);
  bool runTool(StringRef program, ArrayRef<std::string> args);
  bool isGpu() const { return options.target == "nvptx"; }
  /// nvptx: finds the CUDA toolkit; with NEEDPTXAS, fails unless it has
  /// ptxas.
  bool findCudaToolkit(bool needPtxas);
  /// --emit=ptx: the PTX that gpu-module-to-binary embedded.
  bool writePtx(ModuleOp module);
  /// --kernel-stats: per step function, the kernels one call runs.
  void printStats(ModuleOp module);

  const fqt::CompileOptions &options;
  llvm::raw_ostream &diagnostics;
  /// The model's bytes: options.modelBytes or the file's contents.
  std::unique_ptr<llvm::MemoryBuffer> modelBytes;
  std::unique_ptr<MLIRContext> context;
  /// nvptx: the CUDA toolkit root, and what gpu-module-to-binary embeds
  /// (isa: PTX, bin: cubin).
  std::string cudaRoot;
  std::string gpuFormat = "isa";
  /// The sanitizer the program is instrumented with: address, thread, none.
  std::string sanitizer = "none";
  /// init's weights (WeightsFormat.h): where each one lies in the data.
  std::vector<fqt::weights::Entry> weightEntries;
  std::string weightData;
  /// --weights=external: the weights file written beside the output.
  std::string weightFile;
};

/// --amx's value as the CPU pipeline's mode; none when unknown.
static std::optional<fqt::AmxMode> parseAmxMode(StringRef value) {
  return llvm::StringSwitch<std::optional<fqt::AmxMode>>(value)
      .Case("auto", fqt::AmxMode::automatic)
      .Case("on", fqt::AmxMode::on)
      .Case("off", fqt::AmxMode::off)
      .Case("emulate", fqt::AmxMode::emulate)
      .Default(std::nullopt);
}

bool Driver::checkOptions() {
  static const char *kinds[] = {"exe",  "shared", "object",
                                "mlir", "llvm",   "ptx"};
  if (!llvm::is_contained(kinds, options.emit)) {
    fail("unknown --emit=" + options.emit +
         "; expected exe, shared, object, mlir, llvm or ptx");
    return false;
  }
  if (options.target != "x86-64" && options.target != "nvptx") {
    fail("unknown --target=" + options.target + "; expected x86-64 or nvptx");
    return false;
  }
  if (!parseAmxMode(options.amx)) {
    fail("unknown --amx=" + options.amx +
         "; expected auto, on, off or emulate");
    return false;
  }
  if (options.emit == "ptx" && !isGpu()) {
    fail("--emit=ptx needs --target=nvptx");
    return false;
  }
  if (isGpu()) {
    if (!fqt::isSupportedGpuArch(options.gpuArch)) {
      fail("unknown --gpu-arch=" + options.gpuArch +
           "; expected sm_80 or sm_90");
      return false;
    }
    // Everything but PTX and the target-independent IR embeds a cubin.
    bool needPtxas = options.emit != "ptx" && options.emit != "mlir";
    if (!findCudaToolkit(needPtxas))
      return false;
    gpuFormat = needPtxas ? "bin" : "isa";
  }
  if (options.batch <= 0) {
    fail("--batch must be positive");
    return false;
  }
  if (options.weights != "embed" && options.weights != "external") {
    fail("unknown --weights=" + options.weights +
         "; expected embed or external");
    return false;
  }
  if (options.weights == "external" && options.outputPath == "-") {
    fail("--weights=external writes OUTPUT.weights beside the output; it "
         "needs an output file, not standard output");
    return false;
  }
  if (options.distributed != "none" && options.distributed != "mpi") {
    fail("unknown --distributed=" + options.distributed +
         "; expected none or mpi");
    return false;
  }
  if (options.distributed == "mpi") {
    if (isGpu()) {
      fail("--distributed=mpi trains on CPUs; data-parallel training on "
           "GPUs (NCCL) is not implemented");
      return false;
    }
    if (options.emit == "exe" &&
        StringRef(FQT_RUNTIME_MPI_LINK_FLAGS).empty()) {
      fail("--distributed=mpi: this fqt was built without MPI (install "
           "libopenmpi-dev and rebuild)");
      return false;
    }
  }
  if (options.optLevel > 3) {
    fail("--opt-level=" + Twine(options.optLevel) + "; expected 0, 1, 2 or 3");
    return false;
  }
  return checkSanitizer();
}

bool Driver::checkSanitizer() {
  StringRef built = FQT_BUILD_SANITIZE;
  bool builtWithAddress =
      llvm::is_contained(llvm::split(built, ','), "address");
  sanitizer = options.sanitize;
  if (sanitizer.empty())
    sanitizer = builtWithAddress && !isGpu() && options.emit == "exe"
                    ? "address"
                    : "none";
  if (sanitizer != "address" && sanitizer != "thread" && sanitizer != "none") {
    fail("unknown --sanitize=" + sanitizer +
         "; expected address, thread or none");
    return false;
  }
  if (sanitizer == "none")
    return true;
  if (isGpu()) {
    fail("--sanitize=" + sanitizer + " instruments x86-64 programs only");
    return false;
  }
  // The runtime of an ASan build carries ASan, which ThreadSanitizer cannot
  // share a process with.
  if (sanitizer == "thread" && builtWithAddress) {
    fail("--sanitize=thread needs an fqt built without AddressSanitizer (this "
         "one was built with -fsanitize=" +
         built.str() + ")");
    return false;
  }
  return true;
}

/// Marks every function the program defines for SANITIZER and runs its
/// instrumentation, as clang does last in its pipeline: the optimized loads
/// and stores are the ones checked.
static void instrumentWithSanitizer(llvm::Module &module, StringRef sanitizer,
                                    llvm::TargetMachine *machine) {
  llvm::Attribute::AttrKind attribute = sanitizer == "address"
                                            ? llvm::Attribute::SanitizeAddress
                                            : llvm::Attribute::SanitizeThread;
  for (llvm::Function &function : module)
    if (!function.isDeclaration())
      function.addFnAttr(attribute);
  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager sccs;
  llvm::ModuleAnalysisManager modules;
  llvm::PassBuilder builder(machine);
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(sccs);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, sccs, modules);
  llvm::ModulePassManager passes;
  if (sanitizer == "address") {
    passes.addPass(llvm::AddressSanitizerPass(llvm::AddressSanitizerOptions()));
  } else {
    passes.addPass(llvm::ModuleThreadSanitizerPass());
    passes.addPass(
        llvm::createModuleToFunctionPassAdaptor(llvm::ThreadSanitizerPass()));
  }
  passes.run(module, modules);
}

bool Driver::findCudaToolkit(bool needPtxas) {
  if (!options.cudaRoot.empty())
    cudaRoot = options.cudaRoot;
  else if (const char *env = std::getenv("CUDA_ROOT"); env && *env)
    cudaRoot = env;
  else
    cudaRoot = "/usr/local/cuda";
  SmallString<128> ptxas(cudaRoot);
  llvm::sys::path::append(ptxas, "bin", "ptxas");
  if (needPtxas && !llvm::sys::fs::can_execute(ptxas)) {
    fail("cannot find ptxas at " + ptxas +
         " (the cubin of --emit=" + options.emit +
         " needs the CUDA toolkit); set --cuda-root or CUDA_ROOT, or use "
         "--emit=ptx");
    return false;
  }
  // Without a toolkit, PTX is still written; math functions stay calls to
  // libdevice's __nv_* then.
  if (!llvm::sys::fs::is_directory(cudaRoot))
    cudaRoot.clear();
  return true;
}

bool Driver::readModel() {
  if (options.modelBytes) {
    modelBytes = llvm::MemoryBuffer::getMemBufferCopy(*options.modelBytes,
                                                      options.modelPath);
    return true;
  }
  auto bytes = llvm::MemoryBuffer::getFile(options.modelPath);
  if (!bytes) {
    fail(options.modelPath + ": " + bytes.getError().message());
    return false;
  }
  modelBytes = std::move(*bytes);
  return true;
}

OwningOpRef<ModuleOp> Driver::import() {
  context = fqt::createCompilerContext();
  context->getDiagEngine().registerHandler([this](Diagnostic &diag) {
    fqt::printModelDiagnostic(diag, diagnostics);
    return success();
  });
  fqt::ONNXImportOptions importOptions;
  importOptions.batchSize = options.batch;
  if (!options.modelBytes)
    return fqt::importONNXModelFile(options.modelPath, context.get(),
                                    importOptions);
  StringRef bytes = modelBytes->getBuffer();
  if (StringRef(options.modelPath).ends_with(".onnxtxt"))
    return fqt::importONNXModelText(bytes, options.modelPath, context.get(),
                                    importOptions);
  return fqt::importONNXModel(bytes, options.modelPath, context.get(),
                              importOptions);
}

/// The instruction-set extensions LLVM may use in the code it generates
/// (its name of each) and the name Linux gives each in the `flags` of
/// /proc/cpuinfo. What x86-64 itself guarantees (SSE2) is not listed.
static constexpr std::pair<const char *, const char *> kCpuFlags[] = {
    {"sse3", "pni"},
    {"ssse3", "ssse3"},
    {"sse4.1", "sse4_1"},
    {"sse4.2", "sse4_2"},
    {"popcnt", "popcnt"},
    {"avx", "avx"},
    {"avx2", "avx2"},
    {"fma", "fma"},
    {"f16c", "f16c"},
    {"bmi", "bmi1"},
    {"bmi2", "bmi2"},
    {"lzcnt", "abm"},
    {"movbe", "movbe"},
    {"avx512f", "avx512f"},
    {"avx512bw", "avx512bw"},
    {"avx512dq", "avx512dq"},
    {"avx512vl", "avx512vl"},
    {"avx512cd", "avx512cd"},
    {"avx512vnni", "avx512_vnni"},
    {"avx512bf16", "avx512_bf16"},
    {"avx512fp16", "avx512_fp16"},
    {"avx512vbmi", "avx512vbmi"},
    {"avx512vbmi2", "avx512_vbmi2"},
    {"avx512bitalg", "avx512_bitalg"},
    {"avx512vpopcntdq", "avx512_vpopcntdq"},
    {"avxvnni", "avx_vnni"},
    {"avxvnniint8", "avx_vnni_int8"},
    {"gfni", "gfni"},
    {"vaes", "vaes"},
    {"vpclmulqdq", "vpclmulqdq"},
    {"amx-tile", "amx_tile"},
    {"amx-int8", "amx_int8"},
    {"amx-bf16", "amx_bf16"},
};

/// The extensions of kCpuFlags that MACHINE's code may use: LLVM's names
/// of them, or with LINUXNAMES those of /proc/cpuinfo.
static std::vector<std::string>
cpuFeatureNames(const llvm::TargetMachine &machine, bool linuxNames) {
  std::vector<std::string> names;
  if (const llvm::MCSubtargetInfo *subtarget = machine.getMCSubtargetInfo())
    for (auto [llvmName, linuxName] : kCpuFlags)
      if (subtarget->checkFeatures((Twine("+") + llvmName).str()))
        names.push_back(linuxNames ? linuxName : llvmName);
  return names;
}

void Driver::addPasses(PassManager &pm, fqt::CompileStage from,
                       fqt::CompileStage stage) {
  using fqt::CompileStage;
  auto after = [&](CompileStage s) { return s > from && s <= stage; };
  // The front half is fqt-train-pipeline, the pipeline fqt-opt runs under
  // that name; stopping after the training steps is its fp32 form.
  // (Compiles split after Quantized, never between Training and Quantized.)
  assert(from != CompileStage::Training && "the front half is one pipeline");
  if (after(CompileStage::Training)) {
    fqt::FqtTrainPipelineOptions train;
    fillTrainPipelineOptions(train);
    train.fp32 = train.fp32 || !after(CompileStage::Quantized);
    fqt::buildFqtTrainPipeline(pm, train);
  }
  if (after(CompileStage::Linalg))
    addLinalgPasses(pm);
  if (after(CompileStage::LLVM))
    addTargetPipeline(pm);
}

void Driver::fillTrainPipelineOptions(
    fqt::FqtTrainPipelineOptions &train) const {
  // The same list declares both.
#define FQT_OPTION(KIND, FIELD, FLAG, PYTHON, DEFAULT, SHOWN, HELP)            \
  train.FIELD = options.FIELD;
#include "fqt/Pipelines/TrainOptions.def"
  if (!options.grad.empty())
    train.dgrad = options.grad;
  // A data-parallel program's training step is the split one.
  std::vector<std::string> entryPoints = options.entryPoints;
  if (options.distributed != "none")
    for (std::string &name : entryPoints)
      if (name == "train")
        name = "split-train";
  train.entryPoints = ArrayRef<std::string>(entryPoints);
  train.layerOverrides = ArrayRef<std::string>(options.layerOverrides);
}

void Driver::addLinalgPasses(PassManager &pm) {
  pm.addPass(fqt::createFQTConvertONNXToLinalg());
  if (options.printMemory || options.maxMemory > 0) {
    fqt::FQTEstimateMemoryOptions memory;
    memory.limit = options.maxMemory;
    memory.report = options.printMemory;
    pm.addPass(fqt::createFQTEstimateMemory(memory));
  }
}

void Driver::addTargetPipeline(PassManager &pm) {
  if (isGpu()) {
    fqt::FqtGpuPipelineOptions gpuOptions;
    gpuOptions.entryPoints = true;
    gpuOptions.chip = options.gpuArch;
    gpuOptions.features = "+ptx80";
    gpuOptions.format = gpuFormat;
    gpuOptions.toolkit = cudaRoot;
    fqt::buildFqtGpuPipeline(pm, gpuOptions);
    return;
  }
  fqt::FqtCpuPipelineOptions cpuOptions;
  cpuOptions.entryPoints = true;
  // The product kernels (vpdpbusd, vpmaddwd, vector width) follow --mattr;
  // with --mcpu alone, that CPU's features (what LLVM will compile for);
  // without either, the host's.
  cpuOptions.cpuFeatures = options.mattr;
  if (options.mattr.empty() && !options.cpu.empty()) {
    fqt::initializeNativeTarget();
    if (std::unique_ptr<llvm::TargetMachine> machine = createTargetMachine()) {
      std::string features;
      for (const std::string &name :
           cpuFeatureNames(*machine, /*linuxNames=*/false))
        features += (features.empty() ? "+" : ",+") + name;
      // Not empty (which would mean the host's): a baseline x86-64 CPU has
      // none of the listed extensions.
      cpuOptions.cpuFeatures = features.empty() ? "-avx" : features;
    }
  }
  cpuOptions.openmp = options.openmp;
  cpuOptions.minParallelWork = options.minParallelWork;
  cpuOptions.packI4 = options.packI4;
  cpuOptions.amx = *parseAmxMode(options.amx); // checked by checkOptions
  fqt::buildFqtCpuPipeline(pm, cpuOptions);
}

/// Writes `bytes` to `path` through a temporary file and a rename, so that a
/// failure never leaves a half-written output.
/// Writes `bytes` to a temporary file beside `path` and renames it over
/// `path`: a failed write (a full disk) leaves the file that was there.
/// "-" is standard output.
bool Driver::writeAtomically(StringRef path, StringRef bytes, unsigned mode) {
  if (path == "-") {
    llvm::outs() << bytes;
    llvm::outs().flush();
    return true;
  }
  llvm::Expected<llvm::sys::fs::TempFile> temp =
      llvm::sys::fs::TempFile::create(path + ".tmp-%%%%%%", mode);
  if (!temp) {
    fail(path + ": " + llvm::errorToErrorCode(temp.takeError()).message());
    return false;
  }
  std::error_code ec;
  {
    llvm::raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
    os << bytes;
    os.flush();
    ec = os.error();
    os.clear_error();
  }
  if (ec) {
    llvm::consumeError(temp->discard());
    fail(path + ": " + ec.message());
    return false;
  }
  if (llvm::Error err = temp->keep(path)) {
    fail(path + ": " + llvm::errorToErrorCode(std::move(err)).message());
    return false;
  }
  return true;
}

std::unique_ptr<llvm::TargetMachine> Driver::createTargetMachine() {
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string error;
  const llvm::Target *t = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!t) {
    fail("no LLVM target for " + triple.str() + ": " + error);
    return nullptr;
  }
  std::string cpuName =
      options.cpu.empty() ? llvm::sys::getHostCPUName().str() : options.cpu;
  std::string features = options.mattr;
  if (options.mattr.empty() && options.cpu.empty()) {
    llvm::SubtargetFeatures f;
    for (auto &[name, enabled] : llvm::sys::getHostCPUFeatures())
      f.AddFeature(name, enabled);
    features = f.getString();
  }
  llvm::TargetOptions targetOptions;
  std::optional<llvm::CodeGenOptLevel> level =
      llvm::CodeGenOpt::getLevel(options.optLevel);
  return std::unique_ptr<llvm::TargetMachine>(t->createTargetMachine(
      triple, cpuName, features, targetOptions, llvm::Reloc::PIC_,
      std::nullopt, level.value_or(llvm::CodeGenOptLevel::Default)));
}

/// Adds the bytes BYTES to MODULE as the constant GLOBAL (aligned to ALIGN)
/// and `const unsigned char *ACCESSOR(unsigned long *size)`, which returns
/// them and stores their size.
static void embedBytes(llvm::Module &module, StringRef bytes, StringRef global,
                       StringRef accessor, llvm::Align align = llvm::Align(1)) {
  llvm::LLVMContext &ctx = module.getContext();
  auto *data = llvm::ConstantDataArray::getRaw(bytes, bytes.size(),
                                               llvm::Type::getInt8Ty(ctx));
  auto *variable = new llvm::GlobalVariable(
      module, data->getType(), /*isConstant=*/true,
      llvm::GlobalValue::InternalLinkage, data, global);
  variable->setAlignment(align);
  auto *ptrTy = llvm::PointerType::get(ctx, 0);
  auto *fnTy = llvm::FunctionType::get(ptrTy, {ptrTy}, false);
  auto *fn = llvm::Function::Create(fnTy, llvm::GlobalValue::ExternalLinkage,
                                    accessor, module);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", fn));
  b.CreateStore(
      llvm::ConstantInt::get(llvm::Type::getInt64Ty(ctx), bytes.size()),
      fn->getArg(0));
  b.CreateRet(variable);
}

/// `fqt_model_onnx`: the original model, for `--save` in the runtime.
void Driver::embedModel(llvm::Module &module, StringRef bytes) {
  embedBytes(module, bytes, "fqt_model_onnx_bytes", "fqt_model_onnx");
}

void Driver::embedCpuFeatures(llvm::Module &module,
                              const llvm::TargetMachine &machine) {
  // Code for the host (the default) uses whatever the host has: an
  // executable copied to an older CPU of the pool would die of SIGILL in
  // its first product. The runtime compares this list with the CPU's.
  // The AMX kernels run only after fqt_amx_ready() has checked the CPU and
  // the kernel (--fqt-amx-kernels), and fall back to the others: AMX is
  // not required.
  std::vector<std::string> required;
  for (std::string &name : cpuFeatureNames(machine, /*linuxNames=*/true))
    if (!StringRef(name).starts_with("amx_"))
      required.push_back(std::move(name));
  std::string flags = llvm::join(required, " ");
  llvm::LLVMContext &ctx = module.getContext();
  auto *text = llvm::ConstantDataArray::getString(ctx, flags);
  auto *variable = new llvm::GlobalVariable(
      module, text->getType(), /*isConstant=*/true,
      llvm::GlobalValue::InternalLinkage, text, "fqt_cpu_features_text");
  auto *ptrTy = llvm::PointerType::get(ctx, 0);
  auto *fn = llvm::Function::Create(llvm::FunctionType::get(ptrTy, false),
                                    llvm::GlobalValue::ExternalLinkage,
                                    "fqt_cpu_features", module);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", fn));
  b.CreateRet(variable);
}

std::string Driver::optimize(llvm::Module &module,
                             llvm::TargetMachine &machine) {
  if (llvm::Error err =
          makeOptimizingTransformer(options.optLevel, 0, &machine)(&module))
    return "LLVM optimization failed: " + llvm::toString(std::move(err));
  if (sanitizer != "none")
    instrumentWithSanitizer(module, sanitizer, &machine);
  return "";
}

std::string Driver::emitObject(llvm::Module &module,
                               llvm::TargetMachine &machine, StringRef path) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return (path + ": " + ec.message()).str();
  llvm::legacy::PassManager codegen;
  if (machine.addPassesToEmitFile(codegen, os, nullptr,
                                  llvm::CodeGenFileType::ObjectFile))
    return "the target cannot emit object files";
  codegen.run(module);
  // A full temporary directory is an error here, not LLVM's fatal error of
  // a stream destroyed with a pending write failure.
  os.flush();
  if (os.has_error()) {
    std::error_code writeError = os.error();
    os.clear_error();
    return (path + ": " + writeError.message()).str();
  }
  return "";
}

bool Driver::generateObjects(std::unique_ptr<llvm::Module> module,
                             ArrayRef<std::string> paths,
                             llvm::Module *dataModule, StringRef dataPath) {
  // The data needs no optimization; its code generation, mostly copying
  // bytes into a section, runs beside the code's.
  std::unique_ptr<llvm::TargetMachine> dataMachine;
  std::string dataError;
  std::thread dataThread;
  if (dataModule) {
    dataMachine = createTargetMachine();
    if (!dataMachine)
      return false;
    dataThread = std::thread([&] {
      dataError = emitObject(*dataModule, *dataMachine, dataPath);
    });
  }
  auto joinData = [&] {
    if (dataThread.joinable())
      dataThread.join();
    if (!dataError.empty())
      fail(dataError);
    return dataError.empty();
  };
  if (paths.size() == 1) {
    std::unique_ptr<llvm::TargetMachine> machine = createTargetMachine();
    if (!machine) {
      joinData();
      return false;
    }
    std::string error = optimize(*module, *machine);
    if (error.empty())
      error = emitObject(*module, *machine, paths.front());
    if (!error.empty())
      fail(error);
    return joinData() && error.empty();
  }
  // The parts share no LLVMContext (which is not thread-safe): each travels
  // as bitcode into a context of its own thread. Kernels are no-inline
  // functions, so splitting loses little to optimization across parts.
  auto splitStart = std::chrono::steady_clock::now();
  SmallVector<SmallString<0>> bitcode;
  llvm::SplitModule(*module, paths.size(),
                    [&](std::unique_ptr<llvm::Module> part) {
                      SmallString<0> bytes;
                      llvm::raw_svector_ostream os(bytes);
                      llvm::WriteBitcodeToFile(*part, os);
                      bitcode.push_back(std::move(bytes));
                    });
  module.reset();
  if (options.verbose)
    diagnostics << llvm::format(
        "split into %zu parts: %.2f s\n", bitcode.size(),
        std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                      splitStart)
            .count());
  // One thread, with its own TargetMachine, per part.
  std::vector<std::unique_ptr<llvm::TargetMachine>> machines;
  for (size_t i = 0; i < bitcode.size(); ++i) {
    machines.push_back(createTargetMachine());
    if (!machines.back()) {
      joinData();
      return false;
    }
  }
  std::vector<std::string> errors(bitcode.size()), reports(bitcode.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < bitcode.size(); ++i)
    threads.emplace_back([&, i] {
      llvm::LLVMContext context;
      llvm::Expected<std::unique_ptr<llvm::Module>> part =
          llvm::parseBitcodeFile(
              llvm::MemoryBufferRef(bitcode[i].str(), "part"), context);
      if (!part) {
        errors[i] = "cannot read back a part of the program: " +
                    llvm::toString(part.takeError());
        return;
      }
      auto start = std::chrono::steady_clock::now();
      errors[i] = optimize(**part, *machines[i]);
      auto optimized = std::chrono::steady_clock::now();
      if (errors[i].empty())
        errors[i] = emitObject(**part, *machines[i], paths[i]);
      auto done = std::chrono::steady_clock::now();
      llvm::raw_string_ostream(reports[i])
          << "part " << i << ": " << (*part)->size() << " functions, "
          << llvm::format(
                 "optimization %.2f s, code generation %.2f s\n",
                 std::chrono::duration<double>(optimized - start).count(),
                 std::chrono::duration<double>(done - optimized).count());
    });
  for (std::thread &thread : threads)
    thread.join();
  if (!joinData())
    return false;
  if (options.verbose)
    for (const std::string &report : reports)
      diagnostics << report;
  for (const std::string &error : errors)
    if (!error.empty()) {
      fail(error);
      return false;
    }
  return true;
}

/// The bytes of an initializer's value as the runtime lays a tensor out
/// (dense, row-major): a run of bytes repeated `repeat` times (a splat's one
/// element, once per element), or nullopt for a value of another kind.
struct RawBytes {
  ArrayRef<char> bytes;
  int64_t repeat = 1;
  size_t size() const { return bytes.size() * repeat; }
  void copyTo(char *out) const {
    for (int64_t i = 0; i < repeat; ++i, out += bytes.size())
      std::memcpy(out, bytes.data(), bytes.size());
  }
};

static std::optional<RawBytes> rawBytes(Attribute value) {
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    if (dense.getElementType().isInteger(1))
      return std::nullopt; // Bit-packed; weights are floats.
    return RawBytes{dense.getRawData(),
                    dense.isSplat() ? dense.getNumElements() : 1};
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    return RawBytes{blob->getData()};
  }
  return std::nullopt;
}

bool Driver::takeWeights(ModuleOp module) {
  auto init = module.lookupSymbol<func::FuncOp>("init");
  if (!init)
    return true;
  // The values are copied once, into the data; the initializers hold them
  // until then.
  SmallVector<RawBytes> values;
  SmallVector<ml_program::GlobalOp> globals;
  for (unsigned i = 0, e = init.getNumArguments(); i < e; ++i) {
    fqt::SlotAttr slot = fqt::getArgSlot(init, i);
    if (!slot || slot.getKind() != fqt::SlotKind::weight)
      continue;
    StringRef name = slot.getName();
    auto global = module.lookupSymbol<ml_program::GlobalOp>(name);
    std::optional<RawBytes> bytes;
    if (global && global.getValue())
      bytes = rawBytes(*global.getValue());
    Type type = init.getArgumentTypes()[i];
    if (!bytes || global.getType() != type) {
      fail("weight '" + name +
           "' of init has no initializer of "
           "type " +
           fqt::describeSlotType(cast<ShapedType>(type)) +
           " to take its values from");
      return false;
    }
    fqt::weights::Entry entry;
    entry.name = name.str();
    entry.type = fqt::describeSlotType(cast<ShapedType>(type));
    entry.size = bytes->size();
    weightEntries.push_back(std::move(entry));
    values.push_back(*bytes);
    globals.push_back(global);
  }
  weightData.assign(fqt::weights::layout(weightEntries), '\0');
  for (auto [entry, value] : llvm::zip(weightEntries, values))
    value.copyTo(weightData.data() + entry.offset);
  // The initializers now only held the weights' values. (One walk for all
  // the symbol uses: asking per initializer walks the module each time.)
  llvm::StringSet<> used;
  module.walk([&](Operation *op) {
    if (isa<ml_program::GlobalOp>(op))
      return;
    op->getAttrDictionary().walk([&](SymbolRefAttr ref) {
      used.insert(ref.getRootReference().getValue());
    });
  });
  for (ml_program::GlobalOp global : globals)
    if (!used.contains(global.getSymName()))
      global.erase();
  return true;
}

void Driver::embedWeights(llvm::Module &module) {
  bool external = options.weights == "external";
  uint64_t sum = fqt::weights::checksum(weightData.data(), weightData.size());
  std::string blob = fqt::weights::encodeHeader(
      weightEntries, weightData.size(), sum, /*hasData=*/true);
  blob += weightData;
  // --weights=external: the whole blob goes to the file, the program keeps
  // the header without the data.
  if (external) {
    weightFile = std::move(blob);
    blob = fqt::weights::encodeHeader(weightEntries, weightData.size(), sum,
                                      /*hasData=*/false);
  }
  // init reads the weights in place: aligned as the format promises.
  embedBytes(module, blob, "fqt_weights_blob", "fqt_weights",
             llvm::Align(fqt::weights::kAlignment));
}

std::string Driver::modelForSave() const {
  StringRef bytes = modelBytes->getBuffer();
  onnx::ModelProto model;
  if (weightEntries.empty() ||
      !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return bytes.str();
  llvm::StringSet<> names;
  for (const fqt::weights::Entry &entry : weightEntries)
    names.insert(entry.name);
  for (onnx::TensorProto &init :
       *model.mutable_graph()->mutable_initializer()) {
    if (!names.contains(init.name()))
      continue;
    init.clear_raw_data();
    init.clear_float_data();
    init.clear_double_data();
    init.clear_int32_data();
    init.clear_external_data();
    init.set_data_location(onnx::TensorProto::DEFAULT);
  }
  std::string stripped;
  if (!model.SerializeToString(&stripped))
    return bytes.str();
  return stripped;
}

/// Runs a toolchain command; false (with its output) on failure.
bool Driver::runTool(StringRef program, ArrayRef<std::string> args) {
  auto path = llvm::sys::findProgramByName(program);
  if (!path) {
    fail("cannot find '" + program + "' (scripts/install-deps.sh installs it)");
    return false;
  }
  SmallVector<StringRef> argv = {*path};
  for (const std::string &a : args)
    argv.push_back(a);
  if (options.verbose) {
    for (StringRef a : argv)
      diagnostics << a << ' ';
    diagnostics << '\n';
  }
  // The tool's output goes to a file: on failure only its error lines are
  // shown, not a crashed linker's stack dump.
  SmallString<128> log;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("fqt-tool", "log", log)) {
    fail("cannot create a temporary file: " + ec.message());
    return false;
  }
  llvm::FileRemover removeLog(log);
  std::optional<StringRef> redirects[] = {std::nullopt, log.str(), log.str()};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*path, argv, std::nullopt, redirects, 0, 0,
                                     &message);
  auto output = llvm::MemoryBuffer::getFile(log);
  StringRef text = output ? (*output)->getBuffer() : StringRef();
  if (options.verbose || rc == 0)
    diagnostics << text;
  if (rc != 0) {
    SmallVector<StringRef> lines, errors;
    text.split(lines, '\n', -1, false);
    for (StringRef line : lines)
      if (line.contains("error") && !line.contains("PLEASE submit"))
        errors.push_back(line.trim());
    std::string why = errors.empty() ? message : llvm::join(errors, "; ");
    fail(program + " failed" + (why.empty() ? "" : ": " + why));
    return false;
  }
  return true;
}

bool Driver::writePtx(ModuleOp module) {
  SmallVector<gpu::BinaryOp> binaries(module.getOps<gpu::BinaryOp>());
  if (binaries.size() != 1) {
    fail("expected one device module, found " + Twine(binaries.size()));
    return false;
  }
  auto object =
      cast<gpu::ObjectAttr>(binaries.front().getObjectsAttr().getValue()[0]);
  return writeAtomically(options.outputPath, object.getObject().getValue());
}

bool Driver::emitStage(fqt::CompileStage stage, std::string &ir) {
  if (!checkOptions() || !readModel())
    return false;
  OwningOpRef<ModuleOp> module = import();
  if (!module)
    return false;
  PassManager pm(context.get());
  addPasses(pm, fqt::CompileStage::Import, stage);
  if (failed(pm.run(*module)))
    return false;
  ir.clear();
  llvm::raw_string_ostream os(ir);
  module->print(os);
  return true;
}

void Driver::printStats(ModuleOp module) {
  // After the lowering the step functions are LLVM functions; a GPU step
  // launches `gpu.launch_func`s, a CPU step calls the shared kernels of
  // --fqt-outline-kernels. What one call of the step runs is what a
  // profile of it will show and, on a GPU, what launch latency multiplies.
  static const char *steps[] = {"init",         "train_step", "train_grad_step",
                                "apply_update", "eval_step",  "grad_step",
                                "qat_grad_step"};
  for (const char *name : steps) {
    Operation *fn = SymbolTable::lookupSymbolIn(module, name);
    if (!fn)
      continue;
    int64_t launches = 0, calls = 0;
    llvm::StringSet<> kernels;
    fn->walk([&](Operation *op) {
      if (isa<gpu::LaunchFuncOp>(op)) {
        ++launches;
        kernels.insert(cast<gpu::LaunchFuncOp>(op).getKernelName().getValue());
      } else if (auto call = dyn_cast<CallOpInterface>(op)) {
        auto callee = dyn_cast<SymbolRefAttr>(call.getCallableForCallee());
        if (callee && callee.getLeafReference().getValue().starts_with(
                          fqt::kKernelPrefix)) {
          ++calls;
          kernels.insert(callee.getLeafReference().getValue());
        }
      }
    });
    diagnostics << "stats: " << name;
    if (options.target == "nvptx")
      diagnostics << " gpu_launches=" << launches;
    else
      diagnostics << " kernel_calls=" << calls;
    diagnostics << " distinct_kernels=" << kernels.size() << "\n";
  }
}

bool Driver::compile() {
  // --timing: one list of every pass and phase, printed when the compile
  // ends (also when it fails, to show where).
  DefaultTimingManager timing;
  timing.setEnabled(options.timing);
  timing.setOutput(createOutputStrategy(
      DefaultTimingManager::OutputFormat::Text, diagnostics));
  TimingScope root = timing.getRootScope();

  TimingScope phase = root.nest("read and import the ONNX model");
  if (!checkOptions() || !readModel())
    return false;
  OwningOpRef<ModuleOp> module = import();
  if (!module)
    return false;
  phase.stop();

  StringRef emit = options.emit;
  PassManager pm(context.get());
  pm.enableTiming(root);
  if (emit == "mlir") {
    addPasses(pm, fqt::CompileStage::Import, fqt::CompileStage::Linalg);
    if (failed(pm.run(*module)))
      return false;
    std::string text;
    llvm::raw_string_ostream os(text);
    module->print(os);
    return writeAtomically(options.outputPath, text);
  }
  // The weights leave the module before the lowering: they are data for the
  // runtime, not constants for LLVM.
  addPasses(pm, fqt::CompileStage::Import, fqt::CompileStage::Quantized);
  if (failed(pm.run(*module)))
    return false;
  phase = root.nest("take the weights out");
  if (!takeWeights(*module))
    return false;
  phase.stop();
  PassManager lowering(context.get());
  lowering.enableTiming(root);
  addPasses(lowering, fqt::CompileStage::Quantized, fqt::CompileStage::LLVM);
  if (failed(lowering.run(*module)))
    return false;
  if (options.stats)
    printStats(*module);
  if (emit == "ptx")
    return writePtx(*module);

  fqt::initializeNativeTarget();
  std::unique_ptr<llvm::TargetMachine> machine = createTargetMachine();
  if (!machine)
    return false;
  phase = root.nest("translate to LLVM IR");
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(*module, llvmContext, "fqt");
  if (!llvmModule) {
    fail("translation to LLVM IR failed");
    return false;
  }
  llvmModule->setDataLayout(machine->createDataLayout());
  llvmModule->setTargetTriple(machine->getTargetTriple());
  // The data (the ONNX model for --save, the weights) goes into the one
  // output module of --emit=llvm and --emit=object; otherwise into an object
  // of its own, which only code generation sees, beside the code's parts.
  bool oneModule = emit == "llvm" || emit == "object";
  llvm::LLVMContext dataContext;
  auto dataModule = std::make_unique<llvm::Module>("fqt_data", dataContext);
  llvm::Module &data = oneModule ? *llvmModule : *dataModule;
  dataModule->setDataLayout(machine->createDataLayout());
  dataModule->setTargetTriple(machine->getTargetTriple());
  embedModel(data, modelForSave());
  embedWeights(data);
  embedCpuFeatures(data, *machine);
  bool usesOpenMP = llvmModule->getFunction("__kmpc_fork_call") != nullptr;
  if (emit == "llvm") {
    phase = root.nest("LLVM optimization");
    if (std::string error = optimize(*llvmModule, *machine); !error.empty()) {
      fail(error);
      return false;
    }
    phase = root.nest("write the output");
    std::string text;
    llvm::raw_string_ostream os(text);
    llvmModule->print(os, nullptr);
    return writeOutputs(text);
  }

  // An object file is one module; an executable or a library links the
  // parts that the host's cores optimize and compile side by side.
  // One part per core: on ResNet-18 with two cores, four parts taken from
  // a queue compiled in 11.3-11.8 s against two parts' 9.9-10.2 s.
  unsigned parts = 1;
  if (!oneModule)
    parts = std::clamp(
        llvm::heavyweight_hardware_concurrency().compute_thread_count(), 1u,
        8u);
  phase = root.nest(parts == 1 ? "LLVM optimization and code generation"
                               : "LLVM optimization and code generation (" +
                                     std::to_string(parts) +
                                     " parts in parallel)");
  std::vector<std::string> objectPaths;
  std::vector<std::unique_ptr<llvm::FileRemover>> removeObjects;
  for (unsigned i = 0; i < parts + !oneModule; ++i) {
    SmallString<128> path;
    if (std::error_code ec =
            llvm::sys::fs::createTemporaryFile("fqt-step", "o", path)) {
      fail("cannot create a temporary file: " + ec.message());
      return false;
    }
    objectPaths.push_back(path.str().str());
    removeObjects.push_back(std::make_unique<llvm::FileRemover>(path));
  }
  if (!generateObjects(std::move(llvmModule),
                       ArrayRef(objectPaths).take_front(parts),
                       oneModule ? nullptr : dataModule.get(),
                       oneModule ? "" : objectPaths.back()))
    return false;
  std::string objectPath = objectPaths.front();
  phase = root.nest("write the output");
  if (emit == "object") {
    auto bytes = llvm::MemoryBuffer::getFile(objectPath);
    return bytes && writeOutputs((*bytes)->getBuffer());
  }

  // Link into a temporary file, then copy it beside the output and rename
  // it over: a full disk at the output is a write error then, where lld,
  // writing the output itself, dies of SIGBUS.
  SmallString<128> linked;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("fqt-link", "", linked)) {
    fail("cannot create a temporary file: " + ec.message());
    return false;
  }
  llvm::FileRemover removeLinked(linked);
  phase = root.nest("link");
  std::vector<std::string> args = objectPaths;
  args.insert(args.end(), {"-o", linked.str().str(), "-fuse-ld=lld"});
  if (isGpu()) {
    // The mgpu* functions the kernel launches call; libcuda is opened at
    // run time, so nothing of CUDA is linked.
    args.push_back(withRuntimeDir(FQT_CUDA_RUNTIME));
    args.push_back("-ldl");
  }
  if (emit == "shared") {
    args.push_back("-shared");
  } else {
    StringRef runtime = options.distributed == "mpi"
                            ? FQT_RUNTIME_MPI_LINK_FLAGS
                            : FQT_RUNTIME_LINK_FLAGS;
    for (StringRef lib : llvm::split(runtime, ' '))
      if (!lib.empty())
        args.push_back(withRuntimeDir(lib));
  }
  args.push_back(FQT_MLIR_C_RUNNER_UTILS);
  args.push_back("-Wl,-rpath," +
                 llvm::sys::path::parent_path(FQT_MLIR_C_RUNNER_UTILS).str());
  // The OpenMP lowering's parallel regions call libomp (__kmpc_fork_call).
  if (usesOpenMP) {
    args.push_back(FQT_OPENMP_LIBRARY);
    args.push_back("-Wl,-rpath," +
                   llvm::sys::path::parent_path(FQT_OPENMP_LIBRARY).str());
  }
  args.push_back("-lm");
  if (sanitizer != "none")
    args.push_back("-fsanitize=" + sanitizer);
  if (!runTool(FQT_CLANG, args))
    return false;
  phase = root.nest("write the output");
  auto bytes = llvm::MemoryBuffer::getFile(linked, /*IsText=*/false,
                                           /*RequiresNullTerminator=*/false);
  if (!bytes) {
    fail(linked + ": " + bytes.getError().message());
    return false;
  }
  return writeOutputs((*bytes)->getBuffer(),
                      llvm::sys::fs::all_read | llvm::sys::fs::all_write |
                          llvm::sys::fs::all_exe);
}

} // namespace

bool fqt::compileModel(const CompileOptions &options,
                       llvm::raw_ostream &diagnostics) {
  return Driver(options, diagnostics).compile();
}

bool fqt::emitStage(const CompileOptions &options, CompileStage stage,
                    std::string &ir, llvm::raw_ostream &diagnostics) {
  return Driver(options, diagnostics).emitStage(stage, ir);
}

std::optional<fqt::CompileStage> fqt::parseCompileStage(std::string_view name) {
  return llvm::StringSwitch<std::optional<CompileStage>>(
             llvm::StringRef(name.data(), name.size()))
      .Case("import", CompileStage::Import)
      .Case("training", CompileStage::Training)
      .Case("quantized", CompileStage::Quantized)
      .Case("linalg", CompileStage::Linalg)
      .Case("llvm", CompileStage::LLVM)
      .Default(std::nullopt);
}

const char *fqt::compileStageNames() {
  return "import, training, quantized, linalg, llvm";
}

fqt::CompileResult fqt::compileModel(const CompileOptions &options) {
  CompileResult result;
  llvm::raw_string_ostream os(result.diagnostics);
  result.succeeded = compileModel(options, os);
  if (result.succeeded)
    result.output = options.outputPath;
  return result;
}

fqt::CompileResult fqt::emitStage(const CompileOptions &options,
                                  CompileStage stage) {
  CompileResult result;
  llvm::raw_string_ostream os(result.diagnostics);
  result.succeeded = emitStage(options, stage, result.output, os);
  if (!result.succeeded)
    result.output.clear();
  return result;
}

void fqt::printOptionTable(llvm::raw_ostream &os) {
  os << "| flag | Python | default | what |\n|---|---|---|---|\n";
  auto row = [&](const char *kind, StringRef flag, StringRef python,
                 const std::string &shown, StringRef help) {
    StringRef value = StringRef(kind) == "Bool" ? "" : "=VALUE";
    if (StringRef(kind) == "List")
      value = "=VALUE (repeatable)";
    else if (StringRef(kind) == "CommaList")
      value = "=A,B,...";
    os << "| `-" << (flag.size() > 1 ? "-" : "") << flag << value << "` | "
       << (python.empty() ? std::string("—") : ("`" + python + "`").str())
       << " | " << (shown.empty() ? std::string("—") : shown) << " | " << help
       << " |\n";
  };
#define FQT_OPTION(KIND, FIELD, FLAG, PYTHON, DEFAULT, SHOWN, HELP)            \
  row(#KIND, FLAG, PYTHON, SHOWN, HELP);
#include "fqt/Pipelines/TrainOptions.def"
#define FQT_OPTION(KIND, FIELD, FLAG, PYTHON, DEFAULT, SHOWN, HELP)            \
  row(#KIND, FLAG, PYTHON, SHOWN, HELP);
#include "fqt/Driver/CompileOptions.def"
}

std::optional<int64_t> fqt::parseByteSize(std::string_view input) {
  llvm::StringRef text(input.data(), input.size());
  int64_t scale = 1;
  if (!text.empty()) {
    switch (llvm::toUpper(text.back())) {
    case 'K':
      scale = int64_t(1) << 10;
      break;
    case 'M':
      scale = int64_t(1) << 20;
      break;
    case 'G':
      scale = int64_t(1) << 30;
      break;
    case 'T':
      scale = int64_t(1) << 40;
      break;
    default:
      break;
    }
    if (scale != 1)
      text = text.drop_back();
  }
  int64_t value, bytes;
  if (text.getAsInteger(10, value) || value <= 0 ||
      llvm::MulOverflow(value, scale, bytes))
    return std::nullopt;
  return bytes;
}
