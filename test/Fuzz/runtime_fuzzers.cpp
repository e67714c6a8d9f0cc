//===- runtime_fuzzers.cpp - libFuzzer targets for the runtime's readers --===//
//
// The training executables read files a user hands them: .npy arrays
// (--inputs, --labels), IDX datasets, gzip'd or not (--data), and
// checkpoints (--resume). Each reader must turn any bytes into a tensor or
// an fqt::runtime::Error, never a crash, a hang or an allocation the file
// does not justify. One source, three targets: FQT_FUZZ_READER selects the
// reader at compile time (test/Fuzz/CMakeLists.txt). Run them with
// scripts/fuzz-runtime.sh.
//
//===----------------------------------------------------------------------===//

#include "fqt/Runtime/Checkpoint.h"
#include "fqt/Runtime/Error.h"
#include "fqt/Runtime/Idx.h"
#include "fqt/Runtime/Npy.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <sys/mman.h>
#include <unistd.h>

using namespace fqt::runtime;

namespace {

/// IDX files are read by path (zlib's gzopen): the bytes go to an in-memory
/// file whose /proc/self/fd path the reader opens.
void readIdxBytes(const uint8_t *data, size_t size) {
  static int fd = memfd_create("fqt-idx-fuzz", 0);
  if (fd < 0 || ftruncate(fd, 0) != 0 ||
      pwrite(fd, data, size, 0) != static_cast<ssize_t>(size))
    __builtin_trap();
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  try {
    (void)readIdx(path);
  } catch (const Error &) {
  }
  try {
    (void)readIdx(path, /*limit=*/3); // --train-limit reads a prefix
  } catch (const Error &) {
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char *>(data), size);
#if FQT_FUZZ_READER == 1
  try {
    (void)decodeNpy(bytes, "fuzz.npy");
  } catch (const Error &) {
  }
#elif FQT_FUZZ_READER == 2
  readIdxBytes(data, size);
#elif FQT_FUZZ_READER == 3
  try {
    (void)decodeCheckpoint(bytes, "fuzz.ckpt");
  } catch (const Error &) {
  }
#else
#error "FQT_FUZZ_READER must be 1 (npy), 2 (idx) or 3 (checkpoint)"
#endif
  return 0;
}
