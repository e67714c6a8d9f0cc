"""Compares two --dump-gradients directories (CPU, GPU); see gpu-train.test."""
import os
import sys

import numpy as np

cpu, gpu = sys.argv[1], sys.argv[2]
names = sorted(os.listdir(cpu))
assert names == sorted(os.listdir(gpu)), (names, sorted(os.listdir(gpu)))
for name in names:
    c = np.load(os.path.join(cpu, name))
    g = np.load(os.path.join(gpu, name))
    assert c.shape == g.shape, (name, c.shape, g.shape)
    if name == "loss.npy":
        np.testing.assert_allclose(g, c, rtol=1e-5, atol=1e-6)
    else:
        bound = 0.01 * np.abs(c).max() + 1e-7
        assert np.abs(g - c).max() <= bound, (name, np.abs(g - c).max(), bound)
print("same loss and", len(names) - 1, "gradients")
