//===- ProgramDescription.h - The runtime's view of a program ---*- C++ -*-===//
//
// A training program's step functions carry their interface as typed
// attributes: `fqt.slot` (#fqt.slot<kind, name>) on every argument and
// result, `fqt.program` (#fqt.program<...>) on the module. The passes that
// build the runtime ABI find the step functions and write the runtime's
// description (include/fqt/Runtime/Model.h) from them, here and nowhere else.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_LIB_TARGET_PROGRAMDESCRIPTION_H
#define FQT_LIB_TARGET_PROGRAMDESCRIPTION_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace fqt {

/// The step functions: the public functions with a body whose arguments and
/// results all carry `fqt.slot`, in module order. Fails, with a diagnostic,
/// on a public function that labels some of them but not all, and when
/// there is none.
mlir::FailureOr<llvm::SmallVector<mlir::func::FuncOp>>
getStepFunctions(mlir::ModuleOp module);

/// The number of FN's arguments that were arguments before bufferization
/// turned its results into trailing out-parameters: they end with its last
/// argument of an argument-only kind (weight, input, label, hyper), which
/// every step function has. Fails, with a diagnostic, when FN has none.
mlir::FailureOr<unsigned> getNumOriginalArguments(mlir::func::FuncOp fn);

/// The runtime's description of the bufferized module (Model.h's format):
/// the `fqt.program` lines, then each step function's buffers.
mlir::FailureOr<std::string> describeProgram(mlir::ModuleOp module);

} // namespace fqt

#endif // FQT_LIB_TARGET_PROGRAMDESCRIPTION_H
