//===- CommonPasses.h - stages the CPU and GPU pipelines share ---*- C++
//-*-===//

#ifndef FQT_LIB_PIPELINES_COMMONPASSES_H
#define FQT_LIB_PIPELINES_COMMONPASSES_H

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace fqt {

/// fqt ops to linalg on tensors: integer products where the scales allow
/// (unless `simulateQMatmul`; products with scales constant over blocks of
/// the reduction only with `kBlocks`), the rest as dequantize + f32 product,
/// then the quantizers.
void addFqtToLinalgPasses(mlir::OpPassManager &pm, bool simulateQMatmul,
                          bool kBlocks);

/// Tensors to buffers, across function boundaries so that callers pass
/// memrefs. With `entryPoints`, the runtime ABI: results become
/// out-parameters the runtime allocates, temporaries are freed, and every
/// function gets its C entry point; with `workspace` too, the step
/// functions' temporaries are views of one workspace argument. With
/// `deallocate` (implied by `entryPoints`), temporaries are freed and
/// returned buffers belong to the caller.
void addBufferizationPasses(mlir::OpPassManager &pm, bool entryPoints,
                            bool deallocate = false, bool workspace = false);

/// Loops to the cf dialect: integer powers outlined, scf to cf, strided
/// metadata expanded, affine lowered.
void addLoopsToControlFlowPasses(mlir::OpPassManager &pm);

/// The rest of the (host) code to the LLVM dialect, libm calls for the math
/// ops LLVM has no intrinsic for, then the casts reconciled.
void addHostToLLVMPasses(mlir::OpPassManager &pm);

} // namespace fqt

#endif // FQT_LIB_PIPELINES_COMMONPASSES_H
