/*===- softmax_regression.c - A hand-written program of the Model.h ABI ---===//
 *
 * What fqt-compile would produce for a softmax regression (784 -> 10, batch
 * 100, SGD), written by hand, so that the training driver is tested without
 * the compiler. Gradients are exact (double accumulation), so a numpy
 * reference can check --dump-gradients tightly.
 *
 * It also checks the runtime's side of the contract and exits 3 with a
 * message when it is broken: the `step` hyper must equal the number of
 * train steps this state has seen (so a resumed run must continue the
 * counter), results must not alias arguments, and lr must be positive.
 *
 * fqt_model_onnx returns the bytes of the file named by the environment
 * variable FQT_FAKE_MODEL_ONNX (a test writes a matching ONNX model there),
 * or NULL when it is unset: both --save paths can be tested.
 *
 *===----------------------------------------------------------------------===*/

#include "fqt/Runtime/Model.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { B = 100, D = 784, K = 10 };

/* The name with '/' exercises --dump-gradients' file naming; the input's
 * 1x28x28 per-sample shape, reshaping the dataset's images. */
const char *fqt_model_info(void) {
  return "fqt-model 1\n"
         "loss softmax_cross_entropy\n"
         "optimizer sgd lr=0.1\n"
         "function init\n"
         "result param fc/weight f32 10x784\n"
         "result param fc.bias f32 10\n"
         "result state steps_seen i64 scalar\n"
         "end\n"
         "function train_step\n"
         "arg param fc/weight f32 10x784\n"
         "arg param fc.bias f32 10\n"
         "arg state steps_seen i64 scalar\n"
         "arg input image f32 100x1x28x28\n"
         "arg label label i64 100\n"
         "arg hyper lr f32 scalar\n"
         "arg hyper step i64 scalar\n"
         "arg hyper seed i64 scalar\n"
         "result loss loss f32 scalar\n"
         "result param fc/weight f32 10x784\n"
         "result param fc.bias f32 10\n"
         "result state steps_seen i64 scalar\n"
         "end\n"
         "function eval_step\n"
         "arg param fc/weight f32 10x784\n"
         "arg param fc.bias f32 10\n"
         "arg input image f32 100x1x28x28\n"
         "arg label label i64 100\n"
         "result sample_loss sample_loss f32 100\n"
         "result output logits f32 100x10\n"
         "end\n"
         "function grad_step\n"
         "arg param fc/weight f32 10x784\n"
         "arg param fc.bias f32 10\n"
         "arg input image f32 100x1x28x28\n"
         "arg label label i64 100\n"
         "arg hyper step i64 scalar\n"
         "arg hyper seed i64 scalar\n"
         "result loss loss f32 scalar\n"
         "result grad fc/weight f32 10x784\n"
         "result grad fc.bias f32 10\n"
         "end\n";
}

static void fail(const char *what) {
  fprintf(stderr, "fake model: %s\n", what);
  exit(3);
}

void fqt_init(void **buffers) {
  float *w = buffers[0], *b = buffers[1];
  int64_t *steps = buffers[2];
  /* Small exact values a numpy test can reproduce. */
  for (int k = 0; k < K; ++k) {
    for (int i = 0; i < D; ++i)
      w[k * D + i] = (float)((k * 31 + i * 17) % 101 - 50) * 1e-4f;
    b[k] = (float)(k - 5) * 1e-3f;
  }
  *steps = 0;
}

/* Per-sample loss and the gradient of the batch-mean loss w.r.t. the
 * logits (dlogits, B x K) of softmax cross-entropy. */
static void forward(const float *w, const float *b, const float *x,
                    const int64_t *y, float *logitsOut, float *lossOut,
                    double *dlogits) {
  for (int n = 0; n < B; ++n) {
    double logits[K], max = -INFINITY, sum = 0;
    for (int k = 0; k < K; ++k) {
      double z = b[k];
      for (int i = 0; i < D; ++i)
        z += (double)w[k * D + i] * x[n * D + i];
      logits[k] = z;
      if (z > max)
        max = z;
    }
    for (int k = 0; k < K; ++k)
      sum += exp(logits[k] - max);
    double logSum = max + log(sum);
    if (y[n] < 0 || y[n] >= K)
      fail("label out of range");
    if (lossOut)
      lossOut[n] = (float)(logSum - logits[y[n]]);
    for (int k = 0; k < K; ++k) {
      if (logitsOut)
        logitsOut[n * K + k] = (float)logits[k];
      if (dlogits)
        dlogits[n * K + k] =
            (exp(logits[k] - logSum) - (k == y[n] ? 1.0 : 0.0)) / B;
    }
  }
}

