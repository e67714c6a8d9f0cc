//===- ModelInfo.cpp - Parser of the fqt_model_info text ------------------===//

#include "fqt/Runtime/ModelInfo.h"
#include "fqt/Runtime/Error.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <sstream>

namespace fqt::runtime {

static const BufferKind allKinds[] = {
    BufferKind::Param, BufferKind::State,      BufferKind::Weight,
    BufferKind::Input, BufferKind::Label,      BufferKind::Hyper,
    BufferKind::Loss,  BufferKind::SampleLoss, BufferKind::Output,
    BufferKind::Grad,  BufferKind::Workspace};

const char *kindName(BufferKind kind) {
  switch (kind) {
  case BufferKind::Param:
    return "param";
  case BufferKind::State:
    return "state";
  case BufferKind::Weight:
    return "weight";
  case BufferKind::Input:
    return "input";
  case BufferKind::Label:
    return "label";
  case BufferKind::Hyper:
    return "hyper";
  case BufferKind::Loss:
    return "loss";
  case BufferKind::SampleLoss:
    return "sample_loss";
  case BufferKind::Output:
    return "output";
  case BufferKind::Grad:
    return "grad";
  case BufferKind::Workspace:
    return "workspace";
  }
  return "?";
}

std::string BufferDesc::str() const {
  return std::string(kindName(kind)) + " " + name + " " + dtypeName(dtype) +
         " " + shapeString(shape);
}

static std::vector<const BufferDesc *>
ofKind(const std::vector<BufferDesc> &buffers, BufferKind kind) {
  std::vector<const BufferDesc *> found;
  for (const BufferDesc &buffer : buffers)
    if (buffer.kind == kind)
      found.push_back(&buffer);
  return found;
}

std::vector<const BufferDesc *>
FunctionDesc::argsOfKind(BufferKind kind) const {
  return ofKind(args, kind);
}

std::vector<const BufferDesc *>
FunctionDesc::resultsOfKind(BufferKind kind) const {
  return ofKind(results, kind);
}

const FunctionDesc *ModelInfo::getFunction(std::string_view name) const {
  for (const FunctionDesc &function : functions)
    if (function.name == name)
      return &function;
  return nullptr;
}

int64_t ModelInfo::getWorkspaceBytes() const {
  int64_t bytes = 0;
  for (const FunctionDesc &function : functions)
    for (const BufferDesc *workspace :
         function.argsOfKind(BufferKind::Workspace))
      bytes = std::max(bytes, workspace->shape[0]);
  return bytes;
}

std::optional<double> ModelInfo::getOptimizerLr() const {
  auto it = optimizerOptions.find("lr");
  if (it == optimizerOptions.end())
    return std::nullopt;
  char *end = nullptr;
  errno = 0;
  double lr = std::strtod(it->second.c_str(), &end);
  if (errno || end == it->second.c_str() || *end)
    return std::nullopt;
  return lr;
}

namespace {
class Parser {
public:
  Parser(const std::string &source) : source(source) {}
  ModelInfo parse(std::string_view text);

private:
  [[noreturn]] void fail(const std::string &what) const {
    throw Error(source, "line " + std::to_string(lineNo) + ": " + what);
  }
  Shape parseShape(const std::string &text) const;
  BufferDesc parseBuffer(const std::vector<std::string> &tokens, bool isArg);
  void checkConsistent(const FunctionDesc &function, const BufferDesc &buffer);

