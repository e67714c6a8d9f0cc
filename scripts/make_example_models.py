#!/usr/bin/env python3
"""Writes the bundled Fashion-MNIST models, examples/fashion-mnist/{mlp,cnn}.onnx.

Both are PyTorch modules with PyTorch's default initialisation (seeded),
exported with torch.onnx.export at opset 17 and a symbolic batch dimension,
which fqt-compile binds with --batch. Run with Debian's interpreter:

    /usr/bin/python3 scripts/make_example_models.py [OUT_DIR]
"""
import os
import sys

import torch
from torch import nn


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(784, 256)
        self.fc2 = nn.Linear(256, 128)
        self.fc3 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.flatten(x)
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.fc3(x)


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        return self.fc(torch.flatten(x, 1))


def export(model, path):
    model.eval()
    x = torch.zeros(2, 1, 28, 28)
    torch.onnx.export(model, x, path, input_names=["input"],
                      output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"},
                                    "logits": {0: "batch"}},
                      opset_version=17, do_constant_folding=True)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "examples", "fashion-mnist")
    os.makedirs(out, exist_ok=True)
    for name, cls in (("mlp", MLP), ("cnn", CNN)):
        torch.manual_seed(0)
        export(cls(), os.path.join(out, name + ".onnx"))
        print("wrote", os.path.join(out, name + ".onnx"))


if __name__ == "__main__":
    main()
