//===- import_fuzzer.cpp - libFuzzer target for the ONNX importer ---------===//
//
// Feeds arbitrary bytes to fqt::importONNXModel. Any input must end in a
// module or in diagnostics, never in a crash. Build and run: see README.md
// ("Fuzzing the importer").
//
//===----------------------------------------------------------------------===//

#include "fqt/Import/ONNXImporter.h"

#include "FQT/FQTDialect.h"
#include "ONNX/ONNXDialect.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::DialectRegistry *registry = [] {
    auto *r = new mlir::DialectRegistry();
    fqt::registerONNXImportDialects(*r);
    r->insert<fqt::onnx::ONNXDialect, fqt::FQTDialect>();
    return r;
  }();
  mlir::MLIRContext context(*registry,
                            mlir::MLIRContext::Threading::DISABLED);
  mlir::ScopedDiagnosticHandler quiet(
      &context, [](mlir::Diagnostic &) { return mlir::success(); });
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  (void)fqt::importONNXModel(bytes, "fuzz.onnx", &context);
  return 0;
}
