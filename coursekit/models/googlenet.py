"""GoogLeNet (Szegedy et al., 2014): a deep, wide network built from Inception modules.

An Inception module runs four branches side by side on the same input and joins their
outputs on the channel axis: a 1x1 convolution; a 1x1 "reduce" convolution then a 3x3; a
1x1 reduce then a second 3x3 (5x5 in the paper); a 3x3 max pool then a 1x1 "pool
projection". The 1x1 reductions keep the larger kernels cheap: they work on a few channels.

- :func:`googlenet` is the ImageNet network with torchvision's modules and state-dict keys
  (``conv1.conv``, ``conv1.bn``, ``inception3a.branch2.1.conv``, ``aux1.fc1``, ``fc``, ...),
  so torchvision's weights load into it. With 1000 classes it has 6,624,904 parameters,
  13,004,888 with the two auxiliary classifiers. Like torchvision (and unlike the paper) it
  has batch norm after every convolution and a 3x3 kernel in the "5x5" branch (torchvision's
  weights were trained that way); ``branch3_kernel=5`` builds the paper's 5x5 instead (then
  torchvision's weights do not fit).
- :func:`googlenet_cifar` is a small network of the same plan for 32x32 images.

Both end with global average pooling and one linear layer ``fc``.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import NamedTuple

import torch
from torch import nn
from torch.nn import functional as F


class BasicConv2d(nn.Module):
    """Convolution (no bias: batch norm follows) -> batch norm -> ReLU; submodules ``conv`` and ``bn``."""

    def __init__(self, in_channels: int, out_channels: int, **conv_options):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **conv_options)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)  # torchvision's value, so its weights behave the same

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)), inplace=True)


class Inception(nn.Module):
    """Four branches on the same input, joined on the channel axis.

    The arguments are the columns of table 1 of the paper:

    - ``branch1``: 1x1 convolution to ``ch1x1`` channels
    - ``branch2``: 1x1 to ``ch3x3red`` channels, then 3x3 to ``ch3x3``
    - ``branch3``: 1x1 to ``ch5x5red`` channels, then a ``branch3_kernel`` x ``branch3_kernel``
      convolution to ``ch5x5`` (3 as in torchvision, 5 as in the paper)
    - ``branch4``: 3x3 max pool (stride 1), then 1x1 to ``pool_proj`` channels

    Every branch keeps the height and width, so the output has
    ``ch1x1 + ch3x3 + ch5x5 + pool_proj`` channels (:attr:`out_channels`).
    """

    def __init__(self, in_channels: int, ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int, ch5x5: int,
                 pool_proj: int, *, branch3_kernel: int = 3):
        super().__init__()
        if branch3_kernel not in (3, 5):
            raise ValueError(f"branch3_kernel must be 3 (torchvision's layout) or 5 (the paper's), "
                             f"got {branch3_kernel!r}")
        self.branch1 = BasicConv2d(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(
            BasicConv2d(in_channels, ch3x3red, kernel_size=1),
            BasicConv2d(ch3x3red, ch3x3, kernel_size=3, padding=1),
        )
        self.branch3 = nn.Sequential(
            BasicConv2d(in_channels, ch5x5red, kernel_size=1),
            BasicConv2d(ch5x5red, ch5x5, kernel_size=branch3_kernel, padding=branch3_kernel // 2),
        )
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
            BasicConv2d(in_channels, pool_proj, kernel_size=1),
        )
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + pool_proj

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branches = [self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)]
        return torch.cat(branches, dim=1)  # [N, C, H, W]: dimension 1 is the channel axis


class InceptionAux(nn.Module):
    """An auxiliary classifier on an intermediate feature map (training only).

    Average pool to 4x4 -> 1x1 convolution to 128 channels -> flatten (2048) -> dense 1024 ->
    ReLU -> dropout -> dense ``num_classes``.
    """

    def __init__(self, in_channels: int, num_classes: int, dropout: float = 0.7):
        super().__init__()
        self.conv = BasicConv2d(in_channels, 128, kernel_size=1)
        self.fc1 = nn.Linear(128 * 4 * 4, 1024)
        self.fc2 = nn.Linear(1024, num_classes)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(F.adaptive_avg_pool2d(x, (4, 4)))  # 14x14 at 224x224 inputs
        x = F.relu(self.fc1(torch.flatten(x, 1)), inplace=True)
        return self.fc2(self.dropout(x))


class GoogLeNetOutputs(NamedTuple):
    """What GoogLeNet returns in training mode with auxiliary classifiers: three sets of logits."""

    logits: torch.Tensor
    aux1: torch.Tensor  # from the classifier after inception4a
    aux2: torch.Tensor  # from the classifier after inception4d


# Table 1 of the paper: in_channels, #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj.
INCEPTION_CONFIGS: dict[str, tuple[int, ...]] = {
    "inception3a": (192, 64, 96, 128, 16, 32, 32),
    "inception3b": (256, 128, 128, 192, 32, 96, 64),
    "inception4a": (480, 192, 96, 208, 16, 48, 64),
    "inception4b": (512, 160, 112, 224, 24, 64, 64),
    "inception4c": (512, 128, 128, 256, 24, 64, 64),
    "inception4d": (512, 112, 144, 288, 32, 64, 64),
    "inception4e": (528, 256, 160, 320, 32, 128, 128),
    "inception5a": (832, 256, 160, 320, 32, 128, 128),
    "inception5b": (832, 384, 192, 384, 48, 128, 128),
}


class GoogLeNet(nn.Module):
    """The ImageNet GoogLeNet for 3x224x224 images, with torchvision's module names.

    ``aux_logits=True`` adds the two auxiliary classifiers ``aux1`` (after inception4a) and
    ``aux2`` (after inception4d); in training mode :meth:`forward` then returns
    :class:`GoogLeNetOutputs` (main, aux1, aux2 logits), in eval mode only the main logits.
    ``transform_input=True`` converts images normalized with the usual ImageNet mean and
    std into the [-1, 1] scaling that torchvision's pretrained GoogLeNet expects (torchvision
    switches it on when it loads those weights).
    """

    def __init__(self, num_classes: int = 1000, aux_logits: bool = False, *, branch3_kernel: int = 3,
                 dropout: float = 0.2, dropout_aux: float = 0.7, transform_input: bool = False):
        super().__init__()
        self.aux_logits, self.transform_input = aux_logits, transform_input
        self.conv1 = BasicConv2d(3, 64, kernel_size=7, stride=2, padding=3)      # 224 -> 112
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)                # -> 56
        self.conv2 = BasicConv2d(64, 64, kernel_size=1)
        self.conv3 = BasicConv2d(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)                # -> 28
        make = {name: Inception(*config, branch3_kernel=branch3_kernel) for name, config in INCEPTION_CONFIGS.items()}
        self.inception3a, self.inception3b = make["inception3a"], make["inception3b"]
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)                # -> 14
        self.inception4a, self.inception4b = make["inception4a"], make["inception4b"]
        self.inception4c, self.inception4d = make["inception4c"], make["inception4d"]
        self.inception4e = make["inception4e"]
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)                # -> 7
        self.inception5a, self.inception5b = make["inception5a"], make["inception5b"]
        self.aux1 = InceptionAux(512, num_classes, dropout_aux) if aux_logits else None
        self.aux2 = InceptionAux(528, num_classes, dropout_aux) if aux_logits else None
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))                             # global average pooling
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(1024, num_classes)
        _init_weights(self)

    def _transform_input(self, x: torch.Tensor) -> torch.Tensor:
        # (x * std + mean) undoes the ImageNet normalization; (... - 0.5) / 0.5 applies [-1, 1] scaling
        mean = torch.tensor([0.485, 0.456, 0.406], device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
        std = torch.tensor([0.229, 0.224, 0.225], device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
        return (x * std + mean - 0.5) / 0.5

    def forward(self, x: torch.Tensor):
        if self.transform_input:
            x = self._transform_input(x)
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        x = self.inception4a(x)
        with_aux = self.aux_logits and self.training  # the auxiliary classifiers only help training
        aux1 = self.aux1(x) if with_aux else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2 = self.aux2(x) if with_aux else None
        x = self.maxpool4(self.inception4e(x))
        x = self.inception5b(self.inception5a(x))
        x = self.fc(self.dropout(torch.flatten(self.avgpool(x), 1)))  # [N, 1024] -> [N, classes]
        return GoogLeNetOutputs(x, aux1, aux2) if with_aux else x


def _init_weights(model: nn.Module) -> nn.Module:
    """Small normal weights (std 0.01, cut at +-2) as torchvision; batch norm starts as the identity."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.trunc_normal_(m.weight, mean=0.0, std=0.01, a=-2, b=2)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    return model