  const std::string &source;
  unsigned lineNo = 0;
  // Params and state buffers are the same objects in every function, so
  // their types must agree; the first line that declared each one.
  std::map<std::pair<BufferKind, std::string>, std::pair<BufferDesc, unsigned>>
      firstSeen;
};
} // namespace

Shape Parser::parseShape(const std::string &text) const {
  if (text == "scalar")
    return {};
  Shape shape;
  size_t start = 0;
  while (true) {
    size_t x = text.find('x', start);
    std::string dim =
        text.substr(start, x == std::string::npos ? x : x - start);
    bool digits = !dim.empty() && dim.size() <= 12 &&
                  dim.find_first_not_of("0123456789") == std::string::npos;
    if (!digits)
      fail("bad shape '" + text +
           "' (expected 'scalar' or static dimensions like 64x784)");
    int64_t value = std::stoll(dim);
    if (value <= 0)
      fail("bad shape '" + text + "': dimensions must be positive");
    shape.push_back(value);
    if (x == std::string::npos)
      break;
    start = x + 1;
  }
  return shape;
}

BufferDesc Parser::parseBuffer(const std::vector<std::string> &tokens,
                               bool isArg) {
  if (tokens.size() != 5)
    fail("expected '" + tokens[0] + " KIND NAME TYPE SHAPE', got " +
         std::to_string(tokens.size()) + " fields");
  BufferDesc buffer;
  bool known = false;
  for (BufferKind kind : allKinds)
    if (tokens[1] == kindName(kind)) {
      buffer.kind = kind;
      known = true;
    }
  if (!known)
    fail("unknown buffer kind '" + tokens[1] +
         "' (expected param, state, weight, input, label, hyper, workspace, "
         "loss, sample_loss, output or grad)");
  switch (buffer.kind) {
  case BufferKind::Param:
  case BufferKind::State:
    break;
  case BufferKind::Weight:
  case BufferKind::Input:
  case BufferKind::Label:
  case BufferKind::Hyper:
  case BufferKind::Workspace:
    if (!isArg)
      fail("'" + tokens[1] + "' buffers are arguments, not results");
    break;
  case BufferKind::Grad: // apply_update takes what train_grad_step returns
    break;
  case BufferKind::Loss:
  case BufferKind::SampleLoss:
  case BufferKind::Output:
    if (isArg)
      fail("'" + tokens[1] + "' buffers are results, not arguments");
    break;
  }
  buffer.name = tokens[2];
  std::optional<DType> dtype = parseDType(tokens[3]);
  if (!dtype)
    fail("unknown element type '" + tokens[3] + "'");
  buffer.dtype = *dtype;
  buffer.shape = parseShape(tokens[4]);
  if (buffer.kind == BufferKind::Workspace &&
      (buffer.dtype != DType::I8 || buffer.shape.size() != 1))
    fail("a workspace is a vector of bytes (i8 N), got " + tokens[3] + " " +
         tokens[4]);
  return buffer;
}

void Parser::checkConsistent(const FunctionDesc &function,
                             const BufferDesc &buffer) {
  if (buffer.kind != BufferKind::Param && buffer.kind != BufferKind::State)
    return;
  auto [it, inserted] =
      firstSeen.try_emplace({buffer.kind, buffer.name}, buffer, lineNo);
  if (inserted)
    return;
  const BufferDesc &first = it->second.first;
  if (first.dtype != buffer.dtype || first.shape != buffer.shape)
    fail(std::string(kindName(buffer.kind)) + " '" + buffer.name + "' is " +
         dtypeName(buffer.dtype) + " " + shapeString(buffer.shape) + " in " +
         function.name + " but " + dtypeName(first.dtype) + " " +
         shapeString(first.shape) + " on line " +
         std::to_string(it->second.second));
}

ModelInfo Parser::parse(std::string_view text) {
  ModelInfo info;
  FunctionDesc *current = nullptr;
  unsigned functionLine = 0;
  bool sawHeader = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    std::string line(text.substr(pos, eol == std::string_view::npos
                                          ? std::string_view::npos
                                          : eol - pos));
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
    ++lineNo;

    std::vector<std::string> tokens;
    std::istringstream stream(line);
    for (std::string token; stream >> token;)
      tokens.push_back(token);
    if (tokens.empty() || tokens[0][0] == '#')
      continue;
    const std::string &key = tokens[0];

    if (!sawHeader) {
      if (key != "fqt-model" || tokens.size() != 2)
        fail("expected the header 'fqt-model 1', got '" + line + "'");
      if (tokens[1] != "1")
        fail("unsupported format version '" + tokens[1] +
             "' (this runtime reads version 1)");
      info.version = 1;
      sawHeader = true;
      continue;
    }

    if (key == "arg" || key == "result") {
      if (!current)
        fail("'" + key + "' outside a function");
      BufferDesc buffer = parseBuffer(tokens, key == "arg");
      std::vector<BufferDesc> &list =
          key == "arg" ? current->args : current->results;
      for (const BufferDesc &other : list)
        if (other.kind == buffer.kind && other.name == buffer.name)
          fail("duplicate " + key + " " + kindName(buffer.kind) + " '" +
               buffer.name + "' in " + current->name);
      if (buffer.kind == BufferKind::Workspace &&
          !current->argsOfKind(BufferKind::Workspace).empty())
        fail(current->name +
             " takes 2 workspaces; a function takes one at most");
      checkConsistent(*current, buffer);
      list.push_back(std::move(buffer));
      continue;
    }
    if (key == "end") {
      if (!current)
        fail("'end' outside a function");
      if (tokens.size() != 1)
        fail("unexpected text after 'end'");
      current = nullptr;
      continue;
    }
    if (current)
      fail("expected 'arg', 'result' or 'end' in function " + current->name +
           ", got '" + key + "'");
    if (key == "function") {
      if (tokens.size() != 2)
        fail("expected 'function NAME'");
      if (info.getFunction(tokens[1]))
        fail("function '" + tokens[1] + "' defined twice");
      info.functions.push_back({tokens[1], {}, {}});
      current = &info.functions.back();
      functionLine = lineNo;
    } else if (key == "loss") {
      if (tokens.size() != 2)
        fail("expected 'loss NAME'");
      if (!info.loss.empty())
        fail("second 'loss' line");
      info.loss = tokens[1];
    } else if (key == "optimizer") {
      if (tokens.size() < 2)
        fail("expected 'optimizer NAME key=value...'");
      if (!info.optimizer.empty())
        fail("second 'optimizer' line");
      info.optimizer = tokens[1];
      for (size_t i = 2; i < tokens.size(); ++i) {
        size_t eq = tokens[i].find('=');
        if (eq == std::string::npos || eq == 0)
          fail("expected key=value in the optimizer line, got '" + tokens[i] +
               "'");
        info.optimizerOptions[tokens[i].substr(0, eq)] =
            tokens[i].substr(eq + 1);
      }
    } else if (key == "quantizers") {
      if (!info.quantizers.empty())
        fail("second 'quantizers' line");
      for (size_t i = 1; i < tokens.size(); ++i) {
        size_t eq = tokens[i].find('=');
        if (eq == std::string::npos || eq == 0)
          fail("expected role=quantizer in the quantizers line, got '" +
               tokens[i] + "'");
        info.quantizers[tokens[i].substr(0, eq)] = tokens[i].substr(eq + 1);
      }
    } else {
      fail("unknown line '" + key + "'");
    }
  }
  if (!sawHeader)
    throw Error(source, "empty model description (no 'fqt-model 1' header)");
  if (current) {
    lineNo = functionLine;
    fail("function '" + current->name + "' has no 'end'");
  }
  return info;
}

ModelInfo parseModelInfo(std::string_view text, const std::string &source) {
  return Parser(source).parse(text);
}

} // namespace fqt::runtime
