//===- ConvertOpset.h - Bring a model to the opset fqt imports --*- C++ -*-===//
//
// Part of PrepareModel's worker: the ONNX library's version converter with
// the adapters it lacks, and the rewrites that must precede it.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_LIB_IMPORT_CONVERTOPSET_H
#define FQT_LIB_IMPORT_CONVERTOPSET_H

#include "fqt/Import/ONNXProto.h"

#include <cstdint>
#include <string>
#include <unordered_set>

namespace fqt::detail {

/// Converts `model`, of default-domain opset `opset`, to `targetOpset`:
/// inlines model-local functions, expands ops newer than `targetOpset` that
/// are defined by a function, runs the version converter up or down, then
/// expands the ops outside `importableOps` that ONNX defines by a function.
/// Throws (a std::exception with a message naming the node) when the model
/// cannot be expressed at `targetOpset`.
void convertOpset(::onnx::ModelProto &model, int64_t opset, int64_t targetOpset,
                  const std::unordered_set<std::string> &importableOps);

} // namespace fqt::detail

#endif // FQT_LIB_IMPORT_CONVERTOPSET_H
