//===- fqt-import.cpp - ONNX model to MLIR --------------------------------===//
//
// fqt-import MODEL.onnx [-o OUT.mlir] [--batch-size=N] [--dim=NAME=N ...]
//
// Prints the imported `onnx`-dialect module. On any error it prints one
// diagnostic naming the file (and node), writes no output file, and exits 1.
//
//===----------------------------------------------------------------------===//

#include "fqt/Import/ONNXImporter.h"

#include "FQT/FQTDialect.h"
#include "ONNX/ONNXDialect.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::opt<std::string>
    inputFilename(cl::Positional, cl::desc("<model.onnx>"), cl::Required);
static cl::opt<std::string> outputFilename("o", cl::desc("Output MLIR file"),
                                           cl::value_desc("filename"),
                                           cl::init("-"));
static cl::opt<int64_t>
    batchSize("batch-size",
              cl::desc("Bind the symbolic leading dimension of every graph "
                       "input to this size"),
              cl::init(0));
static cl::list<std::string>
    dimBindings("dim", cl::desc("Bind a symbolic dimension by name"),
                cl::value_desc("NAME=SIZE"));

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // The usual printing options (--mlir-print-debuginfo, ...).
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  cl::ParseCommandLineOptions(argc, argv, "fqt ONNX importer\n");

  fqt::ONNXImportOptions options;
  if (batchSize < 0) {
    llvm::errs() << "fqt-import: --batch-size must be positive\n";
    return 1;
  }
  if (batchSize > 0)
    options.batchSize = batchSize;
  for (const std::string &binding : dimBindings) {
    auto [name, size] = llvm::StringRef(binding).split('=');
    int64_t value;
    if (name.empty() || size.getAsInteger(10, value) || value <= 0) {
      llvm::errs() << "fqt-import: --dim expects NAME=SIZE with SIZE > 0, got '"
                   << binding << "'\n";
      return 1;
    }
    options.dimBindings[name] = value;
  }

  DialectRegistry registry;
  fqt::registerONNXImportDialects(registry);
  registry.insert<fqt::onnx::ONNXDialect, fqt::FQTDialect>();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  ScopedDiagnosticHandler handler(&context, [](Diagnostic &diag) {
    fqt::printModelDiagnostic(diag, llvm::errs());
    return success();
  });

  OwningOpRef<ModuleOp> module =
      fqt::importONNXModelFile(inputFilename, &context, options);
  if (!module)
    return 1;

  std::string errorMessage;
  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(outputFilename, &errorMessage);
  if (!output) {
    llvm::errs() << "fqt-import: " << errorMessage << "\n";
    return 1;
  }
  module->print(output->os());
  output->os() << "\n";
  output->keep();
  return 0;
}
