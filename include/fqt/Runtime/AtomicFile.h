//===- AtomicFile.h - Output files that appear whole or not at all -*- C++ -*-//
//
// Every file the runtime writes (checkpoints, trained models, .npy dumps) goes
// through AtomicFile: the bytes go to a temporary file in the destination's
// directory, which is flushed to disk and renamed over the destination only
// on commit(). A failure or an interruption (an exception, a kill, a full
// disk) therefore leaves the previous file, or none, never a half-written
// one -- which is what makes a checkpoint safe to resume from.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_RUNTIME_ATOMICFILE_H
#define FQT_RUNTIME_ATOMICFILE_H

#include <cstddef>
#include <string>
#include <string_view>

namespace fqt::runtime {

class AtomicFile {
public:
  /// Creates the temporary file; throws Error(path, ...) when it cannot.
  explicit AtomicFile(std::string path);
  /// Removes the temporary file unless commit() succeeded.
  ~AtomicFile();
  AtomicFile(const AtomicFile &) = delete;
  AtomicFile &operator=(const AtomicFile &) = delete;

  void write(const void *data, size_t size);
  void write(std::string_view bytes) { write(bytes.data(), bytes.size()); }

  /// Flushes, syncs and renames the temporary file to the destination.
  void commit();

  const std::string &getPath() const { return path; }

private:
  [[noreturn]] void fail(const std::string &what);

  std::string path;
  std::string tempPath;
  int fd = -1;
  bool committed = false;
};

/// Writes BYTES to PATH through an AtomicFile.
void writeFileAtomically(const std::string &path, std::string_view bytes);

/// Reads a whole file; throws Error(path, strerror) when it cannot.
std::string readFile(const std::string &path);

} // namespace fqt::runtime

#endif // FQT_RUNTIME_ATOMICFILE_H
