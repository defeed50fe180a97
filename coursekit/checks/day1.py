"""Checks of day 1: activations, losses, backpropagation, optimizers, schedules, an MNIST model.

Notebooks: solutions/day1/01_activations_and_losses.ipynb, 02_backprop_and_optimizers.ipynb,
03_design_an_mnist_classifier.ipynb. Every expected value is computed here by PyTorch itself
(``torch.sigmoid``, autograd, ``torch.optim``, ``torch.optim.lr_scheduler``), never written out.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .cases import Case, exercise
from .compare import describe
from .day0 import _random

# ----------------------------------------------------------------------------- activations


def _extremes():
    return torch.tensor([-1000.0, -30.0, 0.0, 30.0, 1000.0])


@exercise("day1.sigmoid", expects="function", answer="sigmoid",
          hint="sigmoid(x) = 1 / (1 + exp(-x)); torch.exp works entry by entry.")
def sigmoid_cases():
    for x in (_random(6, seed=10), _random(3, 4, seed=11, dtype=torch.float64), _extremes()):
        yield Case(f"x = {describe(x)}", args=(x,), expected=torch.sigmoid(x))


def _autograd_slope(f, x):
    x = x.detach().requires_grad_()
    (slope,) = torch.autograd.grad(f(x).sum(), x)
    return slope


@exercise("day1.sigmoid_derivative", expects="function", answer="sigmoid_derivative",
          hint="The derivative of the sigmoid is sigmoid(x) * (1 - sigmoid(x)).")
def sigmoid_derivative_cases():
    for x in (torch.linspace(-6, 6, 13), _random(2, 5, seed=12)):
        yield Case(f"x = {describe(x)}", args=(x,), expected=_autograd_slope(torch.sigmoid, x))


@exercise("day1.leaky_relu", expects="function", answer="leaky_relu",
          hint="Keep x where it is positive and multiply it by the slope elsewhere: torch.where(x > 0, x, slope * x).")
def leaky_relu_cases():
    for x, slope in ((torch.linspace(-3, 3, 7), 0.01), (_random(4, 3, seed=13), 0.2), (_random(5, seed=14), 0.0)):
        yield Case(f"x = {describe(x)}, slope = {slope}", args=(x, slope),
                   expected=F.leaky_relu(x, negative_slope=slope))


def _rows_sum_to_one(out):
    if not isinstance(out, torch.Tensor):
        return f"expected a tensor, got {type(out).__name__}"
    if torch.isnan(out).any():
        return "the result holds NaN: exp of a large logit overflowed. Subtract each row's maximum first."
    if not torch.allclose(out.sum(-1), torch.ones(out.shape[:-1], dtype=out.dtype), atol=1e-5):
        return "each row should sum to 1: is the sum taken over the last dimension (dim=-1, keepdim=True)?"
    return None


@exercise("day1.softmax", expects="function", answer="softmax",
          hint="exp(z - max) / sum(exp(z - max)) over the last dimension; subtracting the row maximum "
               "changes nothing mathematically and keeps exp from overflowing.")
def softmax_cases():
    for z in (_random(4, seed=15), _random(3, 5, seed=16)):
        yield Case(f"logits z = {describe(z)}", args=(z,), expected=torch.softmax(z, dim=-1))
    z = torch.tensor([[1000.0, 1001.0, 1002.0], [-5.0, 0.0, 5.0]])
    yield Case(f"large logits z = {describe(z)}", args=(z,), test=_rows_sum_to_one)
    yield Case(f"large logits z = {describe(z)}", args=(z,), expected=torch.softmax(z, dim=-1))


# ----------------------------------------------------------------------------- losses


@exercise("day1.mse", expects="function", answer="mse",
          hint="The mean, over every entry, of the squared difference: ((prediction - target) ** 2).mean().")
def mse_cases():
    for seed, shape in ((17, (8,)), (18, (4, 3))):
        prediction, target = _random(*shape, seed=seed), _random(*shape, seed=seed + 100)
        yield Case(f"prediction = {describe(prediction)}, target = {describe(target)}",
                   args=(prediction, target), expected=F.mse_loss(prediction, target))


def _probabilities(n, seed):
    return torch.sigmoid(_random(n, seed=seed)).clamp(0.02, 0.98)


@exercise("day1.binary_cross_entropy", expects="function", answer="binary_cross_entropy",
          hint="-(y * log(p) + (1 - y) * log(1 - p)), averaged over the samples.")
def binary_cross_entropy_cases():
    p = torch.tensor([0.9, 0.2, 0.6, 0.5])
    y = torch.tensor([1.0, 0.0, 0.0, 1.0])
    yield Case(f"probabilities p = {describe(p)}, labels y = {describe(y)}", args=(p, y),
               expected=F.binary_cross_entropy(p, y))
    p, y = _probabilities(10, seed=19), (_random(10, seed=20) > 0).float()
    yield Case(f"probabilities p = {describe(p)}, labels y = {describe(y)}", args=(p, y),
               expected=F.binary_cross_entropy(p, y))


@exercise("day1.cross_entropy", expects="function", answer="cross_entropy",
          hint="For each sample: logsumexp of its logits minus the logit of its true class; then the mean. "
               "torch.logsumexp(z, dim=1) is stable for large logits; z[torch.arange(n), labels] picks the true ones.")
def cross_entropy_cases():
    z = _random(5, 4, seed=21)
    labels = torch.tensor([0, 3, 1, 1, 2])
    yield Case(f"logits = {describe(z)}, labels = {describe(labels)}", args=(z, labels),
               expected=F.cross_entropy(z, labels))
    z = torch.tensor([[500.0, 0.0, -500.0], [0.0, 800.0, 0.0]])
    labels = torch.tensor([0, 2])
    yield Case(f"large logits = {describe(z)}, labels = {describe(labels)}", args=(z, labels),
               expected=F.cross_entropy(z, labels),
               hint="exp(800) overflows to inf: use torch.logsumexp, which subtracts the maximum for you.")


# ----------------------------------------------------------------------------- backpropagation


def _two_layer_gradients(x, y, w1, b1, w2, b2):
    """Autograd's gradients of the mean squared error of sigmoid(x @ w1 + b1) @ w2 + b2."""
    params = [p.detach().requires_grad_() for p in (w1, b1, w2, b2)]
    prediction = torch.sigmoid(x @ params[0] + params[1]) @ params[2] + params[3]
    return tuple(torch.autograd.grad(F.mse_loss(prediction, y), params))


