//===- Weights.cpp - The initial values init reads ------------------------===//

#include "fqt/Runtime/Weights.h"
#include "fqt/Runtime/Error.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fqt::runtime {

namespace {

/// Reads the fields of a blob's header, failing with SOURCE on anything
/// out of bounds.
class HeaderReader {
public:
  HeaderReader(std::string_view blob, const std::string &source)
      : blob(blob), source(source) {}

  uint64_t u64() {
    need(8);
    uint64_t v = weights::readU64(blob.data() + pos);
    pos += 8;
    return v;
  }
  uint32_t u32() {
    need(4);
    uint32_t v = weights::readU32(blob.data() + pos);
    pos += 4;
    return v;
  }
  std::string text(uint32_t size) {
    need(size);
    std::string v(blob.substr(pos, size));
    pos += size;
    return v;
  }
  size_t offset() const { return pos; }

private:
  void need(uint64_t n) {
    if (n > blob.size() - pos)
      throw Error(source, "the weights' header is cut short at byte " +
                              std::to_string(pos));
  }

  std::string_view blob;
  const std::string &source;
  size_t pos = 0;
};

std::string typeOf(const BufferDesc &desc) {
  return std::string(dtypeName(desc.dtype)) + " " + shapeString(desc.shape);
}

} // namespace

Weights Weights::parse(std::string_view blob, const std::string &source) {
  Weights w;
  w.source = source;
  if (blob.substr(0, weights::kMagic.size()) != weights::kMagic)
    throw Error(source, "not fqt weights (no " +
                            std::string(weights::kMagic) + " header)");
  HeaderReader reader(blob.substr(weights::kMagic.size()), source);
  uint64_t headerSize = reader.u64();
  uint64_t count = reader.u64();
  w.dataSize = reader.u64();
  w.sum = reader.u64();
  uint64_t flags = reader.u64();
  if (headerSize > blob.size() || headerSize % weights::kAlignment)
    throw Error(source, "the weights' header size " +
                            std::to_string(headerSize) + " is not valid");
  HeaderReader entries(blob.substr(0, headerSize), source);
  entries.text(weights::kFixedHeader);
  for (uint64_t i = 0; i < count; ++i) {
    weights::Entry entry;
    entry.name = entries.text(entries.u32());
    entry.type = entries.text(entries.u32());
    entry.offset = entries.u64();
    entry.size = entries.u64();
    if (entry.offset > w.dataSize || entry.size > w.dataSize - entry.offset ||
        entry.offset % weights::kAlignment)
      throw Error(source, "weight '" + entry.name +
                              "' lies outside the weights' data");
    if (!w.byName.emplace(entry.name, w.entries.size()).second)
      throw Error(source, "weight '" + entry.name + "' is listed twice");
    w.entries.push_back(std::move(entry));
  }
  if (flags & weights::kHasData) {
    if (blob.size() - headerSize < w.dataSize)
      throw Error(source, "is cut short: " + std::to_string(blob.size()) +
                              " bytes, but its header promises " +
                              std::to_string(headerSize + w.dataSize));
    w.data = blob.data() + headerSize;
  }
  return w;
}

Weights Weights::readFile(const std::string &path, const Weights &program) {
  FILE *file = std::fopen(path.c_str(), "rb");
  if (!file)
    throw Error(path, std::string("cannot read the program's weights: ") +
                          std::strerror(errno));
  struct stat info;
  if (fstat(fileno(file), &info) != 0 || !S_ISREG(info.st_mode)) {
    std::fclose(file);
    throw Error(path, "is not a file of weights");
  }
  uint64_t size = static_cast<uint64_t>(info.st_size);
  std::shared_ptr<char> bytes(
      static_cast<char *>(
          std::aligned_alloc(weights::kAlignment, weights::alignUp(size + 1))),
      std::free);
  if (!bytes) {
    std::fclose(file);
    throw Error(path, "memory: cannot allocate " + std::to_string(size) +
                          " bytes for the weights");
  }
  size_t read = std::fread(bytes.get(), 1, size, file);
  std::fclose(file);
  if (read != size)
    throw Error(path, "read error");

  Weights w = parse(std::string_view(bytes.get(), size), path);
  w.storage = std::move(bytes);
  if (!w.data)
    throw Error(path, "holds a header without the weights' data");
  // The same entries and checksum as the program's own header: weights of
  // this compile, not of another model or another version of it.
  for (const weights::Entry &expected : program.entries) {
    auto it = w.byName.find(expected.name);
    if (it == w.byName.end())
      throw Error(path, "has no weight '" + expected.name +
                            "'; it was written for another program");
    const weights::Entry &found = w.entries[it->second];
    if (found.type != expected.type)
      throw Error(path, "weight '" + expected.name + "' is " + found.type +
                            " in the file but " + expected.type +
                            " in the program; it was written for another "
                            "program");
  }
  if (w.entries.size() != program.entries.size())
    throw Error(path, "has " + std::to_string(w.entries.size()) +
                          " weights, the program " +
                          std::to_string(program.entries.size()) +
                          "; it was written for another program");
  if (w.sum != program.sum)
    throw Error(path, "holds other weights than the program was compiled "
                      "with (checksum differs); recompile, or use the "
                      "weights file written with the program");
  uint64_t actual = weights::checksum(w.data, w.dataSize);
  if (actual != w.sum)
    throw Error(path, "is damaged: its data does not match its checksum");
  return w;
}

/// The weights file of a program compiled with --weights=external: its
/// file (the executable, or the shared library that defines fqt_weights)
/// with `.weights` appended.
static std::string defaultWeightsFile(const void *symbol) {
  Dl_info where;
  if (dladdr(symbol, &where) && where.dli_fname && *where.dli_fname)
    return std::string(where.dli_fname) + ".weights";
  char path[4096];
  ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  return std::string(path, n > 0 ? n : 0) + ".weights";
}

Weights Weights::ofProgram(const fqt_program &program,
                           const std::string &file) {
  if (!program.weights)
    throw Error("fqt_model_info",
                "init takes weights, but the program has no fqt_weights");
  unsigned long size = 0;
  const unsigned char *blob = program.weights(&size);
  Weights own =
      parse(std::string_view(reinterpret_cast<const char *>(blob), size),
            "fqt_weights");
  if (!file.empty())
    return readFile(file, own);
  if (own.hasData())
    return own;
  return readFile(
      defaultWeightsFile(reinterpret_cast<const void *>(program.weights)), own);
}

const void *Weights::find(const BufferDesc &desc) const {
  auto it = byName.find(desc.name);
  if (it == byName.end())
    throw Error(source, "has no weight '" + desc.name + "', which init takes");
  const weights::Entry &entry = entries[it->second];
  if (entry.type != typeOf(desc) ||
      entry.size != static_cast<uint64_t>(numElements(desc.shape)) *
                        dtypeSize(desc.dtype))
    throw Error(source, "weight '" + desc.name + "' is " + entry.type +
                            ", but init takes " + typeOf(desc));
  if (!data)
    throw Error(source, "the weights' data is not loaded");
  return data + entry.offset;
}

} // namespace fqt::runtime
