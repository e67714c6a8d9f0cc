#!/usr/bin/env python3
"""Writes the small transformer of the low-bit training benchmark: a
Fashion-MNIST image read as a sequence of its 28 rows of 28 pixels, each row
embedded by a Linear(28, 32) plus a learned position, one
nn.TransformerEncoderLayer (4 heads, feed-forward 64, ReLU, post-norm, no
dropout), the mean over the rows and a Linear(32, 10) head.

Exported by Debian's PyTorch 1.13 (torch.onnx.export, TorchScript, opset 17,
training mode so that the encoder layer is not replaced by its fused
inference kernel) with a symbolic batch, as scripts/make_example_models.py
exports the bundled MLP and CNN:

    /usr/bin/python3 benchmarks/make_row_transformer.py OUT.onnx
"""
import sys

import torch
from torch import nn


class RowTransformer(nn.Module):
    def __init__(self, d_model=32, nhead=4, ff=64):
        super().__init__()
        self.embed = nn.Linear(28, d_model)
        self.position = nn.Parameter(torch.randn(28, d_model) * 0.1)
        self.layer = nn.TransformerEncoderLayer(
            d_model, nhead, dim_feedforward=ff, dropout=0.0,
            activation="relu", batch_first=True)
        self.head = nn.Linear(d_model, 10)

    def forward(self, x):
        rows = self.embed(x.reshape(x.shape[0], 28, 28)) + self.position
        return self.head(self.layer(rows).mean(dim=1))


def main():
    torch.manual_seed(0)
    model = RowTransformer().train()
    x = torch.zeros(2, 1, 28, 28)
    torch.onnx.export(model, (x,), sys.argv[1], input_names=["input"],
                      output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"},
                                    "logits": {0: "batch"}},
                      training=torch.onnx.TrainingMode.TRAINING,
                      opset_version=17, do_constant_folding=False)


if __name__ == "__main__":
    main()
