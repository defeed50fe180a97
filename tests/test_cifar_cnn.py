"""coursekit.models.cifar_cnn: the baseline network of the Day 2 ablation."""

import pytest
import torch
from torch import nn

from coursekit.models import cifar_cnn
from coursekit.models.cifar_cnn import conv_stage


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def test_parameter_count_matches_a_count_by_hand():
    # per stage: two 3x3 convolutions (weights + biases), then a linear layer 64 -> 10
    convs = [(3, 16), (16, 16), (16, 32), (32, 32), (32, 64), (64, 64)]
    by_hand = sum(9 * c_in * c_out + c_out for c_in, c_out in convs) + 64 * 10 + 10
    assert n_params(cifar_cnn()) == by_hand == 72_730
    # with batch norm: no conv biases, but a scale and a shift per channel
    assert n_params(cifar_cnn(batch_norm=True)) == by_hand - sum(c for _, c in convs) + 2 * sum(c for _, c in convs)


def test_each_stage_halves_the_size_and_the_output_is_one_score_per_class():
    stage = nn.Sequential(*conv_stage(3, 8, batch_norm=True))
    assert stage(torch.randn(2, 3, 32, 32)).shape == (2, 8, 16, 16)
    model = cifar_cnn(widths=(8, 16, 32, 64), num_classes=7)
    assert model(torch.randn(5, 3, 32, 32)).shape == (5, 7)
    assert cifar_cnn(in_channels=1)(torch.randn(2, 1, 28, 28)).shape == (2, 10)  # grey images, another size


def test_batch_norm_follows_every_convolution_and_replaces_its_bias():
    layers = list(cifar_cnn(batch_norm=True))
    convs = [i for i, layer in enumerate(layers) if isinstance(layer, nn.Conv2d)]
    assert len(convs) == 6
    assert all(isinstance(layers[i + 1], nn.BatchNorm2d) and layers[i].bias is None for i in convs)
    assert not any(isinstance(layer, nn.BatchNorm2d) for layer in cifar_cnn(batch_norm=False))


def test_bad_widths_are_explained():
    for widths in [(), (16, 0), (16.5, 32)]:
        with pytest.raises(ValueError, match="widths"):
            cifar_cnn(widths=widths)
