"""Catch the built-ins an exercise asks you to do without, the moment your code calls one.

An exercise that asks for a sigmoid written by hand, or a backward pass without autograd,
lists what it forbids: ``@exercise(..., forbids=(torch.sigmoid, torch.Tensor.sigmoid))``.
While your code runs, ``watching(forbids)`` sees every PyTorch function and tensor method it
calls (PyTorch's ``TorchFunctionMode``, the hook behind tensor subclasses), and a forbidden
one raises ``Forbidden`` right there, so the feedback can name the call and the line.
``Forbidden`` is a BaseException: an ``except Exception`` in your code does not hide it.
Layers count too: ``nn.Sigmoid()(x)`` calls ``torch.sigmoid`` inside.

The groups below are the usual sets: every spelling of one operation.
"""

from __future__ import annotations

from contextlib import nullcontext

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode, resolve_name

SIGMOID = (torch.sigmoid, torch.Tensor.sigmoid, torch.special.expit, F.sigmoid, torch.Tensor.sigmoid_)
SOFTMAX = (torch.softmax, torch.Tensor.softmax, F.softmax, torch.special.softmax,
           torch.log_softmax, torch.Tensor.log_softmax, F.log_softmax, torch.special.log_softmax)
AUTOGRAD = (torch.autograd.grad, torch.autograd.backward, torch.Tensor.backward)


class Forbidden(BaseException):
    """Raised inside the learner's code when it calls what the exercise forbids."""

    def __init__(self, name: str):
        super().__init__(f"your code called {name}, which this exercise asks you to do without")
        self.name = name


def name_of(function) -> str:
    """'torch.sigmoid', 'torch.Tensor.backward', 'torch.autograd.grad': how the feedback names a function."""
    name = resolve_name(function)
    if name:
        return name
    module, qualname = getattr(function, "__module__", None), getattr(function, "__qualname__", None)
    return f"{module}.{qualname}" if module and qualname else repr(function)


class _Watch(TorchFunctionMode):
    def __init__(self, forbids):
        super().__init__()
        self.forbids = forbids

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in self.forbids:
            raise Forbidden(name_of(func))
        return func(*args, **(kwargs or {}))


def watching(forbids=()):
    """A context in which calling any of ``forbids`` raises Forbidden (nothing to watch: no overhead)."""
    return _Watch(frozenset(forbids)) if forbids else nullcontext()
