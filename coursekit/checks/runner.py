"""Run an exercise's cases on the learner's answer, safely, and turn what happens into a Result.

``run_check(id, answer)`` never raises and never prints. Around the learner's code it:

- gives it copies, so the learner's tensors and models stay as they were, and reports a
  function that changes its inputs (or a model that changes itself) in place;
- runs it on the answer's own device (a model trained on a GPU gets its inputs there) and
  compares what comes back on the CPU (``placement.py``);
- watches for the built-ins an exercise forbids (``forbid.py``) and names the call;
- keeps the random number generators' state, so a check does not change what the rest
  of the notebook computes;
- records warnings instead of letting them reach stderr (they are mentioned on a failure);
- runs each call in a worker thread with a time limit. Python cannot kill a thread, so on
  a time-out the check asks the thread to stop (an exception raised inside it, which ends
  an endless Python loop) and says so; a thread stuck inside one long C call may keep the
  CPU busy until it returns. We chose a thread over ``signal.alarm`` because it works on
  Windows and in any thread, and the check always comes back on time.
"""

from __future__ import annotations

import copy
import ctypes
import os
import random
import threading
import traceback
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from .cases import Case, Exercise, find, suggest
from .compare import compare, describe, type_name
from .forbid import Forbidden, watching
from .placement import device_of, to_cpu, to_device
from .result import Result

_HERE = os.path.dirname(os.path.abspath(__file__))
_KIND_WORDS = {"function": "a function", "module": "a model (an nn.Module)", "tensor": "a tensor", "value": "a value"}
_KIND_HINTS = {
    "function": "Give the function itself, without calling it: check(ID, my_function), not check(ID, my_function(x)).",
    "module": "Give the model object, e.g. nn.Sequential(...) or an instance of your nn.Module class.",
    "tensor": "Give the tensor your code computed.",
    "value": "",
}


class TimeUp(BaseException):
    """Raised inside the learner's code when it runs past the time limit (BaseException:
    an ``except Exception`` in the learner's code does not swallow it)."""


def run_check(id: str, answer, *, time_limit: float | None = None) -> Result:
    """Check ``answer`` against the exercise ``id`` and return the Result (prints nothing, never raises)."""
    exercise = find(id)
    if exercise is None:
        return Result(str(id), "failed", f"there is no exercise called {id!r}.{suggest(id)}", max_points=0)
    try:
        with warnings.catch_warnings(record=True) as caught, _keep_random_state():
            warnings.simplefilter("always")
            result = _run(exercise, answer, time_limit or exercise.time_limit)
        if caught and not result.passed:
            first = caught[0]
            result.details.append(("note", f"your code warned: {first.category.__name__}: {first.message}"))
        return result
    except Exception as error:  # a bug in the check itself must not break the notebook either
        return Result(exercise.id, "failed", f"the check itself failed ({error!r}). Please tell your instructor.",
                      max_points=exercise.points)


def _run(exercise: Exercise, answer, time_limit: float) -> Result:
    early = judge_answer_kind(exercise, answer)
    if early is not None:
        return early
    cases = list(exercise.cases())
    for number, case in enumerate(cases, 1):
        outcome = try_case(answer, case.args, case.use, time_limit, exercise.forbids)
        result = judge_outcome(exercise, case, outcome.cpu(), number, len(cases))
        if result is not None:
            return result
    return passed(exercise, len(cases))


# ----------------------------------------------------------------------------- one case, two places
# check() in a notebook runs try_case and judge_outcome in one process. The instructors' grader
# runs try_case in the submission's kernel (coursekit/grading/harness.py), sends the Outcome back
# as plain data, and runs judge_outcome in its own process with its own cases: one sequence.


@dataclass
class Outcome:
    """What one call of the learner's answer did: returned ``value``, or raised, or ran out of time."""

    kind: str  # "value", "timeout", "forbidden" or "error"
    value: Any = None
    text: str = ""  # the time-out's words, or the forbidden function's name
    error: list = field(default_factory=list)  # (label, text) lines about the error
    changed: str = ""  # what the call changed in place ("an input (its values)"), or ""

    def cpu(self) -> "Outcome":
        if self.kind == "value":
            self.value = to_cpu(self.value)
        return self


