//===- Weights.h - The initial values init reads ----------------*- C++ -*-===//
//
// A program's init takes its params' and running statistics' initial values
// as `weight` arguments (Model.h); fqt-compile stores them in the blob of
// WeightsFormat.h, in the program or in a weights file. Weights parses that
// blob, checks that a file belongs to the program, and points init's
// arguments into it: nothing is copied.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_RUNTIME_WEIGHTS_H
#define FQT_RUNTIME_WEIGHTS_H

#include "fqt/Runtime/Model.h"
#include "fqt/Runtime/ModelInfo.h"
#include "fqt/Runtime/WeightsFormat.h"

#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace fqt::runtime {

class Weights {
public:
  Weights() = default;

  /// Parses BLOB, which must stay alive while this object is used (the
  /// program's fqt_weights); throws Error(SOURCE, ...) when it is malformed.
  static Weights parse(std::string_view blob, const std::string &source);
  /// Reads the weights file PATH and checks that it holds the weights that
  /// PROGRAM (the program's own header) describes: the same names, types and
  /// checksum, and data whose checksum is that one. Throws Error(PATH, ...).
  static Weights readFile(const std::string &path, const Weights &program);

  /// The weights init reads: from FILE when given, else PROGRAM's own
  /// (fqt_weights), else (--weights=external) the file beside the program,
  /// its executable's or shared library's name with `.weights` appended.
  static Weights ofProgram(const fqt_program &program,
                           const std::string &file = "");

  bool hasData() const { return data != nullptr; }
  size_t size() const { return entries.size(); }
  /// The data of init's argument DESC; throws Error(SOURCE, ...) when the
  /// weights have no entry of that name, or one of another type.
  const void *find(const BufferDesc &desc) const;

private:
  std::string source;
  std::vector<weights::Entry> entries;
  std::map<std::string, size_t> byName;
  uint64_t dataSize = 0;
  uint64_t sum = 0;
  const char *data = nullptr;
  /// The bytes of a file read by readFile (64-byte aligned).
  std::shared_ptr<char> storage;
};

} // namespace fqt::runtime

#endif // FQT_RUNTIME_WEIGHTS_H
