//===- fqt-compile.cpp - ONNX model to a training program -----------------===//
//
// fqt-compile MODEL.onnx -o OUT [--emit=exe|shared|object|mlir|llvm] ...
//
// Strings together the passes that fqt-opt runs one by one: import, build
// the training steps, lower to linalg and then to LLVM for the host CPU,
// add the C entry points of include/fqt/Runtime/Model.h, compile to an
// object file, and link it with the fqt runtime into a training executable
// (or a shared library). Nothing is written unless every stage succeeds.
//
//===----------------------------------------------------------------------===//

#include "fqt/Conversion/Passes.h"
#include "fqt/Import/ONNXImporter.h"
#include "fqt/Pipelines/Pipelines.h"
#include "fqt/Quantize/Passes.h"
#include "fqt/Runtime/RuntimeLink.h"
#include "fqt/Training/Passes.h"

#include "FQT/FQTDialect.h"
#include "ONNX/ONNXDialect.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory category("fqt-compile options");

static cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model.onnx>"),
                                      cl::Required, cl::cat(category));
static cl::opt<std::string> outputPath("o", cl::desc("Output file"),
                                       cl::value_desc("path"), cl::Required,
                                       cl::cat(category));
static cl::opt<std::string>
    emitKind("emit",
             cl::desc("What to write: exe (training executable, default), "
                      "shared (shared library with the fqt_* entry points), "
                      "object, mlir (the program before lowering to LLVM), "
                      "llvm (LLVM IR)"),
             cl::init("exe"), cl::cat(category));
static cl::opt<int64_t> batchSize("batch",
                                  cl::desc("Batch size the steps are compiled "
                                           "for (binds a symbolic batch)"),
                                  cl::init(64), cl::cat(category));
static cl::opt<std::string>
    target("target", cl::desc("Target: x86-64 (the host CPU)"),
           cl::init("x86-64"), cl::cat(category));
static cl::opt<std::string> cpu("mcpu",
                                cl::desc("CPU to compile for (default: host)"),
                                cl::init(""), cl::cat(category));
static cl::opt<std::string>
    mattr("mattr", cl::desc("CPU features, e.g. +avx512vnni (default: host)"),
          cl::init(""), cl::cat(category));
static cl::opt<std::string>
    loss("loss", cl::desc("softmax-cross-entropy (default) or mse"),
         cl::init("softmax-cross-entropy"), cl::cat(category));
static cl::opt<std::string>
    optimizer("optimizer",
              cl::desc("sgd (default), momentum, nesterov, adagrad, adam: the "
                       "update rules of ONNX's ai.onnx.preview.training ops"),
              cl::init("sgd"), cl::cat(category));
static cl::opt<double> lr("lr", cl::desc("Default learning rate"),
                          cl::init(0.01), cl::cat(category));
static cl::opt<double> momentum("momentum",
                                cl::desc("Momentum alpha / Adam beta1"),
                                cl::init(0.9), cl::cat(category));
static cl::opt<double> beta2("beta2", cl::desc("Adam beta2"), cl::init(0.999),
                             cl::cat(category));
static cl::opt<double> epsilon("epsilon", cl::desc("Adagrad/Adam epsilon"),
                               cl::init(1e-6), cl::cat(category));
static cl::opt<double> weightDecay("weight-decay",
                                   cl::desc("L2 coefficient (ONNX "
                                            "norm_coefficient)"),
                                   cl::init(0.0), cl::cat(category));
static cl::opt<std::string>
    actQ("act",
         cl::desc("Forward activation quantizer: none | ptq:B (default ptq:8)"),
         cl::init("ptq:8"), cl::cat(category));
static cl::opt<std::string>
    weightQ("weight",
            cl::desc("Forward weight quantizer: none | ptq:B (default ptq:8)"),
            cl::init("ptq:8"), cl::cat(category));
static cl::opt<std::string>
    dgradQ("dgrad",
           cl::desc("Quantizer of dY for dX = dY W^T: none | ptq:B | psq:B | "
                    "bhq:B | percol:B (default ptq:8)"),
           cl::init("ptq:8"), cl::cat(category));
static cl::opt<std::string>
    gradQ("grad", cl::desc("Shorthand for --dgrad"), cl::init(""),
          cl::cat(category));
static cl::opt<std::string>
    wgradQ("wgrad",
           cl::desc("Quantizer of dY for dW = dY^T X: none | ptq:B | psq:B | "
                    "percol:B (default ptq:8)"),
           cl::init("ptq:8"), cl::cat(category));
static cl::opt<bool>
    sharedGrad("shared-grad",
               cl::desc("Quantize dY once, with the dgrad quantizer, for "
                        "both backward products"),
               cl::init(false), cl::cat(category));
static cl::opt<std::string>
    mode("mode",
         cl::desc("simulate (quantize + dequantize, f32 products; default) or "
                  "integer (products on integer codes)"),
         cl::init("simulate"), cl::cat(category));
