#!/usr/bin/python3
"""Trains the bundled Fashion-MNIST MLP with fp32 and three fully quantized
training recipes and plots what the gradient quantizer costs.

    PYTHONPATH=build/python_packages /usr/bin/python3 \\
        python_bindings/examples/compare_quantizers.py --out quantizers.png

Recipes (forward activations and weights, and the dW path, at 8 bits in all
quantized runs; the dX path's quantizer varies):
    fp32     no quantizers
    ptq:8    per-tensor 8-bit dgrad
    psq:4    per-sample 4-bit dgrad
    bhq:4    block-Householder 4-bit dgrad

Left panel: training loss per step (moving average); middle: its difference
from the fp32 run on the same batches. Right panel: per-layer
variance of the quantized gradient at one common point (the fp32 run's final
parameters) and one batch: the gradient is sampled with several seeds and
compared with the QAT gradient there (same forward quantizers, exact
backward), which fully quantized training estimates without bias.

Needs numpy and matplotlib (Debian python3-matplotlib) and the dataset
(Debian dataset-fashion-mnist, /usr/share/datasets/fashion-mnist).
"""
import argparse
import gzip
import os
import sys
import time

import numpy as np

import fqt

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_MODEL = os.path.join(HERE, "..", "..", "examples", "fashion-mnist",
                             "mlp.onnx")
# Fashion-MNIST's pixel mean and standard deviation (of x/255), as the fqt
# runtime's --normalize default.
MEAN, STD = 0.2860, 0.3530

RECIPES = {
    "fp32": dict(fp32=True),
    "ptq:8": dict(dgrad="ptq:8"),
    "psq:4": dict(dgrad="psq:4"),
    "bhq:4": dict(dgrad="bhq:4"),
}
QAT = dict(dgrad="none", wgrad="none")


def read_idx(path, header):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header)


def load(data_dir, split, limit):
    images = read_idx(os.path.join(data_dir, f"{split}-images-idx3-ubyte.gz"), 16)
    labels = read_idx(os.path.join(data_dir, f"{split}-labels-idx1-ubyte.gz"), 8)
    images = images.reshape(-1, 1, 28, 28)[:limit]
    labels = labels[:limit].astype(np.int64)
    return ((images.astype(np.float32) / 255 - MEAN) / STD), labels


def moving_average(values, window):
    values = np.asarray(values)
    if len(values) < window:
        return values
    kernel = np.ones(window) / window
    return np.convolve(values, kernel, mode="valid")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--samples", type=int, default=8,
                        help="seeds per quantized gradient (variance)")
    parser.add_argument("--test-limit", type=int, default=2000)
    parser.add_argument("--out", default="compare_quantizers.png")
    args = parser.parse_args()

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x_train, y_train = load(args.data, "train", args.steps * args.batch)
    x_test, y_test = load(args.data, "t10k", args.test_limit)
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(x_train))
    batches = [order[i:i + args.batch]
               for i in range(0, len(order) - args.batch + 1, args.batch)]
    batches = (batches * (args.steps // len(batches) + 1))[:args.steps]

    curves, trainers = {}, {}
    print(f"{'recipe':8} {'train_loss':>10} {'test_loss':>9} "
          f"{'test_acc':>8} {'step_ms':>7} {'compile_s':>9}")
    for name, options in RECIPES.items():
        begin = time.perf_counter()
        trainer = fqt.compile(args.model, batch=args.batch, lr=args.lr,
                              seed=args.seed, **options)
        compile_s = time.perf_counter() - begin
        losses = []
        begin = time.perf_counter()
        for rows in batches:
            losses.append(trainer.step(x_train[rows], y_train[rows]))
        step_ms = 1000 * (time.perf_counter() - begin) / len(batches)
        test_loss, test_acc = trainer.evaluate(x_test, y_test)
        curves[name], trainers[name] = losses, trainer
        print(f"{name:8} {np.mean(losses[-20:]):10.4f} {test_loss:9.4f} "
              f"{test_acc:8.4f} {step_ms:7.2f} {compile_s:9.1f}")

    # Gradient variance at one point: the fp32 run's final parameters.
    point = trainers["fp32"].parameters()
    x, y = x_train[batches[0]], y_train[batches[0]]
    if trainers["ptq:8"].has_qat_gradients:
        # The program's own qat_grad_step: the quantized forward pass with
        # exact gradients.
        trainers["ptq:8"].set_parameters(point)
        reference = trainers["ptq:8"].qat_gradients(x, y)
    else:
        qat = fqt.compile(args.model, batch=args.batch, seed=args.seed, **QAT)
        qat.set_parameters(point)
        reference = qat.gradients(x, y)
    layers = list(reference)
    variance = {}
    for name in ("ptq:8", "psq:4", "bhq:4"):
        trainer = trainers[name]
        trainer.set_parameters(point)
        samples = [trainer.gradients(x, y, seed=s, step=0)
                   for s in range(args.samples)]
        # Mean squared distance to the QAT gradient, per layer and element
        # summed: the estimator's variance (plus a bias, zero in expectation).
        variance[name] = [
            np.mean([np.sum((g[layer] - reference[layer]) ** 2)
                     for g in samples]) for layer in layers]
    print("\ngradient variance vs QAT (sum over elements, mean over "
          f"{args.samples} seeds)")
    print(f"{'layer':12}" + "".join(f"{n:>12}" for n in variance))
    for i, layer in enumerate(layers):
        print(f"{layer:12}" + "".join(f"{variance[n][i]:12.3e}" for n in variance))

    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(18, 4.8))
    window = max(1, args.steps // 20)
    reference_curve = moving_average(curves["fp32"], window)
    for name, losses in curves.items():
        smooth = moving_average(losses, window)
        steps = np.arange(len(smooth)) + window - 1
        left.plot(steps, smooth, label=name)
        if name != "fp32":
            middle.plot(steps, smooth - reference_curve, label=name)
    left.set_xlabel("step")
    left.set_ylabel(f"training loss (moving average of {window})")
    left.set_title(f"Fashion-MNIST MLP, batch {args.batch}, lr {args.lr}")
    left.legend()
    middle.axhline(0, color="gray", linewidth=0.8)
    middle.set_xlabel("step")
    middle.set_ylabel("loss - fp32 loss (same batches)")
    middle.set_title("what the quantizers cost")
    middle.legend()
    width = 0.8 / len(variance)
    positions = np.arange(len(layers))
    for i, (name, values) in enumerate(variance.items()):
        right.bar(positions + (i - (len(variance) - 1) / 2) * width, values,
                  width, label=f"dgrad {name}")
    right.set_xticks(positions)
    right.set_xticklabels(layers, rotation=20)
    right.set_yscale("log")
    right.set_ylabel("E ||g_FQT - g_QAT||^2")
    right.set_title(f"per-layer gradient variance ({args.samples} seeds; "
                    "0 is not drawn)")
    right.legend()
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
