"""Checks fqt's compiled gradients against PyTorch autograd (float64) and
against central finite differences of fqt's own compiled loss.

    check_gradients.py FQT_COMPILE WORKDIR [MODEL...]

(all models when none is named; the lit tests beside this directory name
them, one test per group, so that they run in parallel).

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
    (fqt compiles float32 programs only, so the finite differences are of
    its float32 loss; the float64 reference is PyTorch's.)
  * for models with training-mode BatchNormalization, the running
    statistics train_step returns (ONNX's rule) and eval_step's output
    (normalized with them) against PyTorch's eval().
A parameter whose float64 gradient is zero (a bias before a
BatchNormalization) is compared with 1e-5 of the model's largest gradient
instead of its own magnitude.
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


class GroupedCNN(nn.Module):
    """Grouped convolutions: depthwise (group = channels, strided, with
    bias), group 2 (two input and three output channels per group, no bias)
    and depthwise with a channel multiplier of 2 (dilated); smooth
    activations, so that finite differences apply, except a hardtanh
    (ONNX Clip, as MobileNetV2's ReLU6 exports) after the depthwise one."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 4, 3, padding=1)
        self.dw = nn.Conv2d(4, 4, 3, stride=2, padding=1, groups=4)
        self.gc = nn.Conv2d(4, 6, 3, padding=1, groups=2, bias=False)
        self.dw2 = nn.Conv2d(6, 12, 3, padding=2, dilation=2, groups=6)
        self.fc = nn.Linear(12, 5)

    def forward(self, x):
        h = torch.tanh(self.conv1(x))
        h = nn.functional.hardtanh(self.dw(h), -0.5, 0.5)
        h = torch.sigmoid(self.gc(h))
        h = torch.tanh(self.dw2(h))
        return self.fc(h.mean((2, 3)))


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


class Hard(nn.Module):
    """HardSwish and HardSigmoid (MobileNetV3's activations), with inputs
    that reach both of their flat parts and the linear one."""

    def __init__(self):
        super().__init__()
        self.w1 = nn.Parameter(torch.randn(8, 12) * 1.5)
        self.w2 = nn.Parameter(torch.randn(12, 5) * 0.5)

    def forward(self, x):
        h = nn.functional.hardswish(torch.matmul(torch.flatten(x, 1), self.w1))
        return torch.matmul(h * nn.functional.hardsigmoid(h - 1.0), self.w2)


class PoolCeil(nn.Module):
    """MaxPool with ceil_mode (SqueezeNet's): the last window of each row
    and column overhangs the 8x8 input."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3, padding=1)
        self.fc = nn.Linear(3 * 4 * 4, 5)

    def forward(self, x):
        h = torch.tanh(self.conv(x))
        h = nn.functional.max_pool2d(h, 3, stride=2, ceil_mode=True)
        return self.fc(torch.flatten(h, 1))


class Disjoint(nn.Module):
    """Windows that tile the input without overlap: MaxPool 2x2 stride 2 on
    a 7x7 map (the last row and column in no window), the same with
    ceil_mode (the last window overhangs), a 1x1 convolution and a
    patchifying 2x2 stride-2 convolution (ViT's embedding, in small)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 3, 1)
        self.patch = nn.Conv2d(3, 4, 2, stride=2)
        self.fc = nn.Linear(3 * 3 * 3 + 3 * 4 * 4 + 4 * 3 * 3, 5)

    def forward(self, x):
        h = torch.tanh(self.conv1(x))
        a = nn.functional.max_pool2d(h, 2, stride=2)
        b = nn.functional.max_pool2d(h, 2, stride=2, ceil_mode=True)
        c = torch.tanh(self.patch(h))
        return self.fc(torch.cat([torch.flatten(a, 1), torch.flatten(b, 1),
                                  torch.flatten(c, 1)], 1))


class Activations(nn.Module):
    """Softplus, Elu, Selu, Softsign, Abs, elementwise Max and Min
    (torch.maximum/minimum), ReduceL2 (torch.norm over a dimension),
    ReduceMax and ReduceMin (amax/amin), ReduceSumSquare (fused after the
    export)."""

    def __init__(self):
        super().__init__()
        self.w1 = nn.Parameter(torch.randn(8, 12) * 0.8)
        self.w2 = nn.Parameter(torch.randn(12, 5) * 0.5)

    def forward(self, x):
        h = torch.matmul(torch.flatten(x, 1), self.w1)
        a = (nn.functional.softplus(h) + nn.functional.elu(h, alpha=0.7) -
             nn.functional.selu(h) * nn.functional.softsign(h))
        m = torch.maximum(a, 0.5 * h) + torch.minimum(a, -h)
        n = torch.norm(m, p=2, dim=-1, keepdim=True)
        spread = (torch.amax(m, dim=-1, keepdim=True) -
                  torch.amin(m, dim=-1, keepdim=True))
        # Exported as Mul and ReduceSum, fused into ReduceSumSquare below.
        s = torch.sum(m * m, dim=-1, keepdim=True)
        return torch.matmul(m / (1.0 + n + 0.1 * s), self.w2) + 0.1 * spread


def fuse_sum_square(path):
    """Rewrites ReduceSum(Mul(x, x), constant axes) into ReduceSumSquare(x)
    (which PyTorch's exporter does not emit) in the model at `path`."""
    import onnx
    from onnx import helper, numpy_helper
    model = onnx.load(path)
    graph = model.graph
    producers = {o: n for n in graph.node for o in n.output}
    constants = {n.output[0]: numpy_helper.to_array(n.attribute[0].t)
                 for n in graph.node if n.op_type == "Constant"}
    nodes = []
    for node in graph.node:
        source = producers.get(node.input[0]) if node.input else None
        if (node.op_type == "ReduceSum" and source is not None and
                source.op_type == "Mul" and
                source.input[0] == source.input[1] and
                len(node.input) == 2 and node.input[1] in constants):
            keepdims = [a.i for a in node.attribute if a.name == "keepdims"]
            node = helper.make_node(
                "ReduceSumSquare", [source.input[0]], list(node.output),
                name=node.name + "_square",
                axes=[int(a) for a in constants[node.input[1]]],
                keepdims=keepdims[0] if keepdims else 1)
        nodes.append(node)
    del graph.node[:]
    graph.node.extend(nodes)
    assert any(n.op_type == "ReduceSumSquare" for n in graph.node)
    onnx.save(model, path)


class CNNBatchNorm(nn.Module):
    """Conv, BatchNormalization in training mode (NCHW and N x C), a
    residual connection (a value used twice), ReduceMean, Gemm. Smooth
    activations, so that finite differences apply everywhere."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4, 5)
        self.bn3 = nn.BatchNorm1d(5)

    def forward(self, x):
        h = torch.tanh(self.bn1(self.conv1(x)))
        h = torch.sigmoid(h + self.bn2(self.conv2(h)))
        return self.bn3(self.fc(h.mean((2, 3))))


class MLPBatchNormEval(nn.Module):
    """BatchNormalization in inference mode (exported in eval mode, trained
    with its running statistics fixed) on N x C activations."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 6)
        self.bn = nn.BatchNorm1d(6)
        self.fc2 = nn.Linear(6, 5)
        with torch.no_grad():
            self.bn.running_mean.normal_(0, 0.3)
            self.bn.running_var.uniform_(0.5, 2.0)
            self.bn.weight.add_(torch.randn(6) * 0.2)
            self.bn.bias.add_(torch.randn(6) * 0.2)

    def forward(self, x):
        return self.fc2(torch.tanh(self.bn(self.fc1(torch.flatten(x, 1)))))


class Transformer(nn.Module):
    """PyTorch's own encoder layer (self-attention: batched MatMul of two
    activations, Softmax, computed Slices; LayerNorm; GELU via Erf; two
    residuals) and a classifier head on the mean over the sequence."""

    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(
            d_model=8, nhead=2, dim_feedforward=16, dropout=0.0,
            batch_first=True, activation="gelu")
        self.head = nn.Linear(8, 5)
        # PyTorch's exporter shares initializers of equal value (the zero
        # biases, the unit LayerNorm scales) through Identity nodes; random
        # values keep one initializer per parameter.
        with torch.no_grad():
            for p in self.parameters():
                p.add_(torch.randn_like(p) * 0.2)

    def forward(self, x):
        return self.head(self.layer(x).mean(dim=1))


class Shapes(nn.Module):
    """Split, Concat, Gather, Slice (strided), Where (mask), Expand, Pow,
    ReduceSum, ReduceMean, a decomposed LayerNorm (ReduceMean, Sub, Pow,
    Sqrt, Div), LayerNormalization over two axes, broadcast batched
    MatMul."""

    def __init__(self):
        super().__init__()
        self.w1 = nn.Parameter(torch.randn(8, 12) * 0.3)
        self.g = nn.Parameter(torch.rand(12) + 0.5)
        self.ln = nn.LayerNorm([2, 6])
        self.k = nn.Parameter(torch.randn(1, 6, 6) * 0.3)
        self.w2 = nn.Parameter(torch.randn(12, 5) * 0.3)
        self.register_buffer("mask", torch.tensor(
            [[True, False, True, True, False, True],
             [False, True, True, False, True, True]]))
        self.register_buffer("picked", torch.tensor([3, 0, 3, 11]))
        with torch.no_grad():
            self.ln.weight.add_(torch.randn(2, 6) * 0.2)
            self.ln.bias.add_(torch.randn(2, 6) * 0.2)

    def forward(self, x):
        h = torch.matmul(torch.flatten(x, 1), self.w1)          # [B, 12]
        mu = h.mean(-1, keepdim=True)
        var = (h - mu).pow(2).mean(-1, keepdim=True)
        h = (h - mu) / torch.sqrt(var + 1e-5) * self.g          # decomposed LN
        a, b = torch.split(h, [5, 7], dim=1)
        h = torch.cat([b, a * a.sum(1, keepdim=True)], dim=1)
        h = self.ln(h.reshape(-1, 2, 6))                        # axis=-2
        h = torch.matmul(h, self.k)                             # [B,2,6]x[1,6,6]
        h = torch.where(self.mask, h, h * 0.3 - 1.0)
        h = h.reshape(-1, 12)
        picked = h[:, self.picked]                              # Gather
        h = h + picked.sum(1, keepdim=True).expand(-1, 12) * 0.1
        h = torch.cat([h[:, ::2], h[:, 1::2] ** 3 * 0.2], 1)   # strided Slice
        return torch.matmul(torch.tanh(h), self.w2)


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
    "hard": (Hard, (BATCH, 2, 4), 1e-3),
    "pool-ceil": (PoolCeil, (BATCH, 2, 8, 8), 2e-3),
    "disjoint": (Disjoint, (BATCH, 2, 7, 7), 2e-3),
    "grouped-conv": (GroupedCNN, (BATCH, 2, 7, 7), 2e-3),
    "activations": (Activations, (BATCH, 2, 4), 1e-3),
    "cnn-bn": (CNNBatchNorm, (BATCH, 2, 5, 5), 2e-3),
    "transformer": (Transformer, (BATCH, 3, 8), 1e-2),
    "shapes": (Shapes, (BATCH, 2, 4), 1e-2),
    "mlp-bn-eval": (MLPBatchNormEval, (BATCH, 2, 4), 1e-2),
}

# Rewrites of the exported model that keep its function.
REWRITES = {"activations": fuse_sum_square}

# Models whose PyTorch reference runs in eval mode (as exported).
EVAL_REFERENCE = {"mlp-bn-eval"}

# Elements per parameter checked by finite differences (default 6): fewer
# for the models with many parameters, to keep the test's run time small.
FD_SAMPLES = {"transformer": 3, "cnn-bn": 4}

# Models exported in training mode: BatchNormalization normalizes with the
# batch statistics and outputs the running ones.
TRAINING_EXPORT = {"cnn-bn"}


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
        export_mode = (torch.onnx.TrainingMode.TRAINING
                       if name in TRAINING_EXPORT else
                       torch.onnx.TrainingMode.EVAL)
        torch.onnx.export(model, torch.zeros(shape),
                          onnx_path, input_names=["input"],
                          output_names=["logits"], opset_version=17,
                          training=export_mode)
        if name in REWRITES:
            REWRITES[name](onnx_path)
        subprocess.run([fqt_compile, onnx_path, "-o", lib_path, "--fp32",
                        "--entry-points=train,eval,grad",
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
        if name in EVAL_REFERENCE:
            reference.eval()
        # Exporting in training mode ran the model (updating its running
        # statistics): start the reference from the exported values.
        with torch.no_grad():
            for sname, value in program.init():
                if sname.kind == "state":
                    reference.get_buffer(sname.name).copy_(
                        torch.tensor(value))
        bn_inputs = {}
        for mname, module in reference.named_modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.register_forward_hook(
                    lambda m, args, out, mname=mname:
                    bn_inputs.__setitem__(mname, args[0].detach()))
        before = {k: v.clone() for k, v in reference.state_dict().items()}
        xt = torch.tensor(x, dtype=torch.float64)
        loss = nn.functional.cross_entropy(reference(xt), torch.tensor(y))
        reference.zero_grad()
        loss.backward()
        named = dict(reference.named_parameters())

        def torch_grad(pname):
            """The autograd gradient of fqt's parameter `pname`. PyTorch
            exports a linear layer's weight used by MatMul as its
            transpose, under a new name: match those by value."""
            if pname in named:
                return named[pname].grad.numpy()
            for p in named.values():
                if (p.dim() == 2 and p.T.shape == params[pname].shape and
                        np.array_equal(p.detach().T.numpy().astype(
                            np.float32), params[pname])):
                    return p.grad.T.numpy()
            raise KeyError("no PyTorch parameter for " + pname)

        worst = abs(float(ours["loss"]) - loss.item()) / abs(loss.item())
        ok = worst <= 1e-4
        largest = max(np.abs(torch_grad(p)).max() for p in params)
        for pname in params:
            want = torch_grad(pname)
            # A bias feeding a BatchNormalization has an exact zero
            # gradient (the batch mean removes it); fqt's is the float32
            # rounding of terms that cancel, about 1e-7 of the gradient
            # flowing into the normalization. Such gradients (zero within
            # float64 rounding) are bounded by 1e-5 of the model's largest
            # gradient instead.
            scale = np.abs(want).max()
            if scale <= 1e-12 * largest:
                scale = 0.1 * largest
            err = np.abs(ours[pname] - want).max() / max(scale, 1e-30)
            worst = max(worst, err)
            if err > 1e-4:
                ok = False
                print("  %s/%s: max relative error %.3g vs PyTorch" %
                      (name, pname, err))

        # Running statistics of training-mode BatchNormalization after one
        # train_step (lr 0): ONNX's rule, running * momentum + batch *
        # (1 - momentum) with the population variance (PyTorch keeps the
        # unbiased one, so the variance is checked against the formula); and
        # eval_step, which normalizes with them, against PyTorch's eval().
        if bn_inputs and name in TRAINING_EXPORT:
            initial = {sl.name: a for sl, a in program.init()}
            stepped = {sl.name: a for sl, a in program.call(
                "train_step", input=x, labels=y, lr=0.0, step=0, seed=0,
                **initial)}
            for mname, inp in bn_inputs.items():
                dims = [0] + list(range(2, inp.dim()))
                var = inp.var(dims, unbiased=False).numpy()
                mean = inp.mean(dims).numpy()
                want = {
                    mname + ".running_mean":
                    before[mname + ".running_mean"].numpy() * 0.9 + 0.1 * mean,
                    mname + ".running_var":
                    before[mname + ".running_var"].numpy() * 0.9 + 0.1 * var,
                }
                for sname, w in want.items():
                    err = np.abs(stepped[sname] - w).max() / np.abs(w).max()
                    worst = max(worst, err)
                    if err > 1e-4:
                        ok = False
                        print("  %s/%s: max relative error %.3g" %
                              (name, sname, err))
            reference.load_state_dict({k: v for k, v in before.items()})
            reference.eval()
            with torch.no_grad():
                want = reference(xt).numpy()
            got = dict((sl.kind, a) for sl, a in program.call(
                "eval_step", input=x, labels=y, **initial))["output"]
            err = np.abs(got - want).max() / np.abs(want).max()
            worst = max(worst, err)
            if err > 1e-4:
                ok = False
                print("  %s: eval_step output, max relative error %.3g" %
                      (name, err))
            reference.train()

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
            for index in rng.choice(flat.size,
                                    size=min(FD_SAMPLES.get(name, 6),
                                             flat.size),
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
