//===- Communicator.cpp - Collectives over a ring of exchanges ------------===//

#include "fqt/Runtime/Communicator.h"
#include "fqt/Runtime/Error.h"

#include <algorithm>
#include <cstring>

namespace fqt::runtime {

void SingleProcess::sendRecv(const void *, size_t, int, void *, size_t, int) {
  throw Error("communicator", "a single process has no other rank to "
                              "exchange data with");
}

std::pair<size_t, size_t> chunkOf(size_t n, int size, int r) {
  size_t base = n / size, extra = n % size, ur = static_cast<size_t>(r);
  size_t begin = ur * base + std::min(ur, extra);
  return {begin, begin + base + (ur < extra ? 1 : 0)};
}

static int wrap(int r, int size) { return ((r % size) + size) % size; }

/// The ring all-reduce: N - 1 steps of reduce-scatter, after which rank r
/// holds the whole reduction of chunk r + 1 (summed in the order c, c + 1,
/// ..., c - 1 of the ranks), then N - 1 steps of all-gather that pass the
/// reduced chunks on. Each rank sends 2 (N - 1) / N of the data.
template <typename T, typename Combine>
static void ringAllreduce(Communicator &comm, T *data, size_t n,
                          Combine combine) {
  int size = comm.getSize(), rank = comm.getRank();
  if (size == 1 || n == 0)
    return;
  int next = wrap(rank + 1, size), prev = wrap(rank - 1, size);
  std::vector<T> received(n / size + 1);
  for (int s = 0; s < size - 1; ++s) {
    auto [sendBegin, sendEnd] = chunkOf(n, size, wrap(rank - s, size));
    auto [recvBegin, recvEnd] = chunkOf(n, size, wrap(rank - s - 1, size));
    comm.exchange(data + sendBegin, (sendEnd - sendBegin) * sizeof(T), next,
                  received.data(), (recvEnd - recvBegin) * sizeof(T), prev);
    for (size_t i = 0; i < recvEnd - recvBegin; ++i)
      data[recvBegin + i] = combine(received[i], data[recvBegin + i]);
  }
  for (int s = 0; s < size - 1; ++s) {
    auto [sendBegin, sendEnd] = chunkOf(n, size, wrap(rank + 1 - s, size));
    auto [recvBegin, recvEnd] = chunkOf(n, size, wrap(rank - s, size));
    comm.exchange(data + sendBegin, (sendEnd - sendBegin) * sizeof(T), next,
                  data + recvBegin, (recvEnd - recvBegin) * sizeof(T), prev);
  }
}

void allreduceSum(Communicator &comm, float *data, size_t n) {
  ringAllreduce(comm, data, n, [](float a, float b) { return a + b; });
}

void allreduceSum(Communicator &comm, double *data, size_t n) {
  ringAllreduce(comm, data, n, [](double a, double b) { return a + b; });
}

void allreduceMax(Communicator &comm, float *data, size_t n) {
  // A NaN wins, so that every rank sees it.
  ringAllreduce(comm, data, n, [](float a, float b) {
    return a != a || b != b ? a + b : std::max(a, b);
  });
}

std::vector<uint64_t> allgather(Communicator &comm, uint64_t value) {
  int size = comm.getSize(), rank = comm.getRank();
  std::vector<uint64_t> values(static_cast<size_t>(size));
  values[rank] = value;
  int next = wrap(rank + 1, size), prev = wrap(rank - 1, size);
  for (int s = 0; s < size - 1; ++s)
    comm.exchange(&values[wrap(rank - s, size)], sizeof(uint64_t), next,
                  &values[wrap(rank - s - 1, size)], sizeof(uint64_t), prev);
  return values;
}

int firstRankDiffering(Communicator &comm, uint64_t value) {
  std::vector<uint64_t> values = allgather(comm, value);
  for (size_t r = 1; r < values.size(); ++r)
    if (values[r] != values[0])
      return static_cast<int>(r);
  return -1;
}

} // namespace fqt::runtime
