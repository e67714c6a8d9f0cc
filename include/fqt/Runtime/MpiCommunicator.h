//===- MpiCommunicator.h - A data-parallel job over MPI ---------*- C++ -*-===//
//
// The Communicator of libfqt_runtime_mpi: the ranks of an MPI communicator
// (MPI_COMM_WORLD for a training executable started by mpirun), exchanging
// through MPI_Sendrecv. Only code built against MPI includes this header.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_RUNTIME_MPICOMMUNICATOR_H
#define FQT_RUNTIME_MPICOMMUNICATOR_H

#include "fqt/Runtime/Communicator.h"

// MPI's C API only: OpenMPI's and MPICH's mpi.h otherwise declare their
// (deprecated) C++ bindings, whose library a C link does not name.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

namespace fqt::runtime {

class MpiCommunicator final : public Communicator {
public:
  /// COMM must have MPI_ERRORS_RETURN as its error handler: a failed
  /// exchange then throws Error instead of ending the process.
  explicit MpiCommunicator(MPI_Comm comm);
  int getRank() const override { return rank; }
  int getSize() const override { return size; }
  std::string getName() const override { return "mpi"; }

protected:
  void sendRecv(const void *send, size_t sendBytes, int to, void *recv,
                size_t recvBytes, int from) override;

private:
  MPI_Comm comm;
  int rank = 0, size = 1;
};

} // namespace fqt::runtime

#endif // FQT_RUNTIME_MPICOMMUNICATOR_H
