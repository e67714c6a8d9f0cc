//===- Bindings.h - What the parts of the fqt._fqt extension share -*- C++
//-*-===//
//
// Private to python_bindings/src: the extension is split by concern (numpy
// glue, the trainer, compilation, the quantizer kernels, the module), and
// these are the pieces they share.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_PYTHON_BINDINGS_H
#define FQT_PYTHON_BINDINGS_H

#include "fqt/Runtime/Tensor.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <string>
#include <system_error>

namespace py = pybind11;

namespace fqt::python {

/// A compilation failed; `diagnostics` holds every line the compiler printed.
/// Module.cpp turns it into fqt.CompileError.
struct CompileFailure : std::exception {
  CompileFailure(std::string message, std::string diagnostics)
      : message(std::move(message)), diagnostics(std::move(diagnostics)) {}
  const char *what() const noexcept override { return message.c_str(); }
  std::string message;
  std::string diagnostics;
};

[[noreturn]] inline void valueError(const std::string &message) {
  throw py::value_error(message);
}
[[noreturn]] inline void typeError(const std::string &message) {
  throw py::type_error(message);
}

//===----------------------------------------------------------------------===//
// numpy glue (Numpy.cpp)
//===----------------------------------------------------------------------===//

py::dtype numpyDType(runtime::DType type);
std::string shapeRepr(const runtime::Shape &shape);
runtime::Shape arrayShape(const py::array &a);
std::string typeName(py::handle obj);
/// OBJ as a C-contiguous array of DTYPE: OBJ itself when it already is one,
/// else a converted copy. WHAT names the argument in errors.
py::array asArray(py::handle obj, const py::dtype &dtype, const char *what);
/// The kind of OBJ's elements as numpy sees them: 'f', 'i', 'u', 'b', ...
char elementKind(py::handle obj);

//===----------------------------------------------------------------------===//
// Compilation (Compiler.cpp)
//===----------------------------------------------------------------------===//

/// A fresh directory under $TMPDIR, removed with its contents on scope exit.
class TempDir {
public:
  TempDir() {
    std::filesystem::path base = std::filesystem::temp_directory_path();
    std::string pattern = (base / "fqt-XXXXXX").string();
    if (!mkdtemp(pattern.data()))
      throw std::runtime_error("cannot create a temporary directory in " +
                               base.string() + ": " + std::strerror(errno));
    path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  const std::string &get() const { return path; }

private:
  std::string path;
};

/// The message of a CompileError: the diagnostics without the final
/// newline.
std::string messageOf(const std::string &diagnostics);

//===----------------------------------------------------------------------===//
// The parts of the module
//===----------------------------------------------------------------------===//

/// CompileOptions, compile_option_schema, emit_ir, compile_file,
/// compile_stages.
void registerCompiler(py::module_ &m);
/// Trainer and compile (a trainer of a freshly compiled program).
void registerTrainer(py::module_ &m);
/// quantize, dequantize, parse_quantizer_spec.
void registerQuantizers(py::module_ &m);

} // namespace fqt::python

#endif // FQT_PYTHON_BINDINGS_H
