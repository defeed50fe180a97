"""Small helpers the Day 3 checks share: counting parameters, building the learner's class."""

from __future__ import annotations

from torch import nn


def count(module: nn.Module) -> int:
    """The number of learnable parameters of ``module``."""
    return sum(p.numel() for p in module.parameters())


def built(measure):
    """A Case ``use`` that builds the learner's class with the case's arguments and measures the module."""
    def use(cls, *config):
        return measure(cls(*config))
    return use
