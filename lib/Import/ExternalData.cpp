//===- ExternalData.cpp - Tensors stored beside an ONNX model -------------===//
//
// The location rules are the ONNX library's own
// (`onnx::checker::resolve_external_data_location`: relative, inside the
// model's folder, an existing file); on top of them the file's real path
// must stay inside the folder, so that a symbolic link cannot lead out, and
// the bytes named must lie inside the file and fill the tensor exactly. A
// model file must never make fqt read an arbitrary file.
//
//===----------------------------------------------------------------------===//

#include "ExternalData.h"

#include "fqt/Import/TensorProto.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "onnx/checker.h"

#include <exception>

using namespace mlir;

namespace {

/// Reads the external tensors of a model, opening each data file once.
class ExternalDataReader {
public:
  /// Without `modelDir` (a model given as bytes) any external tensor is an
  /// error.
  ExternalDataReader(const std::optional<std::string> &dir, Location fileLoc)
      : hasDir(dir.has_value()), modelDir(dir && !dir->empty() ? *dir : "."),
        fileLoc(fileLoc) {}

  LogicalResult loadGraph(::onnx::GraphProto &graph) {
    for (::onnx::TensorProto &tensor : *graph.mutable_initializer())
      if (failed(loadTensor(tensor)))
        return failure();
    for (::onnx::NodeProto &node : *graph.mutable_node())
      for (::onnx::AttributeProto &attr : *node.mutable_attribute()) {
        if (attr.has_t() && failed(loadTensor(*attr.mutable_t())))
          return failure();
        for (::onnx::TensorProto &tensor : *attr.mutable_tensors())
          if (failed(loadTensor(tensor)))
            return failure();
        if (attr.has_g() && failed(loadGraph(*attr.mutable_g())))
          return failure();
        for (::onnx::GraphProto &g : *attr.mutable_graphs())
          if (failed(loadGraph(g)))
            return failure();
      }
    return success();
  }

private:
  InFlightDiagnostic fail(const ::onnx::TensorProto &tensor) {
    return emitError(fileLoc)
           << "external data of tensor '" << tensor.name() << "': ";
  }

  /// The contents of the data file at `location`, checked to lie inside the
  /// model's folder.
  FailureOr<StringRef> dataFile(const ::onnx::TensorProto &tensor,
                                const std::string &location) {
    auto cached = files.find(location);
    if (cached != files.end())
      return cached->second->getBuffer();
    std::string path;
    try {
      path = ::onnx::checker::resolve_external_data_location(modelDir, location,
                                                             tensor.name());
    } catch (const std::exception &e) {
      fail(tensor) << e.what();
      return failure();
    }
    SmallString<256> realDir, realPath;
    if (llvm::sys::fs::real_path(modelDir, realDir) ||
        llvm::sys::fs::real_path(path, realPath) ||
        !StringRef(realPath).starts_with((realDir + "/").str())) {
      fail(tensor) << "location '" << location
                   << "' does not resolve to a file inside the model's "
                      "folder '"
                   << modelDir << "'";
      return failure();
    }
    if (!llvm::sys::fs::is_regular_file(realPath)) {
      fail(tensor) << "location '" << location << "' is not a regular file";
      return failure();
    }
    auto buffer = llvm::MemoryBuffer::getFile(realPath, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
    if (!buffer) {
      fail(tensor) << "cannot read '" << location
                   << "': " << buffer.getError().message();
      return failure();
    }
    StringRef contents = (*buffer)->getBuffer();
    files[location] = std::move(*buffer);
    return contents;
  }

  LogicalResult loadTensor(::onnx::TensorProto &tensor) {
    if (tensor.data_location() != ::onnx::TensorProto::EXTERNAL)
      return success();
    if (!hasDir) {
      emitError(fileLoc) << "the model keeps tensors in external data files; "
                            "give it by path so that they can be found";
      return failure();
    }
    std::string location;
    std::optional<uint64_t> offset, length;
    for (const ::onnx::StringStringEntryProto &entry : tensor.external_data()) {
      const std::string &key = entry.key();
      if (key == "location") {
        location = entry.value();
        continue;
      }
      if (key != "offset" && key != "length")
        continue; // "checksum" and unknown keys do not change the bytes.
      uint64_t value = 0;
      if (StringRef(entry.value()).getAsInteger(10, value)) {
        fail(tensor) << "'" << key << "' is not a non-negative integer: '"
                     << entry.value() << "'";
        return failure();
      }
      (key == "offset" ? offset : length) = value;
    }
    FailureOr<StringRef> contents = dataFile(tensor, location);
    if (failed(contents))
      return failure();
    uint64_t begin = offset.value_or(0);
    if (begin > contents->size()) {
      fail(tensor) << "offset " << begin << " is past the end of '" << location
                   << "' (" << contents->size() << " bytes)";
      return failure();
    }
    uint64_t size = length.value_or(contents->size() - begin);
    if (size > contents->size() - begin) {
      fail(tensor) << "offset " << begin << " + length " << size
                   << " is past the end of '" << location << "' ("
                   << contents->size() << " bytes)";
      return failure();
    }
    // Fixed-size element types must be filled exactly; a mismatch means a
    // wrong or truncated data file.
    if (size_t elementBytes = fqt::onnxElementBytes(tensor.data_type())) {
      uint64_t expected = elementBytes;
      for (int64_t dim : tensor.dims()) {
        if (dim < 0 || (dim > 0 && expected > UINT64_MAX / uint64_t(dim))) {
          fail(tensor) << "invalid dimensions";
          return failure();
        }
        expected *= uint64_t(dim);
      }
      if (expected != size) {
        fail(tensor) << "it holds " << size << " bytes, but its type needs "
                     << expected;
        return failure();
      }
    }
    tensor.set_raw_data(contents->data() + begin, size);
    tensor.clear_external_data();
    tensor.set_data_location(::onnx::TensorProto::DEFAULT);
    return success();
  }

  bool hasDir;
  std::string modelDir;
  Location fileLoc;
  llvm::StringMap<std::unique_ptr<llvm::MemoryBuffer>> files;
};

} // namespace

LogicalResult
fqt::detail::loadExternalData(::onnx::ModelProto &model,
                              const std::optional<std::string> &modelDir,
                              Location fileLoc) {
  ExternalDataReader reader(modelDir, fileLoc);
  if (failed(reader.loadGraph(*model.mutable_graph())))
    return failure();
  for (::onnx::TrainingInfoProto &info : *model.mutable_training_info())
    if (failed(reader.loadGraph(*info.mutable_initialization())) ||
        failed(reader.loadGraph(*info.mutable_algorithm())))
      return failure();
  return success();
}
