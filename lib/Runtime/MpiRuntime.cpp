//===- MpiRuntime.cpp - Data-parallel training over MPI -------------------===//
//
// libfqt_runtime_mpi: the training executable of a program compiled with
// fqt-compile --distributed=mpi. Started by `mpirun -np N ./train ...`, each
// process is one rank of the job and exchanges through MPI_Sendrecv on
// MPI_COMM_WORLD; started alone, it is a job of one rank (MPI's singleton
// start).
//
// A rank that fails calls MPI_Abort, which ends every rank of the job: the
// others would otherwise wait forever for its next message. A rank that is
// killed is the launcher's to notice; OpenMPI's mpirun then ends the job.
//
//===----------------------------------------------------------------------===//

#include "fqt/Runtime/Error.h"
#include "fqt/Runtime/MpiCommunicator.h"
#include "fqt/Runtime/TrainMain.h"

#include <algorithm>
#include <cstdio>

namespace fqt::runtime {

MpiCommunicator::MpiCommunicator(MPI_Comm comm) : comm(comm) {
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
}

void MpiCommunicator::sendRecv(const void *send, size_t sendBytes, int to,
                               void *recv, size_t recvBytes, int from) {
  // MPI counts in int: messages go in pieces of at most 1 GiB, as many on
  // both sides as the larger of the two needs.
  constexpr size_t piece = size_t(1) << 30;
  size_t pieces =
      std::max<size_t>(1, (std::max(sendBytes, recvBytes) + piece - 1) / piece);
  for (size_t i = 0; i < pieces; ++i) {
    size_t sendOffset = std::min(sendBytes, i * piece);
    size_t recvOffset = std::min(recvBytes, i * piece);
    int sendCount = static_cast<int>(std::min(piece, sendBytes - sendOffset));
    int recvCount = static_cast<int>(std::min(piece, recvBytes - recvOffset));
    MPI_Status status;
    int rc = MPI_Sendrecv(static_cast<const char *>(send) + sendOffset,
                          sendCount, MPI_BYTE, to, /*sendtag=*/0,
                          static_cast<char *>(recv) + recvOffset, recvCount,
                          MPI_BYTE, from, /*recvtag=*/0, comm, &status);
    if (rc != MPI_SUCCESS) {
      char text[MPI_MAX_ERROR_STRING];
      int length = 0;
      MPI_Error_string(rc, text, &length);
      throw Error("mpi", "MPI_Sendrecv with rank " + std::to_string(to) +
                             " and " + std::to_string(from) +
                             " failed: " + std::string(text, length));
    }
  }
}

} // namespace fqt::runtime

using namespace fqt::runtime;

extern "C" int fqt_train_main_mpi(int argc, char **argv,
                                  const fqt_program *program) {
  if (MPI_Init(&argc, &argv) != MPI_SUCCESS) {
    std::fprintf(stderr, "fqt: error: mpi: MPI_Init failed\n");
    return 1;
  }
  // Errors come back as codes (and become Error), not as MPI's abort.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  int status;
  {
    MpiCommunicator comm(MPI_COMM_WORLD);
    bool everyRankFailed = false;
    status = trainMain(argc, argv, program, comm, &everyRankFailed);
    if (status != 0 && comm.getSize() > 1 && !everyRankFailed) {
      std::fflush(stdout);
      std::fflush(stderr);
      MPI_Abort(MPI_COMM_WORLD, status);
    }
  }
  MPI_Finalize();
  return status;
}
