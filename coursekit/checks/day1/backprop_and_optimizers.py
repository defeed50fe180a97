"""Checks of solutions/day1/02_backprop_and_optimizers.ipynb: two backward passes, momentum, Adam, two schedules.

Gradients are compared with autograd's, optimizer steps with ``torch.optim``'s, schedules with
``torch.optim.lr_scheduler``'s; the answers may use none of them (autograd is caught by
``forbid.AUTOGRAD``, torch.optim by ``refuse.without_torch_optim``). The cases include what
naive answers get wrong (two outputs, a batch of one, huge logits, tiny gradients, a gradient
of 0, epoch 0, calls out of order), and the usual mistakes are named when they are made.
"""

from __future__ import annotations

import math
import random

import torch
import torch.nn.functional as F

from ..cases import Case, exercise
from ..compare import describe
from ..day0 import _random
from ..forbid import AUTOGRAD
from ..mistakes import has_nan, judged
from ..refuse import without_torch_optim

NO_AUTOGRAD = "Work the gradients out with the chain rule: the check compares them with autograd's, so autograd " \
              "cannot be the answer."
NO_OPTIM = "Write the update with tensor arithmetic: the check compares it with torch.optim, so torch.optim " \
           "cannot be the answer."
NO_SCHEDULER = "Compute the rate from the arguments with arithmetic (math.cos): the check compares it with " \
               "torch.optim.lr_scheduler, so a scheduler cannot be the answer."


def _scaled(values, factor):
    return tuple(v * factor for v in values)


def _parameters(d, hidden, out, seed, scale=1.0):
    f64 = torch.float64
    return (_random(d, hidden, seed=seed, dtype=f64), _random(hidden, seed=seed + 1, dtype=f64),
            scale * _random(hidden, out, seed=seed + 2, dtype=f64), _random(out, seed=seed + 3, dtype=f64))


def _autograd_gradients(loss_of, params):
    params = [p.detach().requires_grad_() for p in params]
    return tuple(torch.autograd.grad(loss_of(*params), params))


# ----------------------------------------------------------------------------- backpropagation


@exercise("day1.backward", expects="function", answer="backward", forbids=AUTOGRAD, forbid_hint=NO_AUTOGRAD,
          hint="Start at the loss: L averages over every entry of ŷ, so what is ∂L/∂ŷ for one entry? Then go "
               "back one operation at a time; each gradient has the shape of the tensor it belongs to.")
def backward_cases():
    for seed, (n, d, hidden, out) in ((40, (4, 3, 5, 1)), (45, (6, 2, 4, 2)), (50, (1, 3, 2, 3))):
        x = _random(n, d, seed=seed, dtype=torch.float64)
        y = _random(n, out, seed=seed + 4, dtype=torch.float64)
        params = _parameters(d, hidden, out, seed)
        expected = _autograd_gradients(
            lambda w1, b1, w2, b2: F.mse_loss(torch.sigmoid(x @ w1 + b1) @ w2 + b2, y), params)
        mistakes = [(_scaled(expected, 0.5), "every gradient is half the right size: the derivative of (ŷ - y)² "
                                             "is 2(ŷ - y)")]
        if out > 1:
            mistakes.append((_scaled(expected, out), f"every gradient is {out} times too large: the mean in L is over "
                             f"all M = {n} × {out} entries of ŷ, not over the {n} samples"))
        mistakes.append((_scaled(expected, n * out), "every gradient is M times too large: L is the mean of the "
                                                     "squared errors, not their sum"))
        yield Case(f"a batch of {n} sample(s) with {d} features, {hidden} hidden units, {out} output(s) (float64)",
                   args=(x, y, *params), test=judged(expected, mistakes))


def _classifier_gradients(x, labels, w1, b1, w2, b2, slope):
    """The gradients of the tanh classifier's loss, by hand, with ``slope(h)`` as the hidden layer's slope."""
    h = torch.tanh(x @ w1 + b1)
    d_logits = (torch.softmax(h @ w2 + b2, dim=1) - F.one_hot(labels, w2.shape[1])) / len(x)
    d_a = (d_logits @ w2.T) * slope(h)
    return x.T @ d_a, d_a.sum(0), h.T @ d_logits, d_logits.sum(0)


