//===- fqt-compile.cpp - ONNX model to a training program -----------------===//
//
// fqt-compile MODEL.onnx -o OUT [--emit=exe|shared|object|mlir|llvm] ...
//
// The command line of fqt::compileModel (lib/Driver), which strings
// together the passes that fqt-opt runs one by one: import, build the
// training steps, insert the quantizers, lower to linalg and then to LLVM
// for the host CPU, add the C entry points of include/fqt/Runtime/Model.h,
// compile to an object file, and link it with the fqt runtime into a
// training executable (or a shared library). Nothing is written unless every
// stage succeeds.
//
//===----------------------------------------------------------------------===//

#include "fqt/Driver/Driver.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MathExtras.h"

#include <csignal>
#include <optional>

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
                      "llvm (LLVM IR), ptx (the kernels, --target=nvptx)"),
             cl::init("exe"), cl::cat(category));
static cl::opt<int64_t> batchSize("batch",
                                  cl::desc("Batch size the steps are compiled "
                                           "for (binds a symbolic batch)"),
                                  cl::init(64), cl::cat(category));
static cl::opt<std::string>
    target("target",
           cl::desc("Target: x86-64 (the host CPU) or nvptx (NVIDIA GPUs)"),
           cl::init("x86-64"), cl::cat(category));
static cl::opt<std::string>
    gpuArch("gpu-arch",
            cl::desc("GPU architecture of --target=nvptx: sm_80 (default) "
                     "or sm_90"),
            cl::init("sm_80"), cl::cat(category));
static cl::opt<std::string>
    cudaRoot("cuda-root",
             cl::desc("CUDA toolkit of --target=nvptx (ptxas, libdevice); "
                      "default: $CUDA_ROOT, else /usr/local/cuda"),
             cl::init(""), cl::cat(category));
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
                    "bhq:B | percol:B | lbt:B (default ptq:8)"),
           cl::init("ptq:8"), cl::cat(category));
static cl::opt<std::string> gradQ("grad", cl::desc("Shorthand for --dgrad"),
                                  cl::init(""), cl::cat(category));
