//===- Pipelines.h - fqt's named pass pipelines -----------------*- C++ -*-===//
//
// Pipelines are code plus registration: fqt-compile builds them directly and
// fqt-opt exposes them under the same names.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_PIPELINES_PIPELINES_H
#define FQT_PIPELINES_PIPELINES_H

#include "fqt/Codegen/Defaults.h"
#include "fqt/Pipelines/OptionKinds.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace fqt {

/// Options of the front half of a compile: the training steps and their
/// quantizers (the options of fqt-build-training and fqt-insert-quantizers,
/// with fqt-compile's names and defaults: fqt/Pipelines/TrainOptions.def).
struct FqtTrainPipelineOptions
    : public mlir::PassPipelineOptions<FqtTrainPipelineOptions> {
#define FQT_OPTION(KIND, FIELD, FLAG, PYTHON, DEFAULT, SHOWN, HELP)            \
  PassOptions::Option<FQT_OPTION_TYPE(KIND)> FIELD{                            \
      *this, FLAG, llvm::cl::desc(HELP), llvm::cl::init(DEFAULT)};
#include "fqt/Pipelines/TrainOptions.def"
  PassOptions::ListOption<std::string> entryPoints{
      *this, "entry-points",
      llvm::cl::desc("Step functions besides init and train_step: eval, "
                     "grad, qat-grad (default: all), or split-train in "
                     "place of train_step")};
  PassOptions::ListOption<std::string> layerOverrides{
      *this, "layer",
      llvm::cl::desc("Per-layer overrides NODE:ROLE=QUANTIZER")};
};

/// The front half of fqt-compile, from the imported `onnx` module: the
/// training steps (fqt-build-training) and, unless `fp32`, their quantizers
/// (fqt-insert-quantizers). Lowering follows with
/// fqt-convert-onnx-to-linalg and fqt-cpu-pipeline or fqt-gpu-pipeline.
void buildFqtTrainPipeline(mlir::OpPassManager &pm,
                           const FqtTrainPipelineOptions &options);

/// Whether the CPU pipeline emits AMX kernels (see FqtCpuPipelineOptions).
enum class AmxMode { automatic, on, off, emulate };

