//===- Pipelines.h - fqt's named pass pipelines -----------------*- C++ -*-===//
//
// Pipelines are code plus registration: fqt-compile builds them directly and
// fqt-opt exposes them under the same names.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_PIPELINES_PIPELINES_H
#define FQT_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace fqt {

/// Options of the CPU pipeline. Quantized products are computed in the
/// simulate mode (f32 products of dequantized operands) until the integer
/// lowering exists.
struct FqtCpuPipelineOptions
    : public mlir::PassPipelineOptions<FqtCpuPipelineOptions> {
  PassOptions::Option<bool> entryPoints{
      *this, "entry-points",
      llvm::cl::desc("Compile a training program for the runtime ABI: "
                     "read-only arguments, identity layouts and results as "
                     "out-parameters at function boundaries, and the "
                     "fqt_<name>(void **) entry points"),
      llvm::cl::init(false)};
};

/// Lowers a module of fqt + linalg on tensors to the LLVM dialect for the
/// host CPU: fqt ops to linalg, one-shot bufferization, loops, LLVM.
void buildFqtCpuPipeline(mlir::OpPassManager &pm,
                         const FqtCpuPipelineOptions &options);

/// Registers `fqt-cpu-pipeline` with the pass registry.
void registerFqtPipelines();

} // namespace fqt

#endif // FQT_PIPELINES_PIPELINES_H
