"""The grader's parts, without kernels: harness and verdict, reading submissions, names, seeds."""

from __future__ import annotations

import argparse
import importlib
import os
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
from coursekit.grading.sandbox import why_not
from coursekit.grading.submissions import assignments, name_them, read_submission, review_flags

ROOT = Path(__file__).resolve().parents[1]
UNSAFE = bool(why_not())  # where bubblewrap is missing (CI installs it): these tests run no notebook
CHECKS = Path(find("day0.relu").cases.__code__.co_filename).parent


def judged_record(id, answer, seed, tmp_path, name="answer"):
    """What the harness records for ``answer`` (here, in this process), from inputs made as the grader does."""
    verdict.write_inputs(tmp_path / "inputs.pkl", [(id, find(id))], seed)
    job = {"checks": str(CHECKS), "package": "_test_grader", "root": str(CHECKS.parent),
           "inputs": str(tmp_path / "inputs.pkl"), "kernel_seed": seed_for(b"k", "sha", "a", purpose="kernel"),
           "exercises": [[id, name]], "out": str(tmp_path / "record.pt"), "marker": str(tmp_path / "marker.txt")}
    harness.run(job, {name: answer} if answer is not NOT_DEFINED else {})
    return verdict.load_record(job["out"])[id]


def judged(id, answer, seed, tmp_path, name="answer"):
    """Grade ``answer`` as the grader does: the harness's record, then the verdict with the grader's cases."""
    return verdict.judge(find(id), name, judged_record(id, answer, seed, tmp_path, name), seed)


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


def test_the_kernel_gets_inputs_but_never_the_seed_or_the_expected_values(tmp_path):
    seed = 987654321
    verdict.write_inputs(tmp_path / "inputs.pkl", [("day0.relu", find("day0.relu"))], seed)
    data = (tmp_path / "inputs.pkl").read_bytes()
    cases = verdict.make_cases(find("day0.relu"), seed)
    assert str(seed).encode() not in data and seed.to_bytes(8, "little") not in data
    assert b"expected" not in data
    sent = harness.Inputs(open(tmp_path / "inputs.pkl", "rb"), "coursekit").load()["day0.relu"]
    assert len(sent) == len(cases)
    for (args, use), case in zip(sent, cases):  # (args, use) and nothing else
        assert use is None and len(args) == len(case.args) and all(torch.equal(a, b) for a, b in zip(args, case.args))


def test_every_exercise_of_the_course_can_send_its_inputs(tmp_path):
    ids = {id for assignment in assignments().values() for id, _ in assignment.exercises}
    exercises = [(id, find(id)) for id in sorted(ids) if find(id) is not None]  # (a day being written may not import)
    assert "day3.basic_block" in dict(exercises)
    verdict.write_inputs(tmp_path / "inputs.pkl", exercises, 42)
    sent = harness.Inputs(open(tmp_path / "inputs.pkl", "rb"), "coursekit").load()
    problems = {id: calls for id, calls in sent.items() if isinstance(calls, str)}
    assert not problems and len(sent) == len(exercises)
    block = sent["day3.basic_block"]  # its use is a function made inside another: rebuilt from its parts
    assert any(use is not None and use.__name__ == "use" for _, use in block)


def test_a_record_that_cannot_be_read_or_is_too_large_is_refused(tmp_path, monkeypatch):
    (tmp_path / "junk.pt").write_bytes(b"not a torch file")
    with pytest.raises(verdict.RecordError, match="could not be read"):
        verdict.load_record(str(tmp_path / "junk.pt"))
    torch.save({"exercises": {}}, tmp_path / "big.pt")
    monkeypatch.setattr(verdict, "MAX_RECORD_BYTES", 10)
    with pytest.raises(verdict.RecordError, match="over the grader's limit"):
        verdict.load_record(str(tmp_path / "big.pt"))


def test_a_record_that_is_a_link_or_a_pipe_is_refused_at_once(tmp_path):
    torch.save({"exercises": {}}, tmp_path / "real.pt")
    (tmp_path / "link.pt").symlink_to(tmp_path / "real.pt")  # could point at the grader's secret
    os.mkfifo(tmp_path / "pipe.pt")  # would keep the grader waiting for ever
    for name in ("link.pt", "pipe.pt"):
        with pytest.raises(verdict.RecordError, match="could not be read back"):
            verdict.load_record(str(tmp_path / name))
    assert verdict.load_record(str(tmp_path / "real.pt")) == {}


