//===- Driver.h - ONNX model to a compiled training program -----*- C++ -*-===//
//
// The compile driver: import an ONNX model, build its training steps, insert
// the quantizers, lower to linalg and then to LLVM for the host CPU, and
// write the program as a training executable, a shared library with the C
// entry points of include/fqt/Runtime/Model.h, an object file, or IR text.
// `fqt-compile` is a command line over compileModel; the Python bindings
// call the same function, so both compile exactly the same program.
//
// The interface is plain C++ (strings and vectors, no MLIR types), so that
// code built with exceptions (the Python extension) can include it.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_DRIVER_DRIVER_H
#define FQT_DRIVER_DRIVER_H

#include "fqt/Codegen/Defaults.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace fqt {

/// Everything `fqt-compile` takes on its command line; the defaults are the
/// command line's.
struct CompileOptions {
  /// The model file: ONNX (a serialized ModelProto) or the ONNX text syntax
  /// when it ends in `.onnxtxt`. When `modelBytes` is set, this only names
  /// the model in diagnostics and the bytes are compiled instead.
  std::string modelPath;
  std::optional<std::string> modelBytes;
  /// Where compileModel writes its output (atomically).
  std::string outputPath;
  /// exe (training executable), shared (shared library with the fqt_*
  /// entry points), object, mlir (the program before lowering to LLVM),
  /// llvm (LLVM IR), ptx (the kernels' PTX; --target=nvptx only).
  std::string emit = "exe";
  /// Batch size the steps are compiled for (binds a symbolic batch).
  int64_t batch = 64;
  /// x86-64 (the host CPU) or nvptx (NVIDIA GPUs, host code for the host
  /// CPU).
  std::string target = "x86-64";
  /// nvptx: the GPU architecture, sm_80 or sm_90.
  std::string gpuArch = "sm_80";
  /// nvptx: the CUDA toolkit (ptxas, libdevice); empty: $CUDA_ROOT, else
  /// /usr/local/cuda.
  std::string cudaRoot;
  /// CPU and features to compile for; empty: the host's.
  std::string cpu;
  std::string mattr;
  /// The step functions to build (fqt-build-training's entry-points):
  /// train, eval, grad, qat-grad. grad_step (--dump-gradients) and
  /// qat_grad_step (--gradient-variance) are each as large as train_step,
  /// so they are built only when asked.
  std::vector<std::string> entryPoints = {"train", "eval"};
  /// Loss and optimizer of fqt-build-training.
  std::string loss = "softmax-cross-entropy";
  std::string optimizer = "sgd";
  double lr = 0.01;
  double momentum = 0.9;
  double beta2 = 0.999;
  double epsilon = 1e-6;
  double weightDecay = 0.0;
  /// Quantizers of fqt-insert-quantizers. A non-empty `grad` (the shorthand)
  /// replaces `dgrad`.
  std::string act = "ptq:8";
  std::string weight = "ptq:8";
  std::string dgrad = "ptq:8";
  std::string grad;
  std::string wgrad = "ptq:8";
  bool sharedGrad = false;
  std::string mode = "simulate";
  std::vector<std::string> layerOverrides;
  /// CPU: codes of quantizers of at most 4 bits stored two per byte.
  bool packI4 = true;
  /// No quantizers at all.
  bool fp32 = false;
  /// x86-64: run the large loops over parallel dimensions on threads
  /// (OpenMP; the output then links libomp).
  bool openmp = true;
  /// Fewest ops (multiply-adds of a product, trip count x body of a loop) a
  /// parallel loop needs to run on threads.
  int64_t minParallelWork = kDefaultMinParallelWork;
  /// Instrument the compiled program's code with a sanitizer and link its
  /// runtime: "address", "thread" or "none"; empty: what fqt itself was
  /// built with (address in an FQT_SANITIZE=address build, else none).
  std::string sanitize;
  /// Print the estimated peak memory of each step (fqt-estimate-memory).
  bool printMemory = false;
  /// Refuse a program whose estimated peak memory exceeds this many bytes
  /// (0: no limit).
  int64_t maxMemory = 0;
  /// Where the initial weights go: "embed" (in the program) or "external"
  /// (a file OUTPUT.weights beside the output, which the program reads at
  /// start and checks).
  std::string weights = "embed";
  /// LLVM's optimization level of the generated code (0-3) and of its
  /// code generation.
  unsigned optLevel = 3;
  /// Print the toolchain commands.
  bool verbose = false;
  /// Print the time of every MLIR pass and of each phase after MLIR
  /// (translation, LLVM optimization, code generation, link).
  bool timing = false;
  /// Print, per step function, the kernels one call runs (GPU launches, or
  /// calls of the shared CPU kernels).
  bool stats = false;
  /// Data-parallel training: "none" (default) or "mpi": the training step
  /// is built as train_grad_step and apply_update (entry point split-train)
  /// and an executable links the MPI runtime (one rank per process of
  /// `mpirun -np N`).
  std::string distributed = "none";
  /// Prefix of the driver's own messages: "<toolName>: error: ...".
  std::string toolName = "fqt-compile";
};

/// Compiles OPTIONS.modelPath (or modelBytes) to OPTIONS.outputPath as
/// `fqt-compile` does. Diagnostics of every stage and the driver's errors go
/// to DIAGNOSTICS, one line each; nothing is written unless every stage
/// succeeds. Returns true on success.
bool compileModel(const CompileOptions &options,
                  llvm::raw_ostream &diagnostics);

/// The stages whose IR emitStage can return, in pipeline order.
enum class CompileStage {
  Import,    ///< the `onnx` dialect, as imported
  Training,  ///< after fqt-build-training (train/eval/grad steps, float)
  Quantized, ///< after fqt-insert-quantizers (same as Training with fp32)
  Linalg,    ///< after fqt-convert-onnx-to-linalg (`--emit=mlir`)
  LLVM,      ///< after the CPU pipeline, in the LLVM dialect
};

/// "import", "training", "quantized", "linalg", "llvm"; nullopt otherwise.
std::optional<CompileStage> parseCompileStage(std::string_view name);
/// The names parseCompileStage accepts, comma separated.
const char *compileStageNames();

/// Runs the pipeline of compileModel up to and including STAGE and stores
/// the module's MLIR text in IR. OPTIONS.emit and outputPath are ignored.
bool emitStage(const CompileOptions &options, CompileStage stage,
               std::string &ir, llvm::raw_ostream &diagnostics);

/// The outcome of a compilation, with the diagnostics captured as text.
struct CompileResult {
  bool succeeded = false;
  /// compileModel: the output path; emitStage: the IR text.
  std::string output;
  /// Every diagnostic line, warnings and notes included.
  std::string diagnostics;
};

CompileResult compileModel(const CompileOptions &options);
CompileResult emitStage(const CompileOptions &options, CompileStage stage);

} // namespace fqt

#endif // FQT_DRIVER_DRIVER_H
