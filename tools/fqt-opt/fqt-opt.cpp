//===- fqt-opt.cpp - fqt's mlir-opt ---------------------------------------===//
//
// Every upstream dialect, extension and pass, plus fqt's (and the onnx
// import dialect).
//
//===----------------------------------------------------------------------===//

#include "FQT/FQTDialect.h"
#include "ONNX/ONNXDialect.h"
#include "fqt/Codegen/Passes.h"
#include "fqt/Conversion/Passes.h"
#include "fqt/Pipelines/Pipelines.h"
#include "fqt/Quantize/Passes.h"
#include "fqt/Target/Passes.h"
#include "fqt/Training/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  fqt::registerFQTQuantizePasses();
  fqt::registerFQTConversionPasses();
  fqt::registerFQTCodegenPasses();
  fqt::registerFQTTrainingPasses();
  fqt::registerFQTTargetPasses();
  fqt::registerFqtPipelines();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  // Without the extensions, interfaces such as ConvertToLLVM are missing and
  // --convert-to-llvm silently converts nothing.
  mlir::registerAllExtensions(registry);
  // gpu-module-to-binary translates gpu.module bodies (nvvm, llvm) to LLVM
  // IR.
  mlir::registerAllToLLVMIRTranslations(registry);
  registry.insert<fqt::FQTDialect, fqt::onnx::ONNXDialect>();

  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "fqt optimizer driver\n", registry));
}
