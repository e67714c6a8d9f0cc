//===- TrainMain.h - The training executable's driver -----------*- C++ -*-===//
//
// fqt_train_main (Model.h) trains in one process. trainMain is the same
// driver as one rank of a data-parallel job: the MPI runtime's main calls it
// with its communicator.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_RUNTIME_TRAINMAIN_H
#define FQT_RUNTIME_TRAINMAIN_H

#include "fqt/Runtime/Communicator.h"
#include "fqt/Runtime/Model.h"

namespace fqt::runtime {

/// Parses the command line, trains as rank comm.getRank() of
/// comm.getSize(), and prints (rank 0) the `final ...` line. Returns the
/// exit status; an error is printed as `fqt: error: [rank R: ]...`, or
/// once, by rank 0, when every rank found it (a failed check of the job);
/// EVERYRANKFAILED then says so, and the ranks can end without aborting
/// each other.
int trainMain(int argc, char **argv, const fqt_program *program,
              Communicator &comm, bool *everyRankFailed = nullptr);

} // namespace fqt::runtime

#endif // FQT_RUNTIME_TRAINMAIN_H
