"""The small CIFAR-10 network of the Day 2 ablation: three conv stages, then one linear layer.

    model = cifar_cnn()                      # the baseline: conv -> ReLU, no batch norm
    model = cifar_cnn(batch_norm=True)       # the same network with batch norm after each conv

Each stage is two 3x3 convolutions (padding 1 keeps the size) and a 2x2 max pool that
halves it: 32 -> 16 -> 8 -> 4. A global average pool then keeps one number per channel,
so the classifier is a single ``Linear(widths[-1], num_classes)``. With the default
widths (16, 32, 64) it has 0.07M parameters: small enough to train a few epochs of 10,000
images in seconds on a laptop CPU, so the ablation can afford one run per ingredient.
"""

from __future__ import annotations

from torch import nn


def conv_stage(in_channels: int, out_channels: int, batch_norm: bool) -> list[nn.Module]:
    """Two 3x3 convolutions, each followed by [batch norm and] ReLU, then a 2x2 max pool."""
    layers: list[nn.Module] = []
    for channels in (in_channels, out_channels):
        # A convolution followed by batch norm needs no bias: batch norm subtracts the mean anyway.
        layers.append(nn.Conv2d(channels, out_channels, kernel_size=3, padding=1, bias=not batch_norm))
        if batch_norm:
            layers.append(nn.BatchNorm2d(out_channels))
        layers.append(nn.ReLU(inplace=True))
    layers.append(nn.MaxPool2d(2))
    return layers


def cifar_cnn(batch_norm: bool = False, widths=(16, 32, 64), num_classes: int = 10,
              in_channels: int = 3) -> nn.Sequential:
    """A VGG-style network for 32x32 images: one :func:`conv_stage` per width, then a linear classifier."""
    widths = list(widths)
    if not widths or any(not isinstance(w, int) or w < 1 for w in widths):
        raise ValueError(f"widths must be positive whole numbers of channels, one per stage, got {widths}")
    layers: list[nn.Module] = []
    channels = in_channels
    for width in widths:
        layers += conv_stage(channels, width, batch_norm)
        channels = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, num_classes)]
    return nn.Sequential(*layers)


__all__ = ["cifar_cnn", "conv_stage"]
