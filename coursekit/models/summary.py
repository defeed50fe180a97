"""Counting a model's parameters, the first number to know about any network."""

from __future__ import annotations

from torch import nn


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters (weights and biases) in ``model``; ``trainable_only`` skips frozen ones.

    Batch norm's running mean and variance are buffers, not parameters, and are not counted.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"count_parameters needs an nn.Module, not {type(model).__name__}")
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
