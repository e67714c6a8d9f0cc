//===- Passes.h - fqt CPU code generation passes ----------------*- C++ -*-===//

#ifndef FQT_CODEGEN_PASSES_H
#define FQT_CODEGEN_PASSES_H

#include "fqt/Codegen/Defaults.h"
#include "mlir/Pass/Pass.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace mlir {
class RewritePatternSet;
namespace func {
class FuncOp;
} // namespace func
} // namespace mlir

namespace fqt {

/// Prefix of the names of the kernel functions --fqt-outline-kernels makes.
constexpr llvm::StringLiteral kKernelPrefix = "fqt_kernel_";

/// The function --fqt-amx-kernels calls before an AMX kernel: whether this
/// process may use the tiles (asked of Linux once).
constexpr llvm::StringLiteral kAmxGateName = "fqt_amx_ready";

#define GEN_PASS_DECL
#include "fqt/Codegen/Passes.h.inc"

/// Elementwise producer-consumer fusion of linalg.generic ops on tensors that
/// never repeats a producer's computation (see --fqt-fuse-elementwise).
void populateFuseElementwisePatterns(mlir::RewritePatternSet &patterns,
                                     bool epiloguesIntoWindowSums = false);

/// Instruction set of the integer kernels.
enum class IntKernelIsa { generic, avx2, avx512vnni };

/// Shape of the register-blocked kernels.
struct KernelOptions {
  int64_t tileM = 4;
  /// Result columns per kernel (a multiple of `vectorWidth`).
  int64_t tileN = 24;
  int64_t tileK = 256;
  /// f32 lanes per vector register (8 for AVX2, 16 for AVX-512).
  int64_t vectorWidth = 8;
  IntKernelIsa isa = IntKernelIsa::generic;
  /// The features name AMX-INT8 (and AMX-TILE): --fqt-amx-kernels applies,
  /// with `isa` the family of the fallback.
  bool amx = false;
  /// Loops over parallel dimensions as scf.parallel (for OpenMP), for
  /// products of at least `minParallelWork` multiply-adds.
  bool parallel = false;
  int64_t minParallelWork = kDefaultMinParallelWork;
};

/// Kernel options for an LLVM feature string (`+avx512f,...`; empty: the
/// host CPU), `isa` being auto, avx512vnni, avx2 or generic. Fails on an
/// unknown `isa`.
mlir::FailureOr<KernelOptions> selectKernelOptions(llvm::StringRef isa,
                                                   llvm::StringRef features);

/// Patterns rewriting f32 linalg.matmul and i8 x i8 -> i32 contractions on
/// buffers into vector kernels.
void populateTileAndVectorizePatterns(mlir::RewritePatternSet &patterns,
                                      const KernelOptions &options);

/// Patterns rewriting linalg.generic ops on buffers whose innermost loop
/// reduces over a contiguous dimension into vector loops of `vectorWidth`
/// lanes with a scalar remainder (min/max exact, sums reassociated). With
/// `parallel`, the leading parallel loops around the reduction are one
/// scf.parallel (for --fqt-coarsen-parallel-loops to keep or not).
void populateVectorizeReductionPatterns(mlir::RewritePatternSet &patterns,
                                        int64_t vectorWidth,
                                        bool parallel = false);

/// Whether OP is a memref.copy into or out of a strided view (the interior
/// of a padded buffer, a pooling gradient's scatter): a copy that
/// --fqt-lower-strided-copies turns into loops. Copies between contiguous
/// buffers stay calls of memcpy.
bool isStridedCopy(mlir::Operation *op);

#define GEN_PASS_REGISTRATION
#include "fqt/Codegen/Passes.h.inc"

} // namespace fqt

#endif // FQT_CODEGEN_PASSES_H
