"""Training through the bindings: steps lower the loss, evaluate() batches
and pads, parameters can be read, set and saved back into the ONNX model."""
import numpy as np
import pytest

import fqt
from conftest import (BATCH, CLASSES, PARAMS, SIDE, SMALL_MLP,
                      fashion_like_batch, mlp_text)


def test_short_training_run_lowers_the_loss(mlp_quantized):
    trainer = mlp_quantized
    trainer.reset()
    trainer.lr = 0.1
    x, y = fashion_like_batch(BATCH * 40, seed=11)
    x_test, y_test = fashion_like_batch(100, seed=12)
    before_loss, before_accuracy = trainer.evaluate(x_test, y_test)
    losses = [trainer.step(x[i:i + BATCH], y[i:i + BATCH])
              for i in range(0, len(x), BATCH)]
    assert trainer.step_count == len(losses) == 40
    assert all(np.isfinite(losses))
    assert np.mean(losses[-10:]) < 0.5 * np.mean(losses[:10]), losses
    after_loss, after_accuracy = trainer.evaluate(x_test, y_test)
    assert after_loss < 0.5 * before_loss
    assert after_accuracy > max(before_accuracy, 0.8)


def test_evaluate_pads_the_last_batch(mlp_fp32):
    """Samples are scored one by one: any split into batches agrees."""
    trainer = mlp_fp32
    trainer.reset()
    x, y = fashion_like_batch(13, seed=13)
    loss, accuracy = trainer.evaluate(x, y)
    first = trainer.evaluate(x[:8], y[:8])
    rest = trainer.evaluate(x[8:], y[8:])
    np.testing.assert_allclose(loss, (8 * first[0] + 5 * rest[0]) / 13,
                               rtol=1e-5)
    np.testing.assert_allclose(accuracy, (8 * first[1] + 5 * rest[1]) / 13)
    # Flattened samples are the same samples.
    assert trainer.evaluate(x.reshape(13, -1), y) == (loss, accuracy)


def test_step_uses_lr_and_keeps_shapes(mlp_fp32):
    trainer = mlp_fp32
    trainer.reset()
    x, y = fashion_like_batch(BATCH, seed=14)
    start = trainer.parameters()
    grads = trainer.gradients(x, y)
    trainer.step(x, y, lr=0.5)
    after = trainer.parameters()
    # Plain SGD: w' = w - lr * g.
    for name in start:
        np.testing.assert_allclose(after[name], start[name] - 0.5 * grads[name],
                                   rtol=1e-5, atol=1e-6)
    assert trainer.step_count == 1
    trainer.set_parameters(start)
    trainer.step_count = 0
    np.testing.assert_array_equal(trainer.parameters()["fc1_weight"],
                                  start["fc1_weight"])
    again = trainer.gradients(x, y)
    for name in grads:
        np.testing.assert_array_equal(again[name], grads[name])


def test_properties(mlp_fp32):
    trainer = mlp_fp32
    trainer.reset()
    params = trainer.parameters()
    params["fc1_bias"][:] = 1e6  # a copy
    assert trainer.parameters()["fc1_bias"].max() < 1e6
    assert trainer.parameter_names == PARAMS
    assert trainer.input_shape == (BATCH, 1, SIDE, SIDE)
    assert trainer.batch_size == BATCH and trainer.num_classes == CLASSES
    assert trainer.seed == 7 and trainer.lr == pytest.approx(0.01)
    assert "function train_step" in trainer.info
    assert trainer.optimizer_state() == {}
    assert "batch=8" in repr(trainer)


def test_momentum_from_bytes_and_save(tmp_path):
    """A binary model given as bytes; momentum state; save() writes the
    trained weights into the model's initializers."""
    onnx = pytest.importorskip("onnx")
    from onnx import numpy_helper
    import onnx.parser
    model = onnx.parser.parse_model(mlp_text()).SerializeToString()
    trainer = fqt.compile(model, batch=4, optimizer="momentum", fp32=True)
    assert len(trainer.optimizer_state()) == len(PARAMS)
    x, y = fashion_like_batch(4, seed=16)
    trainer.step(x, y)
    trainer.step(x, y)
    assert all(np.abs(v).max() > 0 for v in trainer.optimizer_state().values())
    path = tmp_path / "trained.onnx"
    trainer.save(path)
    saved = {t.name: numpy_helper.to_array(t)
             for t in onnx.load(str(path)).graph.initializer}
    params = trainer.parameters()
    assert sorted(saved) == sorted(params)
    for name, value in params.items():
        np.testing.assert_array_equal(saved[name], value)
    original = {t.name: numpy_helper.to_array(t)
                for t in onnx.load_from_string(model).graph.initializer}
    assert not np.array_equal(original["fc1_weight"], saved["fc1_weight"])


def test_ir_stages(mlp_path):
    ir = {s: fqt.ir(mlp_path, s, batch=4, dgrad="psq:4")
          for s in ("import", "training", "quantized", "linalg")}
    assert "onnx.Gemm" in ir["import"] and "train_step" not in ir["import"]
    assert "func.func @train_step" in ir["training"]
    assert "fqt.quantize" not in ir["training"]
    assert "#fqt.psq<bits = 4>" in ir["quantized"]
    assert "linalg." in ir["linalg"] and "onnx.Gemm" not in ir["linalg"]
    llvm = fqt.ir(SMALL_MLP, "llvm", batch=4, fp32=True)
    assert "llvm.func @fqt_train_step" in llvm
    assert "linalg." not in llvm
