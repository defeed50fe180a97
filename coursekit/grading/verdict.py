"""Make the cases and judge what the harness recorded, in the grader's own process.

``write_inputs`` makes each exercise's cases with the submission's secret seed and writes only
what the answers are called with (``args`` and ``use``) for the harness; the expected values
and the seed never leave this process. ``load_record`` reads the harness's file with
``torch.load(weights_only=True)`` (plain data and tensors only: a file cannot run code here),
within a size limit. ``judge`` makes the same cases again and walks them with
``coursekit.checks.runner.judge_outcome``, the code ``check()`` uses in a notebook, so the
feedback is the same words the learner sees. Nothing the notebook printed or stored is read.
"""

from __future__ import annotations

import io
import os
import pickle
import random
import stat
import threading
import types

import numpy as np
import torch

from ..checks import cases as cases_module
from ..checks.cases import Exercise
from ..checks.compare import describe
from ..checks.result import Result
from ..checks.runner import _KIND_HINTS, _KIND_WORDS, Outcome, _failed, _not_attempted, judge_outcome, passed

MAX_RECORD_BYTES = 256 * 2**20
LOCK = threading.Lock()  # making cases sets a module-wide seed: one at a time (the grader has threads)


class RecordError(Exception):
    """A harness file that cannot be read, or is too large."""


def make_cases(exercise: Exercise, seed: int) -> list:
    """The exercise's cases with the grader's seed; the global generators are left as they were."""
    with LOCK:
        state = random.getstate(), np.random.get_state(), torch.get_rng_state()
        try:
            random.seed(seed)
            np.random.seed(seed % 2**32)
            torch.manual_seed(seed)
            with cases_module.seeded_inputs(seed):
                return list(exercise.cases())
        finally:
            random.setstate(state[0])
            np.random.set_state(state[1])
            torch.set_rng_state(state[2])


def write_inputs(path, exercises: list[tuple[str, Exercise | None]], seed: int) -> None:
    """Write {id: [(args, use), ...]} for the harness (or {id: why not}); no expected value, no seed."""
    inputs: dict = {}
    for id, exercise in exercises:
        if exercise is None:
            inputs[id] = f"the grader's checks have no exercise {id!r}"
            continue
        try:
            calls = [(case.args, case.use) for case in make_cases(exercise, seed)]
            inputs[id] = pickle.loads(_dumps(calls))  # fails here, for this exercise only, if it cannot be sent
        except Exception as error:
            inputs[id] = f"the grader could not make its inputs ({type(error).__name__}: {error})"
    with open(path, "wb") as file:
        file.write(_dumps(inputs))


class _Pickler(pickle.Pickler):
    """Pickles a function made inside another (``use=built(count)``) by the name of its maker."""

    def reducer_override(self, obj):
        if isinstance(obj, types.FunctionType) and "<locals>" in obj.__qualname__:
            outer, _, name = obj.__qualname__.rpartition(".<locals>.")
            cells = None if obj.__closure__ is None else tuple(c.cell_contents for c in obj.__closure__)
            from .harness import local_function

            return local_function, (obj.__module__, outer, name, obj.__defaults__, cells)
        return NotImplemented


def _dumps(value) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


def load_record(path: str) -> dict:
    """{exercise id: what the harness recorded} from one harness file; RecordError if it cannot be read."""
    try:  # the sandbox wrote it: never follow a link, never wait on a pipe
        file = os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)),
                         "rb")
    except OSError as error:
        raise RecordError(f"the answers' results could not be read back ({type(error).__name__})") from None
    with file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise RecordError("the answers' results could not be read back (not a regular file)")
        if info.st_size > MAX_RECORD_BYTES:
            raise RecordError(f"the answers' results are {info.st_size / 2**20:.0f} MB, over the grader's limit of "
                              f"{MAX_RECORD_BYTES / 2**20:.0f} MB")
        try:
            data = torch.load(file, weights_only=True, map_location="cpu")
        except Exception as error:
            raise RecordError(f"the answers' results could not be read back ({type(error).__name__})") from None
    exercises = data.get("exercises") if isinstance(data, dict) else None
    if not isinstance(exercises, dict):
        raise RecordError("the answers' results could not be read back (no exercises in the record)")
    return exercises


def judge(exercise: Exercise, name: str, record: dict | None, seed: int, why_missing: str = "") -> Result:
    """The Result of ``exercise`` from the harness's ``record`` of the answer called ``name``."""
    try:
        return _judge_record(exercise, name, record, seed, why_missing)
    except Exception as error:  # a record of an unexpected shape: a failure of the answer, never of the grader
        return Result(exercise.id, "failed", f"what your code returned could not be judged ({error!r}).",
                      max_points=exercise.points)


def _judge_record(exercise: Exercise, name: str, record: dict | None, seed: int, why_missing: str) -> Result:
    if record is None:
        return _failed(exercise, f"not checked: {why_missing or 'the checks did not run'}.", hint="")
    if "harness_error" in record:
        return _failed(exercise, f"the grader could not check this exercise ({record['harness_error']}). "
                       "Please tell the course's authors.", hint="")
    if not record.get("defined"):
        return _failed(exercise, f"there is no `{name}` in the notebook.", hint=f"Define `{name}` as the exercise "
                       "asks, under that name, and make sure its cell runs without an error.")
    if record.get("empty"):
        return _not_attempted(exercise)
    if "kind" in record:
        return _failed(exercise, f"expected {_KIND_WORDS[exercise.expects]}, but got {record['kind']}.",
                       hint=_KIND_HINTS[exercise.expects].replace("ID", repr(exercise.id)))
    outcomes = record["cases"]
    cases = make_cases(exercise, seed)
    for number, case in enumerate(cases, 1):
        if number > len(outcomes):
            result = _failed(exercise, f"the grader got no result for case {number} of {len(cases)}.",
                             [("given", case.given)], hint="")
            break
        result = judge_outcome(exercise, case, _outcome(outcomes[number - 1]), number, len(cases))
        if result is not None:
            break
    else:
        return passed(exercise, len(cases))
    if record.get("warning"):
        result.details.append(("note", f"your code warned: {record['warning']}"))
    return result


def _outcome(data: dict) -> Outcome:
    kind = data["kind"]
    if kind not in ("value", "timeout", "forbidden", "error"):
        raise ValueError(f"unknown outcome {kind!r}")
    error = [(str(label), str(text)) for label, text in data.get("error", [])]
    value = unpack(data["value"]) if kind == "value" else None
    return Outcome(kind, value, str(data.get("text", "")), error, str(data.get("changed", "")))


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
