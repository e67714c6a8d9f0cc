"""Checks fqt's compiled gradients against PyTorch autograd (float64) and
against central finite differences of fqt's own compiled loss.

    check_gradients.py FQT_COMPILE WORKDIR [MODEL...]

For each model: export it with torch.onnx.export, compile it with
`fqt-compile --fp32 --emit=shared`, call grad_step through the C ABI on a
seeded batch, and compare
  * loss and every parameter gradient with autograd of the same module in
    float64: max |fqt - torch| <= 1e-4 * max |torch| per tensor (the
    criterion of the training issue);
  * a few elements of every gradient with the central difference
    (L(p + h) - L(p - h)) / 2h of fqt's float32 loss, h = 1e-2 (2e-3 for the CNN): the
    truncation error is O(h^2 |L'''|) ~ 1e-5 and the rounding error about
    1e-6 / h <= 5e-4 for a loss near 2, so |fd - g| <= 5e-4 + 1e-2 |g|.
Prints one line per model and exits 1 on any mismatch.
"""
import os
import subprocess
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(__file__))
import fqt_program  # noqa: E402

BATCH = 6


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(20, 16)
        self.fc2 = nn.Linear(16, 5)

    def forward(self, x):
        h = torch.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc2(nn.functional.leaky_relu(h - 0.05, 0.2))


