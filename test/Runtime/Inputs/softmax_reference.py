"""numpy reference of Inputs/softmax_regression.c for --dump-gradients.

  make DIR       writes DIR/x.npy (100x1x28x28 f32) and DIR/y.npy (100 i64),
                 plus variants the error tests feed
  check DIR OUT  compares OUT/loss.npy and OUT/<grad>.npy with numpy's
                 gradient of the softmax regression at the fake model's
                 initial weights (tolerance 1e-5)
  steps DIR LR LOG
                 compares the lines step=K train_loss=L of LOG (the
                 output of --batch-steps) with numpy's SGD at rate LR on
                 the batch of DIR (tolerance 1e-5 relative)
"""
import os
import sys

import numpy as np

B, D, K = 100, 784, 10


def initial_weights():
    # fqt_init of softmax_regression.c, in the same f32 arithmetic.
    k = np.arange(K)[:, None]
    i = np.arange(D)[None, :]
    w = ((k * 31 + i * 17) % 101 - 50).astype(np.float32) * np.float32(1e-4)
    b = (np.arange(K) - 5).astype(np.float32) * np.float32(1e-3)
    return w, b


def make(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(B, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, K, size=B).astype(np.int64)
    np.save(os.path.join(out, "x.npy"), x)
    np.save(os.path.join(out, "y.npy"), y)
    # f64 inputs are narrowed to f32; i32 labels widened.
    np.save(os.path.join(out, "x64.npy"), x.astype(np.float64).reshape(B, D))
    np.save(os.path.join(out, "y32.npy"), y.astype(np.int32))
    # Wrong: half a batch, Fortran order, an unsupported dtype, a bad label.
    np.save(os.path.join(out, "x-half.npy"), x[:50])
    np.save(os.path.join(out, "x-fortran.npy"), np.asfortranarray(x.reshape(B, D)))
    np.save(os.path.join(out, "x-f16.npy"), x.astype(np.float16))
    bad = y.copy()
    bad[7] = 12
    np.save(os.path.join(out, "y-bad.npy"), bad)
    with open(os.path.join(out, "garbage.npy"), "wb") as f:
        f.write(b"this is not a numpy file")


def loss_and_gradients(x, y, w, b):
    logits = x @ w.astype(np.float64).T + b
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(B), y]).mean()
    g = p.copy()
    g[np.arange(B), y] -= 1
    g /= B
    return loss, g.T @ x, g.sum(axis=0)


def steps(data, lr, log):
    x = np.load(os.path.join(data, "x.npy")).reshape(B, D).astype(np.float64)
    y = np.load(os.path.join(data, "y.npy"))
    w, b = (a.astype(np.float64) for a in initial_weights())
    with open(log) as f:
        lines = [line.split() for line in f if line.startswith("step=")]
    if not lines:
        sys.exit("no step= lines in " + log)
    for k, (step, loss) in enumerate(lines):
        if step != "step=%d" % k:
            sys.exit("line %d: %s, expected step=%d" % (k, step, k))
        got = float(loss[len("train_loss="):])
        want, dw, db = loss_and_gradients(x, y, w, b)
        if not abs(got - want) <= 1e-5 * abs(want):
            sys.exit("step %d: loss %.7g, numpy %.7g" % (k, got, want))
        w -= lr * dw
        b -= lr * db
    print("%d steps ok, loss %.4f -> %.4f" % (len(lines), float(lines[0][1][11:]),
                                             float(lines[-1][1][11:])))


def check(data, out):
    x = np.load(os.path.join(data, "x.npy")).reshape(B, D).astype(np.float64)
    y = np.load(os.path.join(data, "y.npy"))
    loss, dw, db = loss_and_gradients(x, y, *initial_weights())
    expected = {"loss.npy": np.array(loss), "fc_weight.npy": dw,
                "fc.bias.npy": db}
    found = sorted(os.listdir(out))
    if found != sorted(expected):
        sys.exit("files %s, expected %s" % (found, sorted(expected)))
    for name, want in expected.items():
        got = np.load(os.path.join(out, name))
        if got.dtype != np.float32 or got.shape != want.shape:
            sys.exit("%s: %s %s, expected float32 %s" % (name, got.dtype, got.shape, want.shape))
        err = np.abs(got - want).max()
        if not err <= 1e-5:
            sys.exit("%s: max |error| %g > 1e-5" % (name, err))
        print("%s ok (max |error| %.1e)" % (name, err))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    elif sys.argv[1] == "steps":
        steps(sys.argv[2], float(sys.argv[3]), sys.argv[4])
    else:
        check(sys.argv[2], sys.argv[3])
