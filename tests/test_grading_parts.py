"""The grader's parts, without kernels: harness and verdict, reading submissions, names, seeds."""

from __future__ import annotations

import argparse
import importlib
import re
import warnings
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from torch import nn

from coursekit import grading
from coursekit.checks import run_check
from coursekit.checks.cases import find, seeded_inputs
from coursekit.grading import harness, verdict
from coursekit.grading.grader import GradingError, grade, seed_for, stripped
from coursekit.grading.submissions import assignments, name_them, read_submission, review_flags

ROOT = Path(__file__).resolve().parents[1]
CHECKS = Path(find("day0.relu").cases.__code__.co_filename).parent


def judged(id, answer, seed, tmp_path, name="answer"):
    """Grade ``answer`` as the grader does: harness record (here, in this process), then the verdict."""
    job = {"checks": str(CHECKS), "package": "_test_grader", "root": str(CHECKS.parent), "seed": seed,
           "token": "t" * 32, "exercises": [[id, name]], "out": str(tmp_path / "record.pt"),
           "marker": str(tmp_path / "marker.txt")}
    harness.run(job, {name: answer} if answer is not NOT_DEFINED else {})
    record = verdict.load_record(job["out"], job["token"], seed)[id]
    return verdict.judge(find(id), name, record, seed)


NOT_DEFINED = object()


def in_place(x):
    return x.clamp_(min=0)


def warns(x):
    warnings.warn("the learner's warning", stacklevel=1)
    return x


def forgot_return(x):
    torch.where(x > 0, x, 0.0)


ANSWERS = [
    ("day0.relu", lambda x: torch.where(x > 0, x, 0.0)),
    ("day0.relu", torch.abs),
    ("day0.relu", lambda x: x.nonexistent()),
    ("day0.relu", ...),
    ("day0.relu", forgot_return),
    ("day0.relu", torch.ones(3)),
    ("day0.relu", lambda x: torch.where(x > 0, x, 0.0).sum()),
    ("day0.relu", lambda x: x * (x > 0)),
    ("day0.relu", lambda x: torch.where(x > 0, x, 0.0).numpy()),
    ("day0.relu", lambda x: (torch.where(x > 0, x, 0.0),)),
    ("day0.relu", lambda x: torch.empty(x.shape, device="meta")),
    ("day0.relu", in_place),
    ("day0.relu", warns),
    ("day0.relu", torch.relu),  # forbidden: the exercise is to write it
    ("day0.relu", nn.ReLU()),
    ("day0.gradient", lambda f, x: torch.autograd.grad(f(t := x.detach().requires_grad_()), t)[0]),
    ("day0.gradient", lambda f, x: x),
    ("day0.model", nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))),
    ("day0.model", nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 3))),
    ("day0.model", nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))),
    ("day0.model", nn.Linear(4, 3)),
    ("day0.model", None),
    ("day0.model", nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)).to("meta")),
]


@pytest.mark.parametrize("seed", [0, 123456789])
@pytest.mark.parametrize("id, answer", ANSWERS)
def test_the_grader_gives_the_feedback_the_learner_sees(id, answer, seed, tmp_path):
    with seeded_inputs(seed):
        expected = run_check(id, answer)
    got = judged(id, answer, seed, tmp_path)
    assert (got.status, got.points, got.message) == (expected.status, expected.points, expected.message)


def test_graded_inputs_differ_from_the_published_ones(tmp_path):
    seen = []
    for seed in (0, 1, 2):
        with seeded_inputs(seed):
            seen.append([case.given for case in find("day0.relu").cases()])
    assert seen[0][0] == seen[1][0] and seen[0][3] == seen[1][3]  # the fixed cases stay
    assert len({s[1] for s in seen}) == 3  # the random ones do not


def test_a_missing_answer_is_said_by_name(tmp_path):
    result = judged("day0.relu", NOT_DEFINED, 5, tmp_path, name="relu")
    assert not result and "there is no `relu` in the notebook" in result.message


def test_a_record_without_the_token_is_refused(tmp_path):
    torch.save({"token": "guess", "seed": 3, "exercises": {}}, tmp_path / "fake.pt")
    with pytest.raises(verdict.RecordError, match="token"):
        verdict.load_record(str(tmp_path / "fake.pt"), "t" * 32, 3)
    (tmp_path / "junk.pt").write_bytes(b"not a torch file")
    with pytest.raises(verdict.RecordError, match="could not be read"):
        verdict.load_record(str(tmp_path / "junk.pt"), "t" * 32, 3)


