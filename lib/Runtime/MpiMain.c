/*===- MpiMain.c - main() of a data-parallel training executable ---------===//
 *
 * libfqt_runtime_mpi's main: hands the compiled program's symbols to
 * fqt_train_main_mpi (MpiRuntime.cpp), which runs it as one rank of an MPI
 * job.
 *
 *===----------------------------------------------------------------------===*/

#include "fqt/Runtime/LinkedProgram.h"

int fqt_train_main_mpi(int argc, char **argv, const fqt_program *program);

int main(int argc, char **argv) {
  fqt_program program = fqt_linked_program();
  return fqt_train_main_mpi(argc, argv, &program);
}