/// Options of the CPU pipeline. Quantized products run on integer codes
/// (fqt-lower-qmatmul) where their scales allow it, else in the simulate mode
/// (f32 products of dequantized operands).
struct FqtCpuPipelineOptions
    : public mlir::PassPipelineOptions<FqtCpuPipelineOptions> {
  PassOptions::Option<bool> entryPoints{
      *this, "entry-points",
      llvm::cl::desc("Compile a training program for the runtime ABI: "
                     "read-only arguments, identity layouts and results as "
                     "out-parameters at function boundaries, and the "
                     "fqt_<name>(void **) entry points"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> deallocate{
      *this, "deallocate",
      llvm::cl::desc("Free the temporaries the bufferized functions "
                     "allocate (always with entry-points; the input must "
                     "hold no memref.dealloc of its own), and return "
                     "buffers the caller then owns"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> workspace{
      *this, "workspace",
      llvm::cl::desc("With entry-points, the step functions' temporaries "
                     "as views of one workspace argument the runtime "
                     "allocates once (fqt-plan-workspace), not allocated "
                     "and freed in every call"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> vectorize{
      *this, "vectorize",
      llvm::cl::desc("Fuse elementwise ops and compile products to "
                     "register-blocked vector kernels (off: scalar loops)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> outlineKernels{
      *this, "outline-kernels",
      llvm::cl::desc("Structured ops as calls of kernel functions that equal "
                     "ops share (fqt-outline-kernels): code that follows "
                     "the distinct shapes, not the layer count"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> simulateQMatmul{
      *this, "simulate-qmatmul",
      llvm::cl::desc("Compute fqt.qmatmul as dequantize + f32 product (the "
                     "reference) instead of on integer codes"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> kBlocks{
      *this, "k-blocks",
      llvm::cl::desc("Integer products whose scale varies along the "
                     "reduction in blocks (per-sample dY on the wgrad path) "
                     "as i32 block sums (off: dequantize + f32 product)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> packI4{
      *this, "pack-i4",
      llvm::cl::desc("Store the codes of quantizers of at most 4 bits two "
                     "per byte (fqt-narrow-codes, fqt-pack-i4-buffers); off: "
                     "one code per byte"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> tileM{
      *this, "tile-m",
      llvm::cl::desc("Rows of a product's result held in registers (0: 8 "
                     "with AVX-512's 32 vector registers, else 4)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> tileN{
      *this, "tile-n",
      llvm::cl::desc("Columns of a product's result held in registers (0: "
                     "three vectors)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> tileK{
      *this, "tile-k",
      llvm::cl::desc("Reduction block kept in cache, in f32 values (integer "
                     "kernels take the same bytes of packed codes)"),
      llvm::cl::init(256)};
  PassOptions::Option<std::string> cpuFeatures{
      *this, "cpu-features",
      llvm::cl::desc(
          "LLVM CPU features the kernels may use, e.g. "
          "+avx2,+avx512f,+avx512bw,+avx512vnni (empty: the host's)"),
      llvm::cl::init("")};
  PassOptions::Option<AmxMode> amx{
      *this, "amx",
      llvm::cl::desc("AMX-INT8 kernels for the integer products, behind a "
                     "run-time check (fqt-amx-kernels)"),
      llvm::cl::init(AmxMode::automatic),
      llvm::cl::values(
          clEnumValN(AmxMode::automatic, "auto",
                     "where cpu-features (or the host) have amx-int8 and "
                     "amx-tile"),
          clEnumValN(AmxMode::on, "on", "always"),
          clEnumValN(AmxMode::off, "off", "never"),
          clEnumValN(AmxMode::emulate, "emulate",
                     "with the tile ops run as vector code: tests the AMX "
                     "kernels on any CPU"))};
  PassOptions::Option<bool> openmp{
      *this, "openmp",
      llvm::cl::desc("Run the loops over parallel dimensions (blocks of "
                     "products, elementwise ops, outer loops of reductions) "
                     "on threads through scf.parallel and OpenMP; the "
                     "program then calls libomp (off: one thread)"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> minParallelWork{
      *this, "min-parallel-work",
      llvm::cl::desc("Fewest ops (multiply-adds of a product, static trip "
                     "count x body of a loop) worth a fork of threads"),
      llvm::cl::init(kDefaultMinParallelWork)};
  PassOptions::Option<int64_t> windowSumMinBytes{
      *this, "window-sum-min-bytes",
      llvm::cl::desc("A windows' sum whose product has at least this many "
                     "bytes runs a group of samples at a time "
                     "(--fqt-tile-window-sums)"),
      llvm::cl::init(2 << 20)};
  PassOptions::Option<int64_t> windowSumGroupBytes{
      *this, "window-sum-group-bytes",
      llvm::cl::desc("Bytes of the product per group of samples of a "
                     "windows' sum (at most)"),
      llvm::cl::init(512 << 10)};
};

/// Lowers a module of fqt + linalg on tensors to the LLVM dialect for the
/// host CPU: fqt ops to linalg, elementwise fusion, one-shot bufferization,
/// vector kernels for the products, loops (with `openmp`, the large loops
/// over parallel dimensions as OpenMP worksharing loops), LLVM.
void buildFqtCpuPipeline(mlir::OpPassManager &pm,
                         const FqtCpuPipelineOptions &options);

/// Options of the GPU (NVVM) pipeline.
struct FqtGpuPipelineOptions
    : public mlir::PassPipelineOptions<FqtGpuPipelineOptions> {
  PassOptions::Option<bool> entryPoints{
      *this, "entry-points",
      llvm::cl::desc("Compile a training program for the runtime ABI (see "
                     "fqt-cpu-pipeline); its arguments are copied to and "
                     "from CUDA managed memory"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> simulateQMatmul{
      *this, "simulate-qmatmul",
      llvm::cl::desc("Compute fqt.qmatmul as dequantize + f32 product"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> int8Mma{
      *this, "int8-mma",
      llvm::cl::desc("Run the i8 products on tensor cores (mma.sync "
                     "m16n8k32); off: plain loops like every other op"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> blockX{
      *this, "block-x",
      llvm::cl::desc("Threads of a block along the first parallel dimension "
                     "of a loop nest (a warp: 1-D nests fill it)"),
      llvm::cl::init(32)};
  PassOptions::Option<int64_t> blockY{
      *this, "block-y",
      llvm::cl::desc("Threads of a block along the second parallel "
                     "dimension"),
      llvm::cl::init(8)};
  PassOptions::Option<std::string> chip{
      *this, "chip", llvm::cl::desc("GPU architecture: sm_80 or sm_90"),
      llvm::cl::init("sm_80")};
  PassOptions::Option<std::string> features{
      *this, "features", llvm::cl::desc("PTX features, e.g. +ptx80"),
      llvm::cl::init("+ptx80")};
  PassOptions::Option<std::string> format{
      *this, "format",
      llvm::cl::desc("What gpu-module-to-binary embeds: isa (PTX text), bin "
                     "(cubin, assembled by ptxas), fatbin, llvm; none: stop "
                     "before serialization, with the device code in NVVM"),
      llvm::cl::init("isa")};
  PassOptions::Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("CUDA toolkit root (ptxas, libdevice); empty: "
                     "$CUDA_ROOT or /usr/local/cuda"),
      llvm::cl::init("")};
};

/// Lowers a module of fqt + linalg on tensors for NVIDIA GPUs: the fqt ops
/// and bufferization as on the CPU, the integer products as int8
/// tensor-core kernels, every other loop nest as a kernel over blocks of
/// threads, one device module lowered through NVVM and serialized
/// (PTX/cubin), and host code in the LLVM dialect that launches the kernels
/// through the mgpu* functions of lib/Runtime/CudaRuntime.cpp.
void buildFqtGpuPipeline(mlir::OpPassManager &pm,
                         const FqtGpuPipelineOptions &options);

/// True for the GPU architectures the GPU pipeline supports.
bool isSupportedGpuArch(llvm::StringRef chip);

/// Registers `fqt-train-pipeline`, `fqt-cpu-pipeline` and
/// `fqt-gpu-pipeline` with the pass registry.
void registerFqtPipelines();

} // namespace fqt

#endif // FQT_PIPELINES_PIPELINES_H
