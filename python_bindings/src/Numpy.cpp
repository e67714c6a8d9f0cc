//===- Numpy.cpp - numpy glue of the fqt._fqt extension -------------------===//

#include "Bindings.h"

using namespace fqt::runtime;

namespace fqt::python {

py::dtype numpyDType(DType type) {
  switch (type) {
  case DType::F16:
    return py::dtype("float16");
  case DType::BF16: // numpy has no bfloat16: the raw 16-bit patterns.
    return py::dtype("uint16");
  case DType::F32:
    return py::dtype::of<float>();
  case DType::F64:
    return py::dtype::of<double>();
  case DType::I1:
    return py::dtype::of<bool>();
  case DType::I8:
    return py::dtype::of<int8_t>();
  case DType::I16:
    return py::dtype::of<int16_t>();
  case DType::I32:
    return py::dtype::of<int32_t>();
  case DType::I64:
    return py::dtype::of<int64_t>();
  case DType::U8:
    return py::dtype::of<uint8_t>();
  }
  return py::dtype::of<float>();
}

std::string shapeRepr(const Shape &shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    text += std::to_string(shape[i]) + (shape.size() == 1 ? "," : "") +
            (i + 1 < shape.size() ? ", " : "");
  return text + ")";
}

Shape arrayShape(const py::array &a) {
  return Shape(a.shape(), a.shape() + a.ndim());
}

std::string typeName(py::handle obj) {
  return py::str(py::type::handle_of(obj).attr("__name__"));
}

/// OBJ as a C-contiguous array of DTYPE: OBJ itself when it already is one,
/// else a converted copy. WHAT names the argument in errors.
py::array asArray(py::handle obj, const py::dtype &dtype, const char *what) {
  if (obj.is_none())
    typeError(std::string(what) + " must be an array, got None");
  if (py::isinstance<py::array>(obj)) {
    auto a = py::reinterpret_borrow<py::array>(obj);
    if (a.dtype().is(dtype) || a.dtype().equal(dtype))
      if (a.flags() & py::array::c_style)
        return a;
  }
  py::module_ np = py::module_::import("numpy");
  try {
    py::array a = np.attr("asarray")(obj);
    char kind = a.dtype().kind();
    if (kind != 'f' && kind != 'i' && kind != 'u' && kind != 'b')
      typeError(std::string(what) + " must be a numeric array, got " +
                (py::isinstance<py::array>(obj)
                     ? "an array of dtype " + std::string(py::str(a.dtype()))
                     : typeName(obj)));
    return np.attr("ascontiguousarray")(a, dtype);
  } catch (py::error_already_set &e) {
    if (e.matches(PyExc_TypeError) || e.matches(PyExc_ValueError))
      typeError(std::string(what) + " must be a numeric array, got " +
                typeName(obj) + " (" + e.what() + ")");
    throw;
  }
}

/// The kind of OBJ's elements as numpy sees them: 'f', 'i', 'u', 'b', ...
char elementKind(py::handle obj) {
  if (py::isinstance<py::array>(obj))
    return py::reinterpret_borrow<py::array>(obj).dtype().kind();
  py::module_ np = py::module_::import("numpy");
  try {
    return py::array(np.attr("asarray")(obj)).dtype().kind();
  } catch (py::error_already_set &) {
    return '?';
  }
}

} // namespace fqt::python
