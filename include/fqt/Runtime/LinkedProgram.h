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

#include <stddef.h>

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

static fqt_program fqt_linked_program(void) {
  fqt_program program = {fqt_model_info(),
                         fqt_init,
                         NULL,
                         NULL,
                         NULL,
                         NULL,
                         NULL,
                         NULL,
                         NULL,
                         NULL,
                         NULL};
  if (fqt_train_step)
    program.train_step = fqt_train_step;
  if (fqt_eval_step)
    program.eval_step = fqt_eval_step;
  if (fqt_grad_step)
    program.grad_step = fqt_grad_step;
  if (fqt_model_onnx)
    program.onnx = fqt_model_onnx;
  if (fqt_qat_grad_step)
    program.qat_grad_step = fqt_qat_grad_step;
  if (fqt_weights)
    program.weights = fqt_weights;
  if (fqt_cpu_features)
    program.cpu_features = fqt_cpu_features;
  if (fqt_train_grad_step)
    program.train_grad_step = fqt_train_grad_step;
  if (fqt_apply_update)
    program.apply_update = fqt_apply_update;
  return program;
}

#endif /* FQT_RUNTIME_LINKEDPROGRAM_H */
