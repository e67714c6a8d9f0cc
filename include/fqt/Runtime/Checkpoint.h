//===- Checkpoint.h - Resumable training state ------------------*- C++ -*-===//
//
// A checkpoint holds everything needed to continue a run as if it had not
// stopped: the epochs completed, the global step counter, the shuffling
// generator's state, the seed, and every param and state buffer by kind and
// name. The file format (little-endian):
//
//   "FQTCKPT\0"  u32 version (1)
//   i64 epoch  i64 step  u64 rng_state  i64 seed  i64 threads
//   f64 last_train_loss  u32 buffer_count
//   buffer_count x { u8 kind_len, kind   u32 name_len, name
//                    u8 dtype_len, dtype   u32 rank, i64 dims[rank]
//                    u64 byte_count, bytes }
//   u32 crc32 of every byte before it
//
// Kinds and dtypes are spelled as in the info text. The checksum catches a
// damaged file before any of it is used.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_RUNTIME_CHECKPOINT_H
#define FQT_RUNTIME_CHECKPOINT_H

#include "fqt/Runtime/ModelInfo.h"
#include "fqt/Runtime/Tensor.h"

#include <cmath>
#include <string>
#include <string_view>
#include <vector>

namespace fqt::runtime {

struct Checkpoint {
  /// Epochs completed.
  int64_t epoch = 0;
  /// The global step counter of the next train_step.
  int64_t step = 0;
  /// SplitMix64 state after the last completed epoch's shuffle.
  uint64_t rngState = 0;
  int64_t seed = 0;
  /// --threads of the run that wrote it; 0 when not given.
  int64_t threads = 0;
  /// Mean train loss of the last completed epoch.
  double lastTrainLoss = NAN;

  struct Buffer {
    BufferKind kind;
    std::string name;
    Tensor value;
  };
  std::vector<Buffer> buffers;

  /// The buffer of KIND called NAME, or null.
  const Buffer *find(BufferKind kind, const std::string &name) const;
};

std::string encodeCheckpoint(const Checkpoint &checkpoint);
/// Throws Error(SOURCE, ...) when BYTES is not an intact checkpoint.
Checkpoint decodeCheckpoint(std::string_view bytes, const std::string &source);

void writeCheckpoint(const std::string &path, const Checkpoint &checkpoint);
Checkpoint readCheckpoint(const std::string &path);

} // namespace fqt::runtime

#endif // FQT_RUNTIME_CHECKPOINT_H
