"""The grader's harness: the code that runs inside a submitted notebook's kernel, after its cells.

The grader appends one cell to its copy of the notebook. That cell loads this file by its path
under a private module name and calls ``run(job, globals())``. ``run`` loads the check
definitions the same way, from the grader's own copy of ``coursekit/checks``, under another
private name, so whatever the notebook did to ``coursekit.checks`` (a redefined ``check``, a
replaced ``run_check``, a patched ``compare``) is never used here.

The kernel never sees a secret. The grader made the cases in its own process, with its own
seed, and wrote only their inputs (``args`` and ``use``) to the file ``job["inputs"]``; the
expected values and the seed stay with the grader. For each exercise this code looks up the
learner's answer by the name the exercise asks for (``relu``), calls it on copies of those
inputs through ``runner.try_case`` (the same sequence as ``check()`` in a notebook), and writes
what came back to ``job["out"]``: values, errors, time-outs, nothing else, within a size budget.
The grader judges them (``verdict.py``). The answers' own random draws are seeded with
``job["kernel_seed"]``, which the grader derives from its secret separately from the inputs'.

Only the standard library, numpy and torch are imported: nothing from ``coursekit`` itself.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import pickle
import random
import sys
import types
import warnings
from types import SimpleNamespace

import numpy as np
import torch

MAX_ELEMENTS = 5_000_000  # a bigger tensor is recorded by its description only
MAX_TOTAL = 20_000_000  # tensor elements one exercise's record may hold; beyond, values are described
MAX_ITEMS = 100_000  # the same for a longer list, tuple or dict
MAX_DEPTH = 8


def run(job: dict, namespace: dict) -> None:
    """Record what the answers in ``namespace`` return on the inputs in ``job["inputs"]``."""
    _quiet_hooks()
    checks = load_checks(job["checks"], job["package"], job["root"])
    with open(job["inputs"], "rb") as file:
        inputs = Inputs(file, job["package"]).load()
    recorded: dict[str, dict] = {}
    for id, name in job["exercises"]:
        _write_text(job["marker"], id)  # if the kernel dies now, the grader knows which exercise did it
        try:
            calls = inputs.get(id)
            if isinstance(calls, str):
                recorded[id] = {"harness_error": calls}
            else:
                recorded[id] = record(checks, id, name, namespace, calls, job["kernel_seed"])
        except Exception as error:  # a result that cannot be recorded counts against the answer
            recorded[id] = {"defined": True, "cases": [{"error": [["error", "its result could not be recorded "
                                                                            f"({type(error).__name__})"]]}]}
        save(job, recorded)
    _write_text(job["marker"], "")
    print(f"coursekit grader: recorded the answers to {len(recorded)} exercise(s); the grader judges them.")


def _quiet_hooks() -> None:
    """Unregister the notebook's IPython callbacks, so none of its code runs after this cell."""
    try:
        events = get_ipython().events  # noqa: F821 - defined in a kernel
        for callbacks in events.callbacks.values():
            callbacks.clear()
    except Exception:
        pass


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


class Inputs(pickle.Unpickler):
    """Reads the grader's inputs file, taking every ``coursekit`` name from the private copy."""

    def __init__(self, file, package: str):
        super().__init__(file)
        self.package = package

    def find_class(self, module: str, name: str):
        if (module, name) == ("coursekit.grading.harness", "local_function"):
            return local_function
        if module == "coursekit" or module.startswith("coursekit."):
            module = self.package + module[len("coursekit"):]
        return super().find_class(module, name)