@exercise("day1.backward_classifier", expects="function", answer="backward_classifier", forbids=AUTOGRAD,
          forbid_hint=NO_AUTOGRAD,
          hint="Start at the logits: write the loss of one sample with log-sum-exp and differentiate it with "
               "respect to each logit. Then go back layer by layer as in the lecture; tanh has its own slope.")
def backward_classifier_cases():
    shapes = ((60, (4, 3, 5, 3), 1.0), (65, (1, 2, 4, 4), 1.0), (70, (6, 4, 3, 2), 1.0), (75, (3, 2, 4, 3), 1500.0))
    for seed, (n, d, hidden, classes), scale in shapes:
        x = _random(n, d, seed=seed, dtype=torch.float64)
        labels = torch.randint(classes, (n,), generator=torch.Generator().manual_seed(seed + 5))
        params = _parameters(d, hidden, classes, seed, scale)
        expected = _autograd_gradients(
            lambda w1, b1, w2, b2: F.cross_entropy(torch.tanh(x @ w1 + b1) @ w2 + b2, labels), params)
        mistakes = [
            (has_nan, "NaN or inf: the logits here reach about ±1000, where e^z overflows. Compute the softmax "
                      "so that no exponent is positive."),
            (_classifier_gradients(x, labels, *params, slope=lambda h: h * (1 - h)),
             "dW1 and db1 use h(1 - h), the sigmoid's slope; the hidden layer here is tanh"),
            (_classifier_gradients(x, labels, *params, slope=torch.ones_like),
             "dW1 and db1 miss the slope of tanh between the hidden layer and its pre-activation")]
        if n > 1:
            mistakes.append((_scaled(expected, n), f"every gradient is {n} times too large: the loss is the mean "
                                                   "over the batch, not the sum"))
        big = " with large output weights (logits near ±1000)" if scale > 1 else ""
        yield Case(f"a batch of {n} sample(s), {d} features, {hidden} hidden units, {classes} classes{big} "
                   f"(float64), labels = {describe(labels)}", args=(x, labels, *params),
                   test=judged(expected, mistakes))


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


@exercise("day1.momentum_step", expects="function", answer="momentum_step", forbids=(), forbid_hint=NO_OPTIM,
          hint="Two lines, in the order of the two equations: which one uses the velocity you were given, and "
               "which the new one?")
def momentum_step_cases():
    settings = ((80, (5,), 0.0, 0.1, 0.9), (82, (5,), 1.0, 0.1, 0.9), (84, (3, 2), 1.0, 0.05, 0.5),
                (86, (4,), 1.0, 0.2, 0.99))
    for seed, shape, velocity_scale, lr, beta in settings:
        w, grad = _random(*shape, seed=seed, dtype=torch.float64), _random(*shape, seed=seed + 1, dtype=torch.float64)
        velocity = velocity_scale * _random(*shape, seed=seed + 2, dtype=torch.float64)
        state = {"momentum_buffer": velocity} if velocity_scale else {}
        new_w, new_state = _torch_step(torch.optim.SGD, w, grad, state, lr=lr, momentum=beta)
        # With no buffer yet, PyTorch starts it at grad, which is beta * 0 + grad: the same rule.
        theirs, average = beta * velocity - lr * grad, beta * velocity + (1 - beta) * grad
        mistakes = [((w + theirs, theirs), "that is the other convention, v ← βv - ηg and w ← w + v; this "
                                          "exercise (and torch.optim.SGD) keeps v ← βv + g and w ← w - ηv"),
                    ((w - lr * average, average), "that averages the gradients (weight 1 - β); torch.optim.SGD adds "
                                                  "the whole gradient to the decayed velocity"),
                    ((w - lr * velocity, beta * velocity + grad), "the weight moved along the old velocity: update "
                                                                  "the velocity first, then move along the new one")]
        yield Case(f"w = {describe(w)}, grad = {describe(grad)}, velocity = {describe(velocity)}, lr = {lr}, "
                   f"beta = {beta}", args=(w, grad, velocity, lr, beta), use=without_torch_optim,
                   test=judged((new_w, new_state["momentum_buffer"]), mistakes))


