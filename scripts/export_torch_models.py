#!/usr/bin/env python3
"""Exports small PyTorch models to ONNX with reference test data.

For each model writes OUT/<name>/model.onnx (torch.onnx.export, opset 17,
dynamic batch) and OUT/<name>/test_data_set_0/{input_0,output_0}.pb holding
a seeded input and PyTorch's output, in the ONNX backend-test layout that
`fqt-run --test-data` reads.

Models: `mlp` (Linear-ReLU-Linear), `resnet` (a ResNet-style CNN: Conv,
BatchNorm in inference mode, ReLU, a residual block, MaxPool, global average
pool, Flatten, Linear) and `mobilenet` (a MobileNetV2-style inverted
residual block: pointwise Conv, depthwise Conv (group = channels), ReLU6,
a group-2 Conv, a residual Add).

Usage: export_torch_models.py OUT [--batch 4]
"""

import argparse
import os

import numpy as np
import onnx
import onnx.numpy_helper
import torch
from torch import nn


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 64)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        return self.fc2(self.relu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(x + self.bn2(self.conv2(y)))


class ResNetish(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, stride=1, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.pool = nn.MaxPool2d(2)
        self.block = Block(8)
        self.head = nn.Linear(8, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.bn(self.stem(x))))
        x = self.block(x)
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)
        return self.head(x)


class MobileNetish(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, stride=2, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.expand = nn.Conv2d(8, 24, 1, bias=False)
        self.depthwise = nn.Conv2d(24, 24, 3, padding=1, groups=24, bias=False)
        self.dwbn = nn.BatchNorm2d(24)
        self.project = nn.Conv2d(24, 8, 1, groups=2)
        self.down = nn.Conv2d(8, 16, 3, stride=2, padding=1, groups=8)
        self.head = nn.Linear(16, 10)

    def forward(self, x):
        x = nn.functional.relu6(self.bn(self.stem(x)))
        y = nn.functional.relu6(self.expand(x))
        y = nn.functional.relu6(self.dwbn(self.depthwise(y)))
        x = x + self.project(y)
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(self.down(x), 1), 1)
        return self.head(x)


def randomize_batchnorm(model, generator):
    # Non-trivial running statistics, so inference-mode BN is really tested.
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=generator) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=generator) * 0.1)


def export(name, model, example, out_dir):
    model.eval()
    path = os.path.join(out_dir, name)
    os.makedirs(os.path.join(path, "test_data_set_0"), exist_ok=True)
    torch.onnx.export(model, example, os.path.join(path, "model.onnx"),
                      input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                      opset_version=17)
    with torch.no_grad():
        output = model(example)
    for kind, tensor in (("input", example), ("output", output)):
        proto = onnx.numpy_helper.from_array(tensor.numpy(), kind)
        with open(os.path.join(path, "test_data_set_0", f"{kind}_0.pb"), "wb") as f:
            f.write(proto.SerializeToString())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--batch", type=int, default=4)
    args = parser.parse_args()
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)

    export("mlp", MLP(), torch.randn(args.batch, 784, generator=generator), args.out)
    resnet = ResNetish()
    randomize_batchnorm(resnet, generator)
    export("resnet", resnet, torch.randn(args.batch, 1, 28, 28, generator=generator),
           args.out)
    mobilenet = MobileNetish()
    randomize_batchnorm(mobilenet, generator)
    export("mobilenet", mobilenet,
           torch.randn(args.batch, 1, 28, 28, generator=generator), args.out)


if __name__ == "__main__":
    main()
