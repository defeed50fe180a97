"""Refuse the built-ins that PyTorch's TorchFunctionMode cannot see: optimizers, schedulers, ``fit``.

``forbid.py`` catches forbidden *tensor* functions (``torch.sigmoid``) as they are called. An
optimizer's or a learning-rate scheduler's work is plain Python around in-place tensor methods,
so an exercise that asks for an Adam step or a cosine schedule written by hand refuses them at
their entrance instead: while the learner's code runs, and only in its thread, constructing any
``torch.optim`` optimizer or scheduler (or starting ``coursekit.training.fit``) raises the same
``Forbidden`` as a forbidden tensor function, so the feedback names it and shows the line.
"""

from __future__ import annotations

import functools
import sys
import threading
from contextlib import ExitStack, contextmanager

import torch

from .forbid import Forbidden


@contextmanager
def refusing(owner, attribute: str, name):
    """Inside this block, in this thread only, calling ``owner.attribute`` raises Forbidden(name).

    ``name`` is a string or a function of the call's arguments that returns one.
    """
    original = owner.__dict__[attribute]
    thread, active = threading.get_ident(), [True]

    @functools.wraps(original)
    def guarded(*args, **kwargs):
        if active[0] and threading.get_ident() == thread:
            raise Forbidden(name(args) if callable(name) else name)
        return original(*args, **kwargs)

    setattr(owner, attribute, guarded)
    try:
        yield
    finally:
        active[0] = False  # harmless from now on, even if someone patched over it meanwhile
        if owner.__dict__.get(attribute) is guarded:
            setattr(owner, attribute, original)


def without_torch_optim(answer, *args):
    """``answer(*args)``, refusing any torch.optim optimizer or learning-rate scheduler it builds."""
    schedulers = torch.optim.lr_scheduler.LRScheduler
    with refusing(torch.optim.Optimizer, "__init__", lambda a: f"torch.optim.{type(a[0]).__name__}"), \
            refusing(schedulers, "__init__", lambda a: f"torch.optim.lr_scheduler.{type(a[0]).__name__}"):
        return answer(*args)


def without_fit(answer, *args):
    """``answer(*args)``, refusing ``coursekit.training.fit`` (the loop the exercise asks you to write)."""
    with ExitStack() as stack:
        training = sys.modules.get("coursekit.training")  # the learner's copy, the one their code calls
        if training is not None and "History" in training.__dict__:
            # fit makes a History first thing; a hand-written loop never does.
            stack.enter_context(refusing(training, "History", "coursekit.training.fit"))
        return answer(*args)
