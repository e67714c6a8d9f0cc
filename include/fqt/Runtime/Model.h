/*===- Model.h - The C ABI of a compiled fqt training program -----*- C -*-===//
 *
 * `fqt-compile` turns an ONNX model into an object file that defines the
 * symbols below; the fqt runtime (lib/Runtime), the training executable's
 * `main`, the Python bindings and the tests all call the program through
 * them and nothing else.
 *
 * Every entry point takes one array of buffer pointers: first the function's
 * arguments, then its results, in the order `fqt_model_info()` lists them.
 * Each buffer is a dense row-major array of the listed element type and
 * shape, allocated by the caller (rank-0 buffers hold one scalar). Results
 * never alias arguments, so the caller can ping-pong parameter buffers.
 *
 * `fqt_model_info()` describes the program in a line-based text format:
 *
 *   fqt-model 1
 *   loss softmax-cross-entropy           (or mse)
 *   optimizer sgd lr=0.01                (the default learning rate)
 *   function train_step
 *   arg param fc1.weight f32 128x784     (KIND NAME TYPE SHAPE; "scalar" = rank
 * 0) arg state fc1.weight.momentum f32 128x784 arg input input f32 64x1x28x28
 *   arg label labels i64 64
 *   arg hyper lr f32 scalar
 *   arg hyper step i64 scalar
 *   arg hyper seed i64 scalar
 *   result loss loss f32 scalar
 *   result param fc1.weight f32 128x784
 *   result state fc1.weight.momentum f32 128x784
 *   end
 *   function eval_step ... end
 *   ...
 *
 * KIND is one of param, state, weight, input, label, hyper, workspace,
 * loss, sample_loss, output, grad (a result, or apply_update's argument). Names
 * are the ONNX names (initializers for param and grad). Besides optimizer
 * state, `state` holds the clipping factor of each lbt gradient quantizer (`arg
 * state /fc2/Gemm.dgrad.lbt_gamma f32 scalar`), which init returns as 0 (not
 * calibrated yet), train_step updates and grad_step reads; the runtime carries
 * and checkpoints it like any state. The running mean and variance of a
 * training-mode BatchNormalization are state too (named after their
 * initializers): train_step updates them and eval_step reads them, to normalize
 * as inference mode does.
 *
 * The functions:
 *   init        (weight...) -> (param..., state...)
 *                  initial values: params and running statistics copied
 *                  from the weights (`arg weight NAME TYPE SHAPE`, one per
 *                  param and running statistic), the rest zero
 *   train_step  (param..., state..., input..., label, lr, step, seed)
 *                  -> (loss, param'..., state'...)
 *   eval_step   (param..., [running statistics (state)...,] input..., label)
 *                  -> (sample_loss[B], output[B,K])
 *   grad_step   (param..., input..., label, step, seed) -> (loss, grad...)
 *   train_grad_step and apply_update (fqt-compile --distributed), in place
 *               of train_step: the same step in two halves, between which
 *               the runtime averages the gradients and running statistics
 *               of the processes of a data-parallel job
 *               train_grad_step (param..., state (running statistics,
 *                  lbt factors)..., input..., label, step, seed)
 *                  -> (loss, grad..., state'...)
 *               apply_update (param..., state (optimizer)..., grad..., lr,
 *                  step) -> (param'..., state'...)
 *   qat_grad_step  as grad_step, with exact (unquantized) gradients through
 *                  the quantized forward pass: the QAT reference
 *
 * A function may take one `arg workspace workspace i8 N`: N bytes of
 * scratch memory, 64-byte aligned, that it uses during the call (its
 * temporaries, placed by the compiler at fixed offsets) and that need not
 * be kept between calls. The caller allocates it once and may pass the same
 * buffer to every function, as long as no two calls run at the same time.
 *
 * A `quantizers act=Q weight=Q dgrad=Q wgrad=Q mode=M` line records the
 * quantization policy (absent when the program has none).
 *
 * The weights are data, not code: `fqt_weights(&size)` returns a blob in
 * the layout of WeightsFormat.h, its header naming every weight with its
 * type and place, followed by the data, or (a program compiled with
 * `fqt-compile --weights=external`) the header alone, whose data is in a
 * file beside the executable. The runtime passes init pointers into it.
 *
 * Optionally, the program embeds the ONNX model it was compiled from:
 * `fqt_model_onnx(&size)` returns its serialized ModelProto (size bytes), or
 * NULL. The training executable's `--save=trained.onnx` writes that model
 * back with the trained params in place of the initializers of the same
 * names. The symbol may be absent: the runtime's `main` (libfqt_runtime_main)
 * references it weakly, and `--save` then reports that there is no model.
 *
 *===----------------------------------------------------------------------===*/

#ifndef FQT_RUNTIME_MODEL_H
#define FQT_RUNTIME_MODEL_H

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*fqt_entry_fn)(void **buffers);

/* Defined by the object fqt-compile writes. */
const char *fqt_model_info(void);
void fqt_init(void **buffers);
void fqt_train_step(void **buffers);
void fqt_train_grad_step(void **buffers);
void fqt_apply_update(void **buffers);
void fqt_eval_step(void **buffers);
void fqt_grad_step(void **buffers);
/* Optional (see fqt_program.qat_grad_step). */
void fqt_qat_grad_step(void **buffers);
/* Optional (see above). */
const unsigned char *fqt_model_onnx(unsigned long *size);
/* The weights blob (see above). */
const unsigned char *fqt_weights(unsigned long *size);
/* The CPU flags the program's code needs, in Linux's names (/proc/cpuinfo),
 * separated by spaces: "avx2 fma avx512f avx512_vnni ...". The runtime
 * refuses to run on a CPU that lacks one. */
const char *fqt_cpu_features(void);

/* A compiled program as the runtime sees it. */
typedef struct fqt_program {
  const char *info;
  fqt_entry_fn init;
  fqt_entry_fn train_step;
  fqt_entry_fn eval_step;
  fqt_entry_fn grad_step;
  /* fqt_model_onnx, or NULL when the program embeds no model. Last, so that
   * initializers written before it existed still compile (it is then NULL). */
  const unsigned char *(*onnx)(unsigned long *size);
  /* fqt_qat_grad_step, or NULL: grad_step with the forward quantizers only
   * (the QAT gradient the FQT gradient estimates), for
   * --gradient-variance. */
  fqt_entry_fn qat_grad_step;
  /* fqt_weights, or NULL for a program whose init takes no weights. */
  const unsigned char *(*weights)(unsigned long *size);
  /* fqt_cpu_features, or NULL: nothing to check. */
  const char *(*cpu_features)(void);
  /* fqt_train_grad_step and fqt_apply_update, or NULL: a program compiled
   * with fqt-compile --distributed has them and no train_step. */
  fqt_entry_fn train_grad_step;
  fqt_entry_fn apply_update;
} fqt_program;

/* The training executable's main: parses the command line, trains, prints
 * the `final ...` line. Returns the process exit status. */
int fqt_train_main(int argc, char **argv, const fqt_program *program);

#ifdef __cplusplus
}
#endif

#endif /* FQT_RUNTIME_MODEL_H */
