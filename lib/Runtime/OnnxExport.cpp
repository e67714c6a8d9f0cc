//===- OnnxExport.cpp - Trained weights back into the ONNX model ----------===//

#include "fqt/Runtime/OnnxExport.h"
#include "fqt/Import/ONNXProto.h"
#include "fqt/Runtime/Error.h"

#include <map>

namespace fqt::runtime {

static onnx::ModelProto parseModel(std::string_view model,
                                   const std::string &source) {
  onnx::ModelProto proto;
  if (model.size() > static_cast<size_t>(INT32_MAX) ||
      !proto.ParseFromArray(model.data(), static_cast<int>(model.size())))
    throw Error(source, "the embedded model is not a valid ONNX ModelProto");
  return proto;
}

void checkOnnxModel(std::string_view model, const std::string &source) {
  parseModel(model, source);
}

std::string replaceInitializers(
    std::string_view model,
    const std::vector<std::pair<std::string, const Tensor *>> &params,
    const std::string &source, std::vector<std::string> *unmatched) {
  onnx::ModelProto proto = parseModel(model, source);
  std::map<std::string, onnx::TensorProto *> initializers;
  for (onnx::TensorProto &init : *proto.mutable_graph()->mutable_initializer())
    initializers[init.name()] = &init;

  for (const auto &[name, value] : params) {
    auto it = initializers.find(name);
    if (it == initializers.end()) {
      if (unmatched)
        unmatched->push_back(name);
      continue;
    }
    onnx::TensorProto &init = *it->second;
    if (value->getDType() != DType::F32 ||
        init.data_type() != onnx::TensorProto::FLOAT)
      throw Error(source, "initializer '" + name +
                              "' is not f32 in both the model and the "
                              "program; cannot write it back");
    Shape dims(init.dims().begin(), init.dims().end());
    if (dims != value->getShape())
      throw Error(source, "initializer '" + name + "' has shape " +
                              shapeString(dims) + " in the model but " +
                              shapeString(value->getShape()) +
                              " in the program");
    // Whatever held the old values (float_data, external data) goes; the
    // trained ones are stored inline as little-endian raw_data.
    init.clear_float_data();
    init.clear_external_data();
    init.set_data_location(onnx::TensorProto::DEFAULT);
    init.set_raw_data(value->data(), value->getByteSize());
  }

  std::string bytes;
  if (!proto.SerializeToString(&bytes))
    throw Error(source, "cannot serialize the trained model");
  return bytes;
}

} // namespace fqt::runtime