def googlenet(num_classes: int = 1000, aux_logits: bool = False, *, branch3_kernel: int = 3,
              dropout: float = 0.2, dropout_aux: float = 0.7, transform_input: bool = False) -> GoogLeNet:
    """GoogLeNet for ImageNet: 6,624,904 parameters with 1000 classes, 13,004,888 with ``aux_logits``.

    ``branch3_kernel=5`` gives the paper's 5x5 convolutions in the third branch instead of
    torchvision's 3x3. See :class:`GoogLeNet` for the other options.
    """
    return GoogLeNet(num_classes, aux_logits, branch3_kernel=branch3_kernel, dropout=dropout,
                     dropout_aux=dropout_aux, transform_input=transform_input)


# The small network for 32x32 images, on GoogLeNet's plan: plain convolutions at full size, then
# stages of Inception modules, each stage starting with a max pool that halves the size. A stage lists
# its modules by the columns of INCEPTION_CONFIGS after in_channels (that follows from the module before).
CIFAR_STEM = (32, 32)  # two 3x3 convolutions, 32 channels each
CIFAR_STAGES: list[list[tuple[int, ...]]] = [
    [(32, 32, 48, 8, 16, 16)],                                # 16x16: 32 -> 112 channels
    [(64, 64, 96, 16, 32, 32), (96, 80, 128, 16, 32, 32)],    # 8x8:  -> 224 -> 288
]