static cl::list<std::string>
    layerOverrides("layer",
                   cl::desc("Per-layer override NODE:ROLE=Q, e.g. "
                            "--layer=fc1:dgrad=none (repeatable)"),
                   cl::cat(category));
static cl::opt<bool> fp32("fp32",
                          cl::desc("No quantizers at all (same as "
                                   "--act=none --weight=none --dgrad=none "
                                   "--wgrad=none)"),
                          cl::init(false), cl::cat(category));
static cl::opt<bool> verbose("v", cl::desc("Print each stage"),
                             cl::init(false), cl::cat(category));

namespace {

void fail(const llvm::Twine &message) {
  llvm::errs() << "fqt-compile: error: " << message << "\n";
}

/// Writes `bytes` to `path` through a temporary file and a rename, so that a
/// failure never leaves a half-written output.
bool writeAtomically(StringRef path, StringRef bytes) {
  std::error_code ec;
  llvm::ToolOutputFile out(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    fail(path + ": " + ec.message());
    return false;
  }
  out.os() << bytes;
  out.os().flush();
  if (out.os().has_error()) {
    fail(path + ": write failed");
    return false;
  }
  out.keep();
  return true;
}

std::unique_ptr<llvm::TargetMachine> createTargetMachine() {
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string error;
  const llvm::Target *t = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!t) {
    fail("no LLVM target for " + triple.str() + ": " + error);
    return nullptr;
  }
  std::string cpuName = cpu.empty() ? llvm::sys::getHostCPUName().str() : cpu;
  std::string features = mattr;
  if (mattr.empty() && cpu.empty()) {
    llvm::SubtargetFeatures f;
    for (auto &[name, enabled] : llvm::sys::getHostCPUFeatures())
      f.AddFeature(name, enabled);
    features = f.getString();
  }
  llvm::TargetOptions options;
  return std::unique_ptr<llvm::TargetMachine>(t->createTargetMachine(
      triple, cpuName, features, options, llvm::Reloc::PIC_));
}

/// `fqt_model_onnx`: the original model, for `--save` in the runtime.
void embedModel(llvm::Module &module, StringRef bytes) {
  llvm::LLVMContext &ctx = module.getContext();
  auto *data = llvm::ConstantDataArray::getRaw(
      bytes, bytes.size(), llvm::Type::getInt8Ty(ctx));
  auto *global = new llvm::GlobalVariable(
      module, data->getType(), /*isConstant=*/true,
      llvm::GlobalValue::InternalLinkage, data, "fqt_model_onnx_bytes");
  auto *sizeTy = llvm::Type::getInt64Ty(ctx);
  auto *ptrTy = llvm::PointerType::get(ctx, 0);
  // const unsigned char *fqt_model_onnx(unsigned long *size)
  auto *fnTy = llvm::FunctionType::get(ptrTy, {ptrTy}, false);
  auto *fn = llvm::Function::Create(fnTy, llvm::GlobalValue::ExternalLinkage,
                                    "fqt_model_onnx", module);
  auto *entry = llvm::BasicBlock::Create(ctx, "entry", fn);
  llvm::IRBuilder<> b(entry);
  b.CreateStore(llvm::ConstantInt::get(sizeTy, bytes.size()), fn->getArg(0));
  b.CreateRet(global);
}

