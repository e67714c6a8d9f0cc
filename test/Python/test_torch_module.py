"""fqt.compile on a torch.nn.Module with an example input: exported in
process (training mode, opset 17), parameters under their PyTorch names,
loss and gradients against PyTorch's float64 autograd (skipped without
torch)."""
import copy

import numpy as np
import pytest

import fqt

torch = pytest.importorskip("torch")
nn = torch.nn

BATCH = 4


class SmallNet(nn.Module):
    """Conv, BatchNorm in training mode, ReLU, global average pool, Linear."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4, 5)

    def forward(self, x):
        h = torch.relu(self.bn(self.conv(x)))
        return self.fc(h.mean((2, 3)))


def batch(seed, n=BATCH):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, 2, 6, 6)).astype(np.float32),
            rng.integers(0, 5, size=n).astype(np.int64))


def reference(net, x, y):
    """Loss and gradients of net.double() in training mode."""
    ref = copy.deepcopy(net).double().train()
    loss = nn.functional.cross_entropy(
        ref(torch.tensor(x, dtype=torch.float64)), torch.tensor(y))
    loss.backward()
    return loss.item(), {n: p.grad.numpy() for n, p in ref.named_parameters()}


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return SmallNet()


@pytest.fixture(scope="module")
def trainer(net):
    x, _ = batch(0)
    return fqt.compile(net, torch.from_numpy(x), fp32=True, lr=0.05)


def test_module_compiles_with_its_parameter_names(net, trainer):
    assert trainer.batch_size == BATCH
    assert trainer.input_shape == (BATCH, 2, 6, 6)
    assert trainer.num_classes == 5
    assert set(trainer.parameter_names) == {n for n, _ in
                                            net.named_parameters()}
    params = trainer.parameters()
    for name, p in net.named_parameters():
        np.testing.assert_array_equal(params[name], p.detach().numpy())


def test_module_gradients_match_float64_torch(net, trainer):
    x, y = batch(1)
    loss, grads = trainer.loss_and_gradients(x, y)
    want_loss, want = reference(net, x, y)
    assert abs(loss - want_loss) <= 1e-4 * abs(want_loss)
    for name, g in want.items():
        err = np.abs(grads[name] - g).max() / np.abs(g).max()
        assert err <= 1e-4, (name, err)


def test_module_is_not_changed_by_the_export(net, trainer):
    # Exporting in training mode runs the model; a copy is exported, so
    # the module's running statistics stay as they were.
    np.testing.assert_array_equal(net.bn.running_mean.numpy(), np.zeros(4))
    assert net.training


def test_module_trains(trainer):
    x, y = batch(2)
    trainer.reset()
    losses = [trainer.step(x, y) for _ in range(20)]
    assert losses[-1] < losses[0]


def test_module_with_another_batch(net):
    # A batch other than the example's exports a dynamic batch dimension.
    x, y = batch(3, n=2)
    trainer = fqt.compile(net, torch.zeros(BATCH, 2, 6, 6), batch=2,
                          fp32=True)
    assert trainer.batch_size == 2
    loss, grads = trainer.loss_and_gradients(x, y)
    want_loss, want = reference(net, x, y)
    assert abs(loss - want_loss) <= 1e-4 * abs(want_loss)
    err = max(np.abs(grads[n] - g).max() / np.abs(g).max()
              for n, g in want.items())
    assert err <= 1e-4


def test_module_argument_errors(net, mlp_path):
    with pytest.raises(TypeError, match="needs an example_input"):
        fqt.compile(net)
    with pytest.raises(TypeError, match="only for a torch.nn.Module"):
        fqt.compile(mlp_path, torch.zeros(2, 1, 8, 8))
    with pytest.raises(TypeError, match="example_input must be a"):
        fqt.compile(net, [[1.0]])
