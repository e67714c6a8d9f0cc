"""Checks test/Integration/quantize-ref-run.mlir against quantizers_ref.py.

For every case of quantize_cases.py:
  * codes, scales, offsets, the BHQ transform and the dequantized values
    equal the float32 reference bit for bit (same operations, same Philox
    stream); for BHQ the dequantized values go through the pipeline's
    product with T^-1 and must match within its float32 rounding;
  * scales and offsets are within 1e-6 relative of the float64 formulas of
    docs/quantizers.md (the BHQ transform within 1e-6 of its largest entry);
  * the dequantized values are within one bin of the input (half a bin for
    nearest rounding; LBT only where |x| <= c), plus float32 rounding;
  * where the quantizer snaps its zero point, 0 dequantizes to exactly 0
    (weight and PTQ, except one-bit codes of a tensor with both signs).
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import quantizers_ref as ref  # noqa: E402
from quantize_cases import CASES, INPUTS, has_offset, scale_shape  # noqa: E402

F32 = np.float32
blocks = ref.parse_memrefs(sys.stdin.read())
checks = ref.CaseChecks()
failures, fail, same_bits = checks.failures, checks.fail, checks.same_bits


def rel_close(case, what, got, want, tol=1e-6, mask=None):
    got = np.asarray(got, np.float64).ravel()
    want = np.asarray(want, np.float64).ravel()
    err = np.abs(got - want) / np.maximum(np.abs(want), 1e-30)
    if mask is not None:
        err = err[np.asarray(mask).ravel()]
    if err.max(initial=0) > tol:
        fail(case, f"{what} off the float64 formula by {err.max():.3g} "
             f"relative: {got} vs {want}")


pos = 0
results = {}
for case in CASES:
    kind, bits = case["kind"], case["bits"]
    x = INPUTS[case["x"]]
    n = 4 + has_offset(kind) + (kind == "bhq")
    got = blocks[pos:pos + n]
    pos += n
    got_x = ref.f32_from_bits(got[0]).reshape(x.shape)
    if not np.array_equal(got_x.view(np.uint32), x.view(np.uint32)):
        fail(case, "printed input is not the case's input")
        continue
    codes = np.asarray(got[1]).reshape(x.shape)
    k = 2
    scale = ref.f32_from_bits(got[k]).reshape(scale_shape(kind, x.shape))
    k += 1
    offset = None
    if has_offset(kind):
        offset = ref.f32_from_bits(got[k]).reshape(scale.shape)
        k += 1
    transform = None
    if kind == "bhq":
        transform = ref.f32_from_bits(got[k]).reshape(x.shape[0], x.shape[0])
        k += 1
    deq = ref.f32_from_bits(got[k]).reshape(x.shape)
    results[case["name"]] = codes

    seed, step, stream = case.get("key", (0, 0, 0))
    want = ref.quantize(kind, x, bits, seed, step, stream,
                        gamma=case.get("gamma", 1.0),
                        stochastic=not case.get("nearest", False)
                        and ref.STOCHASTIC_DEFAULT[kind])
    if not np.array_equal(codes, want["codes"]):
        bad = np.argwhere(codes != want["codes"])
        fail(case, f"codes differ at {bad[:8].tolist()}: "
             f"{codes[tuple(bad[:4].T)]} vs {want['codes'][tuple(bad[:4].T)]}")
    same_bits(case, "scale", got[2], want["scale"])
    if offset is not None:
        same_bits(case, "offset", got[3], want["offset"])
    if transform is not None:
        same_bits(case, "transform", got[4], want["transform"])
    if kind != "bhq":
        same_bits(case, "dequantized values", got[k], ref.dequantize(kind, want))
    else:
        # The product with T^-1 is the pipeline's (its summation order and
        # kernels are not the lowering's): within the float32 rounding of an
        # N-term sum, N * 2^-24 * sum_j |T^-1[r, j]| |v_j|.
        v = ref.dequantize(kind, dict(want, transform=None)).astype(np.float64)
        n_rows = x.shape[0]
        flat = np.abs(v.reshape(n_rows, -1))
        bound = n_rows * 2.0**-24 * (np.abs(want["transform"]) @ flat)
        diff = np.abs(deq.astype(np.float64).reshape(n_rows, -1) -
                      ref.dequantize(kind, want).astype(np.float64).reshape(n_rows, -1))
        if np.any(diff > bound):
            fail(case, f"dequantized values off the reference by {diff.max():.3g}")

    # The float32 formulation computes the documented quantities, except on
    # groups whose range is zero in float32 (x -+ 1e-8 == x: a constant
    # group far from 0), which the lowering gives width 1 on purpose.
    axes, _ = ref._reduce_axes(kind, x.ndim)
    mn32, mx32 = ref._minmax(want["src"], axes)
    real = (F32(mx32 + ref.EPS) - F32(mn32 - ref.EPS)) > 0
    if kind in ("weight", "ptq", "psqz", "percolz", "lbt"):
        real = np.ones_like(real)
    if kind == "bhq":
        t64, tinv64 = ref.textbook_bhq_transform(x, ref.bhq_transform(x)["groups"])
        err = np.abs(transform - tinv64).max() / np.abs(tinv64).max()
        if err > 1e-6:
            fail(case, f"T^-1 off the float64 transform by {err:.3g}")
        # Row ranges of Y = T x in float64 give the per-row scales.
        y64 = t64 @ x.reshape(x.shape[0], -1).astype(np.float64)
        s64, z64 = ref.textbook_params("psq", y64, bits)
        rel_close(case, "scale", scale, s64, mask=real)
        rel_close(case, "offset", offset, z64, mask=real)
        # |x^ - x| <= sum_j |T^-1[r, j]| * scale_j (one bin of every
        # transformed row), plus float32 rounding.
        bound = np.abs(tinv64) @ scale.astype(np.float64)
        bound = bound.reshape((-1,) + (1,) * (x.ndim - 1))
        err = np.abs(deq.astype(np.float64) - x)
        slack = 64 * 2.0**-24 * (np.abs(x).max() + bound)
        if np.any(err > bound + slack):
            fail(case, f"dequantized values off by more than the bins: "
                 f"{(err - bound - slack).max():.3g}")
    else:
        s64, z64 = ref.textbook_params(kind, x, bits,
                                       gamma=case.get("gamma", 1.0))
        rel_close(case, "scale", scale, s64, mask=real)
        if offset is not None:
            rel_close(case, "offset", offset, z64, mask=real)

    # Every value lies within one bin (half a bin when rounding to nearest).
    if kind != "bhq":
        rows, columns = (-1,) + (1,) * (x.ndim - 1), (1,) + scale.shape
        bshape = {"psq": rows, "psqz": rows, "percol": columns,
                  "percolz": columns}.get(kind, ())
        delta = scale.reshape(bshape).astype(np.float64) if bshape else \
            np.float64(scale)
        stochastic = want["u"] is not None
        bound = np.broadcast_to(delta * (1.0 if stochastic else 0.5), x.shape)
        err = np.abs(deq.astype(np.float64) - x)
        # float32 rounding of code * scale + offset.
        slack = 4 * 2.0**-24 * (np.abs(x) + np.abs(deq) + delta)
        mask = np.ones(x.shape, bool)
        if kind == "lbt":
            mask = np.abs(x) <= case["gamma"] * np.abs(x).max()
            # Clipped elements go to +-c exactly.
            c = np.float64(scale) * (2**(bits - 1) - 1)
            clipped = ~mask
            if not np.allclose(np.abs(deq[clipped]), c, rtol=1e-6):
                fail(case, "clipped values do not sit at +-c")
        if np.any(err[mask] > bound[mask] + slack[mask]):
            fail(case, f"dequantized values off by more than a bin: "
                 f"{(err - bound - slack)[mask].max():.3g}")
    # (With one bit and both signs no grid holds 0 and covers the range:
    # the lowering falls back to min/max there.)
    if kind in ref.SNAPPED and np.any(x == 0) and \
            (bits >= 2 or x.min() >= 0):
        if not np.all(deq[x == 0] == 0):
            fail(case, f"0 does not dequantize to 0: {deq[x == 0]}")
    if case["name"] == "act4_const":
        if not (np.all(codes == 0) and np.array_equal(deq, x)):
            fail(case, "constant tensor not reproduced exactly")
    if checks.passed(case):
        print(f"{case['name']}: ok")

if pos != len(blocks):
    failures.append(f"read {pos} printed tensors, the program printed {len(blocks)}")
# Same key, same codes; another step, other codes; a dynamic batch gives
# what the static one gives.
if not np.array_equal(results["ptq8"], results["ptq8_same"]):
    failures.append("same seed and step gave different codes")
if np.array_equal(results["ptq8"], results["ptq8_step5"]):
    failures.append("another step gave the same codes")
for a, b in [("psq4", "psq4_dyn"), ("bhq5", "bhq5_dyn")]:
    if not np.array_equal(results[a], results[b]):
        failures.append(f"{b} differs from {a}")
if failures:
    sys.exit("\n".join(failures))
print("all cases ok")