class CNN(nn.Module):
    """Conv (padded, strided), ReLU, LeakyReLU, overlapping MaxPool,
    GlobalAveragePool, residual Add, Flatten, Gemm."""

    def __init__(self, smooth=False):
        super().__init__()
        self.smooth = smooth
        self.conv1 = nn.Conv2d(2, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        self.conv3 = nn.Conv2d(4, 6, 3, stride=2, padding=1, bias=False)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.fc = nn.Linear(6, 5)

    def forward(self, x):
        if self.smooth:
            h = torch.tanh(self.conv1(x))
            h = h + torch.sigmoid(self.conv2(h))
        else:
            h = torch.relu(self.conv1(x))
            h = h + nn.functional.leaky_relu(self.conv2(h), 0.1)
        h = self.pool(self.conv3(h))
        h = nn.functional.adaptive_avg_pool2d(h, 1)
        return self.fc(torch.flatten(h, 1))


class Elementwise(nn.Module):
    """MatMul, broadcasting Add/Sub/Mul/Div, Sigmoid, Tanh, Exp, Log, Sqrt,
    Neg, Reciprocal, GELU (Erf), Transpose, Softmax, LogSoftmax."""

    def __init__(self):
        super().__init__()
        self.w1 = nn.Parameter(torch.randn(8, 12) * 0.3)
        self.b1 = nn.Parameter(torch.randn(12) * 0.1)
        self.w2 = nn.Parameter(torch.randn(12, 5) * 0.3)
        self.scale = nn.Parameter(torch.rand(1, 12) + 0.5)

    def forward(self, x):
        h = torch.matmul(torch.flatten(x, 1), self.w1) + self.b1
        a = torch.sigmoid(h) * torch.tanh(h) - 0.5 * h
        a = a / (2.0 + torch.exp(-h * h)) + torch.log(1.5 + torch.sigmoid(h))
        a = a * self.scale + torch.sqrt(1.0 + h * h) - 1.0 / (2.0 + a * a)
        a = nn.functional.gelu(-a) + torch.softmax(a, dim=-1)
        a = torch.transpose(torch.transpose(a, 0, 1) * 1.5, 0, 1)
        return torch.log_softmax(torch.matmul(a, self.w2), dim=-1)


# Model, input shape, finite-difference step (None: no finite differences).
# The ReLU CNN's loss has kinks closer together than any step float32
# resolves (a bias moves hundreds of ReLU inputs across zero), so its conv
# and pooling rules are checked by finite differences on the tanh/sigmoid
# variant; MaxPool stays piecewise smooth there, hence the smaller step.
MODELS = {
    "mlp": (MLP, (BATCH, 1, 4, 5), 1e-2),
    "cnn": (CNN, (BATCH, 2, 7, 7), None),
    "cnn-smooth": (lambda: CNN(smooth=True), (BATCH, 2, 7, 7), 2e-3),
    "elementwise": (Elementwise, (BATCH, 2, 4), 1e-2),
}


def main():
    fqt_compile, workdir = sys.argv[1], sys.argv[2]
    names = sys.argv[3:] or list(MODELS)
    os.makedirs(workdir, exist_ok=True)
    failures = 0
    for name in names:
        cls, shape, h = MODELS[name]
        torch.manual_seed(0)
        model = cls()
        onnx_path = os.path.join(workdir, name + ".onnx")
        lib_path = os.path.join(workdir, name + ".so")
        torch.onnx.export(model, torch.zeros(shape), onnx_path,
                          input_names=["input"], output_names=["logits"],
                          opset_version=17)
        subprocess.run([fqt_compile, onnx_path, "-o", lib_path, "--fp32",
                        "--emit=shared", "--batch", str(BATCH)], check=True)
        program = fqt_program.Program(lib_path)
        params = program.initial_parameters()

        rng = np.random.RandomState(1)
        x = rng.randn(*shape).astype(np.float32)
        y = rng.randint(0, 5, size=BATCH).astype(np.int64)

        def fqt_grads(p):
            results = program.call("grad_step", input=x, labels=y, step=0,
                                   seed=0, **p)
            return {s.name: a for s, a in results}

        ours = fqt_grads(params)

        reference = model.double()
        xt = torch.tensor(x, dtype=torch.float64)
        loss = nn.functional.cross_entropy(reference(xt), torch.tensor(y))
        reference.zero_grad()
        loss.backward()
        named = dict(reference.named_parameters())

        worst = abs(float(ours["loss"]) - loss.item()) / abs(loss.item())
        ok = worst <= 1e-4
        for pname in params:
            want = named[pname].grad.numpy()
            err = np.abs(ours[pname] - want).max() / max(np.abs(want).max(),
                                                         1e-30)
            worst = max(worst, err)
            if err > 1e-4:
                ok = False
                print("  %s/%s: max relative error %.3g vs PyTorch" %
                      (name, pname, err))

        # Finite differences of fqt's own loss. ReLU and MaxPool make the
        # loss piecewise smooth: where the two one-sided slopes, or the
        # central differences with steps h and h/2, disagree by more than a
        # smooth function allows, a step crossed a kink and the element is
        # skipped; each parameter needs at least one smooth element.
        fd_worst = 0.0
        l0 = float(ours["loss"])
        skipped = 0
        for pname, value in (params.items() if h else ()):
            flat = value.reshape(-1)
            checked = 0
            for index in rng.choice(flat.size, size=min(6, flat.size),
                                    replace=False):
                plus, minus = dict(params), dict(params)
                plus[pname] = value.copy()
                plus[pname].reshape(-1)[index] += h
                minus[pname] = value.copy()
                minus[pname].reshape(-1)[index] -= h
                lp = float(fqt_grads(plus)["loss"])
                lm = float(fqt_grads(minus)["loss"])
                plus[pname].reshape(-1)[index] -= h / 2
                minus[pname].reshape(-1)[index] += h / 2
                fd_half = (float(fqt_grads(plus)["loss"]) -
                           float(fqt_grads(minus)["loss"])) / h
                forward, backward = (lp - l0) / h, (l0 - lm) / h
                fd = (lp - lm) / (2 * h)
                if (abs(forward - backward) > 2e-3 + 0.05 * abs(forward) or
                        abs(fd - fd_half) > 1e-3 + 0.01 * abs(fd)):
                    skipped += 1
                    continue
                checked += 1
                g = float(ours[pname].reshape(-1)[index])
                fd_worst = max(fd_worst, abs(fd - g))
                if abs(fd - g) > 5e-4 + 1e-2 * abs(g):
                    ok = False
                    print("  %s/%s[%d]: finite difference %.6g, gradient "
                          "%.6g" % (name, pname, index, fd, g))
            if checked == 0:
                ok = False
                print("  %s/%s: no element where the loss is smooth" %
                      (name, pname))
        print("%s: %s (max relative error vs PyTorch %.2g, max |fd - g| "
              "%.2g, %d parameters, %d kinks skipped)" %
              (name, "OK" if ok else "FAIL", worst, fd_worst, len(params),
               skipped))
        failures += not ok
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
