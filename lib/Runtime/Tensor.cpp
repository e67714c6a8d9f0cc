//===- Tensor.cpp - Dense host buffers of the runtime ---------------------===//

#include "fqt/Runtime/Tensor.h"
#include "fqt/Runtime/Error.h"

#include <cassert>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

namespace fqt::runtime {

size_t dtypeSize(DType type) {
  switch (type) {
  case DType::F16:
  case DType::BF16:
  case DType::I16:
    return 2;
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F64:
  case DType::I64:
    return 8;
  case DType::I1:
  case DType::I8:
  case DType::U8:
    return 1;
  }
  return 1;
}

const char *dtypeName(DType type) {
  switch (type) {
  case DType::F16:
    return "f16";
  case DType::BF16:
    return "bf16";
  case DType::F32:
    return "f32";
  case DType::F64:
    return "f64";
  case DType::I1:
    return "i1";
  case DType::I8:
    return "i8";
  case DType::I16:
    return "i16";
  case DType::I32:
    return "i32";
  case DType::I64:
    return "i64";
  case DType::U8:
    return "u8";
  }
  return "?";
}

std::optional<DType> parseDType(std::string_view name) {
  // MLIR spells unsigned bytes ui8; fqt-compile prints MLIR's types.
  if (name == "ui8")
    return DType::U8;
  for (DType type : {DType::F16, DType::BF16, DType::F32, DType::F64, DType::I1,
                     DType::I8, DType::I16, DType::I32, DType::I64, DType::U8})
    if (name == dtypeName(type))
      return type;
  return std::nullopt;
}

bool isFloat(DType type) {
  return type == DType::F16 || type == DType::BF16 || type == DType::F32 ||
         type == DType::F64;
}

std::string shapeString(const Shape &shape) {
  if (shape.empty())
    return "scalar";
  std::string text;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      text += 'x';
    text += std::to_string(shape[i]);
  }
  return text;
}

int64_t numElements(const Shape &shape) {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  return count;
}

void Tensor::Free::operator()(unsigned char *p) const { std::free(p); }

Tensor::Tensor(DType type, Shape shape) : type(type), shape(std::move(shape)) {
  bytes = static_cast<size_t>(numElements(this->shape)) * dtypeSize(type);
  // aligned_alloc wants a multiple of the alignment; never ask for zero.
  size_t allocated = (bytes + 63) / 64 * 64;
  if (allocated == 0)
    allocated = 64;
  storage.reset(
      static_cast<unsigned char *>(std::aligned_alloc(64, allocated)));
  if (!storage) {
    // Name the size: a model whose shapes multiply past the machine's
    // memory fails here, at the start, and the user should see why.
    char size[32];
    std::snprintf(size, sizeof(size), "%.1f GiB",
                  double(bytes) / double(uint64_t(1) << 30));
    throw Error("memory", std::string("cannot allocate ") + size + " (" +
                              std::to_string(bytes) + " bytes) for a " +
                              dtypeName(type) + " tensor of shape " +
                              shapeString(this->shape));
  }
  std::memset(storage.get(), 0, allocated);
}

Tensor::Tensor(const Tensor &other) : Tensor(other.type, other.shape) {
  std::memcpy(data(), other.data(), bytes);
}

Tensor &Tensor::operator=(const Tensor &other) {
  if (this != &other)
    *this = Tensor(other);
  return *this;
}

void Tensor::reshape(Shape newShape) {
  assert(numElements(newShape) == numElements(shape) && "reshape changes size");
  shape = std::move(newShape);
}

static float halfToFloat(uint16_t h) {
  uint32_t sign = (h >> 15) & 1, exponent = (h >> 10) & 0x1f,
           mantissa = h & 0x3ff;
  float magnitude;
  if (exponent == 0)
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);
  else if (exponent == 31)
    magnitude = mantissa ? NAN : INFINITY;
  else
    magnitude = std::ldexp(static_cast<float>(mantissa | 0x400), exponent - 25);
  return sign ? -magnitude : magnitude;
}

static uint16_t floatToHalf(float f) {
  // Round to nearest even through the float's bits; good enough for the
  // scalars (hyper-parameters) this is used for.
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000;
  float a = std::fabs(f);
  if (std::isnan(f))
    return static_cast<uint16_t>(sign | 0x7e00);
  if (a >= 65520.0f)
    return static_cast<uint16_t>(sign | 0x7c00);
  if (a < 6.103515625e-05f) // subnormal: multiples of 2^-24
    return static_cast<uint16_t>(
        sign | static_cast<uint32_t>(std::nearbyint(a * 16777216.0f)));
  int exponent;
  float m = std::frexp(a, &exponent); // a = m * 2^exponent, m in [0.5, 1)
  uint32_t mantissa = static_cast<uint32_t>(std::nearbyint((m * 2 - 1) * 1024));
  uint32_t biased = static_cast<uint32_t>(exponent - 1 + 15);
  if (mantissa == 1024) {
    mantissa = 0;
    ++biased;
  }
  return static_cast<uint16_t>(sign | (biased << 10) | mantissa);
}

double Tensor::getAsDouble(int64_t index) const {
  const unsigned char *p = storage.get() + index * dtypeSize(type);
  switch (type) {
  case DType::F16: {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return halfToFloat(h);
  }
  case DType::BF16: {
    uint16_t h;
    std::memcpy(&h, p, 2);
    uint32_t x = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &x, 4);
    return f;
  }
  case DType::F32:
    return reinterpret_cast<const float *>(p)[0];
  case DType::F64:
    return reinterpret_cast<const double *>(p)[0];
  case DType::I1:
    return p[0] != 0;
  case DType::I8:
    return static_cast<int8_t>(p[0]);
  case DType::I16:
    return reinterpret_cast<const int16_t *>(p)[0];
  case DType::I32:
    return reinterpret_cast<const int32_t *>(p)[0];
  case DType::I64:
    return static_cast<double>(reinterpret_cast<const int64_t *>(p)[0]);
  case DType::U8:
    return p[0];
  }
  return 0;
}

void Tensor::setFromDouble(int64_t index, double value) {
  unsigned char *p = storage.get() + index * dtypeSize(type);
  switch (type) {
  case DType::F16: {
    uint16_t h = floatToHalf(static_cast<float>(value));
    std::memcpy(p, &h, 2);
    return;
  }
  case DType::BF16: {
    float f = static_cast<float>(value);
    uint32_t x;
    std::memcpy(&x, &f, 4);
    if (std::isnan(f))
      x = 0x7fc00000;
    else
      x += 0x7fff + ((x >> 16) & 1); // round to nearest even
    uint16_t h = static_cast<uint16_t>(x >> 16);
    std::memcpy(p, &h, 2);
    return;
  }
  case DType::F32:
    reinterpret_cast<float *>(p)[0] = static_cast<float>(value);
    return;
  case DType::F64:
    reinterpret_cast<double *>(p)[0] = value;
    return;
  case DType::I1:
    p[0] = value != 0;
    return;
  case DType::I8:
    reinterpret_cast<int8_t *>(p)[0] = static_cast<int8_t>(value);
    return;
  case DType::I16:
    reinterpret_cast<int16_t *>(p)[0] = static_cast<int16_t>(value);
    return;
  case DType::I32:
    reinterpret_cast<int32_t *>(p)[0] = static_cast<int32_t>(value);
    return;
  case DType::I64:
    reinterpret_cast<int64_t *>(p)[0] = static_cast<int64_t>(value);
    return;
  case DType::U8:
    p[0] = static_cast<uint8_t>(value);
    return;
  }
}

} // namespace fqt::runtime