def test_a_record_that_runs_code_when_loaded_is_refused(tmp_path):
    class Boom:
        def __reduce__(self):
            return (print, ("this ran",))

    torch.save({"token": "t" * 32, "seed": 3, "exercises": {"x": Boom()}}, tmp_path / "evil.pt")
    with pytest.raises(verdict.RecordError):
        verdict.load_record(str(tmp_path / "evil.pt"), "t" * 32, 3)


@pytest.mark.parametrize("value", [None, True, 3, 2.5, "text", ..., torch.arange(4.0), [1, (2.0, "a")],
                                   {"a": torch.ones(2)}, nn.Parameter(torch.ones(2)),
                                   torch.empty(2, 3, device="meta")])
def test_values_survive_the_record(value):
    back = verdict.unpack(harness.pack(value, _compare()))
    if isinstance(value, torch.Tensor):
        assert type(back) is torch.Tensor and back.shape == value.shape and back.device == value.device
        if value.device.type != "meta":
            assert torch.equal(back, value.detach())
    elif isinstance(value, dict):
        assert torch.equal(back["a"], value["a"])
    else:
        assert back == value or back is value


def test_other_values_are_kept_by_their_description():
    back = verdict.unpack(harness.pack(np.zeros(2), _compare()))
    assert repr(back) == "array([0., 0.])"
    from coursekit.checks.compare import type_name

    assert type_name(back) == type_name(np.zeros(2))


def _compare():
    return importlib.import_module("coursekit.checks.compare")  # the module (the package exports the function)


# ----------------------------------------------------------------------------- reading submissions


def write(tmp_path, name, data: bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


NOTEBOOK = nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])).encode()


@pytest.mark.parametrize("data, words", [
    (b"", "the file is empty"),
    (b"  \n", "only white space"),
    (b"\xff\xfe\x00", "not a text file"),
    (b'{"cells": [', "not valid JSON (line 1, column 12"),
    (b"[1, 2]", "not a Jupyter notebook"),
    (b'{"cells": [1], "nbformat": 4}', "not a Jupyter notebook (cell 1 is not"),
    (b'{"cells": [{"cell_type": "code", "source": 3}], "nbformat": 4}', "cell 1 is not a code, markdown or raw"),
    (b"x" * 3000, "over the 0.00195312 MB limit"),
])
def test_files_that_are_not_notebooks_say_why(tmp_path, data, words):
    sub = read_submission(write(tmp_path, "a.ipynb", data), tmp_path, max_bytes=2048)
    assert words in sub.problem and sub.notebook is None


def test_a_notebook_is_read_and_hashed(tmp_path):
    path = write(tmp_path, "a.ipynb", NOTEBOOK)
    sub = read_submission(path, tmp_path, max_bytes=2**20)
    assert sub.problem == "" and sub.notebook.cells[0].source == "x = 1"
    import hashlib

    assert sub.sha256 == hashlib.sha256(NOTEBOOK).hexdigest()


def test_stripping_removes_every_stored_output():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "1", execution_count=3, outputs=[nbformat.v4.new_output("stream", text="✔ passed")])])
    nb.metadata["widgets"] = {"state": {}}
    clean = stripped(nb)
    assert clean.cells[0].outputs == [] and clean.cells[0].execution_count is None and "widgets" not in clean.metadata
    assert nb.cells[0].outputs  # the original is untouched


def test_students_and_assignments_are_named(tmp_path):
    known = assignments()
    name = "00_how_exercises_work"
    exercise = nbformat.read(ROOT / "exercises" / f"{name}.ipynb", as_version=4)
    assert exercise.metadata["coursekit"]["assignment"] == name  # the exercise notebooks say what they are
    declared = nbformat.from_dict(exercise)
    declared.metadata["coursekit"]["student"] = "Zoë Q."
    plain = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('check("day0.model", model)')])
    files = {"a.ipynb": nbformat.writes(declared), f"bob-{name}.ipynb": nbformat.writes(plain),
             "carol/work.ipynb": nbformat.writes(plain), "dave.ipynb": nbformat.writes(plain),
             "dave/dave.ipynb": nbformat.writes(plain), "eve.ipynb": "{oops"}
    subs = [read_submission(write(tmp_path, f, text.encode()), tmp_path, 2**20) for f, text in files.items()]
    name_them(subs, known, None)
    assert [s.student for s in subs] == ["Zoë_Q", "bob", "carol", "dave", "dave-2", "eve"]
    assert {s.assignment for s in subs} == {name}  # metadata, file name, check calls, then the class's
    name_them(subs, known, name)
    assert all(s.assignment == name for s in subs)


