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
