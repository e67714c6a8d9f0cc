//===- opt_fuzzer.cpp - libFuzzer target for fqt IR through the fqt passes ===//
//
// Feeds arbitrary text to the MLIR parser with the fqt dialect (and the
// upstream dialects its IR uses). What parses and verifies then runs
// through the passes that lower the fqt ops: the products on integer codes
// (and the simulation of what they leave), the quantizers, the
// dequantizers, and the narrowing of 4-bit codes. Anything may end in
// diagnostics; nothing may crash. Seed corpus: the fqt dialect's tests
// (scripts/fuzz-opt.sh).
//
//===----------------------------------------------------------------------===//

#include "FQT/FQTDialect.h"
#include "fqt/Codegen/Passes.h"
#include "fqt/Conversion/Passes.h"
#include "fqt/Quantize/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::DialectRegistry *registry = [] {
    auto *r = new mlir::DialectRegistry();
    r->insert<fqt::FQTDialect, mlir::arith::ArithDialect,
              mlir::bufferization::BufferizationDialect,
              mlir::func::FuncDialect, mlir::linalg::LinalgDialect,
              mlir::math::MathDialect, mlir::memref::MemRefDialect,
              mlir::scf::SCFDialect, mlir::tensor::TensorDialect>();
    return r;
  }();
  mlir::MLIRContext context(*registry, mlir::MLIRContext::Threading::DISABLED);
  context.allowUnregisteredDialects(false);
  mlir::ScopedDiagnosticHandler quiet(
      &context, [](mlir::Diagnostic &) { return mlir::success(); });
  // MLIR's lexer reads a buffer up to its terminating NUL, as every file
  // fqt-opt reads has one (MemoryBuffer); libFuzzer's bytes have none, so
  // they are copied into a string that does.
  std::string source(reinterpret_cast<const char *>(data), size);
  llvm::StringRef text(source.c_str(), size);
  mlir::ParserConfig config(&context);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(text, config);
  if (!module)
    return 0;
  mlir::PassManager pm(&context);
  pm.addPass(fqt::createFQTNarrowCodes());
  pm.addPass(fqt::createFQTLowerQMatmul());
  pm.addPass(fqt::createFQTSimulateQMatmul());
  pm.addPass(fqt::createFQTLowerQuantize());
  pm.addPass(fqt::createFQTLowerDequantize());
  (void)pm.run(*module);
  return 0;
}
