//===- ONNXImporter.h - ONNX model to MLIR ----------------------*- C++ -*-===//
//
// Imports an ONNX model into the `onnx` dialect with the ONNX C++ library:
// protobuf parsing, the checker, the version converter and shape inference.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_IMPORT_ONNXIMPORTER_H
#define FQT_IMPORT_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"

#include <optional>

namespace mlir {
class Diagnostic;
class MLIRContext;
class DialectRegistry;
} // namespace mlir

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace fqt {

struct ONNXImportOptions {
  /// Binds every symbolic (or unknown) leading dimension of the graph inputs
  /// to this size before shape inference.
  std::optional<int64_t> batchSize;
  /// Binds symbolic dimensions by name (`dim_param`) before shape inference.
  llvm::StringMap<int64_t> dimBindings;
  /// Binds every unknown dimension of the i-th graph input (initializers
  /// excluded) to inputShapes[i], where given (e.g. from test data).
  std::vector<std::vector<int64_t>> inputShapes;
  /// Initializers with more elements than this become dense resources
  /// rather than inline dense attributes.
  int64_t inlineElementLimit = 64;
  /// Name of the imported function.
  std::string functionName = "forward";
  /// The folder that external data locations are relative to (the model
  /// file's folder). Unset for a model given as bytes: then a model that
  /// keeps tensors in external files is refused.
  std::optional<std::string> externalDataDir;
};

/// The opset the `onnx` dialect describes. Models of any opset the ONNX
/// library knows (7 to newestReadableOpset()) are converted to it with the
/// library's version converter, up or down.
constexpr int64_t kImportOpset = 17;

/// The newest default-domain opset the linked ONNX library knows.
int64_t newestReadableOpset();

/// Registers the dialects an imported module uses.
void registerONNXImportDialects(mlir::DialectRegistry &registry);

/// Imports the serialized ModelProto `bytes`; `sourceName` names it in
/// diagnostics. On error, emits one diagnostic through the context and
/// returns null.
mlir::OwningOpRef<mlir::ModuleOp>
importONNXModel(llvm::StringRef bytes, llvm::StringRef sourceName,
                mlir::MLIRContext *context,
                const ONNXImportOptions &options = {});

/// Imports a model written in the ONNX text syntax (onnx/defs/parser.h).
mlir::OwningOpRef<mlir::ModuleOp>
importONNXModelText(llvm::StringRef text, llvm::StringRef sourceName,
                    mlir::MLIRContext *context,
                    const ONNXImportOptions &options = {});

/// Prints `diag` as one line, `FILE: SEVERITY: MESSAGE`, for the tools that
/// read models: a model is binary, so there is no source line to quote. When
/// the location names an ONNX node the message does not already name,
/// ` (node 'NAME')` is appended.
void printModelDiagnostic(mlir::Diagnostic &diag, llvm::raw_ostream &os);

/// Reads and imports the model file at `path`: the ONNX text syntax if it
/// ends in `.onnxtxt`, a serialized ModelProto otherwise.
mlir::OwningOpRef<mlir::ModuleOp>
importONNXModelFile(llvm::StringRef path, mlir::MLIRContext *context,
                    const ONNXImportOptions &options = {});

/// How many models so far made the ONNX library crash in the importer's
/// worker process (conversion or shape inference), each reported as a
/// diagnostic. The fuzzer saves such models for triage.
unsigned getONNXLibraryCrashCount();

} // namespace fqt

#endif // FQT_IMPORT_ONNXIMPORTER_H
