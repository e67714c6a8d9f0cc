//===- GpuPipeline.cpp - fqt to NVVM kernels and host LLVM ----------------===//
//
// The front half is the CPU pipeline's (fqt ops to linalg, bufferization,
// the runtime ABI); then every loop nest becomes a kernel:
//
//   i8 products            -> fqt-gpu-int8-mma (mma.sync m16n8k32)
//   other linalg ops       -> scf.parallel -> tiled -> gpu blocks/threads
//   gpu.launch             -> outlined, merged into one gpu.module
//   gpu.module             -> nvvm (+ libdevice for math) -> PTX/cubin
//   host                   -> LLVM; launches become mgpu* calls when the
//                             module is translated to LLVM IR
//
//===----------------------------------------------------------------------===//

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
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

bool fqt::isSupportedGpuArch(llvm::StringRef chip) {
  // mma.sync m16n8k32 with s8/u8 needs sm_80; CUDA 13's ptxas no longer
  // accepts the older architectures MLIR defaults to.
  return chip == "sm_80" || chip == "sm_90";
}

void fqt::buildFqtGpuPipeline(OpPassManager &pm,
                              const FqtGpuPipelineOptions &options) {
  // fqt ops to linalg on tensors, as on the CPU.
  // The loop over reduction blocks would run on the host around per-block
  // kernel launches; those products stay dequantize + f32 product here.
  addFqtToLinalgPasses(pm, options.simulateQMatmul, /*kBlocks=*/false);
  // Fewer, larger kernels: each fused elementwise chain is one launch.
  FQTFuseElementwiseOptions fusion;
  fusion.generalizeNamed = true;
  pm.addPass(createFQTFuseElementwise(fusion));
  pm.addPass(createCanonicalizerPass());
  // Tensors to buffers and the runtime ABI, as on the CPU.
  addBufferizationPasses(pm, options.entryPoints);

  // Loop nests to kernels.
  if (options.int8Mma)
    pm.addNestedPass<func::FuncOp>(createFQTGpuInt8Mma());
  // Reductions start from their fill value in registers: one launch, not
  // a fill and a reduction that loads and stores its output every step.
  pm.addNestedPass<func::FuncOp>(createFQTGpuFoldFills());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  // A loop that reads what the loop before it wrote at the same indices
  // joins it (upstream's fusion); then independent loops in a row run as
  // one launch.
  pm.addNestedPass<func::FuncOp>(createParallelLoopFusionPass());
  pm.addNestedPass<func::FuncOp>(createFQTGpuMergeParallelLoops());
  // Inner loops of constant size (guarded by scf.if) so that the block size
  // is a constant of the launch.
  pm.addNestedPass<func::FuncOp>(createParallelLoopTilingPass(
      {options.blockX, options.blockY}, /*noMinMaxBounds=*/true));
  pm.addNestedPass<func::FuncOp>(createGpuMapParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(createConvertParallelLoopToGpuPass());
  // Constants and index arithmetic into the kernels instead of kernel
  // parameters (the Philox constants among them).
  pm.addNestedPass<func::FuncOp>(createGpuLaunchSinkIndexComputationsPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createFQTGpuMergeKernelModules());
  if (options.entryPoints)
    pm.addPass(createFQTGpuDeviceMemory());
  pm.addPass(createCanonicalizerPass());

  // Device and host to the LLVM dialect.
  addLoopsToControlFlowPasses(pm);
  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.features = options.features;
  target.optLevel = 3;
  pm.addPass(createGpuNVVMAttachTarget(target));
  OpPassManager &device = pm.nest<gpu::GPUModuleOp>();
  device.addPass(createConvertGpuOpsToNVVMOps());
  device.addPass(createCanonicalizerPass());
  device.addPass(createCSEPass());
  device.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createGpuToLLVMConversionPass());
  addHostToLLVMPasses(pm);

  if (options.format == "none")
    return;
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = options.format;
  binary.toolkitPath = options.toolkit;
  pm.addPass(createGpuModuleToBinaryPass(binary));
}
