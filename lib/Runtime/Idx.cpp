//===- Idx.cpp - Reader of IDX files (MNIST, Fashion-MNIST) ---------------===//

#include "fqt/Runtime/Idx.h"
#include "fqt/Runtime/Error.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>
#include <zlib.h>

namespace fqt::runtime {

namespace {
/// A gzFile that closes itself and reports errors against its path.
class GzReader {
public:
  explicit GzReader(const std::string &path) : path(path) {
    // gzopen happily opens a directory and fails on the first read with a
    // confusing message; say what is wrong instead.
    struct stat info;
    if (stat(path.c_str(), &info) != 0)
      throw Error(path, std::strerror(errno));
    if (S_ISDIR(info.st_mode))
      throw Error(path, "is a directory");
    file = gzopen(path.c_str(), "rb");
    if (!file)
      throw Error(path, errno ? std::strerror(errno) : "cannot open");
    gzbuffer(file, 1 << 17);
  }
  ~GzReader() {
    if (file)
      gzclose(file);
  }

  /// Reads up to SIZE bytes; returns how many were read.
  size_t read(void *data, size_t size) {
    size_t done = 0;
    char *p = static_cast<char *>(data);
    while (done < size) {
      unsigned chunk =
          static_cast<unsigned>(std::min<size_t>(size - done, 1u << 30));
      int n = gzread(file, p + done, chunk);
      if (n < 0) {
        int code;
        const char *message = gzerror(file, &code);
        throw Error(path,
                    std::string("cannot read: ") +
                        (code == Z_ERRNO ? std::strerror(errno) : message));
      }
      if (n == 0)
        break;
      done += static_cast<size_t>(n);
    }
    return done;
  }

  /// Reads and drops up to SIZE bytes; returns how many there were.
  uint64_t skip(uint64_t size) {
    std::string buffer(1 << 16, '\0');
    uint64_t done = 0;
    while (done < size) {
      size_t n =
          read(buffer.data(), std::min<uint64_t>(size - done, buffer.size()));
      if (n == 0)
        break;
      done += n;
    }
    return done;
  }

  /// Whether the file is gzip'd (zlib reads other files as they are).
  bool isCompressed() { return gzdirect(file) == 0; }

  /// Moves to byte OFFSET of an uncompressed file (a seek, nothing read).
  void seek(uint64_t offset) {
    if (gzseek(file, static_cast<z_off_t>(offset), SEEK_SET) < 0)
      throw Error(path, "cannot seek");
  }

  void readExactly(void *data, size_t size, const char *what) {
    size_t n = read(data, size);
    if (n != size)
      throw Error(path, std::string("truncated ") + what + " (expected " +
                            std::to_string(size) + " bytes, found " +
                            std::to_string(n) + ")");
  }

private:
  std::string path;
  gzFile file = nullptr;
};
} // namespace

static uint32_t bigEndian32(const unsigned char *p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) |
         (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

static Error truncatedData(const std::string &path, uint64_t expected,
                           uint64_t found) {
  return Error(path, "truncated data (expected " + std::to_string(expected) +
                         " bytes, found " + std::to_string(found) + ")");
}

/// With a limit, the items past it are not needed, yet a file that does not
/// hold what its header announces is broken (a download cut short) and must
/// not train silently on its prefix. A raw file's size says so (and the
/// reader seeks past the items); a gzip file's trailer records its
/// uncompressed size (mod 2^32), and only where that disagrees (a truncated
/// file, or one of several gzip members) is the rest decompressed to find
/// out. DATASIZE is the data the header announces, of which READSIZE bytes
/// were read. Returns whether the reader stands at the end of the items, for
/// the caller's check that nothing follows them; false where the trailer
/// vouched for them unread.
static bool skipUnreadItems(GzReader &reader, const std::string &path,
                            uint64_t headerSize, uint64_t dataSize,
                            uint64_t readSize) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0)
    throw Error(path, std::strerror(errno));
  uint64_t fileSize = info.st_size;
  uint64_t fullSize = headerSize + dataSize;
  if (!reader.isCompressed()) {
    if (fileSize < fullSize)
      throw truncatedData(path, dataSize, fileSize - headerSize);
    reader.seek(fullSize);
    return true;
  }
  uint32_t trailer = 0;
  if (FILE *raw = std::fopen(path.c_str(), "rb")) {
    unsigned char bytes[4];
    if (std::fseek(raw, -4, SEEK_END) == 0 && std::fread(bytes, 1, 4, raw) == 4)
      trailer = uint32_t(bytes[0]) | uint32_t(bytes[1]) << 8 |
                uint32_t(bytes[2]) << 16 | uint32_t(bytes[3]) << 24;
    std::fclose(raw);
  }
  if (trailer == uint32_t(fullSize))
    return false;
  uint64_t rest = reader.skip(dataSize - readSize);
  if (rest != dataSize - readSize)
    throw truncatedData(path, dataSize, readSize + rest);
  return true;
}