def _adam_by_formula(w, grad, m, v, t, lr, betas, eps, inside=False, corrected=True):
    (b1, b2) = betas
    m, v = b1 * m + (1 - b1) * grad, b2 * v + (1 - b2) * grad**2
    m_hat, v_hat = (m / (1 - b1**t), v / (1 - b2**t)) if corrected else (m, v)
    denominator = (v_hat + eps).sqrt() if inside else v_hat.sqrt() + eps
    return w - lr * m_hat / denominator, m, v


@exercise("day1.adam_step", expects="function", answer="adam_step", forbids=(), forbid_hint=NO_OPTIM,
          hint="Follow the five equations in order, each on its own line, and check which t the bias "
               "corrections use: the first step is t = 1.")
def adam_step_cases():
    lr, betas, eps = 0.01, (0.9, 0.999), 1e-8
    for seed, t in ((90, 1), (92, 5)):
        yield _adam_case("", *_adam_inputs(seed, t, 1.0), t, lr, betas, eps)
    w, grad = _random(4, seed=96, dtype=torch.float64), torch.tensor([0.0, 0.5, 0.0, -1.0], dtype=torch.float64)
    zeros = torch.zeros(4, dtype=torch.float64)
    yield _adam_case("weights whose gradient is 0 at the first step: ", w, grad, zeros, zeros, 1, lr, betas, eps)
    yield _adam_case("tiny gradients (about 1e-6), where eps matters: ", *_adam_inputs(94, 3, 1e-6), 3, lr, betas, eps)


def _adam_inputs(seed, t, size):
    """w, grad, m, v of the given size, with m and v as they are after t - 1 steps (0 before the first)."""
    f64 = torch.float64
    w, grad = _random(4, seed=seed, dtype=f64), size * _random(4, seed=seed + 1, dtype=f64)
    m = (t > 1) * 0.1 * size * _random(4, seed=seed + 2, dtype=f64)
    v = (t > 1) * 0.01 * size**2 * _random(4, seed=seed + 3, dtype=f64).abs()
    return w, grad, m, v


def _adam_case(words, w, grad, m, v, t, lr, betas, eps):
    state = {"step": torch.tensor(float(t - 1)), "exp_avg": m, "exp_avg_sq": v} if t > 1 else {}
    new_w, new_state = _torch_step(torch.optim.Adam, w, grad, state, lr=lr, betas=betas, eps=eps)
    args = (w, grad, m, v, t, lr, betas, eps)
    mistakes = [
        (has_nan, "NaN or inf: a division by 0. Where the gradient has been 0, m̂ / √v̂ is 0 / 0 unless eps "
                  "is added to the denominator; and the bias correction 1 - β^t is 0 when t is 0"),
        (_adam_by_formula(*args[:-1], 0.0), "eps is missing from the denominator; it matters when v is tiny, as "
                                            "here"),
        (_adam_by_formula(*args, inside=True), "eps was added inside the square root; Adam (and torch.optim.Adam) "
                                               "adds it to √v̂. It matters when v is tiny, as here"),
        (_adam_by_formula(*args, corrected=False), "m and v were not corrected for starting at 0 (divide them by "
                                                   "1 - β₁^t and 1 - β₂^t)"),
        (_adam_by_formula(w, grad, m, v, t + 1, lr, betas, eps), "the bias correction used t + 1: the step given "
                                                                  "as t is already counted from 1")]
    return Case(f"{words}w = {describe(w)}, grad = {describe(grad)}, m = {describe(m)}, v = {describe(v)}, t = {t}, "
                f"lr = {lr}, betas = {betas}, eps = {eps}", args=args, use=without_torch_optim,
                test=judged((new_w, new_state["exp_avg"], new_state["exp_avg_sq"]), mistakes))


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


