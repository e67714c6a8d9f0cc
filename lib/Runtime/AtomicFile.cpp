//===- AtomicFile.cpp - Output files that appear whole or not at all ------===//

#include "fqt/Runtime/AtomicFile.h"
#include "fqt/Runtime/Error.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace fqt::runtime {

AtomicFile::AtomicFile(std::string path) : path(std::move(path)) {
  // The temporary file must be on the destination's file system for
  // rename() to be atomic, so it sits next to it.
  std::vector<char> templ(this->path.begin(), this->path.end());
  const char suffix[] = ".tmp.XXXXXX";
  templ.insert(templ.end(), suffix, suffix + sizeof(suffix));
  fd = mkstemp(templ.data());
  if (fd < 0)
    throw Error(this->path,
                std::string("cannot create file: ") + std::strerror(errno));
  tempPath = templ.data();
  // mkstemp creates mode 0600; give the file the permissions a plain
  // open(O_CREAT, 0666) would have had.
  mode_t mask = umask(0);
  umask(mask);
  fchmod(fd, 0666 & ~mask);
}

AtomicFile::~AtomicFile() {
  if (fd >= 0)
    close(fd);
  if (!committed && !tempPath.empty())
    unlink(tempPath.c_str());
}

void AtomicFile::fail(const std::string &what) {
  int saved = errno;
  if (fd >= 0)
    close(fd);
  fd = -1;
  unlink(tempPath.c_str());
  tempPath.clear();
  throw Error(path, what + ": " + std::strerror(saved));
}

void AtomicFile::write(const void *data, size_t size) {
  if (fd < 0)
    throw Error(path, "write after commit or failure");
  const char *p = static_cast<const char *>(data);
  while (size) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      fail("cannot write");
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
}

void AtomicFile::commit() {
  if (fd < 0)
    throw Error(path, "commit after commit or failure");
  if (fsync(fd) != 0 && errno != EINVAL)
    fail("cannot write");
  if (close(fd) != 0) {
    fd = -1;
    fail("cannot write");
  }
  fd = -1;
  if (std::rename(tempPath.c_str(), path.c_str()) != 0)
    fail("cannot replace the file");
  committed = true;
}

void writeFileAtomically(const std::string &path, std::string_view bytes) {
  AtomicFile file(path);
  file.write(bytes);
  file.commit();
}

std::string readFile(const std::string &path) {
  FILE *file = std::fopen(path.c_str(), "rb");
  if (!file)
    throw Error(path, std::strerror(errno));
  struct stat info;
  if (fstat(fileno(file), &info) == 0 && S_ISDIR(info.st_mode)) {
    std::fclose(file);
    throw Error(path, "is a directory");
  }
  std::string bytes;
  char chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof(chunk), file)) > 0)
    bytes.append(chunk, n);
  bool bad = std::ferror(file);
  std::fclose(file);
  if (bad)
    throw Error(path, "read error");
  return bytes;
}

} // namespace fqt::runtime
