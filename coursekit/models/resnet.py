"""ResNet (He et al., 2015): deep networks built from blocks that learn a residual, ``F(x) + x``.

Two families live here, built from the same blocks:

- ImageNet: :func:`resnet18`, :func:`resnet34` (basic blocks) and :func:`resnet50` (bottleneck
  blocks), with exactly torchvision's modules and state-dict keys (``conv1``, ``bn1``,
  ``layer1.0.conv1``, ``layer2.0.downsample.0``, ..., ``fc``), so torchvision's weights load
  into them. With 1000 classes: 11,689,512 / 21,797,672 / 25,557,032 parameters.
- CIFAR-10 (section 4.2 of the paper): :func:`resnet_cifar` builds the 6n+2-layer networks
  (:func:`resnet20`, ``32``, ``44``, ``56``: 269,722 to 853,018 parameters with the paper's
  zero-padding shortcuts, "option A"), and :func:`plain_cifar` the same stack without
  shortcuts, for the degradation experiment.

Every network ends with global average pooling and one linear layer ``fc``. Its blocks sit in
named stages ``layer1``, ``layer2``, ... (each an ``nn.Sequential``), so ``model.layer2[0]`` is
the first block of the second stage.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

# --------------------------------------------------------------------------- blocks


def conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    """3x3 convolution that keeps the size (or halves it with stride 2); no bias, batch norm follows."""
    return nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution: mixes channels at each position (projection shortcuts, bottlenecks)."""
    return nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions and a shortcut: ``relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))``.

    ``downsample`` maps ``x`` to the output's shape when the block changes it (stride 2 or more
    channels); ``None`` means the identity. ``residual=False`` drops the shortcut altogether:
    a plain block, for comparing networks with and without shortcuts.
    """

    expansion = 1  # output channels = planes * expansion

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None,
                 residual: bool = True):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.residual:
            out = out + (x if self.downsample is None else self.downsample(x))
        return self.relu(out)


class Bottleneck(nn.Module):
    """1x1 (reduce) -> 3x3 -> 1x1 (expand 4x), plus a shortcut; the block of ResNet-50 and deeper.

    The 3x3 convolution works on a quarter of the output channels, which makes a deeper block
    cheaper than two 3x3 convolutions on all of them. As in torchvision (ResNet "v1.5"), the
    stride sits on the 3x3 convolution.
    """

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = conv1x1(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out = out + (x if self.downsample is None else self.downsample(x))
        return self.relu(out)


def projection(in_channels: int, out_channels: int, stride: int) -> nn.Sequential:
    """Shortcut "option B": a strided 1x1 convolution and batch norm (``downsample.0``, ``downsample.1``)."""
    return nn.Sequential(conv1x1(in_channels, out_channels, stride), nn.BatchNorm2d(out_channels))


class ZeroPadShortcut(nn.Module):
    """Shortcut "option A", without parameters: keep every ``stride``-th pixel, append zero channels."""

    def __init__(self, in_channels: int, out_channels: int, stride: int):
        super().__init__()
        self.extra_channels = out_channels - in_channels
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, ::self.stride, ::self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.extra_channels))  # pads the last dims first: (W, H, C)

    def extra_repr(self) -> str:
        return f"stride={self.stride}, extra_channels={self.extra_channels}"


def _init_weights(model: nn.Module) -> nn.Module:
    """He initialization (fan-out, as torchvision) for convolutions; batch norm starts as the identity."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
    return model


# --------------------------------------------------------------------------- ImageNet


class ResNet(nn.Module):
    """ImageNet ResNet: 7x7 stem and max pool, four stages of blocks, global average pool, ``fc``.

    ``layers`` gives the number of blocks per stage (``[2, 2, 2, 2]`` for ResNet-18); each stage
    after the first halves the size and doubles the channels (64, 128, 256, 512, times the
    block's ``expansion``).
    """

    def __init__(self, block: type[BasicBlock] | type[Bottleneck], layers: list[int], num_classes: int = 1000):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0], stride=1)
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        _init_weights(self)

    def _make_layer(self, block, planes: int, blocks: int, stride: int) -> nn.Sequential:
        # only the first block of a stage changes the shape, so only it may need a projection
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = projection(self.inplanes, planes * block.expansion, stride)
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


def _resnet(name: str, block, layers: list[int], weights, num_classes: int) -> ResNet:
    """Build one ImageNet ResNet; ``weights="imagenet"`` loads torchvision's weights (1000 classes only)."""
    if weights not in (None, "imagenet"):
        raise ValueError(f"{name}: weights must be None (random initialization) or 'imagenet', not {weights!r}")
    if weights == "imagenet" and num_classes != 1000:
        raise ValueError(f"{name}: the ImageNet weights have 1000 classes; load them with num_classes=1000, "
                         "then replace model.fc = nn.Linear(model.fc.in_features, your_classes)")
    model = ResNet(block, layers, num_classes=num_classes)
    if weights == "imagenet":
        from .weights import load_pretrained  # imported here: downloading is needed only for pretrained models

        load_pretrained(model, name)
    return model


