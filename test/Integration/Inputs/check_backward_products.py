"""Checks the output of scripts/example/backward-products.mlir against numpy.

Reads printMemrefF32 output on stdin, recomputes dX = dY W^T and dW = X^T dY
from the codes and scales of the example in float64, and compares with
rtol 1e-5 / atol 1e-6 (the runner prints six significant digits).
"""

import re
import sys

import numpy as np


def dequant(codes, scale, offset):
    return np.asarray(codes, np.float64) * scale + offset


g4 = dequant([[0, 15], [7, 8], [15, 0], [3, 12]],
             np.array([0.02, 0.001, 0.05, 0.004])[:, None],
             np.array([-0.15, -0.0075, -0.375, -0.03])[:, None])
g8 = dequant([[0, 255], [119, 136], [255, 0], [51, 204]],
             np.array([0.0029, 0.0029])[None, :],
             np.array([-0.37, -0.37])[None, :])
x = dequant([[128, 200, 0], [255, 64, 32], [10, 20, 30], [90, 180, 250]],
            0.01, -1.28)
w = dequant([[100, 156], [128, 0], [255, 64]], 0.004, -0.512)

expected = [g4 @ w.T, x.T @ g8]

text = sys.stdin.read()
blocks = re.findall(r"data =\s*(\[.*?\]\])", text, re.S)
if len(blocks) != 2:
    sys.exit(f"expected 2 printed tensors, found {len(blocks)}:\n{text}")
for name, block, want in zip(["dX", "dW"], blocks, expected):
    got = np.array(eval(block), np.float64)
    if got.shape != want.shape:
        sys.exit(f"{name}: shape {got.shape}, expected {want.shape}")
    if not np.allclose(got, want, rtol=1e-5, atol=1e-6):
        sys.exit(f"{name} differs from numpy:\n{got}\nvs\n{want}")
    print(f"{name} matches numpy: max |diff| = {np.abs(got - want).max():.3g}")
