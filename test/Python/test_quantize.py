"""fqt.quantize / fqt.dequantize: the compiled quantizers of a training
program, run on numpy arrays (docs/quantizers.md gives the definitions)."""
import numpy as np
import pytest

import fqt

SHAPE = (8, 16)
DRAWS = 2000


def matrix(seed=0, large_rows=()):
    x = np.random.default_rng(seed).normal(size=SHAPE).astype(np.float32)
    for r in large_rows:
        x[r] *= 100
    return x


def roundtrip(x, spec, seed, step=0):
    q = fqt.quantize(x, spec, seed=seed, step=step)
    if len(q) == 4:
        codes, scales, offsets, transform = q
        return fqt.dequantize(codes, scales, offsets, spec, transform)
    codes, scales, offsets = q
    return fqt.dequantize(codes, scales, offsets, spec)


@pytest.mark.parametrize("spec", ["ptq:4", "psq:4", "bhq:4"])
def test_unbiased(spec):
    """The mean over DRAWS seeds is the input, within 5 standard errors.

    Stochastic rounding adds to each transformed element independent noise of
    variance at most scale^2 / 4; BHQ's inverse transform T^-1 mixes the rows,
    so element (i, j) of the result has variance at most
    sum_k (T^-1[i, k] * scale_k)^2 / 4 (T^-1 = I for PTQ and PSQ). Scales and
    T^-1 depend on the data only, not on the seed.
    """
    x = matrix(seed=1, large_rows=(2,))
    q = fqt.quantize(x, spec, seed=0)
    scales = np.broadcast_to(q[1], (SHAPE[0],)).astype(np.float64)
    transform = q[3].astype(np.float64) if len(q) == 4 else np.eye(SHAPE[0])
    variance_bound = (transform**2) @ (scales**2) / 4  # per row
    total = np.zeros(SHAPE)
    for seed in range(DRAWS):
        total += roundtrip(x, spec, seed)
    mean = total / DRAWS
    bound = 5 * np.sqrt(variance_bound / DRAWS)[:, None]
    # float32 rounding of the dequantized values, relative to their size.
    bound = bound + 1e-5 * np.abs(x).max()
    error = np.abs(mean - x)
    assert (error <= bound).all(), (spec, (error / bound).max())


def total_variance(x, spec, draws=200):
    samples = np.stack([roundtrip(x, spec, seed) for seed in range(draws)])
    return samples.var(axis=0, ddof=1).sum()


def test_variance_ordering():
    """With a few rows far larger than the rest, a per-tensor scale wastes
    the levels of the small rows (PTQ), per-row scales do not (PSQ), and
    BHQ's rotations spread the large rows' range over their groups."""
    x = np.random.default_rng(5).normal(size=(32, 64)).astype(np.float32)
    x[[3, 17, 29]] *= 50
    ptq, psq, bhq = (total_variance(x, s) for s in ("ptq:4", "psq:4", "bhq:4"))
    assert bhq <= psq <= ptq, (bhq, psq, ptq)
    assert psq < ptq / 4


def test_same_key_same_codes():
    x = matrix(seed=2)
    a = fqt.quantize(x, "psq:4", seed=3, step=5)
    b = fqt.quantize(x, "psq:4", seed=3, step=5)
    c = fqt.quantize(x, "psq:4", seed=3, step=6)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("spec, kinds", [
    ("ptq:8", ((SHAPE, np.uint8), ((), np.float32), ((), np.float32))),
    ("psq:4", ((SHAPE, np.uint8), ((8,), np.float32), ((8,), np.float32))),
    ("percol:8", ((SHAPE, np.uint8), ((16,), np.float32), ((16,), np.float32))),
    ("bhq:4", ((SHAPE, np.uint8), ((8,), np.float32), ((8,), np.float32),
               ((8, 8), np.float32))),
])
def test_result_layout(spec, kinds):
    q = fqt.quantize(matrix(), spec, seed=1)
    assert [(a.shape, a.dtype) for a in q] == [(s, np.dtype(t)) for s, t in kinds]
    bits = int(spec.split(":")[1])
    assert q[0].max() <= 2**bits - 1


def test_roundtrip_within_one_level():
    x = matrix(seed=3)
    codes, scales, offsets = fqt.quantize(x, "psq:8", seed=9)
    y = fqt.dequantize(codes, scales, offsets, "psq:8")
    assert y.dtype == np.float32 and y.shape == SHAPE
    assert (np.abs(y - x) <= scales[:, None] * 1.0001).all()


def test_nearest_rounding_and_lbt():
    x = matrix(seed=4)
    codes, scales, offsets = fqt.quantize(x, "act:8")
    again = fqt.quantize(x, "act:8", seed=123)
    np.testing.assert_array_equal(codes, again[0])  # no randomness
    y = fqt.dequantize(codes, scales, offsets, "act:8")
    assert (np.abs(y - x) <= scales / 2 * 1.0001 + 1e-6).all()

    codes, scale = fqt.quantize(x, "lbt:4", seed=1, gamma=0.5)
    assert codes.dtype == np.int8 and np.abs(codes).max() <= 7
    y = fqt.dequantize(codes, scale, None, "lbt:4")
    assert np.abs(y).max() <= 0.5 * np.abs(x).max() * 1.0001


def test_no_copy_needed_for_other_layouts():
    x = np.asfortranarray(matrix(seed=5).astype(np.float64))
    a = fqt.quantize(x, "ptq:8", seed=1)
    b = fqt.quantize(np.ascontiguousarray(x, dtype=np.float32), "ptq:8", seed=1)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


def test_rank_one_and_three():
    v = np.linspace(-1, 1, 10, dtype=np.float32)
    codes, scales, offsets = fqt.quantize(v, "ptq:8", seed=0)
    assert codes.shape == (10,)
    t = np.random.default_rng(0).normal(size=(4, 3, 5)).astype(np.float32)
    codes, scales, offsets = fqt.quantize(t, "percol:8", seed=0)
    assert scales.shape == (3, 5)
    y = fqt.dequantize(codes, scales, offsets, "percol:8")
    assert np.abs(y - t).max() <= scales.max() * 1.0001


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("spec, kwargs, group", [
    ("ptq:4", {}, "tensor"), ("weight:8", {}, "tensor"), ("act:8", {}, "tensor"),
    ("lbt:4", {"gamma": 0.5}, "tensor"), ("bhq:4", {}, "tensor"),
    ("psq:4", {}, "row"), ("percol:4", {}, "column")])
def test_non_finite_input_gives_non_finite_group(spec, kwargs, group, value):
    """A NaN or an infinity is never quantized to a finite value, and never
    makes the others of its group wrong but finite: its group (the tensor,
    its row or its column; BHQ's rotation mixes all rows) dequantizes to
    NaN, the other groups as without it. BHQ used to crash here: its ranks
    of the row ranges were not a permutation with a NaN range."""
    x = matrix(3)
    x[2, 5] = value
    q = fqt.quantize(x, spec, seed=1, **kwargs)
    if len(q) == 4:
        out = fqt.dequantize(q[0], q[1], q[2], spec, q[3])
    else:
        out = fqt.dequantize(q[0], q[1], q[2] if len(q) == 3 else None, spec)
    bad = ~np.isfinite(out)
    if group == "tensor":
        assert bad.all()
    elif group == "row":
        assert bad[2].all() and not bad[np.arange(8) != 2].any()
    else:
        assert bad[:, 5].all() and not bad[:, np.arange(16) != 5].any()
