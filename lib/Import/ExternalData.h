//===- ExternalData.h - Tensors stored beside an ONNX model -----*- C++ -*-===//
//
// Models over protobuf's 2 GB limit, and every model PyTorch's dynamo-based
// exporter writes, keep their tensors in a file beside the model
// (`MODEL.onnx.data`), each tensor naming a location, an offset and a
// length. This reads them into the tensors before the model is checked.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_LIB_IMPORT_EXTERNALDATA_H
#define FQT_LIB_IMPORT_EXTERNALDATA_H

#include "mlir/IR/Location.h"
#include "mlir/Support/LLVM.h"

#include "fqt/Import/ONNXProto.h"

#include <optional>
#include <string>

namespace fqt::detail {

/// Replaces the external data of every tensor of `model` (initializers and
/// tensor attributes, in every graph) by the bytes it names, read from files
/// in `modelDir`. A location that is absolute, leaves `modelDir` (`..`, a
/// symbolic link pointing out), names no regular file, or whose offset and
/// length reach past the end of the file or disagree with the tensor's size
/// is refused with one diagnostic at `fileLoc`. Without `modelDir` (a model
/// given as bytes) any external tensor is an error.
mlir::LogicalResult loadExternalData(::onnx::ModelProto &model,
                                     const std::optional<std::string> &modelDir,
                                     mlir::Location fileLoc);

} // namespace fqt::detail

#endif // FQT_LIB_IMPORT_EXTERNALDATA_H
