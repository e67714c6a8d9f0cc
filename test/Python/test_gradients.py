"""Gradients from the bindings equal those of fqt-compile's executables
(`--dump-gradients`) on the same batch, model, quantizers and seed, bit for
bit: both compile through lib/Driver and run the same code on the same key
(seed, step 0)."""
import os
import subprocess

import numpy as np
import pytest

import fqt
from conftest import BATCH, fashion_like_batch

SEED = 7


def cli_gradients(cli_programs, name, tmp_path, x, y):
    """One batch through `--dump-gradients` of the executable NAME."""
    if cli_programs is None:
        pytest.skip("FQT_TOOLS_DIR does not name a directory with fqt-compile")
    process, exe = cli_programs[name]
    assert process.wait() == 0, f"fqt-compile failed for {name}"
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    out = tmp_path / "grads"
    subprocess.run([exe, f"--dump-gradients={out}", f"--inputs={tmp_path / 'x.npy'}",
                    f"--labels={tmp_path / 'y.npy'}", f"--seed={SEED}"],
                   check=True)
    return {f[:-4]: np.load(out / f) for f in os.listdir(out)}


@pytest.mark.parametrize("program, trainer", [
    ("fp32", "mlp_fp32"),
    ("psq4", "mlp_quantized"),
])
def test_gradients_match_dump_gradients(cli_programs, tmp_path, request,
                                        program, trainer):
    trainer = request.getfixturevalue(trainer)
    trainer.reset()
    assert trainer.seed == SEED
    x, y = fashion_like_batch(BATCH, seed=3)
    expected = cli_gradients(cli_programs, program, tmp_path, x, y)
    loss, grads = trainer.loss_and_gradients(x, y)
    assert sorted(grads) == sorted(trainer.parameter_names)
    assert sorted(expected) == sorted(list(grads) + ["loss"])
    # The same compiled code on the same bits: equal, not just close.
    assert np.float32(loss) == expected["loss"]
    for name, value in grads.items():
        assert value.dtype == np.float32
        assert value.shape == trainer.parameters()[name].shape
        np.testing.assert_array_equal(value, expected[name], err_msg=name)
    # gradients() keeps the parameters.
    assert trainer.step_count == 0


def test_quantized_gradient_depends_on_seed_only_through_rounding(
        mlp_fp32, mlp_quantized):
    mlp_fp32.reset()
    mlp_quantized.reset()
    x, y = fashion_like_batch(BATCH, seed=4)
    a = mlp_quantized.gradients(x, y, seed=1)
    b = mlp_quantized.gradients(x, y, seed=1)
    c = mlp_quantized.gradients(x, y, seed=2)
    exact = mlp_fp32.gradients(x, y)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
    assert any(not np.array_equal(a[n], c[n]) for n in a)
    # A 4-bit dgrad and 8-bit forward quantizers stay close to fp32.
    for name in exact:
        scale = np.abs(exact[name]).max() + 1e-12
        assert np.abs(a[name] - exact[name]).max() < 0.5 * scale, name


def test_fqt_gradient_estimates_the_qat_gradient(mlp_quantized):
    """Stochastic gradient quantizers are unbiased: over many seeds the
    fully quantized gradient averages to the QAT gradient (same quantized
    forward pass, exact backward) within 5 standard errors."""
    trainer = mlp_quantized
    if not trainer.has_qat_gradients:
        pytest.skip("the program has no qat_grad_step")
    trainer.reset()
    x, y = fashion_like_batch(BATCH, seed=5)
    qat = trainer.qat_gradients(x, y)
    draws = 400
    samples = [trainer.gradients(x, y, seed=s) for s in range(draws)]
    for name, reference in qat.items():
        g = np.stack([s[name] for s in samples]).astype(np.float64)
        standard_error = g.std(axis=0, ddof=1) / np.sqrt(draws)
        # Sums of float32 products in another order differ by rounding.
        rounding = 1e-5 * np.abs(reference).max() + 1e-7
        error = np.abs(g.mean(axis=0) - reference)
        assert (error <= 5 * standard_error + rounding).all(), name
        # Weight gradients come from quantized products (the last bias's
        # gradient, a sum of the exact dY, does not).
        if name.endswith("weight"):
            assert standard_error.max() > 0, name


def test_uint8_pixels_are_normalized_as_the_executable_does(
        cli_programs, tmp_path, mlp_fp32):
    """uint8 images are pixels to both: (x / 255 - mean) / std with the
    executables' default --normalize, bit for bit (the bindings used to feed
    the raw 0..255 values: a loss of 30.9 where the executable had 2.3)."""
    mlp_fp32.reset()
    rng = np.random.default_rng(5)
    x = rng.integers(0, 256, size=(BATCH, 1, 8, 8)).astype(np.uint8)
    _, y = fashion_like_batch(BATCH, seed=5)
    expected = cli_gradients(cli_programs, "fp32", tmp_path, x, y)
    loss, grads = mlp_fp32.loss_and_gradients(x, y)
    assert np.float32(loss) == expected["loss"]
    for name, value in grads.items():
        np.testing.assert_array_equal(value, expected[name], err_msg=name)
    assert mlp_fp32.normalize == fqt.DEFAULT_NORMALIZE
    by_hand = ((x.astype(np.float64) / 255 - 0.2860) / 0.3530).astype(np.float32)
    np.testing.assert_allclose(mlp_fp32.loss_and_gradients(by_hand, y)[0], loss,
                               rtol=1e-6)
    # Another normalisation is another input; a bad one is refused.
    mlp_fp32.normalize = (0.5, 0.25)
    try:
        assert mlp_fp32.loss_and_gradients(x, y)[0] != loss
        with pytest.raises(ValueError, match="normalize std must be positive"):
            mlp_fp32.normalize = (0.5, 0.0)
    finally:
        mlp_fp32.normalize = fqt.DEFAULT_NORMALIZE
