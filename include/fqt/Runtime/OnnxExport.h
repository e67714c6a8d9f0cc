//===- OnnxExport.h - Trained weights back into the ONNX model --*- C++ -*-===//
//
// `--save=trained.onnx` writes the original model (embedded in the program,
// see fqt_model_onnx in Model.h) with every initializer that names a param
// replaced by the trained values, so the result runs in any ONNX runtime.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_RUNTIME_ONNXEXPORT_H
#define FQT_RUNTIME_ONNXEXPORT_H

#include "fqt/Runtime/Tensor.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fqt::runtime {

/// Checks that MODEL parses as an ONNX ModelProto; throws Error(SOURCE, ...)
/// otherwise. Lets the driver fail before training, not after.
void checkOnnxModel(std::string_view model, const std::string &source);

/// MODEL (a serialized ONNX ModelProto) with the initializers named like
/// PARAMS set to their values (f32, raw_data), serialized. The names of
/// params without an initializer go to UNMATCHED. Throws Error(SOURCE, ...)
/// when MODEL does not parse or an initializer's type or shape differs from
/// its param's.
std::string replaceInitializers(
    std::string_view model,
    const std::vector<std::pair<std::string, const Tensor *>> &params,
    const std::string &source, std::vector<std::string> *unmatched = nullptr);

} // namespace fqt::runtime

#endif // FQT_RUNTIME_ONNXEXPORT_H