def _rates_of(schedule, lr0, epochs, shuffled, *rest):
    """The learner's schedule(lr0, epoch, *rest) for epoch = 0 .. epochs - 1, listed by epoch; the calls are
    made in a shuffled order when ``shuffled`` (a schedule depends on its arguments only)."""
    order = list(range(epochs))
    if shuffled:
        random.Random(epochs).shuffle(order)
    rates = {epoch: float(without_torch_optim(schedule, lr0, epoch, *rest)) for epoch in order}
    return [rates[epoch] for epoch in range(epochs)]


def _schedule_cases(name, settings, reference, mistakes):
    """One case per setting with the epochs in order, and one more with the first setting's calls shuffled."""
    for number, (lr0, epochs, *rest) in enumerate(list(settings) + [settings[0]]):
        shuffled = number == len(settings)
        arguments = ", ".join(f"{key}={value}" for key, value in zip(("lr0", "epoch") + name[1], (lr0, "e", *rest)))
        order = "called for the epochs in a shuffled order" if shuffled else "for each epoch e in order"
        yield Case(f"{name[0]}({arguments}) for e = 0 .. {epochs - 1}, {order}", args=(lr0, epochs, shuffled, *rest),
                   use=_rates_of, test=judged(reference(lr0, epochs, *rest), mistakes(lr0, epochs, *rest)),
                   hint="Called in another order, it must give the same rates: a schedule depends on its "
                        "arguments only, not on earlier calls." if shuffled else "")


@exercise("day1.step_decay", expects="function", answer="step_decay", forbids=(), forbid_hint=NO_SCHEDULER,
          hint="Work out by hand the rates of epochs 0 to 5 for step_size = 2 and gamma = 0.5; how many drops "
               "have happened by epoch e?")
def step_decay_cases():
    def reference(lr0, epochs, step_size, gamma):
        return _scheduler_rates(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size, gamma), lr0, epochs)

    def mistakes(lr0, epochs, step_size, gamma):
        def rates(rule):
            return [lr0 * gamma ** rule(e) for e in range(epochs)]
        return [(rates(lambda e: (e + 1) // step_size), "the rate drops one epoch early: epochs count from 0, and "
                                                         "epoch 0 uses lr0"),
                (rates(lambda e: (e - 1) // step_size), "the rate drops one epoch late: epochs count from 0"),
                (rates(lambda e: e / step_size), "the rate falls a little every epoch; it should stay flat for "
                                                 "step_size epochs and then drop at once")]

    yield from _schedule_cases(("step_decay", ("step_size", "gamma")),
                               [(0.1, 12, 4, 0.5), (1.0, 10, 3, 0.1), (0.5, 5, 1, 0.9)], reference, mistakes)


@exercise("day1.cosine_decay", expects="function", answer="cosine_decay", forbids=(), forbid_hint=NO_SCHEDULER,
          hint="Check your formula at the two ends first: epoch 0 must give lr0 and epoch total_epochs lr_min.")
def cosine_decay_cases():
    def reference(lr0, epochs, total, lr_min):
        return _scheduler_rates(
            lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=total, eta_min=lr_min), lr0, epochs)

    def mistakes(lr0, epochs, total, lr_min):
        def rates(start, end, t):
            return [end + (start - end) * (1 + math.cos(math.pi * e / t)) / 2 for e in range(epochs)]
        shifted = [lr_min + (lr0 - lr_min) * (1 + math.cos(math.pi * (e + 1) / total)) / 2 for e in range(epochs)]
        return [(shifted, "the rates are one epoch early: epoch 0 uses lr0"),
                (rates(lr0, lr_min, max(total - 1, 1e-9)), "lr_min comes one epoch early: half a cosine spans "
                                                            "total_epochs epochs, from epoch 0 to epoch total_epochs"),
                (rates(lr0, 0.0, total), "the rate ends at 0 instead of lr_min")]

    yield from _schedule_cases(("cosine_decay", ("total_epochs", "lr_min")),
                               [(0.1, 11, 10, 0.0), (0.5, 8, 7, 0.01), (0.2, 2, 1, 0.05)], reference, mistakes)
