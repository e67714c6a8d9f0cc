//===- Checkpoint.h - Resumable training state ------------------*- C++ -*-===//
//
// A checkpoint holds everything needed to continue a run as if it had not
// stopped: the epochs completed, the batches done in the current epoch and
// their loss sum, the global step counter (the stochastic-rounding counter),
// the shuffling generator's state before the current epoch's shuffle, the
// seed, and every param and state buffer (optimizer state included) by kind
// and name. The file format (little-endian):
//
//   "FQTCKPT\0"  u32 version (2; version 1 lacks the three v2 fields and
//                 is read as an epoch-end checkpoint)
//   i64 epoch  i64 step  u64 rng_state  i64 seed  i64 threads
//   f64 last_train_loss
//   v2: i64 batch_in_epoch  f64 epoch_loss_sum  i64 train_samples
//   u32 buffer_count
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
  /// SplitMix64 state before the shuffle of epoch `epoch` (the one in
  /// progress, or the next one at an epoch end).
  uint64_t rngState = 0;
  int64_t seed = 0;
  /// --threads of the run that wrote it; 0 when not given.
  int64_t threads = 0;
  /// Mean train loss of the last completed epoch.
  double lastTrainLoss = NAN;
  /// Batches of epoch `epoch` already trained (0 at an epoch end).
  int64_t batchInEpoch = 0;
  /// Sum of those batches' losses (the epoch's mean train loss continues).
  double epochLossSum = 0;
  /// Training samples of the run (the batches of an epoch depend on it);
  /// 0 when unknown (version 1).
  int64_t trainSamples = 0;
  /// The ranks of the job that wrote it (its global batches and roundings
  /// depend on them); 0 when unknown (versions 1 and 2).
  int64_t ranks = 0;

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
