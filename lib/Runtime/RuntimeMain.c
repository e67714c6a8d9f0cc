/*===- RuntimeMain.c - main() of a compiled training executable -----------===//
 *
 * libfqt_runtime_main: links against the symbols a compiled program defines
 * (Model.h) and hands them to fqt_train_main. In C so that linking it adds
 * nothing but this function.
 *
 *===----------------------------------------------------------------------===*/

#include "fqt/Runtime/LinkedProgram.h"

int main(int argc, char **argv) {
  fqt_program program = fqt_linked_program();
  return fqt_train_main(argc, argv, &program);
}
