"""VGG (Simonyan and Zisserman, 2014): stacks of 3x3 convolutions, halved by 2x2 max pooling.

A whole VGG network is one list: a number is a 3x3 convolution with that many output
channels (padding 1 keeps the size), ``"M"`` is a 2x2 max pool that halves it. The
configurations A, B, D, E of the paper are VGG-11, 13, 16 and 19 (the number counts the
layers with weights: convolutions plus the three dense layers).

With 1000 classes: VGG-11 132,863,336 parameters, VGG-16 138,357,544, VGG-16 with batch
norm 138,365,992. Parameter names follow torchvision (``features.0.weight``, ...).
"""

from __future__ import annotations

import torch
from torch import nn

VGG_CONFIGS: dict[str, list] = {
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg13": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "vgg19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
              512, 512, 512, 512, "M"],
}


def _config(cfg) -> list:
    """A configuration given by name (``"vgg16"``) or as a list, checked."""
    if isinstance(cfg, str):
        if cfg not in VGG_CONFIGS:
            raise ValueError(f"unknown VGG configuration {cfg!r}; use one of {list(VGG_CONFIGS)} or a list "
                             "such as [64, 'M', 128, 'M']")
        return VGG_CONFIGS[cfg]
    cfg = list(cfg)
    bad = [item for item in cfg if item != "M" and not (isinstance(item, int) and item > 0)]
    if not cfg or bad:
        raise ValueError(f"a VGG configuration lists positive channel counts and 'M' for pooling; got {bad or cfg}")
    return cfg


def make_vgg_features(cfg, batch_norm: bool = False, in_channels: int = 3) -> nn.Sequential:
    """The convolutional part of a VGG network from its configuration (a name or a list).

    Each number adds conv 3x3 (padding 1) -> [batch norm] -> ReLU; each ``"M"`` a 2x2 max pool.
    """
    layers: list[nn.Module] = []
    channels = in_channels
    for item in _config(cfg):
        if item == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(channels, item, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(item))
        layers.append(nn.ReLU(inplace=True))
        channels = item
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """``features`` -> average pool to ``pooled_size`` x ``pooled_size`` -> flatten -> ``classifier``."""

    def __init__(self, features: nn.Sequential, classifier: nn.Sequential, pooled_size: int):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((pooled_size, pooled_size))
        self.classifier = classifier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


def _init_weights(model: nn.Module) -> nn.Module:
    """He initialization for the convolutions, small normal weights for the dense layers.

    Deep plain stacks without batch norm train poorly from PyTorch's default initialization;
    He et al. (2015) scale the weights so the signal keeps its size through ReLU layers.
    """
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.01)
            nn.init.zeros_(m.bias)
    return model


def vgg(cfg, batch_norm: bool = False, num_classes: int = 1000, dropout: float = 0.5) -> VGG:
    """A VGG network for 3x224x224 images: five pools take 224 to 7, then 4096 -> 4096 -> classes."""
    features = make_vgg_features(cfg, batch_norm)
    channels = [item for item in _config(cfg) if item != "M"][-1]
    classifier = nn.Sequential(
        nn.Linear(channels * 7 * 7, 4096), nn.ReLU(inplace=True), nn.Dropout(dropout),
        nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(dropout),
        nn.Linear(4096, num_classes),
    )
    return _init_weights(VGG(features, classifier, pooled_size=7))


def vgg11(num_classes: int = 1000, dropout: float = 0.5) -> VGG:
    """VGG-11 (configuration A), 132,863,336 parameters with 1000 classes."""
    return vgg("vgg11", False, num_classes, dropout)


def vgg11_bn(num_classes: int = 1000, dropout: float = 0.5) -> VGG:
    """VGG-11 with batch norm after every convolution."""
    return vgg("vgg11", True, num_classes, dropout)


def vgg13(num_classes: int = 1000, dropout: float = 0.5) -> VGG:
    """VGG-13 (configuration B)."""
    return vgg("vgg13", False, num_classes, dropout)


def vgg13_bn(num_classes: int = 1000, dropout: float = 0.5) -> VGG:
    """VGG-13 with batch norm."""
    return vgg("vgg13", True, num_classes, dropout)


def vgg16(num_classes: int = 1000, dropout: float = 0.5) -> VGG:
    """VGG-16 (configuration D), 138,357,544 parameters with 1000 classes."""
    return vgg("vgg16", False, num_classes, dropout)


def vgg16_bn(num_classes: int = 1000, dropout: float = 0.5) -> VGG:
    """VGG-16 with batch norm, 138,365,992 parameters with 1000 classes."""
    return vgg("vgg16", True, num_classes, dropout)


def vgg19(num_classes: int = 1000, dropout: float = 0.5) -> VGG:
    """VGG-19 (configuration E)."""
    return vgg("vgg19", False, num_classes, dropout)


def vgg19_bn(num_classes: int = 1000, dropout: float = 0.5) -> VGG:
    """VGG-19 with batch norm."""
    return vgg("vgg19", True, num_classes, dropout)


def vgg_cifar(cfg="vgg11", width: float = 0.25, batch_norm: bool = True, num_classes: int = 10,
              dropout: float = 0.0) -> VGG:
    """A VGG network for 3x32x32 images (CIFAR-10): the same stack, narrower, with one dense layer.

    Channel counts are the configuration's times ``width`` (at least 1). Five 2x2 pools take
    32x32 to 1x1, so the classifier is a single linear layer on the last channels; the two
    4096-unit layers of the ImageNet version would hold most of the parameters and mostly
    memorize 50,000 small images. Batch norm is on by default: it lets the stack train fast
    with a large learning rate.
    """
    if width <= 0:
        raise ValueError(f"width must be positive, got {width}")
    scaled = [item if item == "M" else max(1, round(item * width)) for item in _config(cfg)]
    features = make_vgg_features(scaled, batch_norm)
    channels = [item for item in scaled if item != "M"][-1]
    classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(channels, num_classes))
    return VGG(features, classifier, pooled_size=1)
