"""Exercise checks: one call per exercise, ``check("day0.relu", relu)``.

``check`` runs the exercise's cases on your answer, shows one line when it passes, or, for
the first case that fails, what was given, what was expected, what came back and a hint.
It never raises into your notebook and records the outcome in your progress file
(``coursekit.progress.show()`` lists it). ``run_check`` does the same work silently and
only returns the Result: the instructors' grading tool uses it.

The checks of each day live in ``dayN.py`` (or a ``dayN/`` package) beside this file; ``cases.py`` explains how to
write one, ``runner.py`` how they are run safely, ``compare.py`` how results are compared.
"""

from __future__ import annotations

from .cases import Case, all_exercises, exercise, find
from .compare import compare, describe
from .result import Result, show
from .runner import run_check

__all__ = ["check", "run_check", "Result", "Case", "exercise", "all_exercises", "compare", "describe"]


def check(id: str, answer, *, record: bool = True) -> Result:
    """Check ``answer`` for exercise ``id``, show the feedback, record it in your progress; returns the Result."""
    result = run_check(id, answer)
    if record and find(id) is not None:  # a mistyped id is not recorded
        from .. import progress

        progress.record(result)
    show(result)
    return result
