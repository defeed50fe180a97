"""Checks of solutions/day1/04_design_an_mnist_classifier.ipynb: two designs under one budget, and their table.

The design task: at most ``MNIST_BUDGET`` parameters, and a test accuracy that depends on how
long the run mode lets a model train (``mnist_threshold``). The model is run on its own device
with the test images as case arguments (the runner moves them there). The second design only
has to keep the budget and be trained (``challenger_threshold``): it is there to be compared.
``compare_designs`` is the learner's function that computes the comparison table; it is checked
on small models of its own (one with dropout and batch norm, handed over in training mode).
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from ..cases import Case, exercise, input_seed
from ..compare import compare, describe
from ..design import logits_shape, reaches

MNIST_BUDGET = 50_000


def mnist_threshold() -> float:
    """Test accuracy the designed MNIST model must reach: it depends on how long the run mode lets it train."""
    from ...modes import run_mode

    return run_mode().pick(fast=0.85, laptop=0.97, full=0.98)


def challenger_threshold() -> float:
    """Test accuracy the second design must reach: proof that it was trained, not a bar to beat."""
    from ...modes import run_mode

    return run_mode().pick(fast=0.70, laptop=0.90, full=0.90)


def _test_images():
    from ...data import load_mnist
    from ...modes import run_mode

    n_test = run_mode().pick(fast=2000, laptop=10000, full=10000)
    mnist = load_mnist()
    return mnist.x_test[:n_test], mnist.y_test[:n_test]


def count_parameters(model) -> int:
    """How many numbers training changes: the sum of the sizes of the model's parameters."""
    return sum(p.numel() for p in model.parameters())


def _accuracy(model, x, y) -> float:
    model.eval()
    with torch.no_grad():
        predictions = torch.cat([model(batch).argmax(dim=1) for batch in x.split(1000)])
    return (predictions == y).float().mean().item()


def _within_budget(count):
    if count <= MNIST_BUDGET:
        return None
    return (f"{count:,} parameters, over the budget of {MNIST_BUDGET:,}. Where do most of them sit? A Linear "
            "layer has inputs × outputs weights, so the first layer of a 784-pixel image costs the most.")


def _design_cases(threshold, advice):
    images = torch.rand(8, 1, 28, 28, generator=torch.Generator().manual_seed(28))
    yield Case("8 images of shape [8, 1, 28, 28]", args=(images,), test=logits_shape())
    yield Case("the model itself: how many parameters?", use=count_parameters, test=_within_budget)
    x_test, y_test = _test_images()
    yield Case(f"the first {len(x_test):,} MNIST test images, never used for training", args=(x_test, y_test),
               use=_accuracy, test=reaches(threshold, advice))


@exercise("day1.mnist_model", expects="module", answer="model", time_limit=120.0, points=3.0,
          hint="Train it first (the cells above the check). It takes images [N, 1, 28, 28] and returns [N, 10] "
               "logits. Under the budget, ask where each design spends its parameters.")
def mnist_model_cases():
    yield from _design_cases(mnist_threshold(), "train longer or with another learning rate, or spend the "
                                                "parameters elsewhere")


@exercise("day1.mnist_challenger", expects="module", answer="challenger", time_limit=120.0,
          hint="The second design differs from the first in one choice you want to test, keeps the same budget, "
               "and is trained the same way, so that the comparison is fair.")
def mnist_challenger_cases():
    yield from _design_cases(challenger_threshold(), "train it as you trained the first design")


# ----------------------------------------------------------------------------- the comparison table


def _small_designs(seed):
    torch.manual_seed((seed + 1_000_003 * input_seed()) % 2**63)
    with_dropout = nn.Sequential(nn.Flatten(), nn.Linear(16, 12), nn.BatchNorm1d(12), nn.ReLU(), nn.Dropout(0.5),
                                 nn.Linear(12, 3))
    for _ in range(20):  # running statistics far from those of the check's data: eval and train mode disagree
        with_dropout(3 * torch.randn(64, 1, 4, 4) + 2)
    return {"with dropout and batch norm": with_dropout.train(),
            "linear": nn.Sequential(nn.Flatten(), nn.Linear(16, 3)).train()}


def _right_table(models, x, y):
    expected = {name: {"parameters": count_parameters(m), "accuracy": _accuracy(copy.deepcopy(m), x, y)}
                for name, m in models.items()}
    buffers = {name: sum(t.numel() for t in m.state_dict().values()) for name, m in models.items()}

    def test(table):
        if not isinstance(table, dict) or sorted(table) != sorted(models):
            return f"compare_designs should return a dict with one entry per design, {sorted(models)}"
        for name, row in table.items():
            if not isinstance(row, dict) or not {"parameters", "accuracy"} <= set(row):
                return (f"table[{name!r}] should be a dict with the keys 'parameters' and 'accuracy', "
                        f"not {describe(row)}")
            right = expected[name]
            if row["parameters"] != right["parameters"]:
                counted = row["parameters"]
                why = (" That counts the buffers too (batch norm's running statistics), which training does not "
                       "learn: count the parameters.") if counted == buffers[name] else ""
                return f"table[{name!r}]['parameters'] is {counted}, but the model has {right['parameters']}.{why}"
            problem = compare(row["accuracy"], right["accuracy"], 1e-6, 0)
            if problem:
                return (f"table[{name!r}]['accuracy']: {problem}. Is the model in evaluation mode while you measure? "
                        "In training mode dropout and batch norm change its outputs.")
        return None
    return test


@exercise("day1.compare_designs", expects="function", answer="compare_designs",
          hint="For each model: count what training changes, then measure its accuracy the way a test is run "
               "(the model's mode matters, gradients do not).")
def compare_designs_cases():
    generator = torch.Generator().manual_seed((130 + 1_000_003 * input_seed()) % 2**63)
    x, y = torch.randn(200, 1, 4, 4, generator=generator), torch.randint(3, (200,), generator=generator)
    models = _small_designs(131)
    yield Case("compare_designs({'with dropout and batch norm': ..., 'linear': ...}, x [200, 1, 4, 4], y [200]), "
               "both models handed over in training mode", args=(models, x, y), test=_right_table(models, x, y))
    x, y = torch.randn(30, 1, 4, 4, generator=generator), torch.randint(3, (30,), generator=generator)
    torch.manual_seed((132 + 1_000_003 * input_seed()) % 2**63)
    models = {"only one": nn.Sequential(nn.Flatten(), nn.Linear(16, 5), nn.Tanh(), nn.Linear(5, 3)).eval()}
    yield Case("compare_designs({'only one': ...}, x [30, 1, 4, 4], y [30]), a model in evaluation mode",
               args=(models, x, y), test=_right_table(models, x, y))
