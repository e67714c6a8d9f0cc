//===- Context.h - The MLIR context of a compilation ------------*- C++ -*-===//
//
// Every compilation (a model, a quantizer kernel, fqt-run's forward pass)
// gets a fresh context with the same dialects and translations as fqt-opt.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_DRIVER_CONTEXT_H
#define FQT_DRIVER_CONTEXT_H

#include "mlir/IR/MLIRContext.h"

#include <memory>

namespace fqt {

/// A context with every upstream dialect and extension, fqt's dialects, and
/// the translations to LLVM IR registered.
std::unique_ptr<mlir::MLIRContext> createCompilerContext();

/// Initializes LLVM's native target and its assembly printer (once).
void initializeNativeTarget();

} // namespace fqt

#endif // FQT_DRIVER_CONTEXT_H