def try_case(answer, args: tuple, use, time_limit: float, forbids=()) -> Outcome:
    """Call the answer once on copies of ``args`` (on the answer's device), watched and timed."""
    inputs = to_device(args, device_of(answer))
    mine, copies = _copy(answer), _copy(inputs)
    outcome = call_answer(use or _call, mine, copies, time_limit, forbids)
    if isinstance(outcome, TimeUp):
        return Outcome("timeout", text=str(outcome))
    if isinstance(outcome, Forbidden):
        return Outcome("forbidden", text=outcome.name, error=_error_lines(outcome)[1:])
    if isinstance(outcome, BaseException):
        return Outcome("error", error=_error_lines(outcome))
    name = "the model" if isinstance(answer, torch.nn.Module) else "your answer"
    changed = _changed(answer, mine, name) or _changed(inputs, copies, "an input")
    return Outcome("value", outcome[0], changed=changed or "")


def judge_answer_kind(exercise: Exercise, answer) -> Result | None:
    """The Result when the answer is missing or of the wrong kind; None when its cases should run."""
    if answer is None or answer is Ellipsis:
        return _not_attempted(exercise)
    if not _is_kind(answer, exercise.expects):
        return _failed(exercise, f"expected {_KIND_WORDS[exercise.expects]}, but got {type_name(answer)}.",
                       hint=_KIND_HINTS[exercise.expects].replace("ID", repr(exercise.id)))
    return None


def judge_outcome(exercise: Exercise, case: Case, outcome: Outcome, number: int, total: int) -> Result | None:
    """The failing Result of case ``number`` from what the call did (on the CPU); None if it is right."""
    where = f"case {number} of {total}"
    given = [("given", case.given)]
    hint = case.hint or exercise.hint
    if outcome.kind == "timeout":
        return _failed(exercise, f"your code did not finish in time ({where}): an endless loop?",
                       given + [("problem", outcome.text)], hint)
    if outcome.kind == "forbidden":
        return _failed(exercise, f"your code uses {outcome.text} ({where}), which this exercise asks you to do "
                       "without.", given + list(outcome.error), exercise.forbid_hint or hint)
    if outcome.kind == "error":
        return _failed(exercise, f"your code raised an error ({where}).", given + list(outcome.error), hint)
    got = outcome.value
    if number == 1 and (got is None or got is Ellipsis):
        return _not_attempted(exercise, returned=got)
    if outcome.changed:
        return _failed(exercise, f"your code changed {outcome.changed} in place ({where}).", given,
                       "Leave what you were given as it was: make new tensors (x * 2, torch.where(...), "
                       "x.detach() for gradients) rather than change it (x *= 2, x[...] = ..., methods "
                       "ending in _ such as requires_grad_).")
    problem = _judge(case, got)
    if problem:
        expected = [] if case.test else [("expected", describe(case.expected))]
        return _failed(exercise, f"not right yet ({where}).",
                       given + expected + [("got", describe(got)), ("problem", problem)], hint)
    return None


def passed(exercise: Exercise, cases: int) -> Result:
    return Result(exercise.id, "passed", f"passed, all {cases} cases right.", [], exercise.points, exercise.points)


def _failed(exercise: Exercise, summary: str, details=(), hint: str | None = None) -> Result:
    hint = exercise.hint if hint is None else hint
    details = list(details) + ([("hint", hint)] if hint else [])
    return Result(exercise.id, "failed", summary, details, 0.0, exercise.points)


def _call(answer, *args):
    return answer(*args)


def call_answer(use, answer, args: tuple, seconds: float, forbids=()):
    """``(value,)`` of ``use(answer, *args)``, or the exception it raised (TimeUp, Forbidden, ...).

    The grader's harness makes its calls through here too, so a submission is run exactly as
    the learner's own check ran it."""
    def watched():
        with watching(forbids):
            return use(answer, *args)

    return _call_with_time_limit(watched, (), seconds)


def _judge(case: Case, got) -> str | None:
    """What is wrong with ``got`` for this case, in words, or None."""
    try:
        if case.test is not None:
            return case.test(got)
        return compare(got, case.expected, case.atol, case.rtol)
    except Exception as error:
        return f"the check could not make sense of what came back ({type(error).__name__}: {error})"