static cl::opt<std::string>
    wgradQ("wgrad",
           cl::desc("Quantizer of dY for dW = dY^T X: none | ptq:B | psq:B | "
                    "bhq:B | percol:B | lbt:B (default ptq:8)"),
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
static cl::list<std::string> entryPoints(
    "entry-points",
    cl::desc("The step functions to build: train (always), eval, grad (for "
             "the executable's --dump-gradients), qat-grad (with grad, for "
             "--gradient-variance); default train,eval"),
    cl::CommaSeparated, cl::value_desc("train,eval[,grad,qat-grad]"),
    cl::cat(category));
static cl::opt<bool>
    packI4("pack-i4",
           cl::desc("Store the integer codes of quantizers of at most 4 bits "
                    "two per byte (CPU; default on)"),
           cl::init(true), cl::cat(category));
static cl::opt<bool> fp32("fp32",
                          cl::desc("No quantizers at all (same as "
                                   "--act=none --weight=none --dgrad=none "
                                   "--wgrad=none)"),
                          cl::init(false), cl::cat(category));
static cl::opt<bool>
    openmp("openmp",
           cl::desc("Run the large loops over parallel dimensions (blocks of "
                    "products, elementwise ops, outer loops of reductions) "
                    "on threads through OpenMP, linking libomp; the thread "
                    "count is the program's --threads, else "
                    "OMP_NUM_THREADS, else one per core (default true; "
                    "--openmp=false: one thread, no libomp)"),
           cl::init(true), cl::cat(category));
static const std::string minParallelWorkHelp =
    "With --openmp: fewest ops (multiply-adds of a product, trip count x "
    "body of a loop) for which a loop runs on threads (default " +
    std::to_string(fqt::kDefaultMinParallelWork) +
    "; 0: every outermost parallel loop)";
static cl::opt<int64_t> minParallelWork("min-parallel-work",
                                        cl::desc(minParallelWorkHelp),
                                        cl::init(fqt::kDefaultMinParallelWork),
                                        cl::cat(category));
static cl::opt<std::string> sanitize(
    "sanitize",
    cl::desc("Instrument the compiled program with a sanitizer and link its "
             "runtime: address or thread (with OMP_TOOL_LIBRARIES naming "
             "libarcher.so for OpenMP), or none (default: what fqt was "
             "built with)"),
    cl::value_desc("address|thread|none"), cl::init(""), cl::cat(category));
static cl::opt<bool> printMemory(
    "print-memory",
    cl::desc("Print the estimated peak memory of each step (the tensors "
             "live at its busiest point)"),
    cl::init(false), cl::cat(category));
static cl::opt<std::string> maxMemory(
    "max-memory",
    cl::desc("Refuse a program whose estimated peak memory exceeds SIZE "
             "(bytes, or with a K, M, G or T suffix: powers of 1024)"),
    cl::value_desc("SIZE"), cl::init(""), cl::cat(category));
static cl::opt<std::string> weights(
    "weights",
    cl::desc("Where the initial weights go: embed (in the program, default) "
             "or external (OUTPUT.weights beside it, read and checked when "
             "the program starts)"),
    cl::value_desc("embed|external"), cl::init("embed"), cl::cat(category));
static cl::opt<std::string> distributed(
    "distributed",
    cl::desc("Data-parallel training: mpi builds an executable that runs as "
             "one rank per process of `mpirun -np N` (the gradients averaged "
             "over the ranks before each update; ./train --allreduce picks "
             "how), or none (default)"),
    cl::value_desc("none|mpi"), cl::init("none"), cl::cat(category));
static cl::opt<unsigned> optLevel(
    "opt-level",
    cl::desc("LLVM's optimization level of the generated code, 0-3 (default "
             "3)"),
    cl::init(3), cl::cat(category));
static cl::opt<bool> timing(
    "timing",
    cl::desc("Print where the compile's time goes: each MLIR pass, the "
             "translation to LLVM IR, LLVM's optimization and code "
             "generation, and the link"),
    cl::init(false), cl::cat(category));
static cl::opt<bool> kernelStats(
    "kernel-stats",
    cl::desc("Print, per step function, the kernels one call runs: "
             "gpu_launches (--target=nvptx) or kernel_calls of the shared "
             "CPU kernels, and how many are distinct"),
    cl::init(false), cl::cat(category));
static cl::opt<bool> verbose("v", cl::desc("Print each stage"), cl::init(false),
                             cl::cat(category));

/// "16G" -> 16 * 2^30; nullopt for anything else (or an overflow).
static std::optional<int64_t> parseSize(llvm::StringRef text) {
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

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // Under a file size limit (ulimit -f), a write past it should fail like a
  // write to a full disk (EFBIG: one error, the previous output kept), not
  // stop the process in LLVM's crash handler, which InitLLVM installed for
  // SIGXFSZ too.
  std::signal(SIGXFSZ, SIG_IGN);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "fqt-compile: ONNX model -> fully quantized training program\n\n"
      "  fqt-compile model.onnx -o train && ./train --epochs=1\n");

  fqt::CompileOptions options;
  options.modelPath = modelPath;
  options.outputPath = outputPath;
  options.emit = emitKind;
  options.batch = batchSize;
  options.target = target;
  options.gpuArch = gpuArch;
  options.cudaRoot = cudaRoot;
  options.cpu = cpu;
  options.mattr = mattr;
  options.loss = loss;
  options.optimizer = optimizer;
  options.lr = lr;
  options.momentum = momentum;
  options.beta2 = beta2;
  options.epsilon = epsilon;
  options.weightDecay = weightDecay;
  options.act = actQ;
  options.weight = weightQ;
  options.dgrad = dgradQ;
  options.grad = gradQ;
  options.wgrad = wgradQ;
  options.sharedGrad = sharedGrad;
  options.mode = mode;
  options.layerOverrides.assign(layerOverrides.begin(), layerOverrides.end());
  options.packI4 = packI4;
  if (entryPoints.getNumOccurrences()) {
    options.entryPoints.assign(entryPoints.begin(), entryPoints.end());
    if (!llvm::is_contained(options.entryPoints, "train") &&
        !llvm::is_contained(options.entryPoints, "split-train"))
      options.entryPoints.push_back("train");
  }
  options.fp32 = fp32;
  options.openmp = openmp;
  options.minParallelWork = minParallelWork;
  options.sanitize = sanitize;
  options.printMemory = printMemory;
  if (!maxMemory.empty()) {
    std::optional<int64_t> bytes = parseSize(maxMemory);
    if (!bytes) {
      llvm::errs() << "fqt-compile: error: --max-memory=" << maxMemory
                   << ": expected a positive size such as 16G, 512M or "
                      "1048576\n";
      return 1;
    }
    options.maxMemory = *bytes;
  }
  options.verbose = verbose;
  options.timing = timing;
  options.stats = kernelStats;
  options.optLevel = optLevel;
  options.weights = weights;
  options.distributed = distributed;
  options.toolName = "fqt-compile";
  return fqt::compileModel(options, llvm::errs()) ? 0 : 1;
}
