//===- Defaults.h - Defaults the CPU code generation options share -------===//
//
// Values that the pass options (Passes.td), the pipeline options, the
// driver's CompileOptions, fqt-compile and the Python bindings all default
// to, defined once. Plain C++: the driver's header, which the Python
// extension includes, must not pull in MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_CODEGEN_DEFAULTS_H
#define FQT_CODEGEN_DEFAULTS_H

#include <cstdint>

namespace fqt {

/// Fewest ops (multiply-adds of a product, trip count x body of a loop) for
/// which a loop runs on threads: below it, OpenMP's fork and join cost more
/// than the threads save.
inline constexpr int64_t kDefaultMinParallelWork = 131072;

} // namespace fqt

#endif // FQT_CODEGEN_DEFAULTS_H
