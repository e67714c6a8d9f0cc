"""Kim et al.'s interval quantizer in a training program: the per-layer
clipping factor gamma is training state, calibrated on the first step and
then moved by +-gamma_step per step (docs/quantizers.md §4.3, §5.5 item 8), and
the compiled quantizer clips only where |g| > gamma * max|g|.

The reference is a float32 replay of the rule in numpy on the data gradient
dY of the last layer, computed here from the trainer's parameters (act and
weight quantizers off, so the forward pass is exact). Each replay checks that
no element lies within 1e-5 * max|g| of a threshold it compares against, so
the float differences between numpy's dY and the compiled one (~1e-7) cannot
change a count, and the compiled gamma must then match exactly."""
import numpy as np
import pytest

import fqt
from conftest import BATCH, fashion_like_batch

F32 = np.float32
BITS = 4
ALPHA = STEP = GAMMA_MIN = 1e-3
TAU = F32(ALPHA / (2**BITS - 1))


def last_layer_dy(params, x, y):
    """dLoss/dlogits of the mean softmax cross-entropy, in float64."""
    flat = x.reshape(len(x), -1).astype(np.float64)
    h = np.maximum(flat @ params["fc1_weight"].T.astype(np.float64)
                   + params["fc1_bias"], 0.0)
    logits = h @ params["fc2_weight"].T.astype(np.float64) + params["fc2_bias"]
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1.0
    return p / len(y)


def clipped_fraction(a, amax, gamma, thresholds):
    threshold = F32(F32(gamma) * amax)
    thresholds.append(threshold)
    return F32(np.count_nonzero(a > threshold)) / F32(a.size)


def replay(g, gamma):
    """The next gamma from state `gamma` (0: uncalibrated) for gradient g;
    also the thresholds compared against."""
    a = np.abs(g.astype(F32))
    amax = a.max()
    thresholds = []
    s = F32(STEP)
    if gamma == 0:  # calibration: Kim et al.'s first iteration
        gamma, m = F32(1.0), F32(0.0)
        while True:
            r = clipped_fraction(a, amax, gamma, thresholds)
            m = F32(m * F32(F32(1.0) - s)) + F32(s * r)
            t = F32(np.sign(m - TAU))
            gamma = F32(gamma + F32(s * t))
            if t > 0:
                break
    else:
        r = clipped_fraction(a, amax, gamma, thresholds)
        gamma = F32(gamma + F32(s * F32(np.sign(r - TAU))))
    return F32(min(max(gamma, F32(GAMMA_MIN)), F32(1.0))), thresholds


def assert_margin(g, thresholds):
    a = np.abs(g)
    amax = a.max()
    for threshold in thresholds:
        # At gamma = 1 the threshold is max|g| itself, which both sides
        # compare exactly (nothing is beyond it).
        near = a[a != amax] if threshold == F32(amax) else a
        gap = np.abs(near - np.float64(threshold)).min() / amax
        assert gap > 1e-5, f"an element lies {gap:.2g} from a threshold"


@pytest.fixture(scope="module")
def lbt_trainer(mlp_path):
    return fqt.compile(mlp_path, batch=BATCH, act="none", weight="none",
                       dgrad="lbt:4", wgrad="none", seed=5)


def test_gamma_is_calibrated_then_moves_by_one_step(lbt_trainer):
    trainer = lbt_trainer
    trainer.reset()
    trainer.lr = 0.05
    state = trainer.optimizer_state()
    # Only the last layer has a data-gradient product (dX of the input is
    # never computed), so there is one gamma.
    names = [n for n in state if n.endswith(".lbt_gamma")]
    assert len(names) == 1 and names[0].endswith(".dgrad.lbt_gamma"), state
    name = names[0]
    assert state[name].shape == () and state[name] == 0  # uncalibrated
    gamma = F32(0.0)
    moves = set()
    for step in range(12):
        x, y = fashion_like_batch(BATCH, seed=300 + step)
        params = trainer.parameters()
        g = last_layer_dy(params, x, y)
        if step == 0:
            # The replayed dY is the one the program differentiates.
            grads = trainer.gradients(x, y)
            np.testing.assert_allclose(grads["fc2_bias"], g.sum(axis=0),
                                       rtol=1e-4, atol=1e-6)
        expected, thresholds = replay(g, gamma)
        assert_margin(g, thresholds)
        trainer.step(x, y)
        got = F32(trainer.optimizer_state()[name])
        assert got == expected, (step, got, expected)
        if step == 0:
            # The calibration walked gamma down from 1 in steps of 1e-3.
            assert len(thresholds) > 1 and got < 1
        else:
            moves.add(round(float(got - gamma) / STEP))
        assert GAMMA_MIN <= got <= 1
        gamma = got
    # Every later step moved by exactly one step (f32), in both directions
    # over these batches.
    assert moves <= {-1, 0, 1} and {-1, 1} <= moves, moves


def test_clipping_is_confined_to_beyond_gamma_max(lbt_trainer):
    """With the gamma the training state reached, the compiled quantizer is
    unbiased where |g| <= gamma max|g| and returns exactly +-gamma max|g|
    beyond; the clipped count is the one the gamma update counts."""
    trainer = lbt_trainer
    trainer.reset()
    trainer.lr = 0.05
    for step in range(3):
        trainer.step(*fashion_like_batch(BATCH, seed=300 + step))
    gamma = float([v for n, v in trainer.optimizer_state().items()
                   if n.endswith(".lbt_gamma")][0])
    assert 0 < gamma < 1
    rng = np.random.default_rng(21)
    g = rng.standard_t(3, size=(16, 64)).astype(F32)
    c = F32(F32(gamma) * np.abs(g).max())
    clipped = np.abs(g) > c
    assert 0 < clipped.sum() < g.size // 2
    draws = 3000
    total = np.zeros(g.shape, np.float64)
    maximum = np.full(g.shape, -np.inf)
    minimum = np.full(g.shape, np.inf)
    for seed in range(draws):
        codes, scale = fqt.quantize(g, "lbt:4", seed=seed, gamma=gamma)
        q = fqt.dequantize(codes, scale, None, "lbt:4")
        total += q
        maximum = np.maximum(maximum, q)
        minimum = np.minimum(minimum, q)
    mean = total / draws
    step = np.float64(c) / (2**(BITS - 1) - 1)
    # Clipped: every draw is exactly sign(g) * c (the extreme code).
    np.testing.assert_array_equal(maximum[clipped], minimum[clipped])
    np.testing.assert_allclose(mean[clipped], np.sign(g[clipped]) * c,
                               rtol=1e-6)
    # Unclipped: no draw leaves [-c, c], and the mean is unbiased
    # (per-element z-test: |mean - g| <= 4.5 sd, sd <= step / (2 sqrt K)).
    assert np.all(np.abs(maximum[~clipped]) <= c * (1 + 1e-6))
    assert np.all(np.abs(minimum[~clipped]) <= c * (1 + 1e-6))
    z = np.abs(mean[~clipped] - g[~clipped]) / (step / (2 * np.sqrt(draws)))
    assert z.max() < 4.5, z.max()
    # The bias is all on the clipped elements: |g| - c there.
    np.testing.assert_allclose(np.abs(g[clipped] - mean[clipped]),
                               np.abs(g[clipped]) - c, rtol=1e-5, atol=1e-6)
