"""The grader's harness: the code that runs inside a submitted notebook's kernel, after its cells.

The grader appends one cell to its copy of the notebook. That cell loads this file by its path
under a private module name and calls ``run(job, globals())``. ``run`` loads the check
definitions the same way, from the grader's own copy of ``coursekit/checks``, under another
private name, so whatever the notebook did to ``coursekit.checks`` (a redefined ``check``, a
replaced ``run_check``, a patched ``compare``) is never used here.

For each exercise of the assignment it looks up the learner's answer by the name the exercise
asks for (``relu``), makes the cases with the grader's seed (inputs nobody could know ahead),
calls the answer on copies of their inputs with the exercise's time limit, and writes what came
back to a file: values, errors, time-outs, nothing else. It never decides pass or fail: the
expected values are dropped before any learner code runs, and the grader judges the recorded
values in its own process, with its own copy of the cases (``verdict.py``).

Only the standard library, numpy and torch are imported: nothing from ``coursekit`` itself.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import random
import sys
import warnings
from types import SimpleNamespace

import numpy as np
import torch

MAX_ELEMENTS = 5_000_000  # a bigger tensor is recorded by its description only
MAX_ITEMS = 100_000  # the same for a longer list, tuple or dict
MAX_DEPTH = 8


def run(job: dict, namespace: dict) -> None:
    """Record what the answers in ``namespace`` return on every case of ``job["exercises"]``."""
    checks = load_checks(job["checks"], job["package"], job["root"])
    recorded: dict[str, dict] = {}
    for id, name in job["exercises"]:
        _write_text(job["marker"], id)  # if the kernel dies now, the grader knows which exercise did it
        try:
            recorded[id] = record(checks, id, name, namespace, job["seed"])
        except Exception as error:  # a problem in the harness itself: say so and go on
            recorded[id] = {"harness_error": f"{type(error).__name__}: {error}"}
        save(job, recorded)
    _write_text(job["marker"], "")
    print(f"coursekit grader: recorded the answers to {len(recorded)} exercise(s); the grader judges them.")


def load_checks(folder: str, name: str, root: str) -> SimpleNamespace:
    """The check modules in ``folder``, imported fresh as the private package ``name.checks``.

    ``name`` stands for coursekit itself, read from ``root`` (its folder), so that a check that
    needs another part of the course (``from ..data import load_mnist``) gets a fresh copy too.
    """
    for package, path in ((name, root), (f"{name}.checks", folder)):
        if package not in sys.modules:
            module = importlib.util.module_from_spec(importlib.machinery.ModuleSpec(package, None, is_package=True))
            module.__path__ = [path]
            sys.modules[package] = module
    return SimpleNamespace(**{part: importlib.import_module(f"{name}.checks.{part}")
                              for part in ("cases", "compare", "runner", "placement", "forbid")})


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's and torch's generators (the grader does the same when it judges)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def make_cases(cases_module, exercise, seed: int) -> list:
    """The exercise's cases with the grader's seed; the global generators are left as they were."""
    state = random.getstate(), np.random.get_state(), torch.get_rng_state()
    try:
        seed_everything(seed)
        with cases_module.seeded_inputs(seed):
            return list(exercise.cases())
    finally:
        random.setstate(state[0])
        np.random.set_state(state[1])
        torch.set_rng_state(state[2])


def record(checks, id: str, name: str, namespace: dict, seed: int) -> dict:
    """What the answer ``namespace[name]`` does on the cases of exercise ``id``, as plain data."""
    runner = checks.runner
    exercise = checks.cases.find(id)
    if exercise is None:
        return {"harness_error": f"the grader's checks have no exercise {id!r}"}
    if name not in namespace:
        return {"defined": False}
    answer = namespace[name]
    if answer is None or answer is Ellipsis:
        return {"defined": True, "empty": True}
    if not runner._is_kind(answer, exercise.expects):
        return {"defined": True, "kind": _safe(checks.compare.type_name, answer)}
    # Keep only what the calls need: the expected values never meet the learner's code.
    calls = [(case.args, case.use) for case in make_cases(checks.cases, exercise, seed)]
    outcomes: list[dict] = []
    result = {"defined": True, "cases": outcomes}
    with warnings.catch_warnings(record=True) as caught, runner._keep_random_state():
        warnings.simplefilter("always")
        seed_everything(seed)  # what the answer draws at random is the same at every grading
        device = checks.placement.device_of(answer)
        for args, use in calls:
            inputs = checks.placement.to_device(args, device)
            mine, copies = runner._copy(answer), runner._copy(inputs)
            outcome = runner.call_answer(use or runner._call, mine, copies, exercise.time_limit, exercise.forbids)
            if isinstance(outcome, runner.TimeUp):
                outcomes.append({"timeout": str(outcome)})
                break
            if isinstance(outcome, checks.forbid.Forbidden):
                outcomes.append({"forbidden": outcome.name,
                                 "error": [list(line) for line in runner._error_lines(outcome)[1:]]})
                break
            if isinstance(outcome, BaseException):
                outcomes.append({"error": [list(line) for line in runner._error_lines(outcome)]})
                break
            got = {"value": pack(outcome[0], checks.compare)}
            what = "the model" if isinstance(answer, torch.nn.Module) else "your answer"
            changed = runner._changed(answer, mine, what) or runner._changed(inputs, copies, "an input")
            if changed:
                got["changed"] = changed
            outcomes.append(got)
            if changed:
                break
    if caught:
        result["warning"] = f"{caught[0].category.__name__}: {caught[0].message}"
    return result


def pack(value, compare, depth: int = 0):
    """``value`` as lists of plain data and tensors, which ``torch.load(weights_only=True)`` accepts.

    Every item is tagged: ["v", number, string, bool or None], ["e"] (Ellipsis), ["t", tensor,
    device], ["m", shape, dtype] (a meta tensor), ["l" / "u" / "d", items] (list, tuple, dict)
    and ["o", type name, description] for anything else, which is then judged by its description.
    """
    if value is None or isinstance(value, (bool, str)):
        return ["v", value if type(value) in (bool, str) or value is None else str(value)]
    if isinstance(value, int):
        return ["v", int(value)]
    if isinstance(value, float):
        return ["v", float(value)]
    if value is Ellipsis:
        return ["e"]
    if isinstance(value, torch.Tensor) and value.layout == torch.strided:
        if value.device.type == "meta":
            return ["m", list(value.shape), str(value.dtype).removeprefix("torch.")]
        if value.numel() <= MAX_ELEMENTS:
            plain = value.detach().as_subclass(torch.Tensor)
            return ["t", plain.cpu().clone(), str(value.device)]
    if depth < MAX_DEPTH and type(value) in (list, tuple) and len(value) <= MAX_ITEMS:
        return ["l" if type(value) is list else "u", [pack(item, compare, depth + 1) for item in value]]
    if depth < MAX_DEPTH and type(value) is dict and len(value) <= MAX_ITEMS:
        return ["d", [[pack(k, compare, depth + 1), pack(v, compare, depth + 1)] for k, v in value.items()]]
    return ["o", _safe(compare.type_name, value), _safe(compare.describe, value)]


def save(job: dict, recorded: dict) -> None:
    """Write the record atomically: a new file renamed over the old one."""
    temporary = job["out"] + ".tmp"
    torch.save({"token": job["token"], "seed": job["seed"], "exercises": recorded}, temporary)
    os.replace(temporary, job["out"])


def _safe(function, value) -> str:
    try:
        return str(function(value))
    except Exception:
        return f"an object of type {type(value).__name__}"


def _write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)
