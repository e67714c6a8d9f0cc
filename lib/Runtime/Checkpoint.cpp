//===- Checkpoint.cpp - Resumable training state --------------------------===//

#include "fqt/Runtime/Checkpoint.h"
#include "fqt/Runtime/AtomicFile.h"
#include "fqt/Runtime/Error.h"
#include "fqt/Runtime/Options.h"

#include <cstring>
#include <zlib.h>

namespace fqt::runtime {

static const char magic[8] = {'F', 'Q', 'T', 'C', 'K', 'P', 'T', '\0'};
static const uint32_t version = 3;

const Checkpoint::Buffer *Checkpoint::find(BufferKind kind,
                                           const std::string &name) const {
  for (const Buffer &buffer : buffers)
    if (buffer.kind == kind && buffer.name == name)
      return &buffer;
  return nullptr;
}

namespace {
class Writer {
public:
  template <typename T> void put(T value) {
    bytes.append(reinterpret_cast<const char *>(&value), sizeof(T));
  }
  template <typename Len> void putString(const std::string &text) {
    put(static_cast<Len>(text.size()));
    bytes += text;
  }
  std::string bytes;
};

class Reader {
public:
  Reader(std::string_view bytes, const std::string &source)
      : bytes(bytes), source(source) {}

  const char *take(size_t size, const char *what) {
    if (bytes.size() - pos < size)
      throw Error(source,
                  std::string("truncated checkpoint (in ") + what + ")");
    const char *p = bytes.data() + pos;
    pos += size;
    return p;
  }
  template <typename T> T get(const char *what) {
    T value;
    std::memcpy(&value, take(sizeof(T), what), sizeof(T));
    return value;
  }
  template <typename Len> std::string getString(const char *what) {
    Len size = get<Len>(what);
    return std::string(take(size, what), size);
  }
  bool atEnd() const { return pos == bytes.size(); }

private:
  std::string_view bytes;
  const std::string &source;
  size_t pos = 0;
};
} // namespace

static uint32_t checksum(const char *data, size_t size) {
  uLong crc = crc32(0, Z_NULL, 0);
  while (size) {
    uInt chunk = size > (1u << 30) ? (1u << 30) : static_cast<uInt>(size);
    crc = crc32(crc, reinterpret_cast<const Bytef *>(data), chunk);
    data += chunk;
    size -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

std::string encodeCheckpoint(const Checkpoint &checkpoint) {
  Writer w;
  w.bytes.append(magic, sizeof(magic));
  w.put(version);
  w.put(checkpoint.epoch);
  w.put(checkpoint.step);
  w.put(checkpoint.rngState);
  w.put(checkpoint.seed);
  w.put(checkpoint.threads);
  w.put(checkpoint.lastTrainLoss);
  w.put(checkpoint.batchInEpoch);
  w.put(checkpoint.epochLossSum);
  w.put(checkpoint.trainSamples);
  w.put(checkpoint.ranks);
  w.put(static_cast<uint32_t>(checkpoint.buffers.size()));
  for (const Checkpoint::Buffer &buffer : checkpoint.buffers) {
    w.putString<uint8_t>(kindName(buffer.kind));
    w.putString<uint32_t>(buffer.name);
    w.putString<uint8_t>(dtypeName(buffer.value.getDType()));
    w.put(static_cast<uint32_t>(buffer.value.getShape().size()));
    for (int64_t dim : buffer.value.getShape())
      w.put(dim);
    w.put(static_cast<uint64_t>(buffer.value.getByteSize()));
    w.bytes.append(static_cast<const char *>(buffer.value.data()),
                   buffer.value.getByteSize());
  }
  w.put(checksum(w.bytes.data(), w.bytes.size()));
  return std::move(w.bytes);
}

Checkpoint decodeCheckpoint(std::string_view bytes, const std::string &source) {
  if (bytes.size() < sizeof(magic) ||
      std::memcmp(bytes.data(), magic, sizeof(magic)) != 0)
    throw Error(source, "not an fqt checkpoint");
  if (bytes.size() < sizeof(magic) + 8)
    throw Error(source, "truncated checkpoint");
  // Check the whole file before trusting any length field in it.
  size_t body = bytes.size() - 4;
  uint32_t stored;
  std::memcpy(&stored, bytes.data() + body, 4);
  Reader r(bytes.substr(0, body), source);
  r.take(sizeof(magic), "header");
  uint32_t fileVersion = r.get<uint32_t>("header");
  if (fileVersion < 1 || fileVersion > version)
    throw Error(source, "unsupported checkpoint version " +
                            std::to_string(fileVersion) +
                            " (this runtime reads versions 1 to 3)");
  if (checksum(bytes.data(), body) != stored)
    throw Error(source, "corrupt checkpoint (checksum mismatch)");

  Checkpoint checkpoint;
  checkpoint.epoch = r.get<int64_t>("header");
  checkpoint.step = r.get<int64_t>("header");
  checkpoint.rngState = r.get<uint64_t>("header");
  checkpoint.seed = r.get<int64_t>("header");
  checkpoint.threads = r.get<int64_t>("header");
  checkpoint.lastTrainLoss = r.get<double>("header");
  if (fileVersion >= 2) {
    checkpoint.batchInEpoch = r.get<int64_t>("header");
    checkpoint.epochLossSum = r.get<double>("header");
    checkpoint.trainSamples = r.get<int64_t>("header");
  }
  if (fileVersion >= 3)
    checkpoint.ranks = r.get<int64_t>("header");
  if (checkpoint.epoch < 0 || checkpoint.step < 0 ||
      checkpoint.batchInEpoch < 0 || checkpoint.trainSamples < 0 ||
      checkpoint.ranks < 0)
    throw Error(source, "corrupt checkpoint (negative counter)");
  if (checkpoint.threads < 0 || checkpoint.threads > kMaxThreads)
    throw Error(source,
                "corrupt checkpoint (" + std::to_string(checkpoint.threads) +
                    " threads; at most " + std::to_string(kMaxThreads) + ")");
  uint32_t count = r.get<uint32_t>("header");
  for (uint32_t i = 0; i < count; ++i) {
    Checkpoint::Buffer buffer;
    std::string kind = r.getString<uint8_t>("buffer kind");
    bool known = false;
    for (BufferKind k : {BufferKind::Param, BufferKind::State})
      if (kind == kindName(k)) {
        buffer.kind = k;
        known = true;
      }
    if (!known)
      throw Error(source, "corrupt checkpoint (buffer kind '" + kind + "')");
    buffer.name = r.getString<uint32_t>("buffer name");
    std::string typeName = r.getString<uint8_t>("buffer type");
    std::optional<DType> type = parseDType(typeName);
    if (!type)
      throw Error(source, "corrupt checkpoint (element type '" + typeName +
                              "' of '" + buffer.name + "')");
    uint32_t rank = r.get<uint32_t>("buffer shape");
    if (rank > 64)
      throw Error(source, "corrupt checkpoint (rank of '" + buffer.name + "')");
    Shape shape(rank);
    long double elements = 1;
    for (int64_t &dim : shape) {
      dim = r.get<int64_t>("buffer shape");
      if (dim < 0)
        throw Error(source,
                    "corrupt checkpoint (shape of '" + buffer.name + "')");
      elements *= dim;
    }
    uint64_t size = r.get<uint64_t>("buffer size");
    if (elements * dtypeSize(*type) != static_cast<long double>(size))
      throw Error(source, "corrupt checkpoint (size of '" + buffer.name + "')");
    const char *data = r.take(size, "buffer data");
    buffer.value = Tensor(*type, shape);
    std::memcpy(buffer.value.data(), data, size);
    checkpoint.buffers.push_back(std::move(buffer));
  }
  if (!r.atEnd())
    throw Error(source, "corrupt checkpoint (trailing data)");
  return checkpoint;
}

void writeCheckpoint(const std::string &path, const Checkpoint &checkpoint) {
  writeFileAtomically(path, encodeCheckpoint(checkpoint));
}

Checkpoint readCheckpoint(const std::string &path) {
  return decodeCheckpoint(readFile(path), path);
}

} // namespace fqt::runtime