@exercise("day1.backward", expects="function", answer="backward",
          hint="Go backwards one step at a time: dL/dŷ = 2 (ŷ - y) / N, then dW2 = hᵀ dŷ and db2 = sum of dŷ "
               "over the batch, dh = dŷ W2ᵀ, da = dh * h * (1 - h), then dW1 = xᵀ da and db1 = sum of da.")
def backward_cases():
    for seed, (n, d, hidden, out) in ((22, (4, 3, 5, 1)), (23, (6, 2, 4, 2))):
        x, y = _random(n, d, seed=seed, dtype=torch.float64), _random(n, out, seed=seed + 1, dtype=torch.float64)
        w1, b1 = _random(d, hidden, seed=seed + 2, dtype=torch.float64), _random(hidden, seed=seed + 3, dtype=torch.float64)
        w2, b2 = _random(hidden, out, seed=seed + 4, dtype=torch.float64), _random(out, seed=seed + 5, dtype=torch.float64)
        yield Case(f"a batch of {n} samples with {d} features, {hidden} hidden units, {out} output(s) (float64)",
                   args=(x, y, w1, b1, w2, b2), expected=_two_layer_gradients(x, y, w1, b1, w2, b2))


# ----------------------------------------------------------------------------- optimizers


def _torch_step(optimizer_class, w, grad, state, **options):
    """One step of a torch.optim optimizer from a given state; returns the new weight and the optimizer's state."""
    param = torch.nn.Parameter(w.clone())
    optimizer = optimizer_class([param], **options)
    if state:
        optimizer.state[param] = {key: value.clone() for key, value in state.items()}
    param.grad = grad.clone()
    optimizer.step()
    return param.detach(), optimizer.state[param]


@exercise("day1.momentum_step", expects="function", answer="momentum_step",
          hint="velocity = beta * velocity + grad, then w = w - lr * velocity (PyTorch's SGD with momentum).")
def momentum_step_cases():
    for seed, velocity_scale in ((24, 0.0), (25, 1.0)):
        w, grad = _random(5, seed=seed), _random(5, seed=seed + 1)
        velocity = velocity_scale * _random(5, seed=seed + 2)
        lr, beta = 0.1, 0.9
        state = {"momentum_buffer": velocity} if velocity_scale else {}
        new_w, new_state = _torch_step(torch.optim.SGD, w, grad, state, lr=lr, momentum=beta)
        # With no buffer yet, PyTorch starts it at grad, which is beta * 0 + grad: the same rule.
        yield Case(f"w = {describe(w)}, grad = {describe(grad)}, velocity = {describe(velocity)}, lr = {lr}, "
                   f"beta = {beta}", args=(w, grad, velocity, lr, beta),
                   expected=(new_w, new_state["momentum_buffer"]))


@exercise("day1.adam_step", expects="function", answer="adam_step",
          hint="m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g²; m̂ = m / (1 - b1**t); v̂ = v / (1 - b2**t); "
               "w = w - lr * m̂ / (sqrt(v̂) + eps). t counts steps from 1.")
