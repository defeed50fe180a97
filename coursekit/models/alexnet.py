"""AlexNet (Krizhevsky, Sutskever and Hinton, 2012) and a small AlexNet-style network for 32x32 images.

:func:`alexnet` is the single-tower layout torchvision uses (the paper split the network over two
GPUs; one tower with 64-192-384-256-256 channels is the common form): 61,100,840 parameters for
1000 classes. The ideas it made standard are all visible in the code: ReLU after every layer,
overlapping max pooling (3x3 windows, stride 2), dropout before the large dense layers.
"""

from __future__ import annotations

import torch
from torch import nn


class AlexNet(nn.Module):
    """``features`` (convolutions and pooling) -> average pool to a fixed size -> flatten -> ``classifier``.

    The adaptive average pool makes the classifier's input size independent of the image size,
    so the network also runs on images a little larger or smaller than it was built for.
    """

    def __init__(self, features: nn.Sequential, classifier: nn.Sequential, pooled_size: int):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((pooled_size, pooled_size))
        self.classifier = classifier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)  # [N, C, H, W] -> [N, C*H*W]
        return self.classifier(x)


def alexnet(num_classes: int = 1000, dropout: float = 0.5) -> AlexNet:
    """AlexNet for 3x224x224 images: 61,100,840 parameters with 1000 classes.

    Shapes (224x224 input): conv 11x11 stride 4 -> 64x55x55 -> pool -> 27x27 -> conv 5x5 -> 192x27x27
    -> pool -> 13x13 -> three conv 3x3 -> 256x13x13 -> pool -> 256x6x6 -> 9216 -> 4096 -> 4096 -> classes.
    """
    features = nn.Sequential(
        nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),  # overlapping: windows of 3, steps of 2
        nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
    )
    classifier = nn.Sequential(
        nn.Dropout(dropout),
        nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
        nn.Dropout(dropout),
        nn.Linear(4096, 4096), nn.ReLU(inplace=True),
        nn.Linear(4096, num_classes),
    )
    return AlexNet(features, classifier, pooled_size=6)


def alexnet_cifar(num_classes: int = 10, width: float = 0.25, hidden: int = 256, dropout: float = 0.5) -> AlexNet:
    """An AlexNet-style network for 3x32x32 images (CIFAR-10).

    The same plan at a small scale: five convolutions with AlexNet's channel counts times
    ``width`` (64-192-384-256-256 at ``width=1``), overlapping 3x3/2 max pooling after the
    first, second and fifth, then two dense layers of ``hidden`` units with dropout. The first
    kernel is 5x5 with stride 1: a 32x32 image has no room for AlexNet's 11x11 stride 4.
    Shapes: 32x32 -> pool -> 15x15 -> pool -> 7x7 -> pool -> 3x3.
    """
    if width <= 0 or hidden <= 0:
        raise ValueError(f"width and hidden must be positive, got width={width}, hidden={hidden}")
    c1, c2, c3, c4, c5 = (max(1, round(c * width)) for c in (64, 192, 384, 256, 256))
    features = nn.Sequential(
        nn.Conv2d(3, c1, kernel_size=5, padding=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(c1, c2, kernel_size=5, padding=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(c2, c3, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(c3, c4, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(c4, c5, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
    )
    classifier = nn.Sequential(
        nn.Dropout(dropout),
        nn.Linear(c5 * 3 * 3, hidden), nn.ReLU(inplace=True),
        nn.Dropout(dropout),
        nn.Linear(hidden, hidden), nn.ReLU(inplace=True),
        nn.Linear(hidden, num_classes),
    )
    return AlexNet(features, classifier, pooled_size=3)
