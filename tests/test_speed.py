"""coursekit.speed: which 16-bit format, loss scaling on or off, channels-last layout."""

import pytest
import torch

from coursekit.speed import amp_dtype, autocast, grad_scaler, to_channels_last


def test_the_format_follows_the_device_and_the_request():
    assert amp_dtype("cuda", True) == torch.float16  # tensor cores: float16 with loss scaling
    assert amp_dtype("cpu", True) == torch.bfloat16  # CPUs: bfloat16, float32's range
    assert amp_dtype("cpu", False) is None and amp_dtype("cuda", None) is None
    assert amp_dtype("cpu", "float16") == torch.float16
    assert amp_dtype(torch.device("cuda"), "bf16") == torch.bfloat16
    assert amp_dtype("cpu", torch.bfloat16) == torch.bfloat16
    for wrong in ("int8", torch.float32, 16):
        with pytest.raises(ValueError, match="mixed_precision"):
            amp_dtype("cpu", wrong)


def test_loss_scaling_is_on_for_float16_only():
    assert grad_scaler("cpu", torch.float16).is_enabled()
    assert not grad_scaler("cpu", torch.bfloat16).is_enabled()
    assert not grad_scaler("cpu", None).is_enabled()


def test_autocast_block_switches_on_and_off():
    layer = torch.nn.Linear(4, 2)
    with autocast("cpu", torch.bfloat16):
        assert layer(torch.randn(3, 4)).dtype == torch.bfloat16
    with autocast("cpu", None):
        assert layer(torch.randn(3, 4)).dtype == torch.float32


def test_channels_last_changes_the_memory_layout_of_image_batches_only():
    images = torch.randn(2, 3, 4, 5)
    moved = to_channels_last(images)
    assert moved.shape == images.shape and torch.equal(moved, images)
    assert moved.is_contiguous(memory_format=torch.channels_last) and not images.is_contiguous(
        memory_format=torch.channels_last)
    assert moved.stride()[1] == 1  # neighbouring channels of a pixel sit next to each other
    table = torch.randn(2, 3)
    assert to_channels_last(table) is table