def adam_step_cases():
    lr, betas, eps = 0.01, (0.9, 0.999), 1e-8
    for seed, t in ((26, 1), (27, 5)):
        w, grad = _random(4, seed=seed, dtype=torch.float64), _random(4, seed=seed + 1, dtype=torch.float64)
        m = (t > 1) * 0.1 * _random(4, seed=seed + 2, dtype=torch.float64)
        v = (t > 1) * 0.01 * _random(4, seed=seed + 3, dtype=torch.float64).abs()
        state = {"step": torch.tensor(float(t - 1)), "exp_avg": m, "exp_avg_sq": v} if t > 1 else {}
        new_w, new_state = _torch_step(torch.optim.Adam, w, grad, state, lr=lr, betas=betas, eps=eps)
        yield Case(f"w = {describe(w)}, grad = {describe(grad)}, m = {describe(m)}, v = {describe(v)}, t = {t}, "
                   f"lr = {lr}, betas = {betas}, eps = {eps}", args=(w, grad, m, v, t, lr, betas, eps),
                   expected=(new_w, new_state["exp_avg"], new_state["exp_avg_sq"]))


# ----------------------------------------------------------------------------- learning-rate schedules


def _scheduler_rates(make_scheduler, lr0: float, epochs: int) -> list[float]:
    """The learning rate at epochs 0, 1, ..., epochs - 1, as PyTorch's scheduler gives it."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr0)
    scheduler = make_scheduler(optimizer)
    rates = []
    for _ in range(epochs):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


def _rates_of(schedule, *args):
    """Call the learner's schedule(lr0, epoch, ...) for every epoch; ``args`` = (lr0, epochs, *rest)."""
    lr0, epochs, *rest = args
    return [float(schedule(lr0, epoch, *rest)) for epoch in range(epochs)]


@exercise("day1.step_decay", expects="function", answer="step_decay",
          hint="lr0 * gamma ** (epoch // step_size): the rate drops by a factor gamma every step_size epochs.")
def step_decay_cases():
    for lr0, epochs, step_size, gamma in ((0.1, 12, 4, 0.5), (1.0, 10, 3, 0.1)):
        expected = _scheduler_rates(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size, gamma), lr0, epochs)
        yield Case(f"step_decay(lr0={lr0}, epoch, step_size={step_size}, gamma={gamma}) for epoch = 0..{epochs - 1}",
                   args=(lr0, epochs, step_size, gamma), use=_rates_of, expected=expected)


@exercise("day1.cosine_decay", expects="function", answer="cosine_decay",
          hint="lr_min + (lr0 - lr_min) * (1 + cos(pi * epoch / total_epochs)) / 2.")
def cosine_decay_cases():
    for lr0, total, lr_min in ((0.1, 10, 0.0), (0.5, 7, 0.01)):
        expected = _scheduler_rates(
            lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=total, eta_min=lr_min), lr0, total + 1)
        yield Case(f"cosine_decay(lr0={lr0}, epoch, total_epochs={total}, lr_min={lr_min}) for epoch = 0..{total}",
                   args=(lr0, total + 1, total, lr_min), use=_rates_of, expected=expected)


# ----------------------------------------------------------------------------- model design


def mnist_threshold() -> float:
    """Test accuracy an MNIST model must reach: it depends on how long the run mode lets it train."""
    from ..modes import run_mode

    return run_mode().pick(fast=0.80, laptop=0.97, full=0.98)


def _test_accuracy(model, n_test):
    from ..data import load_mnist

    mnist = load_mnist(limit=None)
    x, y = mnist.x_test[:n_test], mnist.y_test[:n_test]
    model.eval()
    with torch.no_grad():
        predictions = torch.cat([model(batch).argmax(1) for batch in x.split(1000)])
    return (predictions == y).float().mean().item()


def _reaches_threshold(accuracy):
    threshold = mnist_threshold()
    if not isinstance(accuracy, float):
        return "the model's outputs could not be turned into class predictions"
    if accuracy < threshold:
        return (f"test accuracy {accuracy:.2%} is below the {threshold:.0%} this run mode asks for: "
                "train longer, make the model wider, or try Adam with a learning rate near 1e-3")
    return None


def _logits_shape(out):
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != (8, 10):
        return f"for 8 images the model should return 8 rows of 10 class scores, got {describe(out)}"
    return None


@exercise("day1.mnist_model", expects="module", answer="model", time_limit=120.0, points=3.0,
          hint="Train it first (the cell above the check). It takes images of shape [N, 1, 28, 28] and returns "
               "[N, 10] logits; start with nn.Flatten(), then Linear layers with ReLU between them.")
def mnist_model_cases():
    images = torch.rand(8, 1, 28, 28, generator=torch.Generator().manual_seed(28))
    yield Case("8 images of shape [8, 1, 28, 28]", args=(images,), test=_logits_shape)
    from ..modes import run_mode

    n_test = run_mode().pick(fast=2000, laptop=10000, full=10000)
    yield Case(f"the first {n_test:,} MNIST test images, never used for training", args=(n_test,),
               use=_test_accuracy, test=_reaches_threshold)
