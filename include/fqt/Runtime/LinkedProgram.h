/*===- LinkedProgram.h - The program an executable was linked with -*- C
 * -*-===//
 *
 * The fqt_program of the symbols a compiled program defines (Model.h), for
 * the main() of a training executable: libfqt_runtime_main's, and the MPI
 * runtime's. Include it in one C file of the executable only.
 *
 *===----------------------------------------------------------------------===*/

#ifndef FQT_RUNTIME_LINKEDPROGRAM_H
#define FQT_RUNTIME_LINKEDPROGRAM_H

#include "fqt/Runtime/Model.h"

/* Optional: a program compiled without its ONNX model, or without some of
 * the step functions (fqt-compile --entry-points; --distributed builds
 * train_grad_step and apply_update in place of train_step), leaves them
 * undefined, and the weak references resolve to NULL. */
#pragma weak fqt_model_onnx
#pragma weak fqt_train_step
#pragma weak fqt_eval_step
#pragma weak fqt_grad_step
#pragma weak fqt_qat_grad_step
#pragma weak fqt_weights
#pragma weak fqt_cpu_features
#pragma weak fqt_train_grad_step
#pragma weak fqt_apply_update

/* The address of a weak symbol the program does not define is NULL: the
 * fields of what it lacks are NULL. */
static fqt_program fqt_linked_program(void) {
  fqt_program program = {.info = fqt_model_info(),
                         .init = fqt_init,
                         .train_step = fqt_train_step,
                         .eval_step = fqt_eval_step,
                         .grad_step = fqt_grad_step,
                         .onnx = fqt_model_onnx,
                         .qat_grad_step = fqt_qat_grad_step,
                         .weights = fqt_weights,
                         .cpu_features = fqt_cpu_features,
                         .train_grad_step = fqt_train_grad_step,
                         .apply_update = fqt_apply_update};
  return program;
}

#endif /* FQT_RUNTIME_LINKEDPROGRAM_H */
