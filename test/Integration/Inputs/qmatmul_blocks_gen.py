"""Generates test/Integration/qmatmul-blocks-run.mlir from
qmatmul-blocks-run.mlir.in: `python3 qmatmul_blocks_gen.py >
../qmatmul-blocks-run.mlir`. @{D:name} becomes the dense constant of the
seeded input `name`, @{RxC[:elem]} a tensor type."""

import os
import re

import numpy as np

from quantize_cases import _dense as dense
rng = np.random.default_rng(5)
def t(shape, e="f32"): return "tensor<" + "x".join(map(str, shape)) + "x" + e + ">"
g1 = rng.normal(0, 1, (6, 40)).astype(np.float32); g1[g1 < -0.5] = 0
w1 = rng.normal(0, 0.3, (5, 40)).astype(np.float32)
g2 = rng.normal(0, 1, (24, 5)).astype(np.float32)
x2 = np.abs(rng.normal(0, 1, (24, 6))).astype(np.float32)
a3 = (rng.normal(0, 1, (6, 32)) * np.where(rng.random((6, 32)) < 0.05, 20, 1)).astype(np.float32)
b3 = rng.normal(0, 1, (32, 7)).astype(np.float32)
a4 = rng.normal(0, 1, (6, 22)).astype(np.float32)
b4 = rng.normal(0, 1, (22, 7)).astype(np.float32)
V = dict(g1=g1, w1=w1, g2=g2, x2=x2, a3=a3, b3=b3, a4=a4, b4=b4)
tmpl = open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         "qmatmul-blocks-run.mlir.in")).read()
def sub(m):
    key = m.group(1)
    if key.startswith("D:"): return dense(V[key[2:]])
    dims, e = key.split(":") if ":" in key else (key, "f32")
    return t(tuple(int(d) for d in dims.split("x")), e)
print(re.sub(r"@\{([^}]*)\}", sub, tmpl), end="")
