"""What the design exercises share: a model's size, its logits' shape, its test accuracy against a bar.

A design exercise (Day 1's MNIST network, Day 2's CIFAR-10 network, Day 3's transfer model) checks two cases: the model's
output on a few images, then its accuracy on test images it never saw, against a threshold that
depends on the run mode; those with a parameter budget (Days 2, 4 and 5) also count the model's
parameters. Each day's module keeps its own threshold, budget, data and advice.
"""

from __future__ import annotations

import torch

from .compare import describe


def parameter_count(model, *inputs) -> int:
    """A case ``use``: how many numbers the model learns, its parameters' sizes summed (``inputs`` are ignored)."""
    return sum(p.numel() for p in model.parameters())


def logits_shape(n_images: int = 8, n_classes: int = 10):
    """A case test: the output is a tensor of ``n_images`` rows of ``n_classes`` scores."""
    def test(out):
        if not isinstance(out, torch.Tensor) or tuple(out.shape) != (n_images, n_classes):
            return (f"for {n_images} images the model should return {n_images} rows of {n_classes} class scores, "
                    f"got {describe(out)}")
        return None
    return test


def reaches(threshold: float, advice: str, setting: str | None = None):
    """A case test: the accuracy (a float) is at least ``threshold``; ``advice`` (and ``setting``) end the message."""
    where = f" ({setting})" if setting else ""

    def test(accuracy):
        if not isinstance(accuracy, float):
            return "the model's outputs could not be turned into class predictions"
        if accuracy < threshold:
            return f"test accuracy {accuracy:.2%} is below the {threshold:.0%} this run mode asks for{where}: {advice}"
        return None
    return test
