//===- Context.cpp - The MLIR context of a compilation --------------------===//

#include "fqt/Driver/Context.h"

#include "FQT/FQTDialect.h"
#include "ONNX/ONNXDialect.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/Support/TargetSelect.h"

#include <mutex>

std::unique_ptr<mlir::MLIRContext> fqt::createCompilerContext() {
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  // Without the extensions --convert-to-llvm silently converts nothing.
  mlir::registerAllExtensions(registry);
  registry.insert<fqt::FQTDialect, fqt::onnx::ONNXDialect>();
  // Builtin and LLVM for the host; GPU, NVVM and the offloading interface
  // for gpu-module-to-binary and the kernel launches of --target=nvptx.
  mlir::registerAllToLLVMIRTranslations(registry);
  return std::make_unique<mlir::MLIRContext>(registry);
}

void fqt::initializeNativeTarget() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}
