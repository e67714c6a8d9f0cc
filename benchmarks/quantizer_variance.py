#!/usr/bin/env python3
"""Variance of the quantized data gradient on real gradients.

For the bundled Fashion-MNIST MLP and CNN (initial weights, one batch of 128
test images), compiles the model with each data-gradient quantizer
(--dgrad=Q, --wgrad=none, 8-bit forward) and runs the executable's
--gradient-variance=N: N stochastic gradients against the QAT gradient of
the same quantized forward pass. Prints, per model, quantizer and bit-width,
the total variance sum_p E|g_p - E g_p|^2 over all parameters, its ratio to
PTQ at the same bit-width, and the largest relative bias (sampling noise
only, for unbiased quantizers). Writes a Markdown table with --markdown.

    /usr/bin/python3 benchmarks/quantizer_variance.py [--build build] [--samples 128]
"""
import argparse
import gzip
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DATA = "/usr/share/datasets/fashion-mnist"


def batch(n):
    with gzip.open(os.path.join(DATA, "t10k-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16)
    with gzip.open(os.path.join(DATA, "t10k-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    x = images[:n * 784].reshape(n, 1, 28, 28).astype(np.float32) / 255.0
    x = (x - 0.2860) / 0.3530
    return x, labels[:n].astype(np.int64)


def measure(build, model, spec, samples, work, x_path, y_path):
    exe = os.path.join(work, "train")
    subprocess.run([os.path.join(build, "bin", "fqt-compile"), model, "-o",
                    exe, "--batch", "128", "--dgrad=" + spec, "--wgrad=none"],
                   check=True)
    out = subprocess.run([exe, "--gradient-variance=%d" % samples,
                          "--inputs=" + x_path, "--labels=" + y_path],
                         check=True, capture_output=True, text=True).stdout
    total, bias = 0.0, 0.0
    for line in out.splitlines():
        fields = dict(kv.split("=", 1) for kv in line.split()[1:])
        total += float(fields["variance"])
        bias = max(bias, float(fields["rel_bias"]))
    return total, bias


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--samples", type=int, default=128)
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--bits", default="4,5,6,8")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="fqt-variance-")
    x, y = batch(128)
    x_path, y_path = os.path.join(work, "x.npy"), os.path.join(work, "y.npy")
    np.save(x_path, x)
    np.save(y_path, y)
    print("| model | bits | PTQ variance | PSQ variance | BHQ variance | "
          "PSQ/PTQ | BHQ/PTQ | max rel. bias |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.models.split(","):
        model = os.path.join(ROOT, "examples", "fashion-mnist", name + ".onnx")
        for bits in args.bits.split(","):
            v, b = {}, 0.0
            for kind in ("ptq", "psq", "bhq"):
                v[kind], bias = measure(args.build, model, "%s:%s" % (kind, bits),
                                        args.samples, work, x_path, y_path)
                b = max(b, bias)
            print("| %s | %s | %.3g | %.3g | %.3g | %.3f | %.3f | %.3g |" %
                  (name, bits, v["ptq"], v["psq"], v["bhq"], v["psq"] / v["ptq"],
                   v["bhq"] / v["ptq"], b))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
