"""Checks of solutions/day3/03_transfer_learning.ipynb: freezing a backbone, a transfer-learning design.

``freeze_backbone`` is run on small models built here (a backbone with batch norm, a head under a
given name); the check then reads what it did: which parameters still learn, which ones the optimizer
holds, whether the frozen batch-norm layers still update their running statistics, and whether one
optimizer step changes the head and nothing else. The design is a trained model evaluated on CIFAR-10
test images it never saw, against a test accuracy that depends on the run mode (``transfer_threshold``)
and goes with the number of labelled images per class the mode allows (``labels_per_class``).
"""

from __future__ import annotations

import torch
from torch import nn

from ..cases import Case, exercise
from ..compare import describe
from ..design import logits_shape, reaches
from ..day0 import _random

# ----------------------------------------------------------------------------- 1. freezing a backbone


class _SmallNet(nn.Module):
    """A backbone with batch norm, then a head under the name ``head_name``."""

    def __init__(self, head_name="fc", head_with_dropout=False):
        super().__init__()
        self.head_name = head_name
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                                      nn.Conv2d(8, 12, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(12),
                                      nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        head = nn.Linear(12, 5)
        setattr(self, head_name, nn.Sequential(nn.Dropout(0.2), head) if head_with_dropout else head)

    def forward(self, x):
        return getattr(self, self.head_name)(self.features(x))


def _frozen_report(freeze_backbone, model, head_name, lr, x):
    """What ``freeze_backbone`` did to ``model``, in words ("ok" when all is right)."""
    model.train()  # as a model comes from its constructor
    optimizer = freeze_backbone(model, head_name, lr)
    if optimizer is None or optimizer is Ellipsis:
        return optimizer  # nothing written yet (or a missing return): the runner says which
    if not isinstance(optimizer, torch.optim.Optimizer):
        return f"freeze_backbone returned {describe(optimizer)}: return the optimizer (a torch.optim optimizer)"
    head = model.get_submodule(head_name)
    head_ids = {id(p) for p in head.parameters()}
    names = {id(p): name for name, p in model.named_parameters()}
    frozen_head = [n for n, p in head.named_parameters() if not p.requires_grad]
    if frozen_head:
        return (f"the head's parameters are frozen too ({head_name}.{frozen_head[0]} has requires_grad False): "
                "nothing would learn. Freeze every parameter except the head's")
    learning = [n for n, p in model.named_parameters() if p.requires_grad and id(p) not in head_ids]
    if learning:
        return (f"{len(learning)} parameter(s) of the backbone still have requires_grad True, e.g. {learning[0]}: "
                "freeze every parameter outside the head")
    held = [p for group in optimizer.param_groups for p in group["params"]]
    extra = [names.get(id(p), "a tensor not in the model") for p in held if id(p) not in head_ids]
    if extra:
        return (f"the optimizer holds {len(extra)} parameter(s) of the frozen backbone (e.g. {extra[0]}), as if "
                "given model.parameters(): give it only the parameters that learn, the head's")
    missing = [n for n, p in head.named_parameters() if id(p) not in {id(q) for q in held}]
    if missing:
        return f"the optimizer does not hold the head's {missing[0]}: give it all of the head's parameters"
    rates = sorted({group["lr"] for group in optimizer.param_groups})
    if rates != [lr]:
        return f"the optimizer's learning rate is {rates}, not the lr={lr} you were given"
    return _batch_norm_report(model, head_ids, optimizer, x)


def _batch_norm_report(model, head_ids, optimizer, x):
    """Whether the frozen batch-norm layers keep their statistics, and one step changes only the head."""
    norms = {n: m for n, m in model.named_modules()
             if isinstance(m, nn.modules.batchnorm._BatchNorm) and not any(id(p) in head_ids for p in m.parameters())}
    before = {n: m.running_mean.clone() for n, m in norms.items()}
    weights = {n: p.detach().clone() for n, p in model.named_parameters()}
    loss = model(x).square().mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    changed = [name for name, norm in norms.items() if not torch.equal(before[name], norm.running_mean)]
    moved = [n for n, p in model.named_parameters() if not torch.equal(weights[n], p.detach())]
    still = [n for n, p in model.named_parameters() if id(p) in head_ids and torch.equal(weights[n], p.detach())]
    with torch.no_grad():  # put the weights back: the check's step is not the learner's change
        for n, p in model.named_parameters():
            p.copy_(weights[n])
    if changed:
        return (f"the frozen batch norm {changed[0]} changed its running mean during a forward pass: it is still in "
                "training mode, so it keeps replacing the statistics learned on the original data with those "
                "of your batches. Put the backbone's batch-norm layers in eval mode")
    if any(id(dict(model.named_parameters())[n]) not in head_ids for n in moved):
        return f"one optimizer step changed {moved}: only the head should change"
    if still:
        return f"one optimizer step left the head's {still[0]} as it was"
    return "ok"


def _is_ok(got):
    return None if got == "ok" else got


@exercise("day3.freeze_backbone", expects="function", answer="freeze_backbone",
          hint="Three things: switch off the gradient of every parameter outside the head, put the backbone's "
               "batch-norm layers in eval mode, and build the optimizer from the parameters that still learn.")
def freeze_backbone_cases():
    for head_name, dropout, lr, what in (("fc", False, 0.01, "a backbone with batch norm and a linear head `fc`"),
                                         ("classifier", True, 1e-3, "a head `classifier` = Dropout, then Linear")):
        torch.manual_seed(0)  # the model's own initial weights; the inputs below come from the seeded helper
        model = _SmallNet(head_name, dropout)
        x = _random(6, 3, 8, 8, seed=1000)
        yield Case(f"{what}: freeze_backbone(model, {head_name!r}, lr={lr}), then a forward pass, a backward pass "
                   "and one optimizer step", args=(model, head_name, lr, x), use=_frozen_report, test=_is_ok)


# ----------------------------------------------------------------------------- 2. a transfer-learning design


def labels_per_class() -> int:
    """How many labelled training images per class the design may use in this run mode."""
    from ...modes import run_mode

    return run_mode().pick(fast=10, laptop=100, full=500)


def transfer_threshold() -> float:
    """Test accuracy the design must reach in this run mode, with ``labels_per_class()`` labels per class."""
    from ...modes import run_mode

    return run_mode().pick(fast=0.30, laptop=0.60, full=0.75)


def _test_accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        predictions = torch.cat([model(batch).argmax(1) for batch in x.split(100)])
    return (predictions == y).float().mean().item()


@exercise("day3.transfer_model", expects="module", answer="model", time_limit=240.0, points=3.0,
          hint="It takes CIFAR-10 images as load_cifar10 gives them, [N, 3, 32, 32] in [0, 1], and returns [N, 10] "
               "logits: resizing and normalizing for the backbone happen inside the model.")
def transfer_model_cases():
    from ...data import load_cifar10
    from ...modes import run_mode

    images = torch.rand(8, 3, 32, 32, generator=torch.Generator().manual_seed(1010))
    yield Case("8 images of shape [8, 3, 32, 32]", args=(images,), test=logits_shape())
    cifar = load_cifar10()
    n_test = min(len(cifar.y_test), run_mode().pick(fast=200, laptop=1000, full=4000))
    yield Case(f"the first {n_test:,} CIFAR-10 test images, never used for training", use=_test_accuracy,
               args=(cifar.x_test[:n_test], cifar.y_test[:n_test]),
               test=reaches(transfer_threshold(), "start from the pretrained weights, check the input size and "
                            "normalization the backbone expects, and train the head longer",
                            setting=f"{labels_per_class()} labelled images per class"))
