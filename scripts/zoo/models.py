"""The models of fqt's model zoo: torchvision classifiers and PyTorch
transformer layers, randomly initialized (nothing is downloaded), sized for
small inputs so that the whole zoo compiles and runs on a two-core machine.

Each entry of MODELS is a ModelSpec: a factory returning an nn.Module with
a fixed seed, the shape of one input sample, the number of classes, and
its family (residual CNN, depthwise CNN, transformer, ViT, MLP). TINY
names the small variants the default test run uses (test/Zoo), one or more
per family.

Dropout: every nn.Dropout is replaced by nn.Identity (dropout probability
0) and EfficientNet's stochastic depth is given p = 0, so that a model in
training mode is deterministic and its float64 PyTorch reference is exact.
BatchNormalization stays in training mode (batch statistics).
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Dict, Tuple

import torch
from torch import nn

NUM_CLASSES = 10
IMAGE = (3, 32, 32)


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    factory: Callable[[], nn.Module]
    sample_shape: Tuple[int, ...]
    family: str
    num_classes: int = NUM_CLASSES
    #: Batch of the export and the check. 8 for the full-size CNNs: at
    #: 32x32 their last stage is 1x1, where a training-mode BatchNorm sees
    #: only the batch; over 2 values its normalized output is +-1 whatever
    #: the input, so the float64 gradient through it is zero (up to eps)
    #: and a float32 one is rounding noise, and over 4 values PyTorch's own
    #: float32 gradient of ResNet-18 is 1.1e-4 off float64.
    batch: int = 2


def without_dropout(model: nn.Module) -> nn.Module:
    """Replaces every Dropout module by Identity and sets the probability of
    torchvision's StochasticDepth and of nn.MultiheadAttention's attention
    dropout to 0."""
    for name, child in list(model.named_children()):
        if isinstance(child, nn.modules.dropout._DropoutNd):
            setattr(model, name, nn.Identity())
        else:
            without_dropout(child)
    for module in model.modules():
        if type(module).__name__ == "StochasticDepth":
            module.p = 0.0
        if isinstance(module, nn.MultiheadAttention):
            module.dropout = 0.0
    return model


def seeded(factory: Callable[[], nn.Module], seed: int = 0):
    """The factory, run under torch.manual_seed(seed), without dropout."""
    def make() -> nn.Module:
        torch.manual_seed(seed)
        return without_dropout(factory())
    return make


def _tv():
    import torchvision  # noqa: F401  (only the zoo needs torchvision)
    return torchvision.models


# --- residual CNNs ---------------------------------------------------------

class TinyResNet(nn.Module):
    """torchvision's BasicBlock and Bottleneck in a small ResNet: a 3x3
    stem, one block per stage, a strided stage with a 1x1 downsampling
    shortcut, global average pooling and a linear head."""

    def __init__(self, bottleneck: bool = False, width: int = 8,
                 num_classes: int = NUM_CLASSES):
        super().__init__()
        from torchvision.models import resnet
        block = resnet.Bottleneck if bottleneck else resnet.BasicBlock
        self.stem = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1, bias=False),
            nn.BatchNorm2d(width), nn.ReLU(inplace=True))
        out1 = width * block.expansion
        down1 = None
        if out1 != width:
            down1 = nn.Sequential(nn.Conv2d(width, out1, 1, bias=False),
                                  nn.BatchNorm2d(out1))
        self.layer1 = block(width, width, downsample=down1)
        out2 = 2 * width * block.expansion
        self.layer2 = block(out1, 2 * width, stride=2, downsample=nn.Sequential(
            nn.Conv2d(out1, out2, 1, stride=2, bias=False),
            nn.BatchNorm2d(out2)))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(out2, num_classes)

    def forward(self, x):
        x = self.layer2(self.layer1(self.stem(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


# --- transformers ----------------------------------------------------------

class EncoderClassifier(nn.Module):
    """nn.TransformerEncoderLayer (batch_first) on a [batch, sequence,
    d_model] input, then the mean over the sequence and a linear head, so
    that there is a classification loss."""

    def __init__(self, d_model: int = 32, nhead: int = 4, ff: int = 64,
                 activation: str = "relu", norm_first: bool = False,
                 num_classes: int = NUM_CLASSES):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(
            d_model, nhead, dim_feedforward=ff, dropout=0.0,
            activation=activation, batch_first=True, norm_first=norm_first)
        self.head = nn.Linear(d_model, num_classes)
        # Random LayerNorm scales and biases: with their initial ones and
        # zeros PyTorch's exporters may share equal initializers.
        with torch.no_grad():
            for module in self.modules():
                if isinstance(module, nn.LayerNorm):
                    module.weight.add_(torch.randn_like(module.weight) * 0.1)
                    module.bias.add_(torch.randn_like(module.bias) * 0.1)

    def forward(self, x):
        return self.head(self.layer(x).mean(dim=1))


def vit(image: int = 32, patch: int = 8, layers: int = 2, hidden: int = 64,
        heads: int = 4, mlp: int = 128) -> nn.Module:
    from torchvision.models.vision_transformer import VisionTransformer
    model = VisionTransformer(image_size=image, patch_size=patch,
                              num_layers=layers, num_heads=heads,
                              hidden_dim=hidden, mlp_dim=mlp,
                              num_classes=NUM_CLASSES)
    # torchvision zero-initializes the head and the class token: random
    # values give every parameter a non-trivial gradient.
    with torch.no_grad():
        model.heads.head.weight.normal_(0, hidden ** -0.5)
        model.class_token.normal_(0, 0.02)
    return model


class MLP(nn.Module):
    def __init__(self, inputs: int = 3 * 32 * 32, hidden: int = 64,
                 num_classes: int = NUM_CLASSES):
        super().__init__()
        self.fc1 = nn.Linear(inputs, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.fc3 = nn.Linear(hidden, num_classes)

    def forward(self, x):
        x = torch.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc3(torch.relu(self.fc2(x)))


def _tiny_mobilenet_v2() -> nn.Module:
    """torchvision's MobileNetV2 with two inverted-residual stages (one with
    a residual connection) at width 0.25."""
    return _tv().mobilenet_v2(num_classes=NUM_CLASSES, width_mult=0.25,
                              inverted_residual_setting=[[1, 8, 1, 1],
                                                         [6, 8, 2, 2]])


SEQUENCE = (8, 32)
TINY_SEQUENCE = (4, 16)

MODELS: Dict[str, ModelSpec] = {
    # Residual CNNs.
    "resnet18": ModelSpec(seeded(lambda: _tv().resnet18(num_classes=NUM_CLASSES)), IMAGE, "residual CNN", batch=8),
    "resnet34": ModelSpec(seeded(lambda: _tv().resnet34(num_classes=NUM_CLASSES)), IMAGE, "residual CNN", batch=8),
    "resnet50": ModelSpec(seeded(lambda: _tv().resnet50(num_classes=NUM_CLASSES)), IMAGE, "residual CNN", batch=8),
    "tiny-resnet": ModelSpec(seeded(TinyResNet), (3, 16, 16), "residual CNN"),
    "tiny-resnet-bottleneck": ModelSpec(seeded(lambda: TinyResNet(bottleneck=True, width=4)), (3, 16, 16), "residual CNN"),
    # Depthwise / grouped CNNs.
    "mobilenet_v2": ModelSpec(seeded(lambda: _tv().mobilenet_v2(num_classes=NUM_CLASSES)), IMAGE, "depthwise CNN", batch=8),
    "mobilenet_v3_small": ModelSpec(seeded(lambda: _tv().mobilenet_v3_small(num_classes=NUM_CLASSES)), IMAGE, "depthwise CNN", batch=8),
    "shufflenet_v2": ModelSpec(seeded(lambda: _tv().shufflenet_v2_x0_5(num_classes=NUM_CLASSES)), IMAGE, "depthwise CNN", batch=8),
    "squeezenet": ModelSpec(seeded(lambda: _tv().squeezenet1_1(num_classes=NUM_CLASSES)), IMAGE, "CNN", batch=8),
    "efficientnet_b0": ModelSpec(seeded(lambda: _tv().efficientnet_b0(num_classes=NUM_CLASSES)), IMAGE, "depthwise CNN", batch=8),
    "regnet_y_400mf": ModelSpec(seeded(lambda: _tv().regnet_y_400mf(num_classes=NUM_CLASSES)), IMAGE, "depthwise CNN", batch=8),
    "tiny-mobilenet_v2": ModelSpec(seeded(_tiny_mobilenet_v2), (3, 16, 16), "depthwise CNN"),
    # Transformers.
    "vit": ModelSpec(seeded(vit), IMAGE, "ViT"),
    "tiny-vit": ModelSpec(seeded(lambda: vit(image=16, patch=8, layers=1, hidden=16, heads=2, mlp=32)), (3, 16, 16), "ViT"),
    "encoder-post-relu": ModelSpec(seeded(lambda: EncoderClassifier()), SEQUENCE, "transformer"),
    "encoder-post-gelu": ModelSpec(seeded(lambda: EncoderClassifier(activation="gelu")), SEQUENCE, "transformer"),
    "encoder-pre-relu": ModelSpec(seeded(lambda: EncoderClassifier(norm_first=True)), SEQUENCE, "transformer"),
    "encoder-pre-gelu": ModelSpec(seeded(lambda: EncoderClassifier(activation="gelu", norm_first=True)), SEQUENCE, "transformer"),
    "tiny-encoder-pre-gelu": ModelSpec(seeded(lambda: EncoderClassifier(16, 2, 32, "gelu", True)), TINY_SEQUENCE, "transformer"),
    "tiny-encoder-post-relu": ModelSpec(seeded(lambda: EncoderClassifier(16, 2, 32, "relu", False)), TINY_SEQUENCE, "transformer"),
    # MLP.
    "mlp": ModelSpec(seeded(MLP), IMAGE, "MLP"),
}

#: The default test run's models (test/Zoo): small, one or more per family.
TINY = ("tiny-resnet", "tiny-mobilenet_v2", "tiny-encoder-pre-gelu",
        "tiny-vit")

#: The zoo proper (benchmarks/zoo.py): the full-size models of the issue.
ZOO = tuple(name for name in MODELS if not name.startswith("tiny-"))