static void gradients(const float *x, const double *dlogits, double *dw,
                      double *db) {
  for (int k = 0; k < K; ++k) {
    db[k] = 0;
    for (int i = 0; i < D; ++i)
      dw[k * D + i] = 0;
  }
  for (int n = 0; n < B; ++n)
    for (int k = 0; k < K; ++k) {
      double g = dlogits[n * K + k];
      db[k] += g;
      for (int i = 0; i < D; ++i)
        dw[k * D + i] += g * x[n * D + i];
    }
}

static float meanLoss(const float *sampleLoss) {
  double sum = 0;
  for (int n = 0; n < B; ++n)
    sum += sampleLoss[n];
  return (float)(sum / B);
}

void fqt_train_step(void **buffers) {
  const float *w = buffers[0], *b = buffers[1];
  const int64_t *steps = buffers[2];
  const float *x = buffers[3];
  const int64_t *y = buffers[4];
  float lr = *(const float *)buffers[5];
  int64_t step = *(const int64_t *)buffers[6];
  float *loss = buffers[8], *wOut = buffers[9], *bOut = buffers[10];
  int64_t *stepsOut = buffers[11];

  for (int i = 0; i < 3; ++i)
    if (buffers[9 + i] == buffers[i])
      fail("a result aliases its argument");
  if (step != *steps) {
    fprintf(stderr,
            "fake model: step hyper %lld, but this state has seen "
            "%lld steps\n",
            (long long)step, (long long)*steps);
    exit(3);
  }
  if (!(lr > 0))
    fail("lr is not positive");

  static float sampleLoss[B];
  static double dlogits[B * K], dw[K * D], db[K];
  forward(w, b, x, y, NULL, sampleLoss, dlogits);
  gradients(x, dlogits, dw, db);
  for (int k = 0; k < K; ++k) {
    for (int i = 0; i < D; ++i)
      wOut[k * D + i] = (float)(w[k * D + i] - lr * dw[k * D + i]);
    bOut[k] = (float)(b[k] - lr * db[k]);
  }
  *stepsOut = *steps + 1;
  *loss = meanLoss(sampleLoss);
}

void fqt_eval_step(void **buffers) {
  forward(buffers[0], buffers[1], buffers[2], buffers[3], buffers[5],
          buffers[4], NULL);
}

void fqt_grad_step(void **buffers) {
  const float *x = buffers[2];
  float *loss = buffers[6], *gw = buffers[7], *gb = buffers[8];
  static float sampleLoss[B];
  static double dlogits[B * K], dw[K * D], db[K];
  forward(buffers[0], buffers[1], x, buffers[3], NULL, sampleLoss, dlogits);
  gradients(x, dlogits, dw, db);
  for (int i = 0; i < K * D; ++i)
    gw[i] = (float)dw[i];
  for (int k = 0; k < K; ++k)
    gb[k] = (float)db[k];
  *loss = meanLoss(sampleLoss);
}

const unsigned char *fqt_model_onnx(unsigned long *size) {
  static unsigned char *bytes;
  static unsigned long length;
  const char *path = getenv("FQT_FAKE_MODEL_ONNX");
  if (!path || !*path)
    return NULL;
  if (!bytes) {
    FILE *file = fopen(path, "rb");
    if (!file)
      fail("cannot open $FQT_FAKE_MODEL_ONNX");
    fseek(file, 0, SEEK_END);
    length = (unsigned long)ftell(file);
    fseek(file, 0, SEEK_SET);
    bytes = malloc(length ? length : 1);
    if (!bytes || fread(bytes, 1, length, file) != length)
      fail("cannot read $FQT_FAKE_MODEL_ONNX");
    fclose(file);
  }
  *size = length;
  return bytes;
}
