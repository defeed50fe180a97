"""A LeNet-5 style network for 28x28 grey images (MNIST): two convolutions, three dense layers.

The layout of LeCun et al. (1998) with today's defaults: ReLU instead of scaled tanh, max
pooling instead of trainable average pooling, every feature map connected to every input map.
"""

from __future__ import annotations

from torch import nn


def lenet5(num_classes: int = 10, in_channels: int = 1) -> nn.Sequential:
    """LeNet-5 for ``[N, in_channels, 28, 28]`` images; 61,706 parameters for MNIST.

    Shapes through the network (MNIST): 1x28x28 -> conv 5x5, padding 2 -> 6x28x28 -> pool ->
    6x14x14 -> conv 5x5 -> 16x10x10 -> pool -> 16x5x5 -> 400 -> 120 -> 84 -> ``num_classes``.
    """
    return nn.Sequential(
        nn.Conv2d(in_channels, 6, kernel_size=5, padding=2), nn.ReLU(),  # padding 2 keeps 28x28
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, num_classes),
    )
