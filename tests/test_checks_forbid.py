"""Exercises that forbid a built-in catch every spelling of it, name the call, and show its line."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from coursekit.checks import run_check
from coursekit.checks.cases import Case
from coursekit.checks.forbid import AUTOGRAD, SIGMOID, name_of


def test_every_spelling_of_a_forbidden_call_is_caught_and_named(temporary_exercises):
    @temporary_exercises("test.sigmoid", expects="function", hint="", forbids=SIGMOID,
                         forbid_hint="Use torch.exp.")
    def sigmoid_cases():
        x = torch.randn(5)
        yield Case("x", args=(x,), expected=torch.sigmoid(x))

    assert run_check("test.sigmoid", lambda x: 1 / (1 + torch.exp(-x)))

    def hides_it(x):
        try:
            return x.sigmoid()
        except Exception:  # an answer that swallows every error still does not get through
            return 1 / (1 + torch.exp(-x))

    for answer, name in ((torch.sigmoid, "torch.sigmoid"), (lambda x: F.sigmoid(x), "torch.Tensor.sigmoid"),
                         (nn.Sigmoid(), "torch.sigmoid"), (hides_it, "torch.Tensor.sigmoid"),
                         (lambda x: torch.special.expit(x), "torch.special.expit")):
        result = run_check("test.sigmoid", answer)
        assert not result, name
        assert f"uses {name}" in result.summary and "Use torch.exp." in result.message


def test_the_line_that_made_the_forbidden_call_is_shown(temporary_exercises):
    @temporary_exercises("test.grad", expects="function", hint="", forbids=AUTOGRAD)
    def grad_cases():
        x = torch.randn(3)
        yield Case("x", args=(x,), expected=2 * x)

    def by_autograd(x):
        x = x.detach().requires_grad_()
        (x**2).sum().backward()
        return x.grad

    result = run_check("test.grad", by_autograd)
    assert not result and "uses torch.Tensor.backward" in result.summary
    assert "(x**2).sum().backward()" in result.message
    assert run_check("test.grad", lambda x: 2 * x)
    grad = lambda x: torch.autograd.grad((t := x.detach().requires_grad_()).pow(2).sum(), t)[0]  # noqa: E731
    assert "uses torch.autograd.grad" in run_check("test.grad", grad).summary


def test_relu_in_the_first_exercise_may_not_be_pytorchs_own():
    assert run_check("day0.relu", lambda x: torch.where(x > 0, x, 0.0))
    for answer in (torch.relu, nn.ReLU(), lambda x: F.relu(x), lambda x: x.relu()):
        result = run_check("day0.relu", answer)
        assert not result and "relu" in result.summary and "asks you to do without" in result.summary


def test_names_of_functions_and_methods():
    assert name_of(torch.sigmoid) == "torch.sigmoid"
    assert name_of(torch.Tensor.backward) == "torch.Tensor.backward"
    assert name_of(torch.autograd.grad) == "torch.autograd.grad"
