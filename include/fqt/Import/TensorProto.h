//===- TensorProto.h - element data of ONNX tensors -------------*- C++ -*-===//
//
// Reading the values of an onnx::TensorProto, whichever field holds them.
// Shared by the importer (initializers, attributes) and the tools that feed
// test data (fqt-run).
//
//===----------------------------------------------------------------------===//

#ifndef FQT_IMPORT_TENSORPROTO_H
#define FQT_IMPORT_TENSORPROTO_H

#include "fqt/Import/ONNXProto.h"

#include <cstdint>
#include <optional>
#include <string>

namespace fqt {

/// Bytes one element of ONNX data type `dataType` takes in memory (bool: 1),
/// or 0 for types fqt does not handle.
size_t onnxElementBytes(int32_t dataType);

/// The tensor's elements as packed little-endian bytes (one byte per bool).
/// On failure returns nullopt and sets `error`.
std::optional<std::string> readTensorBytes(const ::onnx::TensorProto &tensor,
                                           std::string &error);

} // namespace fqt

#endif // FQT_IMPORT_TENSORPROTO_H