def googlenet_cifar(num_classes: int = 10, *, width: float = 1.0, stem=CIFAR_STEM, stages=None,
                    branch3_kernel: int = 3, dropout: float = 0.0) -> nn.Sequential:
    """A small GoogLeNet for 3x32x32 images: a stem of 3x3 convolutions, Inception modules, GAP, ``fc``.

    ``stem`` lists the output channels of the 3x3 convolutions that work at full size.
    ``stages`` is a list of stages, each a list of Inception configurations
    ``(ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj)``; every stage starts with a 3x3
    max pool with stride 2. The default, :data:`CIFAR_STAGES`, has three modules, at 16x16
    and 8x8, and 259,130 parameters with 10 classes. ``width`` scales every channel count
    (at least 1 each). Modules are named ``stem.0``, ``pool1``, ``stage1.0``, ..., ``fc``.
    """
    if width <= 0:
        raise ValueError(f"width must be positive, got {width}")
    stages = CIFAR_STAGES if stages is None else stages
    stem = [stem] if isinstance(stem, int) else list(stem)
    if not stem or any(not isinstance(c, int) or c < 1 for c in stem):
        raise ValueError(f"stem must list positive channel counts, one per 3x3 convolution, got {stem}")
    if not stages or not all(stages) or any(len(config) != 6 for stage in stages for config in stage):
        raise ValueError("stages must be a non-empty list of non-empty lists of Inception configurations, "
                         "each (ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj)")
    convs, channels = [], 3
    for out in stem:
        convs.append(BasicConv2d(channels, max(1, round(out * width)), kernel_size=3, padding=1))
        channels = convs[-1].conv.out_channels
    layers = OrderedDict(stem=nn.Sequential(*convs))
    for i, stage in enumerate(stages, start=1):
        layers[f"pool{i}"] = nn.MaxPool2d(3, stride=2, padding=1)  # halves the size: 32 -> 16 -> 8
        modules = []
        for config in stage:
            modules.append(Inception(channels, *[max(1, round(c * width)) for c in config],
                                     branch3_kernel=branch3_kernel))
            channels = modules[-1].out_channels
        layers[f"stage{i}"] = nn.Sequential(*modules)
    layers["avgpool"] = nn.AdaptiveAvgPool2d(1)  # global average pooling: one number per channel
    layers["flatten"] = nn.Flatten()
    layers["dropout"] = nn.Dropout(dropout)
    layers["fc"] = nn.Linear(channels, num_classes)
    return nn.Sequential(layers)


__all__ = ["BasicConv2d", "Inception", "InceptionAux", "GoogLeNet", "GoogLeNetOutputs", "INCEPTION_CONFIGS",
           "CIFAR_STEM", "CIFAR_STAGES", "googlenet", "googlenet_cifar"]
