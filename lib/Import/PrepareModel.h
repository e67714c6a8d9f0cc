//===- PrepareModel.h - ONNX checking, conversion, shape inference -*- C++
//-*-===//
//
// The ONNX library's stages that run before import, isolated in a worker
// process so that a crash inside the library becomes a diagnostic.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_LIB_IMPORT_PREPAREMODEL_H
#define FQT_LIB_IMPORT_PREPAREMODEL_H

#include "mlir/IR/Location.h"
#include "mlir/Support/LLVM.h"

#include "fqt/Import/ONNXProto.h"

#include <cstdint>
#include <string>

namespace fqt::detail {

/// Checks `model` with onnx::checker here, then converts it to `targetOpset`
/// (up or down, see ConvertOpset.h) and infers its shapes in a worker
/// process. On
/// failure emits one diagnostic at `fileLoc` and returns failure; on success
/// replaces `model` with the prepared model and returns its opset.
/// `importableOps` are the default-domain ops the importer has: others that
/// ONNX defines by a function are expanded into their body.
mlir::FailureOr<int64_t> prepareModel(::onnx::ModelProto &model, int64_t opset,
                                      int64_t targetOpset,
                                      llvm::ArrayRef<std::string> importableOps,
                                      mlir::Location fileLoc);

} // namespace fqt::detail

#endif // FQT_LIB_IMPORT_PREPAREMODEL_H
