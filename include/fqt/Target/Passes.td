//===- Passes.td - fqt passes for the compiled program's ABI -*- tablegen -*-===//

#ifndef FQT_TARGET_PASSES_TD
#define FQT_TARGET_PASSES_TD

include "mlir/Pass/PassBase.td"

def FQTEmitEntryPoints : Pass<"fqt-emit-entry-points", "::mlir::ModuleOp"> {
  let summary = "Add the C entry points of the runtime ABI to a bufferized program";
  let description = [{
    For every function the module's `fqt.model_info` description lists
    (see include/fqt/Runtime/Model.h), adds `fqt_<name>(!llvm.ptr)`: it
    reads one buffer pointer per argument and result from the array it is
    given, wraps each in a memref descriptor of the statically known shape
    (offset 0, row-major strides) and calls `<name>`. Also adds
    `fqt_model_info()`, returning the description as a C string.

    Runs after bufferization with identity layouts at function boundaries
    and `--buffer-results-to-out-params`, so that `<name>` takes exactly one
    statically shaped memref per argument and result, in the order the
    description lists them. Afterwards the program can be lowered to LLVM
    and called from C as `void fqt_<name>(void **buffers)`.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::func::FuncDialect"];
}

def FQTPrepareEntryPointBufferization
    : Pass<"fqt-prepare-entry-point-bufferization", "::mlir::ModuleOp"> {
  let summary = "Mark the arguments of the ABI functions read-only";
  let description = [{
    Sets `bufferization.writable = false` on every argument of the
    functions listed in `fqt.model_info`: the runtime owns those buffers and
    may pass the same parameters to several steps, so the compiled code must
    never write into them.
  }];
}

#endif // FQT_TARGET_PASSES_TD
