//===- CommonPasses.cpp - stages the CPU and GPU pipelines share ----------===//

#include "CommonPasses.h"

#include "fqt/Codegen/Passes.h"
#include "fqt/Conversion/Passes.h"
#include "fqt/Quantize/Passes.h"
#include "fqt/Target/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void fqt::addFqtToLinalgPasses(OpPassManager &pm, bool simulateQMatmul,
                               bool kBlocks) {
  pm.addPass(createFQTQuantizeBeforeIm2col());
  if (!simulateQMatmul) {
    FQTLowerQMatmulOptions options;
    options.kBlocks = kBlocks;
    pm.addPass(createFQTLowerQMatmul(options));
  }
  pm.addPass(createFQTSimulateQMatmul());
  pm.addPass(createFQTLowerQuantize());
  pm.addPass(createFQTLowerDequantize());
  pm.addPass(createCanonicalizerPass());
  // dY's dgrad and wgrad quantizers of one granularity (ptq:8 both, the
  // default) reduce the same range twice; the noise differs (each
  // quantizer has its stream), the min/max do not.
  pm.addPass(createCSEPass());
}

void fqt::addBufferizationPasses(OpPassManager &pm, bool entryPoints,
                                 bool deallocate, bool workspace) {
  if (entryPoints)
    pm.addPass(createFQTPrepareEntryPointBufferization());
  bufferization::OneShotBufferizePassOptions bufferization;
  bufferization.bufferizeFunctionBoundaries = true;
  if (entryPoints)
    bufferization.functionBoundaryTypeConversion =
        bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferization));
  pm.addPass(createCanonicalizerPass());
  if (entryPoints) {
    bufferization::BufferResultsToOutParamsPassOptions outParams;
    outParams.hoistStaticAllocs = true;
    outParams.modifyPublicFunctions = true;
    pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
    if (workspace) {
      // Scratch buffers of loop iterations (a group of samples' product)
      // allocated once, before the loop, so that the workspace holds them.
      pm.addNestedPass<func::FuncOp>(
          bufferization::createBufferLoopHoistingPass());
      pm.addPass(createFQTPlanWorkspace());
    }
  }
  // A step runs thousands of times: free its temporaries. (Functions that
  // still return memrefs hand those to their caller, who frees them.)
  if (entryPoints || deallocate)
    bufferization::buildBufferDeallocationPipeline(pm);
  // A function that returns a buffer it does not own (a constant) returns a
  // bufferization.clone of it: an alloc and a copy.
  if (deallocate && !entryPoints)
    pm.addPass(createConvertBufferizationToMemRefPass());
  if (entryPoints)
    pm.addPass(createFQTEmitEntryPoints());
}

void fqt::addLoopsToControlFlowPasses(OpPassManager &pm) {
  // Integer powers (math.ipowi, math.fpowi) as outlined functions.
  pm.addPass(createConvertMathToFuncs());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
}

void fqt::addHostToLLVMPasses(OpPassManager &pm) {
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
