//===- Batching.cpp - Seeded shuffling and fixed-size batches -------------===//

#include "fqt/Runtime/Batching.h"

#include <cassert>
#include <cstring>
#include <numeric>
#include <utility>

namespace fqt::runtime {

uint64_t SplitMix64::next() {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t SplitMix64::nextBelow(uint64_t bound) {
  assert(bound > 0 && "empty range");
  // Reject the lowest (2^64 mod bound) values so that every residue is
  // equally likely.
  uint64_t threshold = (0 - bound) % bound;
  uint64_t r;
  do
    r = next();
  while (r < threshold);
  return r % bound;
}

std::vector<int64_t> shuffledOrder(int64_t n, SplitMix64 &rng) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  for (int64_t i = n - 1; i > 0; --i) {
    int64_t j =
        static_cast<int64_t>(rng.nextBelow(static_cast<uint64_t>(i) + 1));
    std::swap(order[i], order[j]);
  }
  return order;
}

int64_t BatchPlan::numBatches() const {
  if (padLast)
    return (numSamples + batchSize - 1) / batchSize;
  return numSamples / batchSize;
}

int64_t BatchPlan::validRows(int64_t batch) const {
  int64_t left = numSamples - firstRow(batch);
  return left < batchSize ? left : batchSize;
}

void gatherRows(const void *src, size_t rowBytes, const int64_t *order,
                int64_t first, int64_t valid, int64_t batchSize, void *dst) {
  assert(valid > 0 && valid <= batchSize && "batch without samples");
  const char *from = static_cast<const char *>(src);
  char *to = static_cast<char *>(dst);
  for (int64_t row = 0; row < batchSize; ++row) {
    int64_t index = first + row % valid;
    int64_t sample = order ? order[index] : index;
    std::memcpy(to + row * rowBytes, from + sample * rowBytes, rowBytes);
  }
}

} // namespace fqt::runtime
