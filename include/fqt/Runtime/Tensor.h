//===- Tensor.h - Dense host buffers of the runtime -------------*- C++ -*-===//
//
// A Tensor owns one dense row-major buffer as the compiled program's entry
// points expect it (Model.h): element type, static shape, and storage
// aligned to 64 bytes so that vectorized code never sees a misaligned base.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_RUNTIME_TENSOR_H
#define FQT_RUNTIME_TENSOR_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fqt::runtime {

/// Element types of program buffers and data files. I1 is stored one byte
/// per element, as MLIR's memrefs of i1 are.
enum class DType : uint8_t { F16, BF16, F32, F64, I1, I8, I16, I32, I64, U8 };

size_t dtypeSize(DType type);
/// The spelling of the info text: f32, i64, ...
const char *dtypeName(DType type);
std::optional<DType> parseDType(std::string_view name);
bool isFloat(DType type);

using Shape = std::vector<int64_t>;

/// "10x784", or "scalar" for rank 0 (the info text's spelling).
std::string shapeString(const Shape &shape);
int64_t numElements(const Shape &shape);

class Tensor {
public:
  Tensor() = default;
  /// A zero-filled tensor.
  Tensor(DType type, Shape shape);
  Tensor(const Tensor &other);
  Tensor &operator=(const Tensor &other);
  Tensor(Tensor &&) = default;
  Tensor &operator=(Tensor &&) = default;

  DType getDType() const { return type; }
  const Shape &getShape() const { return shape; }
  int64_t getNumElements() const { return numElements(shape); }
  size_t getByteSize() const { return bytes; }

  void *data() { return storage.get(); }
  const void *data() const { return storage.get(); }
  template <typename T> T *as() { return reinterpret_cast<T *>(data()); }
  template <typename T> const T *as() const {
    return reinterpret_cast<const T *>(data());
  }

  /// Same elements, another shape of the same element count.
  void reshape(Shape newShape);

  /// Element I as a double (any dtype; f16/bf16 are decoded).
  double getAsDouble(int64_t index) const;
  /// Stores a value into element I, converted to the tensor's dtype.
  void setFromDouble(int64_t index, double value);

private:
  struct Free {
    void operator()(unsigned char *p) const;
  };

  DType type = DType::F32;
  Shape shape;
  size_t bytes = 0;
  std::unique_ptr<unsigned char[], Free> storage;
};

} // namespace fqt::runtime

#endif // FQT_RUNTIME_TENSOR_H
