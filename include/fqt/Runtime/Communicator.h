//===- Communicator.h - The processes of a data-parallel job ----*- C++ -*-===//
//
// A data-parallel training job is N processes (ranks) that each train on
// their share of every global batch and exchange gradients between the two
// halves of the step. Communicator is the one primitive they need from the
// transport, a simultaneous send and receive between two ranks (MPI's
// Sendrecv); the collectives below build the rest on it in a fixed order,
// so that their results are the same on every rank and, for a given N, from
// run to run. Implementations: SingleProcess (N = 1), the MPI one of
// libfqt_runtime_mpi, and the unit tests' threads.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_RUNTIME_COMMUNICATOR_H
#define FQT_RUNTIME_COMMUNICATOR_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace fqt::runtime {

class Communicator {
public:
  virtual ~Communicator() = default;
  virtual int getRank() const = 0;
  virtual int getSize() const = 0;
  /// What the transport is, for messages ("mpi", "single process").
  virtual std::string getName() const = 0;

  /// Sends SENDBYTES bytes of SEND to rank TO while receiving RECVBYTES
  /// bytes from rank FROM into RECV (which the caller knows the size of):
  /// both at once, so that a ring of them cannot deadlock. Throws Error on
  /// a transport failure.
  void exchange(const void *send, size_t sendBytes, int to, void *recv,
                size_t recvBytes, int from) {
    bytesSent += sendBytes;
    sendRecv(send, sendBytes, to, recv, recvBytes, from);
  }

  /// The bytes this rank has sent since it was created.
  uint64_t getBytesSent() const { return bytesSent; }

protected:
  virtual void sendRecv(const void *send, size_t sendBytes, int to, void *recv,
                        size_t recvBytes, int from) = 0;

private:
  uint64_t bytesSent = 0;
};

/// N = 1: nothing to exchange.
class SingleProcess final : public Communicator {
public:
  int getRank() const override { return 0; }
  int getSize() const override { return 1; }
  std::string getName() const override { return "single process"; }

protected:
  void sendRecv(const void *, size_t, int, void *, size_t, int) override;
};

//===----------------------------------------------------------------------===//
// Collectives, in a fixed order (a ring: rank r sends to r + 1 and receives
// from r - 1). The element ranges of the ring's chunks, and so the order of
// every floating-point sum, depend only on N and the length.
//===----------------------------------------------------------------------===//

/// DATA[i] = sum over ranks of DATA[i] (reduce-scatter, then all-gather).
/// Every rank ends with the same bits: each chunk is summed once, by one
/// rank, in ring order, and copied to the others.
void allreduceSum(Communicator &comm, float *data, size_t n);
void allreduceSum(Communicator &comm, double *data, size_t n);
/// DATA[i] = max over ranks of DATA[i].
void allreduceMax(Communicator &comm, float *data, size_t n);
/// Every rank's VALUE, in rank order.
std::vector<uint64_t> allgather(Communicator &comm, uint64_t value);
/// The first rank whose VALUE differs from rank 0's, or -1 when all agree
/// (the same answer on every rank).
int firstRankDiffering(Communicator &comm, uint64_t value);

/// Rank R's share [begin, end) of N items split into SIZE contiguous chunks
/// (the first N % SIZE chunks one item longer).
std::pair<size_t, size_t> chunkOf(size_t n, int size, int r);

} // namespace fqt::runtime

#endif // FQT_RUNTIME_COMMUNICATOR_H
