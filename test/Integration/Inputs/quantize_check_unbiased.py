"""Checks test/Integration/quantize-unbiased-run.mlir.

The compiled program quantized and dequantized one fixed input per quantizer
at n = 10^4 steps and printed, per element, the sum and the sum of squares
of the dequantized values (f64, as bits). Given the input, every element's
distribution is known exactly: the scaled value y (float32, recomputed with
quantizers_ref.py, whose codes match the compiled ones bit for bit) rounds
up with probability p = P(u < frac(y)) = ceil(frac(y) * 2^24) / 2^24 (u is a
multiple of 2^-24), and the dequantized value is then x1 instead of x0 (the
float32 dequantizations of floor(y) and floor(y) + 1). For BHQ the element
is sum_j T^-1[r, j] Y^_j over independent rows j.

Per element, with mu = E[x^] and sigma^2 = Var[x^] from that distribution:

  1. |mean - mu| <= t + acc, with t from Bernstein's inequality for the
     mean of n independent draws that lie within b of their expectation:
     P(|mean - mu| >= t) <= 2 exp(-n t^2 / (2 sigma^2 + 2 b t / 3)) = delta
     gives t = a + sqrt(a^2 + 2 sigma^2 L / n), a = b L / (3 n), L =
     ln(2 / delta). b is the distance of the two values, x1 - x0 (for BHQ
     sum_j |T^-1[r, j]| (x1 - x0)_j). With delta = 1e-7 per element the
     chance of a false alarm over all the elements is below 1e-4. For most
     elements t is about 5.8 sigma / sqrt(n); a z-test's 5 sigma / sqrt(n)
     would not do for elements that are nearly deterministic (p within
     2^-20 of 0 or 1: one rare draw among 10^4 is then a 10-sigma
     deviation, and happens about once in a hundred runs), where t allows a
     few rare draws. acc is the f64 accumulation error of the sum (n *
     2^-53 * max|x^|; the sums of identical float32 values are exact) and,
     for BHQ, the float32 rounding of the product with T^-1 (N * 2^-24 *
     sum_j |T^-1[r, j]| |Y^_j|).
  2. |mu - x| <= r: unbiasedness up to float32 rounding, r = 8 * 2^-24 *
     (|x| + |offset| + levels * scale) (a few roundings, each at most 2^-24
     relative to these magnitudes, and the 2^-24 granularity of u); for BHQ
     r also covers the rounding of Y = T x. So |mean - x| <= t + acc + r.
     LBT: only where |x| <= c; the clipped elements have mu = +-c exactly,
     and their mean must equal it.
  3. Exact variance (docs/quantizers.md §5.5.3): summed over the elements of one
     quantizer, the sample variances match sum sigma^2 within 5 standard
     deviations of the sum of sample variances, sqrt(sum (mu4 - sigma^4)/n)
     (mu4: the fourth central moment of the exact distribution).
  4. PTQ and the zero-snapped PSQ and per-column quantizers: an exact zero
     dequantizes to exactly 0 at every step (sum and sum of squares exactly
     0).
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import quantizers_ref as ref  # noqa: E402

F32 = np.float32
N_DRAWS = 10000
SEED = 20240611
ULP = 2.0**-24
CASES = [("ptq", 4, 1, None), ("psq", 4, 2, None), ("bhq", 4, 3, None),
         ("lbt", 4, 4, 0.5), ("psqz", 4, 5, None), ("percolz", 4, 6, None),
         ("blk", 4, 7, None), ("rht", 4, 8, None)]
# (size, axis, signs stream) of the block quantizers.
BLOCKS = {"blk": (4, 1, None), "rht": (8, 1, 9)}

# Chance of a false alarm of check 1 per element (see above).
DELTA = 1e-7


def deviation_bound(var, width):
    """Bernstein's t for the mean of N_DRAWS independent draws of variance
    var that lie within width of their expectation."""
    log_term = np.log(2 / DELTA)
    a = width * log_term / (3 * N_DRAWS)
    return a + np.sqrt(a * a + 2 * var * log_term / N_DRAWS)


blocks = ref.parse_memrefs(sys.stdin.read())
if len(blocks) != 3 * len(CASES):
    sys.exit(f"expected {3 * len(CASES)} printed tensors, got {len(blocks)}")
failures = []


def f64_from_bits(bits):
    return np.asarray(bits, np.int64).view(np.float64)


def element_moments(kind, bits, res):
    """Per element of the quantized tensor: (x0, x1, p) of its two possible
    dequantized values (before any BHQ transform)."""
    p_ = res["params"]
    qlo, qhi = 0, 2**bits - 1
    if kind == "lbt":
        qhi = 2**(bits - 1) - 1
        qlo = -qhi
    yc = np.maximum(np.minimum(res["y"], F32(qhi)), F32(qlo)).astype(F32)
    fl = np.floor(yc).astype(F32)
    frac = (yc - fl).astype(F32)
    p = np.ceil(frac.astype(np.float64) * 2.0**24) / 2.0**24
    lo = dict(res, codes=fl.astype(np.int64), transform=None)
    hi = dict(res, codes=(fl + 1).astype(np.int64), transform=None)
    x0 = ref.dequantize(kind, lo).astype(np.float64)
    x1 = ref.dequantize(kind, hi).astype(np.float64)
    return x0, x1, p


def check_blocks(kind, bits, stream, x, total, squares):
    """blk: the exact per-element distribution, as for the others (the
    blocks do not depend on the step). rht: its signs change with the step,
    so each draw comes from another transform; every draw is unbiased given
    its signs, so the mean is tested against x with the sample variance
    (5 sigma/sqrt(n)) plus the float32 rounding of the two transforms."""
    size, axis, signs = BLOCKS[kind]
    mean = total / N_DRAWS
    xd = x.astype(np.float64)
    if kind == "blk":
        res = ref.block_quantize(x, bits, size, axis, SEED, 0, stream)
        view = ref.split_blocks(x, axis, size)
        M = F32(2**(bits - 1) - 1)
        amax = np.abs(view).max(axis=axis + 1).astype(F32)
        c = np.where(amax == 0, ref.EPS, amax).astype(F32)
        mul = np.repeat((M / c).astype(F32), size, axis=axis)[:, :x.shape[1]]
        y = np.clip((x * mul).astype(F32), -M, M)
        fl = np.floor(y).astype(np.float64)
        frac = (y - fl).astype(np.float64)
        p = np.ceil(frac * 2.0**24) / 2.0**24
        scale = np.repeat(res["scale"].astype(np.float64), size,
                          axis=axis)[:, :x.shape[1]]
        x0 = (fl * scale).astype(F32).astype(np.float64)
        x1 = ((fl + 1) * scale).astype(F32).astype(np.float64)
        mu = x0 + p * (x1 - x0)
        var = p * (1 - p) * (x1 - x0)**2
        sigma_n = np.sqrt(var / N_DRAWS)
        r = 8 * ULP * (np.abs(xd) + M * scale)
        if np.any(np.abs(mean - mu) > deviation_bound(var, x1 - x0) +
                  N_DRAWS * 2.0**-53 * np.maximum(np.abs(x0), np.abs(x1))):
            failures.append(f"{kind}: a mean is off its exact expectation")
        if np.any(np.abs(mu - xd) > r):
            failures.append(f"{kind}: expectation off x beyond rounding")
    else:
        emp = np.maximum(squares / N_DRAWS - mean**2, 0) * N_DRAWS / (N_DRAWS - 1)
        sigma_n = np.sqrt(emp / N_DRAWS)
        # Float32 rounding: the forward and inverse transforms (log2 S
        # stages of sums of up to S values, then the factor) and the
        # product code * scale, on values of the block's magnitude.
        block = ref.split_blocks(np.abs(xd), axis, size).max(axis=axis + 1)
        peak = np.repeat(block, size, axis=axis)[:, :x.shape[1]]
        r = 4 * np.log2(size) * ULP * np.sqrt(size) * peak * 2
        if np.any(np.abs(mean - xd) > 5 * sigma_n + r):
            failures.append(f"{kind}: |mean - x| exceeds 5 sigma/sqrt(n) + "
                            f"rounding")
        # The variance of a 4-bit rht draw is at most one bin per element in
        # norm: sum of (scale/2)^2 over the block, scale <= max|Tx| / M <=
        # sqrt(S) max|x| / M.
        M = 2**(bits - 1) - 1
        bound = (np.sqrt(size) * peak / M)**2 / 4
        if np.any(emp > bound * (1 + 5 * np.sqrt(2 / N_DRAWS))):
            failures.append(f"{kind}: a variance exceeds its bound")
    z = np.where(sigma_n > 0, np.abs(mean - (mu if kind == "blk" else xd)) /
                 np.where(sigma_n > 0, sigma_n, 1), 0)
    print(f"# {kind}: max |z| = {z.max():.2f} over {z.size} elements")
    if not any(f.startswith(kind + ":") for f in failures):
        print(f"{kind}: unbiased")
    if kind == "blk":
        zero = x == 0
        if not zero.any() or np.any(total[zero] != 0) or \
                np.any(squares[zero] != 0):
            failures.append(f"{kind}: an exact zero did not stay exactly zero")
        else:
            print(f"{kind}: exact zeros stay exactly zero")


for i, (kind, bits, stream, gamma) in enumerate(CASES):
    x = ref.f32_from_bits(blocks[3 * i]).reshape(8, 16)
    total = f64_from_bits(blocks[3 * i + 1])
    squares = f64_from_bits(blocks[3 * i + 2])
    if kind in BLOCKS:
        check_blocks(kind, bits, stream, x, total, squares)
        continue
    mean = total / N_DRAWS
    res = ref.quantize(kind, x, bits, SEED, 0, stream,
                       gamma=1.0 if gamma is None else gamma)
    x0, x1, p = element_moments(kind, bits, res)
    d = x1 - x0
    var_j = p * (1 - p) * d**2
    mu4_j = d**4 * p * (1 - p) * (1 - 3 * p * (1 - p))
    mean_j = x0 + p * d
    xd = x.astype(np.float64)
    scale = np.asarray(res["scale"], np.float64)
    offset = np.zeros_like(scale) if res["offset"] is None else \
        np.asarray(res["offset"], np.float64)
    levels = 2**bits
    if kind == "bhq":
        tinv = res["transform"].astype(np.float64)
        mu = tinv @ mean_j
        var = (tinv**2) @ var_j
        mu4 = (tinv**4) @ mu4_j + 3 * (var**2 - (tinv**4) @ var_j**2)
        big = np.maximum(np.abs(x0), np.abs(x1))
        matmul = 8 * ULP * (np.abs(tinv) @ big)
        width = np.abs(tinv) @ np.abs(d)
        t64, _ = ref.textbook_bhq_transform(x, ref.bhq_transform(x)["groups"])
        row_terms = (np.abs(res["src"]).astype(np.float64) +
                     np.abs(t64) @ np.abs(xd) +
                     (levels * scale + np.abs(offset))[:, None])
        r = 8 * 8 * ULP * (np.abs(tinv) @ row_terms) + 8 * ULP * np.abs(xd)
        peak = np.abs(tinv) @ big
    else:
        shape = {"psq": (-1, 1), "psqz": (-1, 1),
                 "percolz": (1, -1)}.get(kind, ())
        mu, var, mu4 = mean_j, var_j, mu4_j
        matmul = 0.0
        width = np.abs(d)
        r = 8 * ULP * (np.abs(xd) + np.abs(offset).reshape(shape) +
                       levels * scale.reshape(shape))
        peak = np.maximum(np.abs(x0), np.abs(x1))
    acc = N_DRAWS * 2.0**-53 * peak
    sigma_n = np.sqrt(var / N_DRAWS)

    # 1. Bernstein's bound against the exact distribution.
    t = deviation_bound(var, width)
    dev = np.abs(mean - mu)
    if np.any(dev > t + acc + matmul):
        k = np.unravel_index(np.argmax(dev - t - acc - matmul), dev.shape)
        failures.append(f"{kind}: element {k}: mean {mean[k]!r} vs exact "
                        f"expectation {mu[k]!r}, sigma/sqrt(n) {sigma_n[k]:.3g}")
    z = np.where(sigma_n > 0, dev / np.where(sigma_n > 0, sigma_n, 1), 0)

    # 2. Unbiased up to float32 rounding.
    unclipped = np.ones(x.shape, bool)
    if kind == "lbt":
        c = np.float64(F32(F32(gamma) * np.abs(x).max()))
        unclipped = np.abs(xd) <= c
        cq = F32(scale) * F32(2**(bits - 1) - 1)
        if not np.array_equal(mean[~unclipped], np.sign(xd[~unclipped]) * cq):
            failures.append(f"{kind}: clipped elements do not sit at +-c")
    bias = np.abs(mu - xd)
    if np.any((bias > r)[unclipped]):
        failures.append(f"{kind}: expectation off x by {bias[unclipped].max():.3g} "
                        f"> rounding bound")
    if np.any((np.abs(mean - xd) > t + acc + matmul + r)[unclipped]):
        failures.append(f"{kind}: |mean - x| exceeds Bernstein's bound + "
                        f"rounding")

    # 3. Exact variance, summed over the elements.
    emp = (squares / N_DRAWS - mean**2) * N_DRAWS / (N_DRAWS - 1)
    spread = np.sqrt(np.sum(mu4 - var**2) / N_DRAWS)
    gap = abs(emp.sum() - var.sum())
    # Cancellation in sum x^2 / n - mean^2 (f64): 4 * 2^-53 * mean square.
    cancel = 4 * 2.0**-53 * np.sum(squares / N_DRAWS)
    if gap > 5 * spread + cancel:
        failures.append(f"{kind}: summed variance {emp.sum():.6g} vs exact "
                        f"{var.sum():.6g} (5 sd = {5 * spread:.3g})")

    print(f"# {kind}: max |z| = {z.max():.2f} over {z.size} elements, "
          f"{np.count_nonzero(var == 0)} deterministic; variance "
          f"{emp.sum():.6g} vs exact {var.sum():.6g}")
    if not any(f.startswith(kind + ":") for f in failures):
        if kind == "lbt":
            print(f"{kind}: unbiased where |g| <= c, clipped to +-c elsewhere")
        else:
            print(f"{kind}: unbiased")
    if kind in ("ptq", "psqz", "percolz"):
        zero = x == 0
        if not zero.any() or np.any(total[zero] != 0) or np.any(squares[zero] != 0):
            failures.append(f"{kind}: an exact zero did not stay exactly zero")
        else:
            print(f"{kind}: exact zeros stay exactly zero")

if failures:
    sys.exit("\n".join(failures))
print("all quantizers ok")
