"""Checks test/Integration/quantize-philox-run.mlir: the compiled Philox
blocks and uniforms against quantizers_ref.py, bit for bit."""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import quantizers_ref as ref  # noqa: E402

ref.selftest()

INPUTS = [
    [0, 0, 0, 0, 0, 0],
    [0xffffffff] * 6,
    [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0],
]
KAT = [
    [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
    [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
    [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
]
RANDOM = [
    [1037355752, -1392293802, 396611801, 920511140, 1364287713, 1329086352],
    [-392217628, -861286557, -363616910, -18029849, 337308680, 610880995],
    [-567237017, 338123592, 712912454, 776632366, -370154812, 1544671637],
    [1133142216, 728509130, 1969181736, -1766265291, -858156772, -1645799197],
    [-60115105, 452628047, 2094439156, -1865170934, -1341912992, 19884166],
]
KEYS = [[0, 0, 0, 0], [1, 2, 3, 4], [1234567, 0, 0, 5], [1234567, 1, 0, 5],
        [1234567, 0, 1, 5], [81985529216486895, 7, 9, 4294967301],
        [-1, -1, 4294967295, 9223372036854775807], [42, -3, 2, 1000000],
        [42, 4294967296, 2, 1000000]]

raw, uni = ref.parse_memrefs(sys.stdin.read())
raw = raw.astype(np.int64) & 0xFFFFFFFF
inputs = np.array(INPUTS + [[v & 0xFFFFFFFF for v in r] for r in RANDOM],
                  np.uint64)
want = np.stack([w.astype(np.int64) for w in ref.philox4x32_10(*inputs.T)], 1)
if not np.array_equal(raw[:3], np.array(KAT)):
    sys.exit(f"known-answer vectors differ:\n{raw[:3]}")
if not np.array_equal(raw, want):
    sys.exit(f"Philox blocks differ from the reference:\n{raw}\n{want}")
print(f"philox4x32-10: {len(raw)} blocks bit-exact, 3 known-answer vectors")

got = ref.f32_from_bits(uni)
want = np.array([ref.uniform(*k) for k in KEYS], ref.F32)
if not np.array_equal(got.view(np.uint32), want.view(np.uint32)):
    sys.exit(f"uniforms differ:\n{got}\n{want}")
# The same element under another step or stream gets another value.
if len(set(got[2:5].tolist())) != 3:
    sys.exit(f"step and stream do not change the noise: {got[2:5]}")
print(f"uniform: {len(got)} values bit-exact")
