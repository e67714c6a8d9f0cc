"""Checks test/Integration/quantize-block-run.mlir against quantizers_ref.py
(see block_cases.py for what is printed)."""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import quantizers_ref as ref  # noqa: E402
from block_cases import CASES, INPUTS, scale_shape  # noqa: E402

F32 = np.float32
blocks = ref.parse_memrefs(sys.stdin.read())
checks = ref.CaseChecks()
failures, fail, same_bits = checks.failures, checks.fail, checks.same_bits


pos = 0
for case in CASES:
    x = INPUTS[case["x"]]
    rht = case["kind"] == "rht"
    bits, size, axis = case["bits"], case["size"], case["axis"]
    n = 4 + rht
    got = blocks[pos:pos + n]
    pos += n
    if not np.array_equal(ref.f32_from_bits(got[0]).reshape(x.shape)
                          .view(np.uint32), x.view(np.uint32)):
        fail(case, "printed input is not the case's input")
        continue
    codes = np.asarray(got[1]).reshape(x.shape)
    scale = ref.f32_from_bits(got[2]).reshape(scale_shape(case, x.shape))
    deq = ref.f32_from_bits(got[-1]).reshape(x.shape)
    seed, step, stream = case.get("key", (0, 0, 0))
    want = ref.block_quantize(x, bits, size, axis, seed, step, stream,
                              signs_stream=case.get("signs"),
                              stochastic=not case.get("nearest", False))
    if not np.array_equal(codes, want["codes"]):
        bad = np.argwhere(codes != want["codes"])
        fail(case, f"codes differ at {bad[:8].tolist()}")
    M = 2**(bits - 1) - 1
    if np.abs(codes).max() > M:
        fail(case, f"a code beyond +-{M}")
    same_bits(case, "scale", got[2], want["scale"])
    if rht:
        same_bits(case, "signs", got[3], want["signs"])
        if not np.all(np.abs(ref.f32_from_bits(got[3])) == 1):
            fail(case, "signs are not +-1")
    same_bits(case, "dequantized values", got[-1],
              ref.block_dequantize(want, size, axis))

    # Scales: float64 max |T x| / M per block.
    view = ref.split_blocks(x.astype(np.float64), axis, size)
    if rht:
        h = np.array([[1.0]])
        while h.shape[0] < size:
            h = np.block([[h, h], [h, -h]])
        t = h * want["signs"].astype(np.float64)[None, :] / np.sqrt(size)
        view = np.moveaxis(np.moveaxis(view, axis + 1, -1) @ t.T, -1, axis + 1)
    amax = np.abs(view).max(axis=axis + 1)
    real = amax > 0
    s64 = amax / M
    err = np.abs(scale - s64)[real] / s64[real]
    if err.max(initial=0) > 1e-6:
        fail(case, f"scale off the float64 formula by {err.max():.3g}")

    # Within the bins: |x^ - x| <= one bin per value (half for nearest);
    # rht rounds in the transformed domain, so per block in norm.
    delta = np.repeat(scale.astype(np.float64), size, axis=axis)
    delta = delta[tuple(slice(0, d) for d in x.shape)]
    err = np.abs(deq.astype(np.float64) - x)
    slack = 64 * 2.0**-24 * (np.abs(x) + delta)
    width = 0.5 if case.get("nearest") else 1.0
    if not rht:
        if np.any(err > width * delta + slack):
            fail(case, "a value off by more than its bin")
        if not np.all(deq[x == 0] == 0):
            fail(case, "an exact zero is not exactly zero")
    else:
        e2 = ref.split_blocks(err**2, axis, size).sum(axis=axis + 1)
        d2 = ref.split_blocks(delta**2, axis, size).sum(axis=axis + 1)
        s2 = ref.split_blocks(slack, axis, size).sum(axis=axis + 1)
        if np.any(np.sqrt(e2) > np.sqrt(d2) + s2):
            fail(case, "a block off by more than its bins")
    if checks.passed(case):
        print(f"{case['name']}: ok")

if pos != len(blocks):
    failures.append(f"read {pos} printed tensors, the program printed {len(blocks)}")
if failures:
    sys.exit("\n".join(failures))
print("all cases ok")
