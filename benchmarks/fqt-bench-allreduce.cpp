//===- fqt-bench-allreduce.cpp - The gradient all-reduce under MPI --------===//
//
//   mpirun -np N fqt-bench-allreduce [--values=V] [--repeats=R] [--threads=T]
//
// Times GradientAllreduce (the all-reduce of a data-parallel training step)
// of one gradient of V floats (default 11,689,512: ResNet-18's parameters)
// in each mode, R times after one warm-up, and prints per mode the bytes
// each rank sent and the mean time: the cost a training step pays on this
// transport (shared memory when the ranks share a machine). Also the time of
// the local work alone (the rounding, packing and decoding of the quantized
// modes): a run of one rank against itself, through a loop-back
// communicator, which the network model of docs/distributed.md takes. The
// local work runs on T threads (default 1).
//
//===----------------------------------------------------------------------===//

#include "fqt/Runtime/Error.h"
#include "fqt/Runtime/GradientAllreduce.h"
#include "fqt/Runtime/MpiCommunicator.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace fqt::runtime;

namespace {

/// Rank 0 of 2 whose partner answers every message with zeros of the size
/// it expects: all of an all-reduce's local work, none of its transport.
class LoopBack final : public Communicator {
public:
  int getRank() const override { return 0; }
  int getSize() const override { return 2; }
  std::string getName() const override { return "loop-back"; }

protected:
  void sendRecv(const void *, size_t, int, void *recv, size_t recvBytes,
                int) override {
    std::memset(recv, 0, recvBytes);
  }
};

double timeRuns(Communicator &comm, AllreduceMode mode, size_t values,
                int repeats, int threads, bool barrier) {
  std::vector<float> grad(values);
  for (size_t i = 0; i < values; ++i)
    grad[i] = std::sin(0.001f * float(i) + float(comm.getRank()));
  std::vector<float *> grads = {grad.data()};
  GradientAllreduce allreduce(comm, mode, {values}, threads);
  allreduce.run(grads, 1, 0);
  if (barrier)
    MPI_Barrier(MPI_COMM_WORLD);
  auto begin = std::chrono::steady_clock::now();
  for (int r = 0; r < repeats; ++r)
    allreduce.run(grads, 1, static_cast<uint64_t>(r + 1));
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin)
          .count();
  if (barrier) // the slowest rank's time
    MPI_Allreduce(MPI_IN_PLACE, &seconds, 1, MPI_DOUBLE, MPI_MAX,
                  MPI_COMM_WORLD);
  return seconds / repeats;
}

} // namespace

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  size_t values = 11689512;
  int repeats = 5, threads = 1;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--values=", 0) == 0)
      values = std::strtoull(arg.c_str() + 9, nullptr, 10);
    else if (arg.rfind("--repeats=", 0) == 0)
      repeats = std::atoi(arg.c_str() + 10);
    else if (arg.rfind("--threads=", 0) == 0)
      threads = std::atoi(arg.c_str() + 10);
    else {
      std::fprintf(stderr,
                   "usage: mpirun -np N %s [--values=V] "
                   "[--repeats=R] [--threads=T]\n",
                   argv[0]);
      MPI_Finalize();
      return 1;
    }
  }
  try {
    MpiCommunicator comm(MPI_COMM_WORLD);
    if (comm.getRank() == 0)
      std::printf("values=%zu ranks=%d repeats=%d threads=%d\n", values,
                  comm.getSize(), repeats, threads);
    for (AllreduceMode mode :
         {AllreduceMode::F32, AllreduceMode::Int8, AllreduceMode::Int4}) {
      uint64_t before = comm.getBytesSent();
      double seconds = timeRuns(comm, mode, values, repeats, threads, true);
      uint64_t bytes = (comm.getBytesSent() - before) / (repeats + 1);
      double local = 0;
      if (comm.getRank() == 0) {
        LoopBack loopBack;
        local = timeRuns(loopBack, mode, values, repeats, threads, false);
      }
      if (comm.getRank() == 0)
        std::printf("allreduce=%s bytes_per_rank=%llu ms=%.2f "
                    "local_ns_per_value=%.2f\n",
                    allreduceModeName(mode),
                    static_cast<unsigned long long>(bytes), 1000 * seconds,
                    1e9 * local / static_cast<double>(values));
    }
  } catch (const Error &error) {
    std::fprintf(stderr, "fqt-bench-allreduce: error: %s\n",
                 error.message().c_str());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Finalize();
  return 0;
}
