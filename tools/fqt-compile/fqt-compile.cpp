//===- fqt-compile.cpp - ONNX model to a training program -----------------===//
//
// fqt-compile MODEL.onnx -o OUT [--emit=exe|shared|object|mlir|llvm] ...
//
// The command line of fqt::compileModel (lib/Driver), which strings
// together the passes that fqt-opt runs one by one: import, build the
// training steps, insert the quantizers, lower to linalg and then to LLVM
// for the host CPU, add the C entry points of include/fqt/Runtime/Model.h,
// compile to an object file, and link it with the fqt runtime into a
// training executable (or a shared library). Nothing is written unless every
// stage succeeds.
//
//===----------------------------------------------------------------------===//

#include "fqt/Driver/Driver.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <csignal>
#include <optional>

namespace cl = llvm::cl;

static cl::OptionCategory category("fqt-compile options");

static cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model.onnx>"),
                                      cl::Required, cl::cat(category));
static cl::opt<std::string> outputPath("o", cl::desc("Output file"),
                                       cl::value_desc("path"), cl::Required,
                                       cl::cat(category));
// One flag per option of the two lists; what each kind becomes on the
// command line.
#define FQT_FLAG_String(FIELD, FLAG, DEFAULT, HELP)                            \
  static cl::opt<std::string> FIELD##Flag(                                     \
      FLAG, cl::desc(HELP), cl::init(DEFAULT), cl::cat(category));
#define FQT_FLAG_Int(FIELD, FLAG, DEFAULT, HELP)                               \
  static cl::opt<int64_t> FIELD##Flag(FLAG, cl::desc(HELP), cl::init(DEFAULT), \
                                      cl::cat(category));
#define FQT_FLAG_Real(FIELD, FLAG, DEFAULT, HELP)                              \
  static cl::opt<double> FIELD##Flag(FLAG, cl::desc(HELP), cl::init(DEFAULT),  \
                                     cl::cat(category));
#define FQT_FLAG_Bool(FIELD, FLAG, DEFAULT, HELP)                              \
  static cl::opt<bool> FIELD##Flag(FLAG, cl::desc(HELP), cl::init(DEFAULT),    \
                                   cl::cat(category));
#define FQT_FLAG_Level(FIELD, FLAG, DEFAULT, HELP)                             \
  static cl::opt<unsigned> FIELD##Flag(FLAG, cl::desc(HELP),                   \
                                       cl::init(DEFAULT), cl::cat(category));
#define FQT_FLAG_Size(FIELD, FLAG, DEFAULT, HELP)                              \
  static cl::opt<std::string> FIELD##Flag(FLAG, cl::desc(HELP),                \
                                          cl::value_desc("SIZE"),              \
                                          cl::init(""), cl::cat(category));
#define FQT_FLAG_List(FIELD, FLAG, DEFAULT, HELP)                              \
  static cl::list<std::string> FIELD##Flag(FLAG, cl::desc(HELP),               \
                                           cl::cat(category));
#define FQT_FLAG_CommaList(FIELD, FLAG, DEFAULT, HELP)                         \
  static cl::list<std::string> FIELD##Flag(                                    \
      FLAG, cl::desc(HELP), cl::CommaSeparated, cl::cat(category));
#define FQT_OPTION(KIND, FIELD, FLAG, PYTHON, DEFAULT, SHOWN, HELP)            \
  FQT_FLAG_##KIND(FIELD, FLAG, DEFAULT, HELP)
#include "fqt/Pipelines/TrainOptions.def"
#define FQT_OPTION(KIND, FIELD, FLAG, PYTHON, DEFAULT, SHOWN, HELP)            \
  FQT_FLAG_##KIND(FIELD, FLAG, DEFAULT, HELP)
using fqt::kDefaultMinParallelWork;
#include "fqt/Driver/CompileOptions.def"

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // Under a file size limit (ulimit -f), a write past it should fail like a
  // write to a full disk (EFBIG: one error, the previous output kept), not
  // stop the process in LLVM's crash handler, which InitLLVM installed for
  // SIGXFSZ too.
  std::signal(SIGXFSZ, SIG_IGN);
  // The docs' option table (docs/options.md), from the same lists as the
  // flags; it needs no model.
  if (argc == 2 && llvm::StringRef(argv[1]) == "--options-table") {
    fqt::printOptionTable(llvm::outs());
    return 0;
  }
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "fqt-compile: ONNX model -> fully quantized training program\n\n"
      "  fqt-compile model.onnx -o train && ./train --epochs=1\n");

  fqt::CompileOptions options;
  options.modelPath = modelPath;
  options.outputPath = outputPath;
  // Each flag into its field; a list only when given (its default is the
  // field's), a size parsed.
#define FQT_COPY_String(FIELD) options.FIELD = FIELD##Flag;
#define FQT_COPY_Int(FIELD) options.FIELD = FIELD##Flag;
#define FQT_COPY_Real(FIELD) options.FIELD = FIELD##Flag;
#define FQT_COPY_Bool(FIELD) options.FIELD = FIELD##Flag;
#define FQT_COPY_Level(FIELD) options.FIELD = FIELD##Flag;
#define FQT_COPY_Size(FIELD)                                                   \
  if (!FIELD##Flag.empty()) {                                                  \
    std::optional<int64_t> bytes = fqt::parseByteSize(FIELD##Flag);            \
    if (!bytes) {                                                              \
      llvm::errs() << "fqt-compile: error: --" << FIELD##Flag.ArgStr << "="    \
                   << FIELD##Flag << ": expected a positive size such as "     \
                   << "16G, 512M or 1048576\n";                                \
      return 1;                                                                \
    }                                                                          \
    options.FIELD = *bytes;                                                    \
  }
#define FQT_COPY_List(FIELD)                                                   \
  if (FIELD##Flag.getNumOccurrences())                                         \
    options.FIELD.assign(FIELD##Flag.begin(), FIELD##Flag.end());
#define FQT_COPY_CommaList(FIELD) FQT_COPY_List(FIELD)
#define FQT_OPTION(KIND, FIELD, FLAG, PYTHON, DEFAULT, SHOWN, HELP)            \
  FQT_COPY_##KIND(FIELD)
#include "fqt/Pipelines/TrainOptions.def"
#define FQT_OPTION(KIND, FIELD, FLAG, PYTHON, DEFAULT, SHOWN, HELP)            \
  FQT_COPY_##KIND(FIELD)
#include "fqt/Driver/CompileOptions.def"
  // train_step (or its split form) is always built.
  if (entryPointsFlag.getNumOccurrences() &&
      !llvm::is_contained(options.entryPoints, "train") &&
      !llvm::is_contained(options.entryPoints, "split-train"))
    options.entryPoints.push_back("train");
  options.toolName = "fqt-compile";
  return fqt::compileModel(options, llvm::errs()) ? 0 : 1;
}
