//===- WeightsFormat.h - The byte layout of a program's weights -*- C++ -*-===//
//
// The initial values of a program's params and running statistics (the
// `weight` arguments of init, Model.h) are data, not code: fqt-compile
// writes them as one blob, into the program (`fqt_weights`) or into a file
// beside it (`fqt-compile --weights=external`), and the runtime hands init
// pointers into it. Both sides include this header; it holds no code that
// throws, so that the compiler (built without exceptions) shares it.
//
//   offset 0   "FQTWGT01"                      magic and version
//          8   u64 header size                 a multiple of 64
//         16   u64 entry count
//         24   u64 data size
//         32   u64 checksum                    FNV-1a 64 of the data
//         40   u64 flags                       bit 0: the data follows
//         48   entries: u32 name length, name, u32 type length, type
//              ("f32 64x3x7x7", as the model description writes it),
//              u64 offset into the data (a multiple of 64), u64 size
//              zero padding up to the header size
//   header size: the data (when flag bit 0 is set)
//
// All integers are little-endian (the x86-64 and NVIDIA hosts fqt targets).
//
//===----------------------------------------------------------------------===//

#ifndef FQT_RUNTIME_WEIGHTSFORMAT_H
#define FQT_RUNTIME_WEIGHTSFORMAT_H

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace fqt::weights {

inline constexpr std::string_view kMagic = "FQTWGT01";
/// Alignment of the data and of every entry in it (a cache line; enough for
/// any vector load of the compiled code).
inline constexpr uint64_t kAlignment = 64;
/// Flag: the blob holds the data after its header.
inline constexpr uint64_t kHasData = 1;
/// Bytes before the first entry.
inline constexpr uint64_t kFixedHeader = 48;

struct Entry {
  std::string name;
  /// "f32 3x4", "f32 scalar".
  std::string type;
  uint64_t offset = 0;
  uint64_t size = 0;
};

/// FNV-1a, 64 bits: a checksum that catches a weights file of another
/// compile (or a damaged one); not a cryptographic hash.
inline uint64_t checksum(const void *data, uint64_t size, uint64_t hash = 0) {
  if (!hash)
    hash = 0xcbf29ce484222325ull;
  auto *bytes = static_cast<const unsigned char *>(data);
  for (uint64_t i = 0; i < size; ++i) {
    hash ^= bytes[i];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

inline uint64_t alignUp(uint64_t n) {
  return (n + kAlignment - 1) / kAlignment * kAlignment;
}

/// Places the entries one after another, each at a multiple of kAlignment;
/// returns the data size.
inline uint64_t layout(std::vector<Entry> &entries) {
  uint64_t end = 0;
  for (Entry &entry : entries) {
    entry.offset = alignUp(end);
    end = entry.offset + entry.size;
  }
  return end;
}

inline void appendU32(std::string &out, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<char>(v >> (8 * i)));
}

inline void appendU64(std::string &out, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>(v >> (8 * i)));
}

inline uint64_t readU64(const char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

inline uint32_t readU32(const char *p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

/// The header of a blob holding ENTRIES (laid out by layout()).
inline std::string encodeHeader(const std::vector<Entry> &entries,
                                uint64_t dataSize, uint64_t dataChecksum,
                                bool hasData) {
  std::string body;
  for (const Entry &entry : entries) {
    appendU32(body, static_cast<uint32_t>(entry.name.size()));
    body += entry.name;
    appendU32(body, static_cast<uint32_t>(entry.type.size()));
    body += entry.type;
    appendU64(body, entry.offset);
    appendU64(body, entry.size);
  }
  uint64_t headerSize = alignUp(kFixedHeader + body.size());
  std::string header(kMagic);
  appendU64(header, headerSize);
  appendU64(header, entries.size());
  appendU64(header, dataSize);
  appendU64(header, dataChecksum);
  appendU64(header, hasData ? kHasData : 0);
  header += body;
  header.resize(headerSize, '\0');
  return header;
}

} // namespace fqt::weights

#endif // FQT_RUNTIME_WEIGHTSFORMAT_H
