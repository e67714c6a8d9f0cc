"""Writes ONNX backend-test directories for fqt-run's tests into argv[1]:
good/ (Relu of a 2x3 input), wrong/ (one output element off by 0.5),
close/ (one element off by 5e-4, inside rtol 1e-3 but not 1e-4), noout/
(an input only), where/ (Where with a boolean input), grouped/ (a grouped
Conv, or ConvTranspose, of ones with 1x1 kernels: ones)."""

import os
import sys

import numpy as np
from onnx import numpy_helper


def write(directory, inputs, outputs):
    os.makedirs(directory, exist_ok=True)
    for kind, tensors in (("input", inputs), ("output", outputs)):
        for i, t in enumerate(tensors):
            with open(os.path.join(directory, f"{kind}_{i}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(t, f"{kind}{i}").SerializeToString())


out = sys.argv[1]
x = np.array([[-1.0, 2.0, -3.0], [4.0, -5.0, 6.0]], np.float32)
y = np.maximum(x, 0)
write(os.path.join(out, "good"), [x], [y])
wrong = y.copy()
wrong[1, 2] += 0.5
write(os.path.join(out, "wrong"), [x], [wrong])
close = y.copy()
close[1, 2] *= 1 + 5e-4
write(os.path.join(out, "close"), [x], [close])
write(os.path.join(out, "noout"), [x], [])
write(os.path.join(out, "where"),
      [np.array([True, False]), np.ones(2, np.float32), np.zeros(2, np.float32)],
      [np.array([1.0, 0.0], np.float32)])
write(os.path.join(out, "grouped"),
      [np.ones((1, 2, 3, 3), np.float32), np.ones((2, 1, 1, 1), np.float32)],
      [np.ones((1, 2, 3, 3), np.float32)])
