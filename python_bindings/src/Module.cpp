//===- Module.cpp - The fqt._fqt Python extension -------------------------===//
//
// pybind11 over fqt's own C++ API: the compile driver (lib/Driver), the
// runtime's Program (a compiled program's C ABI, include/fqt/Runtime/Model.h)
// and the JIT-compiled quantizer kernels. python_bindings/fqt/__init__.py is
// the documented, typed API over this module; tests and users import `fqt`.
// The parts: Numpy.cpp (numpy glue), Compiler.cpp, Trainer.cpp,
// Quantizers.cpp; this file makes the module and its exception.
//
//===----------------------------------------------------------------------===//

#include "Bindings.h"

#include "fqt/Runtime/Error.h"

using namespace fqt::python;

namespace {
PyObject *compileErrorType = nullptr;
} // namespace

PYBIND11_MODULE(_fqt, m) {
  m.doc() = "fqt's C++ extension; use the `fqt` package, which documents it.";

  compileErrorType = PyErr_NewExceptionWithDoc(
      "fqt.CompileError",
      "The compiler rejected a model or a quantizer. str(error) and "
      "error.diagnostics hold the compiler's diagnostics, one line each.",
      PyExc_RuntimeError, nullptr);
  m.add_object("CompileError", py::handle(compileErrorType));
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p)
        std::rethrow_exception(p);
    } catch (const CompileFailure &e) {
      // Diagnostics quote names from the model file, which need not be
      // UTF-8: undecodable bytes become U+FFFD rather than a second error.
      auto lossy = [](const std::string &text) {
        return py::reinterpret_steal<py::object>(PyUnicode_DecodeUTF8(
            text.data(), Py_ssize_t(text.size()), "replace"));
      };
      py::object message = lossy(e.message);
      if (!message)
        return; // The call set a Python error already.
      py::object error =
          py::reinterpret_steal<py::object>(PyObject_CallFunctionObjArgs(
              compileErrorType, message.ptr(), nullptr));
      if (!error)
        return;
      error.attr("diagnostics") = lossy(e.diagnostics);
      PyErr_SetObject(compileErrorType, error.ptr());
    } catch (const fqt::runtime::Error &e) {
      PyErr_SetString(PyExc_RuntimeError, e.message().c_str());
    }
  });

  registerCompiler(m);
  registerTrainer(m);
  registerQuantizers(m);
}