Tensor readIdx(const std::string &path, int64_t limit) {
  GzReader reader(path);
  unsigned char magic[4];
  reader.readExactly(magic, 4, "header");
  if (magic[0] != 0 || magic[1] != 0)
    throw Error(path, "not an IDX file (bad magic number)");
  DType type;
  switch (magic[2]) {
  case 0x08:
    type = DType::U8;
    break;
  case 0x09:
    type = DType::I8;
    break;
  case 0x0B:
    type = DType::I16;
    break;
  case 0x0C:
    type = DType::I32;
    break;
  case 0x0D:
    type = DType::F32;
    break;
  case 0x0E:
    type = DType::F64;
    break;
  default:
    throw Error(path,
                "unknown IDX element type code " + std::to_string(magic[2]));
  }
  unsigned rank = magic[3];
  if (rank == 0)
    throw Error(path, "IDX file of rank 0");
  Shape shape(rank);
  for (unsigned i = 0; i < rank; ++i) {
    unsigned char dim[4];
    reader.readExactly(dim, 4, "header");
    shape[i] = bigEndian32(dim);
  }
  int64_t items = shape[0];
  if (limit >= 0 && limit < items)
    shape[0] = limit;
  // Guard the allocation against a garbage header (4 dims of 2^32).
  int64_t perItem = 1;
  for (unsigned i = 1; i < rank; ++i) {
    perItem *= shape[i];
    if (perItem > (int64_t(1) << 40))
      throw Error(path, "implausible IDX dimensions");
  }
  if (shape[0] && perItem > (int64_t(1) << 40) / shape[0])
    throw Error(path, "implausible IDX dimensions");

  // The header is not trusted with an allocation (a few bytes can claim
  // terabytes): the data is read in chunks that double from 64 KiB up to
  // 64 MiB and the tensor allocated once it is all there, so that a lying
  // or truncated file fails after reading what it holds, having allocated
  // at most about twice that.
  uint64_t byteSize = uint64_t(shape[0]) * uint64_t(perItem) * dtypeSize(type);
  std::string bytes;
  while (bytes.size() < byteSize) {
    size_t have = bytes.size();
    uint64_t chunk =
        std::clamp<uint64_t>(have, uint64_t(1) << 16, uint64_t(64) << 20);
    size_t want = std::min<uint64_t>(byteSize - have, chunk);
    bytes.resize(have + want);
    size_t n = reader.read(bytes.data() + have, want);
    if (n != want)
      throw truncatedData(path, byteSize, have + n);
  }
  Tensor tensor(type, shape);
  std::memcpy(tensor.data(), bytes.data(), bytes.size());
  bytes = std::string();
  bool atEnd = true;
  if (shape[0] < items) {
    uint64_t dataSize;
    if (__builtin_mul_overflow(uint64_t(items),
                               uint64_t(perItem) * dtypeSize(type), &dataSize))
      throw Error(path, "implausible IDX dimensions");
    atEnd = skipUnreadItems(reader, path, 4 + 4 * uint64_t(rank), dataSize,
                            byteSize);
  }
  if (atEnd) {
    char extra;
    if (reader.read(&extra, 1) != 0)
      throw Error(path, "trailing data after the " + std::to_string(items) +
                            " items its header announces");
  }
  // IDX is big-endian; the host (x86-64, AArch64) is little-endian.
  size_t size = dtypeSize(type);
  if (size > 1) {
    unsigned char *p = static_cast<unsigned char *>(tensor.data());
    for (int64_t i = 0, e = tensor.getNumElements(); i < e; ++i, p += size)
      std::reverse(p, p + size);
  }
  return tensor;
}

} // namespace fqt::runtime
