//===- CpuPipeline.cpp - fqt to LLVM for the host CPU ---------------------===//

#include "CommonPasses.h"
#include "fqt/Pipelines/Pipelines.h"

#include "fqt/Codegen/Passes.h"
#include "fqt/Conversion/Passes.h"
#include "fqt/Quantize/Passes.h"
#include "fqt/Target/Passes.h"
#include "fqt/Training/Passes.h"

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
  addFqtToLinalgPasses(pm, options.simulateQMatmul, options.kBlocks);
  if (options.vectorize) {
    // The data gradient's dequantizing epilogue goes into the windows' sum
    // that reads it (the f32 columns are the step's largest temporary).
    FQTFuseElementwiseOptions fusion;
    fusion.epiloguesIntoWindowSums = true;
    pm.addPass(createFQTFuseElementwise(fusion));
    pm.addPass(createCanonicalizerPass());
    // That sum and the product it reads, a group of samples at a time,
    // while the product is large.
    FQTTileWindowSumsOptions groups;
    groups.minBytes = options.windowSumMinBytes;
    groups.groupBytes = options.windowSumGroupBytes;
    pm.addPass(createFQTTileWindowSums(groups));
  }
  addBufferizationPasses(pm, options.entryPoints, options.deallocate,
                         options.workspace);
  if (options.outlineKernels)
    pm.addPass(createFQTOutlineKernels());

  // Products as vector kernels, reductions as vector loops, strided copies
  // as loops LLVM vectorizes; everything else as loops, then LLVM.
  if (options.vectorize) {
    // AMX tiles first, where the target has them: each integer product
    // becomes a checked call of an AMX kernel, and the product itself
    // stays for the other kernels as the fallback.
    bool amx = options.amx == AmxMode::on || options.amx == AmxMode::emulate;
    if (options.amx == AmxMode::automatic) {
      FailureOr<KernelOptions> selected =
          selectKernelOptions("auto", options.cpuFeatures);
      amx = succeeded(selected) && selected->amx;
    }
    if (amx) {
      FQTAmxKernelsOptions amxKernels;
      amxKernels.parallel = options.openmp;
      amxKernels.minParallelWork = options.minParallelWork;
      pm.addPass(createFQTAmxKernels(amxKernels));
      if (options.amx == AmxMode::emulate)
        pm.addPass(createFQTEmulateAmx());
    }
    FQTTileAndVectorizeOptions kernels;
    kernels.cpuFeatures = options.cpuFeatures;
    kernels.tileM = options.tileM;
    kernels.tileN = options.tileN;
    kernels.tileK = options.tileK;
    kernels.parallel = options.openmp;
    kernels.minParallelWork = options.minParallelWork;
    pm.addNestedPass<func::FuncOp>(createFQTTileAndVectorize(kernels));
    FQTVectorizeReductionsOptions reductions;
    reductions.cpuFeatures = options.cpuFeatures;
    reductions.parallel = options.openmp;
    pm.addNestedPass<func::FuncOp>(createFQTVectorizeReductions(reductions));
    FQTVectorizePoolingOptions pooling;
    pooling.cpuFeatures = options.cpuFeatures;
    pooling.parallel = options.openmp;
    pm.addNestedPass<func::FuncOp>(createFQTVectorizePooling(pooling));
    FQTVectorizeWindowSumsOptions windowSums;
    windowSums.parallel = options.openmp;
    pm.addNestedPass<func::FuncOp>(createFQTVectorizeWindowSums(windowSums));
    FQTVectorizeTransposesOptions transposes;
    transposes.parallel = options.openmp;
    pm.addNestedPass<func::FuncOp>(createFQTVectorizeTransposes(transposes));
    pm.addNestedPass<func::FuncOp>(createFQTLowerStridedCopies());
    pm.addNestedPass<func::FuncOp>(createFQTCollapseContiguousLoops());
  }
  if (options.openmp) {
    // Threads: every loop over parallel dimensions as scf.parallel (the
    // reductions stay serial inside), only the outermost ones with enough
    // work kept (constant trip counts need a canonicalization first), then
    // upstream's OpenMP lowering: omp.parallel + omp.wsloop, which the
    // LLVM IR translation outlines into calls of libomp's __kmpc_fork_call.
    // Loops that store i4 codes stay serial (see the coarsening pass), so
    // the packing below never has two threads write the nibbles of a byte.
    pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
    pm.addPass(createCanonicalizerPass());
    FQTCoarsenParallelLoopsOptions coarsen;
    coarsen.minWork = options.minParallelWork;
    pm.addNestedPass<func::FuncOp>(createFQTCoarsenParallelLoops(coarsen));
  } else {
    pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  }
  // i4 codes are now read and written by scalar loads and stores only.
  if (options.packI4)
    pm.addPass(createFQTPackI4Buffers());
  if (options.openmp) {
    pm.addPass(createConvertSCFToOpenMPPass());
    // The lowering wraps each loop body in a memref.alloca_scope, which must
    // keep a single block; the bodies allocate nothing on the stack, so the
    // canonicalizer inlines the scopes before --convert-scf-to-cf.
    pm.addPass(createCanonicalizerPass());
  }
  addLoopsToControlFlowPasses(pm);
  addHostToLLVMPasses(pm);
}

void fqt::buildFqtTrainPipeline(OpPassManager &pm,
                                const FqtTrainPipelineOptions &options) {
  FQTBuildTrainingOptions training;
  training.loss = options.loss;
  training.optimizer = options.optimizer;
  training.learningRate = options.lr;
  training.momentum = options.momentum;
  training.beta2 = options.beta2;
  training.epsilon = options.epsilon;
  training.weightDecay = options.weightDecay;
  training.entryPoints.assign(options.entryPoints.begin(),
                              options.entryPoints.end());
  pm.addPass(createFQTBuildTraining(training));
  if (options.fp32)
    return;
  FQTInsertQuantizersOptions quantizers;
  quantizers.act = options.act;
  quantizers.weight = options.weight;
  quantizers.dgrad = options.dgrad;
  quantizers.wgrad = options.wgrad;
  quantizers.sharedGrad = options.sharedGrad;
  quantizers.mode = options.mode;
  quantizers.layerOverrides.assign(options.layerOverrides.begin(),
                                   options.layerOverrides.end());
  pm.addPass(createFQTInsertQuantizers(quantizers));
}

void fqt::registerFqtPipelines() {
  PassPipelineRegistration<FqtTrainPipelineOptions>(
      "fqt-train-pipeline",
      "Build the training steps of an imported model and insert their "
      "quantizers: what fqt-compile runs before lowering",
      buildFqtTrainPipeline);
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