def local_function(module: str, outer: str, name: str, defaults, cells):
    """Rebuild a function defined inside ``outer`` (a case's ``use=built(count)``) from its parts."""
    function = sys.modules[module] if module in sys.modules else importlib.import_module(module)
    for part in outer.split("."):
        function = getattr(function, part)
    code = next(c for c in function.__code__.co_consts if isinstance(c, types.CodeType) and c.co_name == name)
    closure = tuple(types.CellType(value) for value in cells) if cells is not None else None
    return types.FunctionType(code, function.__globals__, name, defaults, closure)


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's and torch's generators."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def record(checks, id: str, name: str, namespace: dict, calls: list, kernel_seed: int) -> dict:
    """What the answer ``namespace[name]`` does on ``calls`` ([(args, use)]), as plain data."""
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
    outcomes: list[dict] = []
    result = {"defined": True, "cases": outcomes}
    budget = [MAX_TOTAL]
    with warnings.catch_warnings(record=True) as caught, runner._keep_random_state():
        warnings.simplefilter("always")
        seed_everything(kernel_seed)  # what the answer draws at random is the same at every grading
        for args, use in calls:
            outcome = runner.try_case(answer, args, use, exercise.time_limit, exercise.forbids)
            outcomes.append(as_data(outcome, checks.compare, budget))
            if outcome.kind != "value" or outcome.changed:
                break
    if caught:
        result["warning"] = f"{caught[0].category.__name__}: {caught[0].message}"
    return result


def as_data(outcome, compare, budget: list) -> dict:
    """A ``runner.Outcome`` as the plain data the grader reads back."""
    data = {"kind": outcome.kind, "text": outcome.text, "error": [list(line) for line in outcome.error]}
    if outcome.kind == "value":
        data["value"] = pack(outcome.value, compare, budget=budget)
    if outcome.changed:
        data["changed"] = outcome.changed
    return data


def pack(value, compare, depth: int = 0, budget: list | None = None):
    """``value`` as lists of plain data and tensors, which ``torch.load(weights_only=True)`` accepts.

    Every item is tagged: ["v", number, string, bool or None], ["e"] (Ellipsis), ["t", tensor,
    device], ["m", shape, dtype] (a meta tensor), ["l" / "u" / "d", items] (list, tuple, dict)
    and ["o", type name, description] for anything else, which is then judged by its description.
    ``budget`` ([elements left]) bounds the tensor elements of one record; past it, tensors are
    described only.
    """
    budget = [MAX_TOTAL] if budget is None else budget
    if value is None or isinstance(value, (bool, str)):
        text = value if type(value) in (bool, str) or value is None else str(value)
        return ["v", text[:MAX_ITEMS] if isinstance(text, str) else text]
    if isinstance(value, int):
        number = int.__pos__(value)  # the plain int, whatever the subclass says
        return ["v", number] if number.bit_length() < 64 else ["o", "an int", f"an int of {number.bit_length()} bits"]
    if isinstance(value, float):
        return ["v", float(value)]
    if value is Ellipsis:
        return ["e"]
    if isinstance(value, torch.Tensor) and value.layout == torch.strided:
        if value.device.type == "meta":
            return ["m", list(value.shape), str(value.dtype).removeprefix("torch.")]
        if value.numel() <= min(MAX_ELEMENTS, budget[0]):
            budget[0] -= value.numel()
            plain = value.detach().as_subclass(torch.Tensor)
            return ["t", plain.cpu().clone(), str(value.device)]
    if depth < MAX_DEPTH and type(value) in (list, tuple) and len(value) <= MAX_ITEMS:
        return ["l" if type(value) is list else "u", [pack(item, compare, depth + 1, budget) for item in value]]
    if depth < MAX_DEPTH and type(value) is dict and len(value) <= MAX_ITEMS:
        return ["d", [[pack(k, compare, depth + 1, budget), pack(v, compare, depth + 1, budget)]
                      for k, v in value.items()]]
    return ["o", _safe(compare.type_name, value), _safe(compare.describe, value)[:2000]]


def save(job: dict, recorded: dict) -> None:
    """Write the record atomically: a new file renamed over the old one."""
    temporary = job["out"] + ".tmp"
    torch.save({"exercises": recorded}, temporary)
    os.replace(temporary, job["out"])


def _safe(function, value) -> str:
    try:
        return str(function(value))
    except Exception:
        return f"an object of type {type(value).__name__}"


def _write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)
