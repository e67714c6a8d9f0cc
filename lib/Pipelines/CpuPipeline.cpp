//===- CpuPipeline.cpp - fqt to LLVM for the host CPU ---------------------===//

#include "CommonPasses.h"
#include "fqt/Pipelines/Pipelines.h"

#include "fqt/Codegen/Passes.h"
#include "fqt/Conversion/Passes.h"
#include "fqt/Quantize/Passes.h"
#include "fqt/Target/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void fqt::buildFqtCpuPipeline(OpPassManager &pm,
                              const FqtCpuPipelineOptions &options) {
  if (options.packI4)
    pm.addPass(createFQTNarrowCodes());
  addFqtToLinalgPasses(pm, options.simulateQMatmul);
  if (options.vectorize) {
    pm.addPass(createFQTFuseElementwise());
    pm.addPass(createCanonicalizerPass());
  }
  addBufferizationPasses(pm, options.entryPoints);

  // Products as vector kernels, everything else as loops, then LLVM.
  if (options.vectorize) {
    FQTTileAndVectorizeOptions kernels;
    kernels.cpuFeatures = options.cpuFeatures;
    kernels.tileM = options.tileM;
    kernels.tileN = options.tileN;
    kernels.tileK = options.tileK;
    pm.addNestedPass<func::FuncOp>(createFQTTileAndVectorize(kernels));
  }
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  // i4 codes are now read and written by scalar loads and stores only.
  if (options.packI4)
    pm.addPass(createFQTPackI4Buffers());
  // Integer powers (math.ipowi, math.fpowi) as outlined functions.
  pm.addPass(createConvertMathToFuncs());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createConvertToLLVMPass());
  // The math ops LLVM has no intrinsic for (math.erf) become libm calls;
  // the others keep their intrinsics.
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void fqt::registerFqtPipelines() {
  PassPipelineRegistration<FqtCpuPipelineOptions>(
      "fqt-cpu-pipeline",
      "Lower fqt and linalg on tensors to the LLVM dialect for the host CPU",
      buildFqtCpuPipeline);
  PassPipelineRegistration<FqtGpuPipelineOptions>(
      "fqt-gpu-pipeline",
      "Lower fqt and linalg on tensors to NVVM kernels (PTX/cubin) and host "
      "code in the LLVM dialect",
      buildFqtGpuPipeline);
}
