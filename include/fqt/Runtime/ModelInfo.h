//===- ModelInfo.h - The fqt_model_info text, parsed ------------*- C++ -*-===//
//
// A compiled program describes its entry points in the line-based text
// format documented in Model.h. parseModelInfo turns it into the structures
// below and rejects anything malformed with the line at fault, so that a
// mismatch between fqt-compile and the runtime is one clear message instead
// of a buffer overrun.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_RUNTIME_MODELINFO_H
#define FQT_RUNTIME_MODELINFO_H

#include "fqt/Runtime/Tensor.h"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fqt::runtime {

enum class BufferKind {
  Param,
  State,
  Weight,
  Input,
  Label,
  Hyper,
  Loss,
  SampleLoss,
  Output,
  Grad,
  /// Scratch memory the function uses during a call; the caller allocates
  /// it once and may pass the same buffer to every function.
  Workspace
};

const char *kindName(BufferKind kind);

/// One `arg` or `result` line.
struct BufferDesc {
  BufferKind kind;
  std::string name;
  DType dtype;
  Shape shape;

  /// "param fc1.weight f32 128x784"
  std::string str() const;
};

/// One `function NAME ... end` block.
struct FunctionDesc {
  std::string name;
  std::vector<BufferDesc> args;
  std::vector<BufferDesc> results;

  size_t numBuffers() const { return args.size() + results.size(); }
  /// All args, then all results, of the given kind.
  std::vector<const BufferDesc *> argsOfKind(BufferKind kind) const;
  std::vector<const BufferDesc *> resultsOfKind(BufferKind kind) const;
};

struct ModelInfo {
  int version = 0;
  /// `loss` line: softmax_cross_entropy, mse, ...; empty when absent.
  std::string loss;
  /// `optimizer NAME key=value...` line; informative.
  std::string optimizer;
  std::map<std::string, std::string> optimizerOptions;
  /// `quantizers role=spec...` line: the quantization policy, by role.
  std::map<std::string, std::string> quantizers;
  std::vector<FunctionDesc> functions;

  /// The function called NAME, or null.
  const FunctionDesc *getFunction(std::string_view name) const;
  /// The largest workspace a function takes, in bytes (0: none takes one):
  /// calls never overlap, so one buffer of this size serves every function.
  int64_t getWorkspaceBytes() const;
  /// `lr=` of the optimizer line, if present and a number.
  std::optional<double> getOptimizerLr() const;
};

/// Parses the info text; throws Error(source, "line N: ...") when malformed.
ModelInfo parseModelInfo(std::string_view text,
                         const std::string &source = "fqt_model_info");

} // namespace fqt::runtime

#endif // FQT_RUNTIME_MODELINFO_H
