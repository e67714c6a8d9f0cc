//===- ONNXProto.h - The ONNX library as fqt names it -----------*- C++ -*-===//
//
// fqt builds its ONNX library (scripts/build-onnx.sh) in a namespace and
// protobuf package of its own, `fqt_onnx`, so that it can share a process
// with another ONNX library (Debian's python3-onnx next to fqt's Python
// bindings) without symbols that clash or a protobuf file registered twice.
// fqt's code names it `onnx::` through this alias; include this header
// before any other ONNX header.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_IMPORT_ONNXPROTO_H
#define FQT_IMPORT_ONNXPROTO_H

#include "onnx/onnx_pb.h"

namespace onnx = ::ONNX_NAMESPACE;

#endif // FQT_IMPORT_ONNXPROTO_H
