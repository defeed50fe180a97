"""Checks of solutions/day2/03_design_a_cifar10_cnn.ipynb: a CIFAR-10 network under a parameter budget.

The model must keep the budget, return 10 class scores per image, and reach a test accuracy that
depends on the run mode (``cifar_threshold``). It runs on its own device: the test images are
the case's arguments, which the runner moves there.
"""

from __future__ import annotations

import torch

from ..cases import Case, exercise
from ..design import logits_shape, parameter_count, reaches

PARAMETER_BUDGET = 300_000
FULL_CIFAR_TRAIN = 50_000


def cifar_threshold(n_train: int | None = None) -> float:
    """Test accuracy a CIFAR-10 model must reach in this run mode (and with this many training images).

    Full mode expects a GPU and all 50,000 training images; with fewer (the course's 10,000-image
    subset) it asks for what a laptop run reaches.
    """
    from ...modes import run_mode

    mode = run_mode()
    if mode.name == "full" and n_train is not None and n_train < FULL_CIFAR_TRAIN:
        mode = type(mode)("laptop", "full mode on a subset of CIFAR-10")
    return mode.pick(fast=0.20, laptop=0.50, full=0.85)


def _within_budget(count):
    if count > PARAMETER_BUDGET:
        return (f"the model has {count:,} parameters, over the budget of {PARAMETER_BUDGET:,}: make the late, wide "
                "layers narrower, or replace a large dense layer by global average pooling")
    return None


def _test_accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        predictions = torch.cat([model(batch).argmax(1) for batch in x.split(500)])
    return (predictions == y).float().mean().item()


@exercise("day2.cifar_model", expects="module", answer="model", time_limit=120.0, points=3.0,
          hint="Train it first (the cells above the check). It takes images as load_cifar10 gives them, "
               "[N, 3, 32, 32] in [0, 1] (normalize inside the model if you normalize), and returns [N, 10] logits.")
def cifar_model_cases():
    from ...data import load_cifar10
    from ...modes import run_mode

    yield Case("the model itself: how many parameters does it learn?", use=parameter_count, test=_within_budget)
    images = torch.rand(8, 3, 32, 32, generator=torch.Generator().manual_seed(620))
    yield Case("8 images of shape [8, 3, 32, 32]", args=(images,), test=logits_shape())
    cifar = load_cifar10()
    n_test = min(len(cifar.y_test), run_mode().pick(fast=1000, laptop=10_000, full=10_000))
    n_train = len(cifar.y_train)
    yield Case(f"the first {n_test:,} CIFAR-10 test images, never used for training", use=_test_accuracy,
               args=(cifar.x_test[:n_test], cifar.y_test[:n_test]),
               test=reaches(cifar_threshold(n_train), "train longer, add batch norm or augmentation, or use a "
                            "learning-rate schedule", setting=f"{n_train:,} training images"))
