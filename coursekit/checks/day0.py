"""Checks of day 0, "How exercises work" (solutions/00_how_exercises_work.ipynb).

The expected values come from PyTorch's own functions (``F.relu``) or from derivatives
worked out by hand for the test functions; the model is checked by its properties.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .cases import Case, exercise, input_seed
from .compare import describe
from .placement import devices_of


def _random(*shape, seed=0, dtype=torch.float32):
    """Inputs that are the same at every check (the grader varies them), without touching the global generator."""
    seed = seed + 1_000_003 * input_seed()
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed % 2**63), dtype=dtype)


# ----------------------------------------------------------------------------- tensors


@exercise("day0.relu", expects="function", answer="relu",
          hint="Keep x where it is positive and put 0 elsewhere: torch.where(condition, x, 0.0) or x.clamp(min=0).",
          forbids=(torch.relu, torch.relu_, torch.Tensor.relu, torch.Tensor.relu_, F.relu, F.relu_),
          forbid_hint="Build it from a comparison and torch.where (or clamp), not from PyTorch's own relu.")
def relu_cases():
    inputs = [
        torch.tensor([-2.0, -0.5, 0.0, 0.5, 2.0]),
        _random(3, 4, seed=1),
        _random(2, 3, seed=2, dtype=torch.float64),
    ]
    for x in inputs:
        yield Case(f"x = {describe(x)}", args=(x,), expected=F.relu(x))
    x = torch.tensor([[-float("inf"), -1.0], [1.0, float("inf")]])
    yield Case(f"x = {describe(x)}", args=(x,), expected=F.relu(x),
               hint="-inf must become 0; note that x * (x > 0) gives -inf * 0 = nan. Use torch.where or clamp.")


# ----------------------------------------------------------------------------- autograd


def _sum_of_squares(x):
    return (x**2).sum()


def _sum_of_sines(x):
    return torch.sin(x).sum()


def _mean_of_cubes(x):
    return (x**3).mean()


@exercise("day0.gradient", expects="function", answer="gradient",
          hint="Take a copy that records operations, x = x.detach().requires_grad_(), "
               "call .backward() on f(x), then read the copy's .grad.")
def gradient_cases():
    # Each expected gradient is the derivative worked out by hand.
    x = torch.tensor([1.0, -2.0, 3.0])
    yield Case(f"f(x) = (x**2).sum(), x = {describe(x)}", args=(_sum_of_squares, x), expected=2 * x)
    x = _random(2, 3, seed=3)
    yield Case(f"f(x) = torch.sin(x).sum(), x = {describe(x)}", args=(_sum_of_sines, x), expected=torch.cos(x))
    x = _random(4, seed=4, dtype=torch.float64)
    yield Case(f"f(x) = (x**3).mean(), x = {describe(x)}", args=(_mean_of_cubes, x),
               expected=3 * x**2 / x.numel())


# ----------------------------------------------------------------------------- nn.Module


def _devices(model, *args):
    return devices_of(model)


def _on_one_real_device(devices):
    # Any one device is fine (the check runs the model where it is); meta holds no values.
    if "meta" in devices:
        return ("its parameters are on meta: a meta tensor has a shape but no values, so the model cannot "
                "compute anything; build it without device='meta' (or call .to_empty(device='cpu') and "
                "initialise it)")
    if len(devices) > 1:
        return f"its parameters are spread over {', '.join(devices)}; move the whole model with .to(device)"
    return None


def _has_shape(shape, dtype=torch.float32):
    def test(out):
        if not isinstance(out, torch.Tensor):
            return f"the model should return a tensor, not {type(out).__name__}"
        if tuple(out.shape) != shape or out.dtype != dtype:
            return f"the output has shape {tuple(out.shape)} and dtype {out.dtype}; expected {shape} and {dtype}"
        return None
    return test


def _count_parameters(model, *args):
    return sum(p.numel() for p in model.parameters())


def _affine_gap(model, a, b):
    # An affine map g (no activation between the layers) has g(a) + g(b) = g(a + b) + g(0).
    with torch.no_grad():
        return float((model(a) + model(b) - model(a + b) - model(torch.zeros_like(a))).abs().max())


def _bends(gap):
    return None if gap > 1e-4 else "the model is a straight (affine) function of its input: is the ReLU missing?"


def _parameters_without_gradient(model, x):
    model.zero_grad(set_to_none=True)
    model(x).sum().backward()
    return [name for name, p in model.named_parameters() if p.grad is None]


@exercise("day0.model", expects="module", answer="model",
          hint="nn.Sequential(layer from 4 to 8 features, activation, layer from 8 to 3 features).")
def model_cases():
    x = _random(5, 4, seed=5)
    yield Case("the model itself: where are its parameters?", use=_devices, test=_on_one_real_device)
    yield Case(f"x = {describe(x)}, a batch of 5 samples", args=(x,), test=_has_shape((5, 3)))
    yield Case("the model itself: how many numbers does it learn?", use=_count_parameters,
               expected=(4 * 8 + 8) + (8 * 3 + 3),
               hint="nn.Linear(4, 8) has 4 * 8 weights and 8 biases; nn.Linear(8, 3) has 8 * 3 and 3.")
    a, b = _random(16, 4, seed=6), _random(16, 4, seed=7)
    yield Case("two batches a and b: is g(a) + g(b) = g(a + b) + g(0), as for a model without activation?",
               args=(a, b), use=_affine_gap, test=_bends)
    yield Case("loss = model(x).sum(), then loss.backward()", args=(x,), use=_parameters_without_gradient,
               test=lambda missing: f"no gradient reached {', '.join(missing)}" if missing else None)
