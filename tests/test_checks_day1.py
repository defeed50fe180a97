"""Day 1 checks: right answers pass, typical mistakes fail with the feedback that points at them."""

import math

import pytest
import torch
from torch import nn

from coursekit.checks import run_check


def naive_softmax(z):
    e = torch.exp(z)
    return e / e.sum(-1, keepdim=True)


def stable_softmax(z):
    e = torch.exp(z - z.max(-1, keepdim=True).values)
    return e / e.sum(-1, keepdim=True)


def test_softmax_without_the_max_shift_fails_on_large_logits():
    assert run_check("day1.softmax", stable_softmax)
    result = run_check("day1.softmax", naive_softmax)
    assert not result and "case 3" in result.summary
    assert "Subtract each row's maximum" in str(result.details)


def test_cross_entropy_through_softmax_probabilities_overflows():
    def through_probabilities(z, labels):
        return -torch.log(naive_softmax(z)[torch.arange(len(labels)), labels]).mean()

    result = run_check("day1.cross_entropy", through_probabilities)
    assert not result and "logsumexp" in str(result.details)


def backward(x, y, w1, b1, w2, b2, use_sigmoid_slope=True):
    h = torch.sigmoid(x @ w1 + b1)
    prediction = h @ w2 + b2
    d_prediction = 2 * (prediction - y) / prediction.numel()
    d_a = d_prediction @ w2.T
    if use_sigmoid_slope:
        d_a = d_a * h * (1 - h)
    return x.T @ d_a, d_a.sum(0), h.T @ d_prediction, d_prediction.sum(0)


def test_backward_must_include_the_sigmoid_slope():
    assert run_check("day1.backward", backward)
    result = run_check("day1.backward", lambda *args: backward(*args, use_sigmoid_slope=False))
    assert not result and "values differ" in str(result.details)


def adam_step(w, grad, m, v, t, lr, betas, eps, bias_correction=True):
    (b1, b2) = betas
    m, v = b1 * m + (1 - b1) * grad, b2 * v + (1 - b2) * grad**2
    m_hat, v_hat = (m / (1 - b1**t), v / (1 - b2**t)) if bias_correction else (m, v)
    return w - lr * m_hat / (v_hat.sqrt() + eps), m, v


def test_adam_without_bias_correction_fails():
    assert run_check("day1.adam_step", adam_step)
    assert not run_check("day1.adam_step", lambda *a: adam_step(*a, bias_correction=False))


def test_momentum_that_changes_its_input_in_place_is_caught():
    def in_place(w, grad, velocity, lr, beta):
        velocity.mul_(beta).add_(grad)
        return w - lr * velocity, velocity

    result = run_check("day1.momentum_step", in_place)
    assert not result and "in place" in result.summary


def test_schedules_off_by_one_epoch_fail():
    def cosine(lr0, epoch, total, lr_min):
        return lr_min + (lr0 - lr_min) * (1 + math.cos(math.pi * epoch / total)) / 2

    assert run_check("day1.cosine_decay", cosine)
    assert not run_check("day1.cosine_decay", lambda lr0, e, total, lr_min: cosine(lr0, e + 1, total, lr_min))
    assert run_check("day1.step_decay", lambda lr0, e, s, g: lr0 * g ** (e // s))
    assert not run_check("day1.step_decay", lambda lr0, e, s, g: lr0 * g ** ((e + 1) // s))


@pytest.fixture
def mnist_in_fast_mode(real_data, monkeypatch):
    monkeypatch.setenv("COURSEKIT_DATA", str(real_data))
    monkeypatch.setenv("COURSEKIT_MODE", "fast")


def test_an_untrained_mnist_model_is_below_the_threshold(mnist_in_fast_mode):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    result = run_check("day1.mnist_model", model)
    assert not result and "below the 80%" in str(result.details)


def test_an_mnist_model_with_the_wrong_output_shape_is_told_so(mnist_in_fast_mode):
    result = run_check("day1.mnist_model", nn.Sequential(nn.Flatten(), nn.Linear(784, 5)))
    assert not result and "10 class scores" in str(result.details)