/// Runs a toolchain command; false (with its output) on failure.
bool runTool(StringRef program, ArrayRef<std::string> args) {
  auto path = llvm::sys::findProgramByName(program);
  if (!path) {
    fail("cannot find '" + program + "' (scripts/install-deps.sh installs it)");
    return false;
  }
  SmallVector<StringRef> argv = {*path};
  for (const std::string &a : args)
    argv.push_back(a);
  if (verbose) {
    for (StringRef a : argv)
      llvm::errs() << a << ' ';
    llvm::errs() << '\n';
  }
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*path, argv, std::nullopt, {}, 0, 0,
                                     &message);
  if (rc != 0) {
    fail(program + " failed" + (message.empty() ? "" : ": " + message));
    return false;
  }
  return true;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "fqt-compile: ONNX model -> fully quantized training program\n\n"
      "  fqt-compile model.onnx -o train && ./train --epochs=1\n");

  static const char *kinds[] = {"exe", "shared", "object", "mlir", "llvm"};
  if (!llvm::is_contained(kinds, emitKind)) {
    fail("unknown --emit=" + emitKind +
         "; expected exe, shared, object, mlir or llvm");
    return 1;
  }
  if (target != "x86-64") {
    fail("unknown --target=" + target + "; expected x86-64");
    return 1;
  }
  if (batchSize <= 0) {
    fail("--batch must be positive");
    return 1;
  }

  auto modelBytes = llvm::MemoryBuffer::getFile(modelPath);
  if (!modelBytes) {
    fail(modelPath + ": " + modelBytes.getError().message());
    return 1;
  }

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<fqt::FQTDialect, fqt::onnx::ONNXDialect>();
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  MLIRContext context(registry);
  ScopedDiagnosticHandler handler(&context, [](Diagnostic &diag) {
    fqt::printModelDiagnostic(diag, llvm::errs());
    return success();
  });

  fqt::ONNXImportOptions importOptions;
  importOptions.batchSize = batchSize;
  OwningOpRef<ModuleOp> module =
      fqt::importONNXModelFile(modelPath, &context, importOptions);
  if (!module)
    return 1;

  PassManager pm(&context);
  fqt::FQTBuildTrainingOptions training;
  training.loss = loss;
  training.optimizer = optimizer;
  training.learningRate = lr;
  training.momentum = momentum;
  training.beta2 = beta2;
  training.epsilon = epsilon;
  training.weightDecay = weightDecay;
  pm.addPass(fqt::createFQTBuildTraining(training));
  if (!fp32) {
    fqt::FQTInsertQuantizersOptions quantizers;
    quantizers.act = actQ;
    quantizers.weight = weightQ;
    quantizers.dgrad = gradQ.empty() ? dgradQ : gradQ;
    quantizers.wgrad = wgradQ;
    quantizers.sharedGrad = sharedGrad;
    quantizers.mode = mode;
    quantizers.layerOverrides.assign(layerOverrides.begin(),
                                     layerOverrides.end());
    pm.addPass(fqt::createFQTInsertQuantizers(quantizers));
  }
  pm.addPass(fqt::createFQTConvertONNXToLinalg());
  if (emitKind == "mlir") {
    if (failed(pm.run(*module)))
      return 1;
    std::string text;
    llvm::raw_string_ostream os(text);
    module->print(os);
    return writeAtomically(outputPath, text) ? 0 : 1;
  }
  fqt::FqtCpuPipelineOptions cpuOptions;
  cpuOptions.entryPoints = true;
  fqt::buildFqtCpuPipeline(pm, cpuOptions);
  if (failed(pm.run(*module)))
    return 1;

  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  std::unique_ptr<llvm::TargetMachine> machine = createTargetMachine();
  if (!machine)
    return 1;
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(*module, llvmContext, "fqt");
  if (!llvmModule) {
    fail("translation to LLVM IR failed");
    return 1;
  }
  llvmModule->setDataLayout(machine->createDataLayout());
  llvmModule->setTargetTriple(machine->getTargetTriple());
  embedModel(*llvmModule, (*modelBytes)->getBuffer());
  if (llvm::Error err = makeOptimizingTransformer(3, 0, machine.get())(
          llvmModule.get())) {
    fail("LLVM optimization failed: " + llvm::toString(std::move(err)));
    return 1;
  }
  if (emitKind == "llvm") {
    std::string text;
    llvm::raw_string_ostream os(text);
    llvmModule->print(os, nullptr);
    return writeAtomically(outputPath, text) ? 0 : 1;
  }

  SmallString<128> objectPath;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
          "fqt-step", "o", objectPath)) {
    fail("cannot create a temporary file: " + ec.message());
    return 1;
  }
  llvm::FileRemover removeObject(objectPath);
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(objectPath, ec);
    if (ec) {
      fail(objectPath + ": " + ec.message());
      return 1;
    }
    llvm::legacy::PassManager codegen;
    if (machine->addPassesToEmitFile(codegen, os, nullptr,
                                     llvm::CodeGenFileType::ObjectFile)) {
      fail("the target cannot emit object files");
      return 1;
    }
    codegen.run(*llvmModule);
  }
  if (emitKind == "object") {
    auto bytes = llvm::MemoryBuffer::getFile(objectPath);
    return bytes && writeAtomically(outputPath, (*bytes)->getBuffer()) ? 0 : 1;
  }

  // Link into a temporary next to the output, then rename.
  SmallString<128> linked(outputPath);
  linked += ".tmp-link";
  llvm::FileRemover removeLinked(linked);
  std::vector<std::string> args = {objectPath.str().str(), "-o",
                                   linked.str().str(), "-fuse-ld=lld"};
  if (emitKind == "shared") {
    args.push_back("-shared");
  } else {
    for (StringRef lib : llvm::split(FQT_RUNTIME_LINK_FLAGS, ' '))
      if (!lib.empty())
        args.push_back(lib.str());
  }
  args.push_back(FQT_MLIR_C_RUNNER_UTILS);
  args.push_back("-Wl,-rpath," +
                 llvm::sys::path::parent_path(FQT_MLIR_C_RUNNER_UTILS).str());
  args.push_back("-lm");
  if (!runTool(FQT_CLANG, args))
    return 1;
  if (std::error_code ec = llvm::sys::fs::rename(linked, outputPath)) {
    fail(outputPath + ": " + ec.message());
    return 1;
  }
  return 0;
}
