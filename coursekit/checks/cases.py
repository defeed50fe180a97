"""How an exercise's check is written: a hint and a few cases, registered under the exercise's id.

A check module (``day0.py``, or ``day1/activations_and_losses.py`` in a day's package) writes one
generator per exercise::

    @exercise("day0.relu", expects="function", hint="Keep the positive entries, put 0 elsewhere.")
    def relu_cases():
        x = torch.tensor([-2.0, 0.0, 3.0])
        yield Case(f"x = {describe(x)}", args=(x,), expected=F.relu(x))

Each ``Case`` calls the learner's answer with ``args`` and either compares what comes back
with ``expected`` (a reference computed with PyTorch's own functions) or, for a property
test, gives it to ``test``, which returns what is wrong in words, or ``None``. ``use``
replaces the call when the answer is not a function (``use=count_parameters`` for a model).
The cases are made afresh for every check, and the learner's code only ever sees copies.
Random inputs are drawn with ``input_seed()`` mixed into their seeds: it is 0 in the
notebooks, and the instructors' grader sets its own, so graded inputs cannot be known ahead.
Read it while making the cases, never inside ``use`` or ``test``: the grader calls the answers
outside ``seeded_inputs()``, so fix anything seeded into the case's ``args`` when you make it.
``answer`` names the variable the exercise notebook asks for (``relu``, ``model``).
Inputs are made on the CPU; the runner moves them to the answer's device (a model's) and
brings the result back, so cases never deal with devices (``placement.py``). A case whose
``use`` needs data (test images, say) takes it through ``args`` so that it is moved too.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from .compare import ATOL, RTOL

KINDS = ("function", "module", "tensor", "value")


@dataclass
class Case:
    """One test of the learner's answer."""

    given: str  # what this case gives the answer, in words (shown when the case fails)
    args: tuple = ()  # the answer is called as answer(*args), on copies of args
    expected: Any = None  # the right result, compared with compare() ...
    test: Callable[[Any], str | None] | None = None  # ... or a property: test(result) -> problem or None
    use: Callable | None = None  # how to use the answer, when not answer(*args): use(answer, *args)
    hint: str = ""  # a hint for this case only (else the exercise's hint)
    atol: float = ATOL
    rtol: float = RTOL


@dataclass
class Exercise:
    """An exercise's check: what kind of answer it expects, its cases and a hint."""

    id: str
    expects: str
    cases: Callable[[], Iterator[Case]]
    hint: str
    points: float = 1.0
    time_limit: float = 5.0  # seconds one call of the learner's code may take
    answer: str | None = None  # the name the exercise notebook defines for the answer ("relu")
    forbids: tuple = ()  # torch functions and methods the answer may not call (see forbid.py)
    forbid_hint: str = ""  # what to do instead, shown when it calls one of them


_REGISTRY: dict[str, Exercise] = {}
_INPUT_SEED = 0


def exercise(id: str, *, expects: str, hint: str, points: float = 1.0, time_limit: float = 5.0,
             answer: str | None = None, forbids: tuple = (), forbid_hint: str = ""):
    """Register the decorated generator of cases as the check of exercise ``id`` ("day0.relu").

    ``forbids`` lists the torch functions and methods the answer may not call (``forbid.SIGMOID``,
    ``forbid.AUTOGRAD``, ...); ``forbid_hint`` says what to do instead.
    """
    if expects not in KINDS:
        raise ValueError(f"expects must be one of {KINDS}, not {expects!r}")

    def register(cases):
        _REGISTRY[id] = Exercise(id, expects, cases, hint, points, time_limit, answer, tuple(forbids), forbid_hint)
        return cases

    return register


def input_seed() -> int:
    """What the cases mix into the seeds of their random inputs: 0, except while the grader runs them."""
    return _INPUT_SEED


@contextmanager
def seeded_inputs(seed: int):
    """Make the cases draw other random inputs (the grader's secret seed) inside this block."""
    global _INPUT_SEED
    saved, _INPUT_SEED = _INPUT_SEED, int(seed)
    try:
        yield
    finally:
        _INPUT_SEED = saved


def find(id: str) -> Exercise | None:
    """The exercise registered as ``id``, importing its day's module (``day0.x`` -> ``day0.py``)."""
    if id not in _REGISTRY and isinstance(id, str) and id.split(".")[0].isidentifier():
        try:
            importlib.import_module(f"{__package__}.{id.split('.')[0]}")
        except ImportError:
            pass
    return _REGISTRY.get(id)


def all_exercises() -> list[Exercise]:
    """Every exercise of the course, in the order the check modules define them."""
    from . import __path__ as here

    for module in sorted(m.name for m in pkgutil.iter_modules(here) if m.name.startswith("day")):
        importlib.import_module(f"{__package__}.{module}")
    return list(_REGISTRY.values())


def suggest(id) -> str:
    """A 'did you mean ...?' for a mistyped exercise id."""
    close = difflib.get_close_matches(str(id), [e.id for e in all_exercises()], n=1)
    return f" Did you mean {close[0]!r}?" if close else ""