def test_the_assignment_knows_each_answer_by_name():
    known = assignments()
    assert known["00_how_exercises_work"].exercises == [("day0.relu", "relu"), ("day0.gradient", "gradient"),
                                                         ("day0.model", "model")]
    for assignment in known.values():  # the registry's names agree with the notebooks' check calls
        source = "\n".join(c.source for c in nbformat.read(assignment.source, as_version=4).cells)
        for id, name in assignment.exercises:
            assert re.search(rf'check\("{re.escape(id)}", {name}\)', source), (id, name)


def test_code_aimed_at_the_checks_is_flagged_for_review():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in [
        "import coursekit\nfrom coursekit.checks import check\nMODE = coursekit.run_mode()",
        "check = lambda *a: True", "coursekit.checks.run_check = None", "import os\nos._exit(0)"]])
    assert review_flags(nb) == ["redefines check", "patches coursekit", "can stop or crash the kernel"]
    nb.cells = nb.cells[:1]
    assert review_flags(nb) == []


def test_the_seed_is_secret_stable_and_never_the_published_one():
    a = seed_for(b"secret", "ab" * 32, "x")
    assert a == seed_for(b"secret", "ab" * 32, "x") and a != 0
    assert a != seed_for(b"other", "ab" * 32, "x") and a != seed_for(b"secret", "cd" * 32, "x")


def test_folders_are_checked_before_anything_runs(tmp_path):
    (tmp_path / "subs").mkdir()
    with pytest.raises(GradingError, match="outside"):
        grade(tmp_path / "subs", tmp_path / "subs" / "grades")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    with pytest.raises(GradingError, match="did not write"):
        grade(tmp_path / "subs", tmp_path / "mine")
    with pytest.raises(GradingError, match="no assignment"):
        grade(tmp_path / "subs", tmp_path / "out", assignment="nope")
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"


def test_an_empty_folder_gives_an_empty_gradebook_and_a_rerun_replaces_it(tmp_path):
    (tmp_path / "subs").mkdir()
    book = grade(tmp_path / "subs", tmp_path / "out")
    assert book.rows == [] and (tmp_path / "out" / "grades.csv").read_text().startswith("student,status")
    assert "0 notebook(s)" in (tmp_path / "out" / "report.html").read_text()
    secret = (tmp_path / "out" / ".grader-secret").read_text()
    (tmp_path / "out" / "executed" / "old.ipynb").write_text("{}")
    grade(tmp_path / "subs", tmp_path / "out")  # the same folder again: cleared, the secret kept
    assert (tmp_path / "out" / ".grader-secret").read_text() == secret
    assert list((tmp_path / "out" / "executed").iterdir()) == []


def test_the_command_line_options():
    parser = argparse.ArgumentParser()
    grading.add_arguments(parser)
    args = parser.parse_args(["subs", "--out", "g", "--jobs", "2", "--timeout", "60", "--cell-timeout", "5"])
    assert (args.submissions, args.out, args.jobs, args.timeout, args.cell_timeout) == ("subs", "g", 2, 60, 5)


def test_judging_from_several_threads_keeps_each_submission_on_its_own_inputs(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    relu = lambda x: torch.where(x > 0, x, 0.0)  # noqa: E731
    records = {}
    for seed in (11, 22):
        job = {"checks": str(CHECKS), "package": "_test_grader", "root": str(CHECKS.parent), "seed": seed,
               "token": "t" * 32, "exercises": [["day0.relu", "relu"]], "out": str(tmp_path / f"{seed}.pt"),
               "marker": str(tmp_path / "marker.txt")}
        harness.run(job, {"relu": relu})
        records[seed] = verdict.load_record(job["out"], job["token"], seed)["day0.relu"]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda seed: verdict.judge(find("day0.relu"), "relu", records[seed], seed),
                                [11, 22] * 20))
    assert all(r.passed for r in results), next(r.message for r in results if not r.passed)
