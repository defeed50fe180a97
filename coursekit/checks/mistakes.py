"""Feedback that names the mistake: compare with the right answer first, then with known wrong ones.

A check that knows the usual wrong answers (dividing by N instead of by every entry, eps inside
the square root, a schedule one epoch late) computes them too, and when the learner's result
matches one, the feedback says which mistake it is instead of only "values differ"::

    Case(..., test=judged(expected, [(wrong_value, "that is the sum, not the mean"),
                                     (has_nan, "exp overflowed")]))
"""

from __future__ import annotations

import torch

from .compare import ATOL, RTOL, compare, describe


def judged(expected, mistakes=(), *, atol: float = ATOL, rtol: float = RTOL):
    """A Case ``test``: None when the result matches ``expected``; else what is wrong, in words.

    ``mistakes`` is a list of (wrong, why): ``wrong`` is the value a known mistake gives (or a
    function of the result that says whether it shows the mistake); the first that fits names it.
    """
    def test(got):
        problem = compare(got, expected, atol, rtol)
        if problem is None:
            return None
        for wrong, why in mistakes:
            if callable(wrong) and wrong(got) or not callable(wrong) and matches(got, wrong, atol, rtol):
                return why
        return f"{problem}; expected {describe(expected)}"
    return test


def matches(got, value, atol: float = ATOL, rtol: float = RTOL) -> bool:
    """Whether ``got`` equals ``value`` within the tolerance (any shape of tensors, tuples, numbers)."""
    try:
        return compare(got, value, atol, rtol) is None
    except Exception:
        return False


def has_nan(got) -> bool:
    """Whether ``got`` (a tensor or a tuple of them) holds a NaN or an infinity."""
    items = got if isinstance(got, (tuple, list)) else [got]
    return any(isinstance(t, torch.Tensor) and t.is_floating_point() and not bool(t.isfinite().all())
               for t in items)


def raises_value_error(answer, *args):
    """A Case ``use`` for bad input: ``answer(*args)``, with a ValueError, or an error from inside
    PyTorch (RuntimeError, IndexError, TypeError), turned into its text ("ValueError: ...")."""
    try:
        return answer(*args)
    except ValueError as error:
        return f"ValueError: {error}"
    except (RuntimeError, IndexError, TypeError) as error:
        return f"{type(error).__name__}: {error}"


def is_value_error(what: str):
    """A Case ``test`` to go with :func:`raises_value_error`: passes a ValueError with a message that
    says something; otherwise says that a ValueError saying ``what`` was expected."""
    def test(got):
        if isinstance(got, str) and got.startswith("ValueError"):
            if len(got) > len("ValueError: ") + 10:
                return None
            return "the ValueError needs a message that says what is wrong"
        if isinstance(got, str) and got.split(":")[0] in ("RuntimeError", "IndexError", "TypeError"):
            return (f"this raised {got.split(':')[0]} from inside PyTorch; check the input first and raise a "
                    f"ValueError that says {what}")
        return f"expected a ValueError that says {what}, got {describe(got)}"
    return test
