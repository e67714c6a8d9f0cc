/*===- RuntimeMain.c - main() of a compiled training executable -----------===//
 *
 * libfqt_runtime_main: links against the symbols a compiled program defines
 * (Model.h) and hands them to fqt_train_main. In C so that linking it adds
 * nothing but this function.
 *
 *===----------------------------------------------------------------------===*/

#include "fqt/Runtime/Model.h"

#include <stddef.h>

/* Optional: a program compiled without its ONNX model, or without some of
 * the step functions (fqt-compile --entry-points), leaves them undefined,
 * and the weak references resolve to NULL. */
#pragma weak fqt_model_onnx
#pragma weak fqt_eval_step
#pragma weak fqt_grad_step
#pragma weak fqt_qat_grad_step
#pragma weak fqt_weights
#pragma weak fqt_cpu_features

int main(int argc, char **argv) {
  fqt_program program = {fqt_model_info(),
                         fqt_init,
                         fqt_train_step,
                         NULL,
                         NULL,
                         NULL,
                         NULL,
                         NULL,
                         NULL};
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
  return fqt_train_main(argc, argv, &program);
}