def _not_attempted(exercise: Exercise, returned=Ellipsis) -> Result:
    summary = "not attempted yet. Write your code where the # TODO is, run that cell, then this one."
    details = [] if returned is Ellipsis else [
        ("note", "your code returned None. If you have written it, is a `return` missing?")]
    return Result(exercise.id, "not attempted", summary, details, 0.0, exercise.points)


def _is_kind(answer, kind: str) -> bool:
    return {"function": callable(answer), "module": isinstance(answer, torch.nn.Module),
            "tensor": isinstance(answer, torch.Tensor), "value": True}[kind]


# ----------------------------------------------------------------------------- safety


def _copy(obj):
    """A copy the learner's code may change without touching the original."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().clone().requires_grad_(obj.requires_grad)
    if isinstance(obj, tuple):
        return tuple(_copy(item) for item in obj)
    try:
        return copy.deepcopy(obj)
    except Exception:  # something that cannot be copied (a generator, an open file): use it as it is
        return obj


def _changed(original, used, name: str) -> str | None:
    """``name`` (plus what changed) if ``used`` no longer matches ``original``, else None."""
    if isinstance(original, (tuple, list)) and isinstance(used, (tuple, list)):
        return next((c for o, u in zip(original, used) if (c := _changed(o, u, name))), None)
    if isinstance(original, torch.Tensor) and isinstance(used, torch.Tensor):
        if original.requires_grad != used.requires_grad:
            return f"{name} (its requires_grad flag)"
        if (original.grad is None) != (used.grad is None):
            return f"{name} (its .grad)"
        return None if _same_values(original, used) else f"{name} (its values)"
    if isinstance(original, torch.nn.Module) and isinstance(used, torch.nn.Module):
        # Parameters only: buffers such as BatchNorm's running mean change in training, as they should.
        after = dict(used.named_parameters())
        for key, value in original.named_parameters():
            if key not in after or not _same_values(value, after[key]):
                return f"{name} (its {key})"
    return None


def _same_values(a: torch.Tensor, b: torch.Tensor) -> bool:
    if a.shape != b.shape or a.dtype != b.dtype or a.device != b.device:
        return False
    if a.device.type == "meta":
        return True
    with torch.no_grad():
        same = a == b
        if a.is_floating_point():
            same |= a.isnan() & b.isnan()
        return bool(same.all())


@contextmanager
def _keep_random_state():
    """Put the random number generators back as they were, whatever ran inside."""
    python, numpy, cpu = random.getstate(), np.random.get_state(), torch.get_rng_state()
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None
    try:
        yield
    finally:
        random.setstate(python)
        np.random.set_state(numpy)
        torch.set_rng_state(cpu)
        if cuda is not None:
            torch.cuda.set_rng_state_all(cuda)


def _call_with_time_limit(function, args: tuple, seconds: float):
    """``(value,)`` of ``function(*args)``, the exception it raised, or a TimeUp after ``seconds``."""
    box: list = [None]

    def work():
        try:
            box[0] = (function(*args),)
        except BaseException as error:  # noqa: B036 - everything becomes feedback
            box[0] = error

    worker = threading.Thread(target=work, name="coursekit-check", daemon=True)
    worker.start()
    why = f"it was still running after {seconds:g} s"
    try:
        worker.join(seconds)
    except KeyboardInterrupt:  # the learner pressed stop while the check was waiting
        why = "you interrupted it"
    if not worker.is_alive():
        return box[0]
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident), ctypes.py_object(TimeUp))
    worker.join(1.0)
    if worker.is_alive():
        return TimeUp(f"{why}; the check stopped waiting, but your code may still be running: if the "
                      "notebook stays busy, interrupt the kernel (the ■ button).")
    return TimeUp(f"{why}, so the check stopped it.")


def _error_lines(error: BaseException) -> list[tuple[str, str]]:
    lines = [("error", f"{type(error).__name__}: {error}".strip())]
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if not f.filename.startswith(_HERE) and "site-packages" not in f.filename
              and os.sep + "lib" + os.sep + "python" not in f.filename]
    if frames:
        frame = frames[-1]
        code = f": {frame.line.strip()}" if frame.line else ""
        lines.append(("where", f"line {frame.lineno}, in {frame.name}{code}"))
    return lines
