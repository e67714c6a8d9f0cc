//===- TensorProto.cpp - element data of ONNX tensors ---------------------===//

#include "fqt/Import/TensorProto.h"

#include "llvm/Support/MathExtras.h"

namespace fqt {

size_t onnxElementBytes(int32_t dataType) {
  using TP = ::onnx::TensorProto;
  switch (dataType) {
  case TP::BOOL:
  case TP::INT8:
  case TP::UINT8:
    return 1;
  case TP::INT16:
  case TP::UINT16:
  case TP::FLOAT16:
  case TP::BFLOAT16:
    return 2;
  case TP::INT32:
  case TP::UINT32:
  case TP::FLOAT:
    return 4;
  case TP::INT64:
  case TP::UINT64:
  case TP::DOUBLE:
    return 8;
  default:
    return 0;
  }
}

std::optional<std::string> readTensorBytes(const ::onnx::TensorProto &tensor,
                                           std::string &error) {
  using TP = ::onnx::TensorProto;
  std::string what = "tensor '" + tensor.name() + "'";
  if (tensor.data_location() == TP::EXTERNAL) {
    error = what + ": data stored outside the model file is not supported; "
                   "save the model with its data inline";
    return std::nullopt;
  }
  size_t elementBytes = onnxElementBytes(tensor.data_type());
  if (elementBytes == 0) {
    error = what + ": unsupported element type " +
            TP::DataType_Name(static_cast<TP::DataType>(tensor.data_type()));
    return std::nullopt;
  }
  // The byte count of the shape, checked: dimensions whose product wraps
  // around (2^62 + 10 elements of 4 bytes are 40 bytes modulo 2^64) must not
  // match a small buffer.
  int64_t numElements = 1, numBytes = 0;
  for (int64_t dim : tensor.dims()) {
    if (dim < 0) {
      error = what + ": negative dimension";
      return std::nullopt;
    }
    if (llvm::MulOverflow(numElements, dim, numElements)) {
      error = what + ": its shape has more elements than a 64-bit count holds";
      return std::nullopt;
    }
  }
  if (llvm::MulOverflow(numElements, int64_t(elementBytes), numBytes)) {
    error = what + ": its shape needs more bytes than a 64-bit count holds";
    return std::nullopt;
  }

  std::string bytes;
  if (tensor.has_raw_data()) {
    bytes = tensor.raw_data();
  } else {
    auto append = [&](auto value) {
      bytes.append(reinterpret_cast<const char *>(&value), elementBytes);
    };
    switch (tensor.data_type()) {
    case TP::FLOAT:
      for (float v : tensor.float_data())
        append(v);
      break;
    case TP::DOUBLE:
      for (double v : tensor.double_data())
        append(v);
      break;
    case TP::INT64:
      for (int64_t v : tensor.int64_data())
        append(v);
      break;
    case TP::UINT32:
    case TP::UINT64:
      for (uint64_t v : tensor.uint64_data())
        append(v);
      break;
    default: // int32_data holds every narrower type, f16 and bf16 as bits.
      for (int32_t v : tensor.int32_data())
        append(v);
      break;
    }
  }
  if (bytes.size() != uint64_t(numBytes)) {
    error = what + ": holds " + std::to_string(bytes.size()) +
            " bytes of data, but its shape and type need " +
            std::to_string(numBytes);
    return std::nullopt;
  }
  return bytes;
}

} // namespace fqt