def test_a_record_that_runs_code_when_loaded_is_refused(tmp_path):
    class Boom:
        def __reduce__(self):
            return (print, ("this ran",))

    torch.save({"exercises": {"x": Boom()}}, tmp_path / "evil.pt")
    with pytest.raises(verdict.RecordError):
        verdict.load_record(str(tmp_path / "evil.pt"))


def test_a_huge_answer_is_recorded_within_the_budget():
    compare = _compare()
    budget = [10]
    packed = harness.pack([torch.zeros(8), torch.zeros(8), 10**400], compare, budget=budget)
    assert packed[1][0][0] == "t" and packed[1][1][0] == "o" and packed[1][2][0] == "o"
    assert "bits" in packed[1][2][2]


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
    assert [s.student for s in subs] == ["a", "bob", "carol", "dave", "dave-2", "eve"]
    assert "its metadata says it is from 'Zoë_Q'" in subs[0].flags  # flagged, never believed
    assert {s.assignment for s in subs} == {name}  # metadata, file name, check calls, then the class's
    name_them(subs, known, name)
    assert all(s.assignment == name for s in subs)


def test_students_in_section_folders_are_named_after_their_files(tmp_path):
    plain = nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])).encode()
    files = ["section-a/frank.ipynb", "section-a/grace.ipynb", "heidi/week1/notebook.ipynb"]
    subs = [read_submission(write(tmp_path, f, plain + f.encode().replace(b"/", b" ")), tmp_path, 2**20)
            for f in files]
    name_them(subs, assignments(), "00_how_exercises_work")
    assert [s.student for s in subs] == ["frank", "grace", "heidi"]


def test_copies_links_and_other_assignments_are_flagged(tmp_path):
    from coursekit.grading.submissions import MixedAssignments, find_submissions

    known = assignments()
    ours, other = list(known)[:2]
    mine = nbformat.read(known[ours].source, as_version=4)
    theirs = nbformat.read(known[other].source, as_version=4)
    write(tmp_path, "alice.ipynb", nbformat.writes(mine).encode())
    write(tmp_path, "bob.ipynb", nbformat.writes(mine).encode())  # the same bytes as alice's
    write(tmp_path, "carol.ipynb", nbformat.writes(theirs).encode())  # another assignment, solved
    (tmp_path / "dave.ipynb").symlink_to(known[ours].source)  # a link to the instructor's solution
    with pytest.raises(MixedAssignments, match="--assignment"):
        name_them(find_submissions(tmp_path, 2**24), known, None)
    found = find_submissions(tmp_path, 2**24)
    name_them(found, known, ours)
    subs = {s.student: s for s in found}
    assert subs["alice"].flags == ["byte for byte the same file as bob.ipynb"]
    assert subs["bob"].flags == ["byte for byte the same file as alice.ipynb"]
    assert any("another assignment" in flag for flag in subs["carol"].flags)
    assert subs["dave"].flags == ["a symbolic link"] and "not followed, not graded" in subs["dave"].problem
    assert subs["dave"].notebook is None


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
    book = grade(tmp_path / "subs", tmp_path / "out", unsafe_no_sandbox=UNSAFE)
    assert book.rows == [] and (tmp_path / "out" / "grades.csv").read_text().startswith("student,status")
    assert "0 notebook(s)" in (tmp_path / "out" / "report.html").read_text()
    secret = (tmp_path / "out" / ".grader-secret").read_text()
    (tmp_path / "out" / "executed" / "old.ipynb").write_text("{}")
    grade(tmp_path / "subs", tmp_path / "out", unsafe_no_sandbox=UNSAFE)  # again: cleared, the secret kept
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
        folder = tmp_path / str(seed)
        folder.mkdir()
        records[seed] = judged_record("day0.relu", relu, seed, folder, "relu")
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda seed: verdict.judge(find("day0.relu"), "relu", records[seed], seed),
                                [11, 22] * 20))
    assert all(r.passed for r in results), next(r.message for r in results if not r.passed)
