//===- Batching.h - Seeded shuffling and fixed-size batches -----*- C++ -*-===//
//
// A compiled program has a static batch size B, so the runtime cuts the data
// into batches of exactly B rows: training drops the last partial batch (a
// padded row would bias the gradient), evaluation pads the last batch and
// counts only its valid rows.
//
// Shuffling uses its own generator (splitmix64) and Fisher-Yates with
// unbiased bounded draws, so that a seed gives the same order on every C
// library and platform, and the generator's whole state is one u64 that a
// checkpoint can store.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_RUNTIME_BATCHING_H
#define FQT_RUNTIME_BATCHING_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace fqt::runtime {

/// Steele, Lea and Flood's splitmix64: 64 bits of state, passes BigCrush.
class SplitMix64 {
public:
  explicit SplitMix64(uint64_t seed = 0) : state(seed) {}
  uint64_t next();
  /// Uniform in [0, bound), bound > 0, without modulo bias.
  uint64_t nextBelow(uint64_t bound);

  uint64_t getState() const { return state; }
  void setState(uint64_t newState) { state = newState; }

private:
  uint64_t state;
};

/// A uniformly random permutation of 0..n-1 (Fisher-Yates).
std::vector<int64_t> shuffledOrder(int64_t n, SplitMix64 &rng);

/// How N samples are cut into batches of B.
struct BatchPlan {
  int64_t numSamples;
  int64_t batchSize;
  /// True for evaluation: keep the last partial batch, padded.
  bool padLast;

  int64_t numBatches() const;
  /// Rows of batch I that are real samples (the rest is padding).
  int64_t validRows(int64_t batch) const;
  /// Index (into the sample order) of batch I's first row.
  int64_t firstRow(int64_t batch) const { return batch * batchSize; }
};

/// Fills a batch of BATCHSIZE rows of ROWBYTES each at DST with rows
/// ORDER[FIRST .. FIRST+VALID) of SRC (rows FIRST.. when ORDER is null).
/// Rows past VALID repeat the valid ones, so that padding looks like real
/// data to anything that computes statistics over the batch (quantizer
/// ranges); callers ignore the padded rows' results.
void gatherRows(const void *src, size_t rowBytes, const int64_t *order,
                int64_t first, int64_t valid, int64_t batchSize, void *dst);

} // namespace fqt::runtime

#endif // FQT_RUNTIME_BATCHING_H
