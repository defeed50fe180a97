"""Judge what the harness recorded, in the grader's own process, with the grader's own cases.

``load_record`` reads the harness's file with ``torch.load(weights_only=True)`` (plain data and
tensors only: a file cannot run code here) and refuses one without this run's secret token.
``judge`` then walks the cases exactly as ``coursekit.checks.runner`` does in a learner's
notebook, so the feedback is the same words the learner sees, and returns a ``Result``.
The expected values and property tests come from the grader's copy of the cases, made with
the same seed as the harness's; nothing the notebook printed or stored is ever read.
"""

from __future__ import annotations

import os
import threading

import torch

from ..checks import cases as cases_module
from ..checks.cases import Exercise
from ..checks.compare import describe
from ..checks.result import Result
from ..checks.runner import _KIND_HINTS, _KIND_WORDS, _judge, _not_attempted
from .harness import make_cases

MAX_RECORD_BYTES = 512 * 2**20
LOCK = threading.Lock()  # making cases sets a module-wide seed: one judgement at a time (the grader has threads)


class RecordError(Exception):
    """A harness file that cannot be trusted or read."""


def load_record(path: str, token: str, seed: int) -> dict:
    """{exercise id: what the harness recorded} from one harness file; RecordError if it is not ours."""
    if os.path.getsize(path) > MAX_RECORD_BYTES:
        raise RecordError(f"the grading record is {os.path.getsize(path) / 2**20:.0f} MB, too large to read")
    try:
        data = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as error:
        raise RecordError(f"the grading record could not be read ({type(error).__name__})") from None
    if not isinstance(data, dict) or data.get("token") != token or data.get("seed") != seed:
        raise RecordError("the grading record does not carry this run's token: it was not written by the grader")
    exercises = data.get("exercises")
    if not isinstance(exercises, dict):
        raise RecordError("the grading record has no exercises")
    return exercises


def judge(exercise: Exercise, name: str, record: dict | None, seed: int, why_missing: str = "") -> Result:
    """The Result of ``exercise`` from the harness's ``record`` of the answer called ``name``."""
    try:
        with LOCK:
            return _judge_record(exercise, name, record, seed, why_missing)
    except Exception as error:  # a record of an unexpected shape: a failure, never a crash of the grader
        return Result(exercise.id, "failed", f"the grader could not read what was recorded ({error!r}).",
                      max_points=exercise.points)


def _judge_record(exercise: Exercise, name: str, record: dict | None, seed: int, why_missing: str) -> Result:
    def fail(summary, details=(), hint=exercise.hint):
        details = list(details) + ([("hint", hint)] if hint else [])
        return Result(exercise.id, "failed", summary, details, 0.0, exercise.points)

    if record is None:
        return fail(f"not checked: {why_missing or 'the checks did not run'}.", hint="")
    if "harness_error" in record:
        return fail(f"the grader could not check this exercise ({record['harness_error']}). "
                    "Please tell the course's authors.", hint="")
    if not record.get("defined"):
        return fail(f"there is no `{name}` in the notebook.", hint=f"Define `{name}` as the exercise asks, under "
                    "that name, and make sure its cell runs without an error.")
    if record.get("empty"):
        return _not_attempted(exercise)
    if "kind" in record:
        hint = _KIND_HINTS[exercise.expects].replace("ID", repr(exercise.id))
        return fail(f"expected {_KIND_WORDS[exercise.expects]}, but got {record['kind']}.", hint=hint)
    outcomes = record["cases"]
    cases = make_cases(cases_module, exercise, seed)
    result = None
    for number, case in enumerate(cases, 1):
        where = f"case {number} of {len(cases)}"
        given = [("given", case.given)]
        hint = case.hint or exercise.hint
        if number > len(outcomes):
            result = fail(f"the grader got no result for {where}.", given, hint="")
            break
        outcome = outcomes[number - 1]
        if "timeout" in outcome:
            result = fail(f"your code did not finish in time ({where}): an endless loop?",
                          given + [("problem", outcome["timeout"])], hint)
            break
        if "forbidden" in outcome:
            result = fail(f"your code uses {outcome['forbidden']} ({where}), which this exercise asks you to do "
                          "without.", given + [tuple(x) for x in outcome["error"]], exercise.forbid_hint or hint)
            break
        if "error" in outcome:
            result = fail(f"your code raised an error ({where}).", given + [tuple(x) for x in outcome["error"]], hint)
            break
        got = unpack(outcome["value"])
        if number == 1 and (got is None or got is Ellipsis):
            result = _not_attempted(exercise, returned=got)
            break
        if outcome.get("changed"):
            result = fail(f"your code changed {outcome['changed']} in place ({where}).", given,
                          "Leave what you were given as it was: make new tensors (x * 2, torch.where(...), "
                          "x.detach() for gradients) rather than change it (x *= 2, x[...] = ..., methods "
                          "ending in _ such as requires_grad_).")
            break
        problem = _judge(case, got)
        if problem:
            expected = [] if case.test else [("expected", describe(case.expected))]
            result = fail(f"not right yet ({where}).", given + expected + [("got", describe(got)),
                                                                           ("problem", problem)], hint)
            break
    if result is None:
        return Result(exercise.id, "passed", f"passed, all {len(cases)} cases right.", [],
                      exercise.points, exercise.points)
    if record.get("warning"):
        result.details.append(("note", f"your code warned: {record['warning']}"))
    return result


# ----------------------------------------------------------------------------- values


class Recorded:
    """A value the harness could only describe (an ndarray, a model, ...): judged by that description."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


def unpack(item):
    """The value that ``harness.pack`` recorded (what cannot be rebuilt becomes a ``Recorded``)."""
    tag = item[0]
    if tag == "v":
        return item[1]
    if tag == "e":
        return Ellipsis
    if tag == "t":
        tensor, device = item[1], item[2]
        if device != "cpu":
            try:
                return tensor.to(device)
            except Exception:
                return _recorded(f"tensor ({device})", describe(tensor) + f" (on {device})")
        return tensor
    if tag == "m":
        return torch.empty(item[1], dtype=getattr(torch, item[2]), device="meta")
    if tag in ("l", "u"):
        items = [unpack(x) for x in item[1]]
        return items if tag == "l" else tuple(items)
    if tag == "d":
        return {_hashable(unpack(k)): unpack(v) for k, v in item[1]}
    if tag == "o":
        return _recorded(item[1], item[2])
    raise ValueError(f"unknown tag {tag!r}")


def _recorded(type_words: str, text: str) -> Recorded:
    """A Recorded whose type name reads as ``type_words`` in the feedback ("a float32", "an ndarray")."""
    words = type_words
    for article in ("a ", "an "):
        if words.startswith(article):
            words = words[len(article):]
            break
    return type(words, (Recorded,), {})(text)


def _hashable(key):
    try:
        hash(key)
        return key
    except TypeError:
        return repr(key)
