#!/usr/bin/python3
"""PyTorch's training step on the bundled models (benchmarks/study.py's peer).

Builds the architecture of examples/fashion-mnist/{mlp,cnn}.onnx in PyTorch
and times one step (forward, cross-entropy, backward, SGD with momentum
0.9) in fp32 and fake-quantized the way fqt's FQT PTQ 8 setup quantizes:
activations and weights per-tensor 8-bit min/max, nearest rounding,
straight-through; the output gradient dY quantized twice, independently,
per-tensor 8-bit with stochastic rounding, once for dX = dY W and once for
dW = dY^T X, both products using the quantized X and W of the forward pass.
Prints one JSON line {"fp32": ms, "fakequant": ms} (mean over --steps after
5 warm-up steps).

  torch_step.py --model=mlp --batch=128 --steps=200 --threads=1
"""

import argparse
import json
import time

import torch
import torch.nn.functional as F


def fake_quant(x, bits=8, stochastic=False):
    """Per-tensor asymmetric min/max quantize-dequantize, rounded to nearest
    or stochastically (PTQ, for gradients)."""
    lo, hi = x.min(), x.max()
    levels = 2 ** bits - 1
    scale = (hi - lo) / levels
    if scale <= 0:
        return x
    y = (x - lo) / scale
    q = torch.floor(y + torch.rand_like(x)) if stochastic else torch.round(y)
    return q.clamp_(0, levels) * scale + lo


def stochastic_quant(g, bits=8):
    return fake_quant(g, bits, stochastic=True)


class QLinear(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w, b):
        xq, wq = fake_quant(x), fake_quant(w)
        ctx.save_for_backward(xq, wq)
        return F.linear(xq, wq, b)

    @staticmethod
    def backward(ctx, g):
        xq, wq = ctx.saved_tensors
        dx = stochastic_quant(g) @ wq
        dw = stochastic_quant(g).t() @ xq
        return dx, dw, g.sum(0)


class QConv(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w, b):
        xq, wq = fake_quant(x), fake_quant(w)
        ctx.save_for_backward(xq, wq)
        return F.conv2d(xq, wq, b, padding=1)

    @staticmethod
    def backward(ctx, g):
        xq, wq = ctx.saved_tensors
        dx = torch.nn.grad.conv2d_input(xq.shape, wq, stochastic_quant(g),
                                        padding=1)
        dw = torch.nn.grad.conv2d_weight(xq, wq.shape, stochastic_quant(g),
                                         padding=1)
        return dx, dw, g.sum((0, 2, 3))


class Linear(torch.nn.Linear):
    quantized = False

    def forward(self, x):
        if self.quantized:
            return QLinear.apply(x, self.weight, self.bias)
        return super().forward(x)


class Conv(torch.nn.Conv2d):
    quantized = False

    def forward(self, x):
        if self.quantized:
            return QConv.apply(x, self.weight, self.bias)
        return super().forward(x)


def make_model(name):
    if name == "resnet18":
        import torchvision
        return torchvision.models.resnet18(num_classes=10)
    if name == "mlp":
        return torch.nn.Sequential(
            torch.nn.Flatten(), Linear(784, 256), torch.nn.ReLU(),
            Linear(256, 128), torch.nn.ReLU(), Linear(128, 10))
    return torch.nn.Sequential(
        Conv(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        Conv(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), Linear(1568, 10))


# The shape of one sample of each model's input.
INPUT = {"mlp": (1, 28, 28), "cnn": (1, 28, 28), "resnet18": (3, 32, 32)}


def time_steps(model, shape, quantized, batch, steps):
    for m in model.modules():
        if isinstance(m, (Linear, Conv)):
            m.quantized = quantized
    opt = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
    x = torch.randn(batch, *shape)
    y = torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    for _ in range(5):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return 1000 * (time.perf_counter() - start) / steps


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=["mlp", "cnn", "resnet18"],
                        default="mlp")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = make_model(args.model)
    shape = INPUT[args.model]
    result = {"fp32": time_steps(model, shape, False, args.batch, args.steps),
              "fakequant": None if args.model == "resnet18" else
              time_steps(model, shape, True, args.batch, args.steps)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
