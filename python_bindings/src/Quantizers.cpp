//===- Quantizers.cpp - fqt.quantize and fqt.dequantize -------------------===//
//
// One compiled quantizer kernel (lib/Driver/QuantizerKernel) per kind,
// spec, shape and stream, cached; numpy arrays in and out.
//
//===----------------------------------------------------------------------===//

#include "Bindings.h"

#include "fqt/Driver/QuantizerKernel.h"
#include "fqt/Runtime/Error.h"

#include <pybind11/stl.h>

#include <map>
#include <memory>
#include <mutex>
#include <tuple>

using namespace fqt::runtime;

namespace fqt::python {
namespace {

/// A small host buffer for a scalar argument of any type.
struct Scalar {
  alignas(8) unsigned char bytes[16] = {};
  void set(DType type, double value) {
    switch (type) {
    case DType::F32: {
      float v = static_cast<float>(value);
      std::memcpy(bytes, &v, sizeof v);
      break;
    }
    case DType::F64:
      std::memcpy(bytes, &value, sizeof value);
      break;
    case DType::I32: {
      int32_t v = static_cast<int32_t>(value);
      std::memcpy(bytes, &v, sizeof v);
      break;
    }
    default: {
      int64_t v = static_cast<int64_t>(value);
      std::memcpy(bytes, &v, sizeof v);
      break;
    }
    }
  }
};

using KernelKey = std::tuple<int, std::string, std::vector<int64_t>, int64_t>;

std::mutex kernelMutex;
std::map<KernelKey, std::shared_ptr<fqt::QuantizerKernel>> &kernelCache() {
  static auto *cache =
      new std::map<KernelKey, std::shared_ptr<fqt::QuantizerKernel>>();
  return *cache;
}

std::shared_ptr<fqt::QuantizerKernel>
getKernel(fqt::QuantizerKernel::Kind kind, const std::string &spec,
          const std::vector<int64_t> &shape, int64_t stream) {
  KernelKey key(static_cast<int>(kind), spec, shape, stream);
  {
    std::lock_guard<std::mutex> lock(kernelMutex);
    auto it = kernelCache().find(key);
    if (it != kernelCache().end())
      return it->second;
  }
  std::string error;
  std::unique_ptr<fqt::QuantizerKernel> kernel;
  {
    py::gil_scoped_release release;
    kernel = fqt::QuantizerKernel::create(kind, spec, shape, stream, error);
  }
  if (!kernel)
    throw CompileFailure(messageOf(error), error);
  std::shared_ptr<fqt::QuantizerKernel> shared = std::move(kernel);
  std::lock_guard<std::mutex> lock(kernelMutex);
  return kernelCache().emplace(key, shared).first->second;
}

/// SPEC parsed (once per distinct string: parsing builds an MLIR context).
fqt::QuantizerSpec parseSpec(const std::string &spec) {
  static std::mutex mutex;
  static auto *parsed = new std::map<std::string, fqt::QuantizerSpec>();
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = parsed->find(spec);
    if (it != parsed->end())
      return it->second;
  }
  fqt::QuantizerSpec result;
  std::string error;
  if (!fqt::parseQuantizerSpec(spec, result, error))
    valueError(error);
  std::lock_guard<std::mutex> lock(mutex);
  return parsed->emplace(spec, result).first->second;
}

py::dtype codeDType(const fqt::QuantizerSpec &spec) {
  return spec.symmetric ? py::dtype::of<int8_t>() : py::dtype::of<uint8_t>();
}

py::tuple quantize(py::handle x, const std::string &specText, int64_t seed,
                   int64_t step, std::optional<double> gamma, int64_t stream) {
  fqt::QuantizerSpec spec = parseSpec(specText);
  if (spec.gamma && !gamma)
    valueError(spec.attribute + " needs its clipping factor: pass gamma=");
  if (!spec.gamma && gamma)
    valueError("only lbt takes gamma, not " + spec.attribute);
  py::array in = asArray(x, py::dtype::of<float>(), "array");
  if (in.size() == 0)
    valueError("array is empty (shape " + shapeRepr(arrayShape(in)) +
               "); there is nothing to quantize");
  std::vector<int64_t> shape = arrayShape(in);
  auto kernel =
      getKernel(fqt::QuantizerKernel::Kind::Quantize, specText, shape, stream);
  Scalar seedBuf, stepBuf, gammaBuf;
  std::memcpy(seedBuf.bytes, &seed, sizeof seed);
  std::memcpy(stepBuf.bytes, &step, sizeof step);
  gammaBuf.set(DType::F32, gamma.value_or(0.0));
  std::vector<void *> pointers;
  for (const auto &arg : kernel->args()) {
    if (arg.name == "input")
      pointers.push_back(const_cast<void *>(in.data()));
    else if (arg.name == "seed")
      pointers.push_back(seedBuf.bytes);
    else if (arg.name == "step")
      pointers.push_back(stepBuf.bytes);
    else
      pointers.push_back(gammaBuf.bytes);
  }
  std::vector<py::array> results;
  for (const auto &r : kernel->results()) {
    py::dtype dt = r.name == "codes" ? codeDType(spec) : py::dtype::of<float>();
    results.push_back(py::array(dt, r.shape));
    pointers.push_back(results.back().mutable_data());
  }
  {
    py::gil_scoped_release release;
    kernel->call(pointers.data());
  }
  py::tuple t(results.size());
  for (size_t i = 0; i < results.size(); ++i)
    t[i] = results[i];
  return t;
}

py::array dequantize(py::handle codes, py::handle scales, py::handle offsets,
                     const std::string &specText, py::handle transform) {
  fqt::QuantizerSpec spec = parseSpec(specText);
  char kind = elementKind(codes);
  if (kind != 'i' && kind != 'u')
    typeError("codes must be an integer array, got " +
              (kind == '?' ? typeName(codes)
                           : std::string("elements of kind '") + kind + "'"));
  // Range check before narrowing to the 8-bit storage of the codes.
  py::module_ np = py::module_::import("numpy");
  py::array wide = asArray(codes, py::dtype::of<int64_t>(), "codes");
  int64_t lo = spec.symmetric ? -((int64_t(1) << (spec.bits - 1)) - 1) : 0;
  int64_t hi = spec.symmetric ? (int64_t(1) << (spec.bits - 1)) - 1
                              : (int64_t(1) << spec.bits) - 1;
  if (wide.size() > 0) {
    int64_t mn = py::int_(np.attr("min")(wide));
    int64_t mx = py::int_(np.attr("max")(wide));
    if (mn < lo || mx > hi)
      valueError("codes range over [" + std::to_string(mn) + ", " +
                 std::to_string(mx) + "], outside the [" + std::to_string(lo) +
                 ", " + std::to_string(hi) + "] of " + spec.attribute);
  }
  py::array narrow = asArray(codes, codeDType(spec), "codes");
  std::vector<int64_t> shape = arrayShape(narrow);
  auto kernel =
      getKernel(fqt::QuantizerKernel::Kind::Dequantize, specText, shape, 0);
  std::vector<py::array> keep;
  std::vector<void *> pointers;
  for (const auto &arg : kernel->args()) {
    if (arg.name == "codes") {
      keep.push_back(narrow);
    } else {
      py::handle value = arg.name == "scale"    ? scales
                         : arg.name == "offset" ? offsets
                                                : transform;
      if (value.is_none())
        valueError(
            spec.attribute + " needs its " + arg.name +
            (arg.name == "transform" ? " (the last result of quantize)" : ""));
      py::array a = asArray(value, py::dtype::of<float>(), arg.name.c_str());
      if (arrayShape(a) != Shape(arg.shape))
        valueError(arg.name + " has shape " + shapeRepr(arrayShape(a)) + "; " +
                   spec.attribute + " on codes of shape " + shapeRepr(shape) +
                   " needs " + shapeRepr(arg.shape));
      keep.push_back(a);
    }
    // Read only: the kernel's arguments are not written.
    pointers.push_back(const_cast<void *>(keep.back().data()));
  }
  if (spec.symmetric && !offsets.is_none())
    valueError("symmetric " + spec.attribute + " has no offsets; pass None");
  if (!spec.transform && !transform.is_none())
    valueError("only bhq and rht have a transform, not " + spec.attribute);
  py::array result(py::dtype::of<float>(), shape);
  pointers.push_back(result.mutable_data());
  {
    py::gil_scoped_release release;
    kernel->call(pointers.data());
  }
  return result;
}

} // namespace

void registerQuantizers(py::module_ &m) {
  m.def("quantize", &quantize, py::arg("array"), py::arg("spec"),
        py::arg("seed"), py::arg("step"), py::arg("gamma"), py::arg("stream"));
  m.def("dequantize", &dequantize, py::arg("codes"), py::arg("scales"),
        py::arg("offsets"), py::arg("spec"), py::arg("transform"));
  m.def(
      "parse_quantizer_spec",
      [](const std::string &spec) {
        fqt::QuantizerSpec s = parseSpec(spec);
        py::dict d;
        d["attribute"] = s.attribute;
        d["kind"] = s.kind;
        d["bits"] = s.bits;
        d["symmetric"] = s.symmetric;
        d["stochastic"] = s.stochastic;
        d["transform"] = s.transform;
        d["gamma"] = s.gamma;
        d["min_rows"] = s.minRows;
        return d;
      },
      py::arg("spec"));
}

} // namespace fqt::python
