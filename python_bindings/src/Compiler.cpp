//===- Compiler.cpp - fqt-compile's driver for Python ---------------------===//
//
// CompileOptions (every option of the two option lists), the schema that
// `python -m fqt compile` and the tests read, and the driver's entry points
// (emit_ir, compile_file).
//
//===----------------------------------------------------------------------===//

#include "Bindings.h"

#include "fqt/Driver/Driver.h"

#include "llvm/Support/raw_ostream.h"

#include <pybind11/stl.h>

#include <algorithm>
#include <deque>

namespace fqt::python {

std::string messageOf(const std::string &diagnostics) {
  std::string message = diagnostics;
  while (!message.empty() && message.back() == '\n')
    message.pop_back();
  return message.empty() ? "compilation failed" : message;
}

/// fqt-compile: OPTIONS.modelPath to OPTIONS.outputPath as OPTIONS.emit
/// says; the diagnostics (--timing, --kernel-stats, warnings) are returned,
/// an error raises CompileError.
std::string compileFile(const fqt::CompileOptions &options) {
  fqt::CompileResult result;
  {
    py::gil_scoped_release release;
    result = fqt::compileModel(options);
  }
  if (!result.succeeded)
    throw CompileFailure(messageOf(result.diagnostics), result.diagnostics);
  return result.diagnostics;
}

std::string emitIR(const fqt::CompileOptions &options,
                   const std::string &stageName) {
  auto stage = fqt::parseCompileStage(stageName);
  if (!stage)
    valueError("unknown stage '" + stageName + "'; expected one of " +
               fqt::compileStageNames());
  fqt::CompileResult result;
  {
    py::gil_scoped_release release;
    result = fqt::emitStage(options, *stage);
  }
  if (!result.succeeded)
    throw CompileFailure(messageOf(result.diagnostics), result.diagnostics);
  return result.output;
}

void registerCompiler(py::module_ &m) {
  py::class_<fqt::CompileOptions> compileOptions(m, "CompileOptions");
  compileOptions.def(py::init<>())
      .def_readwrite("model_path", &fqt::CompileOptions::modelPath)
      .def_readwrite("output_path", &fqt::CompileOptions::outputPath)
      .def_property(
          "model_bytes",
          [](const fqt::CompileOptions &o) -> py::object {
            if (!o.modelBytes)
              return py::none();
            return py::bytes(*o.modelBytes);
          },
          [](fqt::CompileOptions &o, py::object v) {
            if (v.is_none())
              o.modelBytes.reset();
            else
              o.modelBytes = std::string(py::bytes(v));
          })
      .def_readwrite("tool_name", &fqt::CompileOptions::toolName);
  // Every option of the two lists, as an attribute named by its Python
  // name (those fqt.compile takes) or else by its flag (`gpu-arch`:
  // gpu_arch); compile_option_schema() describes them all
  // (test/Python/test_options.py holds fqt.compile's keywords to it, and
  // `python -m fqt compile` builds its command line from it).
  py::list schema;
  static std::deque<std::string> attributeNames;
  auto option = [&](const char *kind, const char *flag, const char *python,
                    const std::string &shown, const char *help) {
    std::string attribute = *python ? python : flag;
    std::replace(attribute.begin(), attribute.end(), '-', '_');
    attributeNames.push_back(attribute);
    py::dict entry;
    entry["kind"] = kind;
    entry["flag"] = flag;
    entry["python"] = python;
    entry["attribute"] = attribute;
    entry["default"] = shown;
    entry["help"] = help;
    schema.append(entry);
    return attributeNames.back().c_str();
  };
#define FQT_OPTION(KIND, FIELD, FLAG, PYTHON, DEFAULT, SHOWN, HELP)            \
  compileOptions.def_readwrite(option(#KIND, FLAG, PYTHON, SHOWN, HELP),       \
                               &fqt::CompileOptions::FIELD);
#include "fqt/Pipelines/TrainOptions.def"
#define FQT_OPTION(KIND, FIELD, FLAG, PYTHON, DEFAULT, SHOWN, HELP)            \
  compileOptions.def_readwrite(option(#KIND, FLAG, PYTHON, SHOWN, HELP),       \
                               &fqt::CompileOptions::FIELD);
  using fqt::kDefaultMinParallelWork;
#include "fqt/Driver/CompileOptions.def"
  m.def("compile_option_schema", [schema] { return schema; });
  m.def("emit_ir", &emitIR, py::arg("options"), py::arg("stage"));
  m.def("compile_file", &compileFile, py::arg("options"));
  m.def("compile_stages", [] { return std::string(fqt::compileStageNames()); });
  // What python -m fqt takes from fqt-compile rather than writing again.
  m.def(
      "parse_byte_size",
      [](const std::string &text) { return fqt::parseByteSize(text); },
      py::arg("text"));
  m.def("option_table", [] {
    std::string table;
    llvm::raw_string_ostream os(table);
    fqt::printOptionTable(os);
    return table;
  });
}

} // namespace fqt::python