def resnet18(*, weights: str | None = None, num_classes: int = 1000) -> ResNet:
    """ResNet-18: basic blocks, [2, 2, 2, 2]; 11,689,512 parameters with 1000 classes."""
    return _resnet("resnet18", BasicBlock, [2, 2, 2, 2], weights, num_classes)


def resnet34(*, weights: str | None = None, num_classes: int = 1000) -> ResNet:
    """ResNet-34: basic blocks, [3, 4, 6, 3]; 21,797,672 parameters with 1000 classes."""
    return _resnet("resnet34", BasicBlock, [3, 4, 6, 3], weights, num_classes)


def resnet50(*, weights: str | None = None, num_classes: int = 1000) -> ResNet:
    """ResNet-50: bottleneck blocks, [3, 4, 6, 3]; 25,557,032 parameters with 1000 classes."""
    return _resnet("resnet50", Bottleneck, [3, 4, 6, 3], weights, num_classes)


# --------------------------------------------------------------------------- CIFAR-10 (section 4.2)


class CifarResNet(nn.Module):
    """3x3 stem, three stages of n basic blocks on 32x32, 16x16 and 8x8 maps, global average pool, ``fc``.

    Widths ``(width, 2 width, 4 width)``; 6n + 2 layers with weights (the stem, 6n convolutions
    in the blocks, ``fc``). ``shortcut`` is ``"A"`` (zero padding, no parameters) or ``"B"``
    (projection) where a stage changes the shape, the identity elsewhere; ``residual=False``
    removes all shortcuts (a plain network with the same layers and parameters as option A).
    """

    def __init__(self, n: int, num_classes: int = 10, width: int = 16, residual: bool = True, shortcut: str = "A"):
        super().__init__()
        self.conv1 = conv3x3(3, width)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._make_layer(width, width, n, 1, residual, shortcut)
        self.layer2 = self._make_layer(width, 2 * width, n, 2, residual, shortcut)
        self.layer3 = self._make_layer(2 * width, 4 * width, n, 2, residual, shortcut)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(4 * width, num_classes)
        _init_weights(self)

    @staticmethod
    def _make_layer(inplanes: int, planes: int, blocks: int, stride: int, residual: bool, shortcut: str):
        downsample = None
        if residual and (stride != 1 or inplanes != planes):
            make = ZeroPadShortcut if shortcut == "A" else projection
            downsample = make(inplanes, planes, stride)
        layers = [BasicBlock(inplanes, planes, stride, downsample, residual=residual)]
        layers += [BasicBlock(planes, planes, residual=residual) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


def _blocks_per_stage(depth) -> int:
    """n for a depth of 6n + 2 (20 -> 3, 56 -> 9), or a clear error."""
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 8 or (depth - 2) % 6:
        raise ValueError(f"a CIFAR ResNet has depth 6n + 2 (8, 14, 20, 32, 44, 56, 110, ...), not {depth!r}")
    return (depth - 2) // 6


def resnet_cifar(depth: int, *, num_classes: int = 10, width: int = 16, residual: bool = True,
                 shortcut: str = "A") -> CifarResNet:
    """The CIFAR-10 ResNet of the paper with ``depth`` = 6n + 2 layers; see :class:`CifarResNet`."""
    if shortcut not in ("A", "B"):
        raise ValueError(f"shortcut must be 'A' (zero padding) or 'B' (1x1 projection), not {shortcut!r}")
    if not isinstance(width, int) or width < 1:
        raise ValueError(f"width must be a positive integer (16 in the paper), not {width!r}")
    return CifarResNet(_blocks_per_stage(depth), num_classes=num_classes, width=width, residual=residual,
                       shortcut=shortcut)


def plain_cifar(depth: int, *, width: int = 16, num_classes: int = 10) -> CifarResNet:
    """The same network as :func:`resnet_cifar` without shortcuts (the paper's "plain" baseline)."""
    return resnet_cifar(depth, num_classes=num_classes, width=width, residual=False)


def resnet20(num_classes: int = 10) -> CifarResNet:
    """ResNet-20 for CIFAR-10 (n = 3, option A): 269,722 parameters."""
    return resnet_cifar(20, num_classes=num_classes)


def resnet32(num_classes: int = 10) -> CifarResNet:
    """ResNet-32 for CIFAR-10 (n = 5, option A): 464,154 parameters."""
    return resnet_cifar(32, num_classes=num_classes)


def resnet44(num_classes: int = 10) -> CifarResNet:
    """ResNet-44 for CIFAR-10 (n = 7, option A): 658,586 parameters."""
    return resnet_cifar(44, num_classes=num_classes)


def resnet56(num_classes: int = 10) -> CifarResNet:
    """ResNet-56 for CIFAR-10 (n = 9, option A): 853,018 parameters."""
    return resnet_cifar(56, num_classes=num_classes)
