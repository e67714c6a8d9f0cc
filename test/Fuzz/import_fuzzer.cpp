//===- import_fuzzer.cpp - libFuzzer target for the ONNX importer ---------===//
//
// Feeds arbitrary bytes to fqt::importONNXModel. Any input must end in a
// module or in diagnostics, never in a crash. Build and run: see README.md
// ("Fuzzing the importer").
//
// The ONNX library's conversion and shape inference run in a forked worker
// (lib/Import/PrepareModel.cpp), whose crash the importer reports as a
// diagnostic. So that such crashes are seen, not only survived, an input
// that kills the worker (fqt::getONNXLibraryCrashCount) is counted and,
// when FQT_FUZZ_WORKER_DEATHS names a directory, saved there for triage:
// `gdb -ex 'set follow-fork-mode child' -ex run --args fqt-import FILE`
// shows whose code crashed.
//
//===----------------------------------------------------------------------===//

#include "fqt/Import/ONNXImporter.h"

#include "FQT/FQTDialect.h"
#include "ONNX/ONNXDialect.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::DialectRegistry *registry = [] {
    auto *r = new mlir::DialectRegistry();
    fqt::registerONNXImportDialects(*r);
    r->insert<fqt::onnx::ONNXDialect, fqt::FQTDialect>();
    return r;
  }();
  mlir::MLIRContext context(*registry, mlir::MLIRContext::Threading::DISABLED);
  mlir::ScopedDiagnosticHandler quiet(
      &context, [](mlir::Diagnostic &) { return mlir::success(); });
  unsigned crashesBefore = fqt::getONNXLibraryCrashCount();
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  (void)fqt::importONNXModel(bytes, "fuzz.onnx", &context);
  if (fqt::getONNXLibraryCrashCount() != crashesBefore) {
    static unsigned deaths = 0;
    ++deaths;
    llvm::errs() << "fqt-import-fuzzer: the worker died (" << deaths
                 << " so far)\n";
    if (const char *dir = std::getenv("FQT_FUZZ_WORKER_DEATHS");
        dir && deaths <= 100) {
      std::ofstream out(std::string(dir) + "/death-" + std::to_string(deaths) +
                            ".onnx",
                        std::ios::binary);
      out.write(reinterpret_cast<const char *>(data),
                static_cast<std::streamsize>(size));
    }
  }
  return 0;
}
