//===- Driver.h - ONNX model to a compiled training program -----*- C++ -*-===//
//
// The compile driver: import an ONNX model, build its training steps, insert
// the quantizers, lower to linalg and then to LLVM for the host CPU, and
// write the program as a training executable, a shared library with the C
// entry points of include/fqt/Runtime/Model.h, an object file, or IR text.
// `fqt-compile` is a command line over compileModel; the Python bindings
// call the same function, so both compile exactly the same program.
//
// The interface is plain C++ (strings and vectors, no MLIR types), so that
// code built with exceptions (the Python extension) can include it.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_DRIVER_DRIVER_H
#define FQT_DRIVER_DRIVER_H

#include "fqt/Codegen/Defaults.h"
#include "fqt/Pipelines/OptionKinds.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace fqt {

/// Everything `fqt-compile` takes on its command line; the defaults are the
/// command line's.
struct CompileOptions {
  /// The model file: ONNX (a serialized ModelProto) or the ONNX text syntax
  /// when it ends in `.onnxtxt`. When `modelBytes` is set, this only names
  /// the model in diagnostics and the bytes are compiled instead.
  std::string modelPath;
  std::optional<std::string> modelBytes;
  /// Where compileModel writes its output (atomically).
  std::string outputPath;
  /// Every option of the command line, from the two lists
  /// (fqt/Pipelines/TrainOptions.def: the training steps and quantizers;
  /// fqt/Driver/CompileOptions.def: the rest), with their defaults.
#define FQT_OPTION(KIND, FIELD, FLAG, PYTHON, DEFAULT, SHOWN, HELP)            \
  FQT_OPTION_TYPE(KIND) FIELD = DEFAULT;
#include "fqt/Pipelines/TrainOptions.def"
#define FQT_OPTION(KIND, FIELD, FLAG, PYTHON, DEFAULT, SHOWN, HELP)            \
  FQT_OPTION_TYPE(KIND) FIELD = DEFAULT;
#include "fqt/Driver/CompileOptions.def"
  /// Prefix of the driver's own messages: "<toolName>: error: ...".
  std::string toolName = "fqt-compile";
};

/// Compiles OPTIONS.modelPath (or modelBytes) to OPTIONS.outputPath as
/// `fqt-compile` does. Diagnostics of every stage and the driver's errors go
/// to DIAGNOSTICS, one line each; nothing is written unless every stage
/// succeeds. Returns true on success.
bool compileModel(const CompileOptions &options,
                  llvm::raw_ostream &diagnostics);

/// A Size option's value: "16G" -> 16 * 2^30 (K, M, G, T: powers of 1024,
/// or plain bytes); nullopt for anything else, zero or an overflow.
std::optional<int64_t> parseByteSize(std::string_view text);

/// The option table of docs/options.md: every option of the two lists, its
/// flag, Python name, default and help, in Markdown.
void printOptionTable(llvm::raw_ostream &os);

/// The stages whose IR emitStage can return, in pipeline order.
enum class CompileStage {
  Import,    ///< the `onnx` dialect, as imported
  Training,  ///< after fqt-build-training (train/eval/grad steps, float)
  Quantized, ///< after fqt-insert-quantizers (same as Training with fp32)
  Linalg,    ///< after fqt-convert-onnx-to-linalg (`--emit=mlir`)
  LLVM,      ///< after the CPU pipeline, in the LLVM dialect
};

/// "import", "training", "quantized", "linalg", "llvm"; nullopt otherwise.
std::optional<CompileStage> parseCompileStage(std::string_view name);
/// The names parseCompileStage accepts, comma separated.
const char *compileStageNames();

/// Runs the pipeline of compileModel up to and including STAGE and stores
/// the module's MLIR text in IR. OPTIONS.emit and outputPath are ignored.
bool emitStage(const CompileOptions &options, CompileStage stage,
               std::string &ir, llvm::raw_ostream &diagnostics);

/// The outcome of a compilation, with the diagnostics captured as text.
struct CompileResult {
  bool succeeded = false;
  /// compileModel: the output path; emitStage: the IR text.
  std::string output;
  /// Every diagnostic line, warnings and notes included.
  std::string diagnostics;
};

CompileResult compileModel(const CompileOptions &options);
CompileResult emitStage(const CompileOptions &options, CompileStage stage);

} // namespace fqt

#endif // FQT_DRIVER_DRIVER_H
