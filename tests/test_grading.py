"""The grader, end to end: a whole test class of submissions graded in one run.

The class is made here from the exercise notebook learners get (exercises/), by replacing the
placeholder cells with answers: right, partly right, untouched, raising, endless, crashing,
broken files, and notebooks that try to fake a pass. It is graded once with two jobs; every
row must get the status and points its real answers deserve, and no file may change.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from coursekit import grading
from coursekit.grading.grader import KEPT_ENV
from coursekit.grading.sandbox import why_not
from coursekit.grading.report import CSV_HEAD, CSV_TAIL

ROOT = Path(__file__).resolve().parents[1]
EXERCISE = ROOT / "exercises" / "00_how_exercises_work.ipynb"
IDS = ["day0.relu", "day0.gradient", "day0.model"]
# Where bubblewrap is missing (CI installs it), grade without it: these tests are about the grades.
UNSAFE = ["--unsafe-no-sandbox"] if why_not() else []

RELU = "def relu(x):\n    return torch.where(x > 0, x, 0.0)\n\n\nrelu(torch.tensor([-1.0, 0.0, 2.0]))"
GRADIENT = "def gradient(f, x):\n    x = x.detach().requires_grad_()\n    f(x).backward()\n    return x.grad"
MODEL = "model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))\nmodel"
WRONG_RELU = "def relu(x):\n    return x.abs()"
WRONG_GRADIENT = "def gradient(f, x):\n    return torch.ones_like(x)"
STRAIGHT_MODEL = "model = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 3))  # no activation"
PASS_LINES = {"day0.relu": "✔ day0.relu: passed, all 4 cases right.",
              "day0.gradient": "✔ day0.gradient: passed, all 3 cases right.",
              "day0.model": "✔ day0.model: passed, all 5 cases right."}

# A relu that knows the answers to the inputs the public check uses, and nothing else.
MEMORISED = '''\
import torch.nn.functional as F


def _public(*shape, seed, dtype=torch.float32):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


_KNOWN = {}
for _x in [torch.tensor([-2.0, -0.5, 0.0, 0.5, 2.0]), _public(3, 4, seed=1), _public(2, 3, seed=2, dtype=torch.float64),
           torch.tensor([[-float("inf"), -1.0], [1.0, float("inf")]])]:
    _KNOWN[(tuple(_x.shape), str(_x.dtype), tuple(_x.flatten().tolist()))] = F.relu(_x)


def relu(x):
    key = (tuple(x.shape), str(x.dtype), tuple(x.flatten().tolist()))
    return _KNOWN[key].clone() if key in _KNOWN else x.clone()'''

CHEAT_CHECK = '''
check = lambda *args, **kwargs: True
import coursekit.checks
from coursekit.checks import Result
coursekit.checks.run_check = lambda id, answer, **kw: Result(id, "passed", "passed, all cases right.", [], 1.0, 1.0)
coursekit.checks.check = coursekit.run_check = coursekit.checks.run_check'''

CHEAT_COMPARE = '''
import coursekit.checks.compare
import coursekit.checks.runner
coursekit.checks.compare.compare = lambda *args, **kwargs: None
coursekit.checks.runner.compare = lambda *args, **kwargs: None
coursekit.checks.runner._judge = lambda case, got: None'''

CHEAT_PROGRESS = '''
import json
import coursekit.progress
from coursekit.checks import Result
for _id in ["day0.relu", "day0.gradient", "day0.model"]:
    coursekit.progress.record(Result(_id, "passed", "passed", [], 1.0, 1.0))
_file = coursekit.progress.path()
_file.write_text(json.dumps({"version": 1, "exercises": {i: {"status": "passed", "tries": 1}
                                                         for i in ["day0.relu", "day0.gradient", "day0.model"]}}))'''

CHEAT_RECORD = '''
import os
import torch
_fake = {"token": "0" * 32, "seed": 1, "exercises": {i: {"defined": True, "status": "passed"}
                                                     for i in ["day0.relu", "day0.gradient", "day0.model"]}}
def _plant(*_):
    for _name in ["record-0.pt", "record.pt", "outputs.pt", "../record-0.pt"]:
        torch.save(_fake, _name)
    open("checking-0.txt", "w").write("")
_plant()
get_ipython().events.register("post_run_cell", _plant)'''

# A relu that looks for the grader's seed everywhere the kernel can see (its own random state, the
# environment, objects on the heap, the frames that call it, the grader's files) and, for every
# candidate, remakes the course's cases to look up the expected value of the input it was given.
SEED_THIEF = '''
import gc, glob, json, os, sys, threading
from coursekit.checks.cases import find, seeded_inputs

print("ENVIRONMENT:", json.dumps(sorted(os.environ)))


def _candidates():
    found = {torch.initial_seed()}
    found |= {int(v) for v in os.environ.values() if v.isdigit()}
    for obj in gc.get_objects():
        if isinstance(obj, dict) and isinstance(obj.get("seed"), int):
            found.add(obj["seed"])
    frame = sys._getframe()
    while frame is not None:
        for name, value in list(frame.f_locals.items()):
            if "seed" in name and isinstance(value, int):
                found.add(value)
            if isinstance(value, dict) and isinstance(value.get("seed"), int):
                found.add(value["seed"])
        frame = frame.f_back
    for path in glob.glob("/tmp/coursekit-grade-*/*.json") + glob.glob("../../**/*.json", recursive=True):
        try:
            found.add(int(json.load(open(path))["seed"]))
        except Exception:
            pass
    return found - {0}


def _lookup(x, box):
    for seed in _candidates():
        with seeded_inputs(seed):
            for case in find("day0.relu").cases():
                if case.args[0].shape == x.shape and torch.equal(case.args[0], x):
                    box.append(case.expected.clone())
                    return


def relu(x):  # looks in another thread, which the check's watch for torch.relu does not see
    box = []
    worker = threading.Thread(target=_lookup, args=(x, box))
    worker.start()
    worker.join()
    return box[0] if box else x.clone()'''
INSTRUCTOR_ONLY = "COURSEKIT_TEST_INSTRUCTOR_ONLY"  # set in the grader's environment: no kernel may see it


# ----------------------------------------------------------------------------- the test class


def exercise_notebook():
    return nbformat.read(EXERCISE, as_version=4)


def answered(relu=None, gradient=None, model=None, *, first_cell_extra="", check_cells="keep"):
    """The exercise notebook with these answers in place of the placeholders (None: left as it is)."""
    nb = exercise_notebook()
    cells = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            source = cell.source
            if source.startswith("def relu") and relu is not None:
                cell.source = relu
            elif source.startswith("def gradient") and gradient is not None:
                cell.source = gradient
            elif "model = ..." in source and model is not None:
                cell.source = model
            elif source.startswith("import torch") and first_cell_extra:
                cell.source = source + "\n" + first_cell_extra
            elif re.match(r'check\("(day0\.\w+)", \w+\)$', source):
                id = source.split('"')[1]
                if check_cells == "delete":
                    continue
                if check_cells == "stored pass":  # outputs that claim a pass, as if the cell had run
                    cell.execution_count = 7
                    cell.outputs = [nbformat.v4.new_output(
                        "display_data", data={"text/plain": PASS_LINES[id], "text/html": f"<b>{PASS_LINES[id]}</b>"})]
                if check_cells == "print pass":
                    cell.source = f"print({PASS_LINES[id]!r})"
        cells.append(cell)
    nb.cells = cells
    return nb


def huge(nb, megabytes: float):
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * int(megabytes * 2**20))]
    nb.cells[1].execution_count = 1
    return nb


# name: (what is handed in, expected status, expected points per exercise)
CLASS = {
    "correct": (lambda: answered(RELU, GRADIENT, MODEL), "ok", [1, 1, 1]),
    "partial": (lambda: answered(RELU, WRONG_GRADIENT, MODEL), "ok", [1, 0, 1]),
    "untouched": (lambda: answered(), "ok", [0, 0, 0]),
    "raising": (lambda: answered("def relu(x):\n    raise NotImplementedError('later')\n\n\nrelu(torch.ones(2))",
                                 GRADIENT, MODEL), "ok", [0, 1, 1]),
    "endless": (lambda: answered("def relu(x):\n    while True:\n        pass\n\n\nrelu(torch.ones(2))",
                                 GRADIENT, MODEL), "timeout", [0, 1, 1]),
    "crashing": (lambda: answered(RELU, "def gradient(f, x):\n    import os\n    os._exit(1)\n\n\n"
                                        "gradient(lambda t: t.sum(), torch.ones(2))", MODEL), "crashed", [1, 0, 1]),
    "broken_json": (b'{"cells": [{"cell_type": "code", "source": "def relu(x):', "malformed", [0, 0, 0]),
    "not_a_notebook": (b'{"student": "someone", "answers": [1, 2, 3]}', "malformed", [0, 0, 0]),
    "empty_file": (b"", "malformed", [0, 0, 0]),
    "huge_outputs": (lambda: huge(answered(RELU, GRADIENT, MODEL), 2.5), "malformed", [0, 0, 0]),
    # Tampering: each must score what its real answers deserve.
    "stored_pass_lines": (lambda: answered(check_cells="stored pass"), "ok", [0, 0, 0]),
    "printed_pass_lines": (lambda: answered(check_cells="print pass"), "ok", [0, 0, 0]),
    "check_redefined": (lambda: answered(WRONG_RELU, GRADIENT, first_cell_extra=CHEAT_CHECK), "ok", [0, 1, 0]),
    "compare_patched": (lambda: answered(WRONG_RELU, WRONG_GRADIENT, MODEL, first_cell_extra=CHEAT_COMPARE),
                        "ok", [0, 0, 1]),
    "progress_forged": (lambda: answered(RELU, first_cell_extra=CHEAT_PROGRESS), "ok", [1, 0, 0]),
    "checks_deleted": (lambda: answered(RELU, GRADIENT, STRAIGHT_MODEL, check_cells="delete"), "ok", [1, 1, 0]),
    "fake_record": (lambda: answered(first_cell_extra=CHEAT_RECORD), "ok", [0, 0, 0]),
    "memorised": (lambda: answered(MEMORISED, GRADIENT, MODEL), "ok", [0, 1, 1]),
    "seed_thief": (lambda: answered(SEED_THIEF, GRADIENT, MODEL), "ok", [0, 1, 1]),
}


def write_class(folder: Path) -> dict[str, str]:
    """Write the test class to ``folder``; {file name: SHA-256}."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (make, _, _) in CLASS.items():
        made = make() if callable(make) else make
        data = made if isinstance(made, bytes) else nbformat.writes(made).encode()
        (folder / f"{name}.ipynb").write_bytes(data)
    return hashes(folder)


def hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The test class, graded in one run of `coursekit grade` with two jobs."""
    base = tmp_path_factory.mktemp("grading")
    folder, out = base / "submissions", base / "grades"
    before = write_class(folder)
    os.environ[INSTRUCTOR_ONLY] = "12345"
    environment = sorted(os.environ)
    try:
            status = grading.main([str(folder), "--out", str(out), "--jobs", "2", "--cell-timeout", "30",
                               "--timeout", "120", "--max-mb", "2", "--quiet"] + UNSAFE)
    finally:
        del os.environ[INSTRUCTOR_ONLY]
    book = json.loads((out / "grades.json").read_text(encoding="utf-8"))
    return {"status": status, "folder": folder, "out": out, "before": before, "after": hashes(folder),
            "environment": environment,
            "rows": {row["student"]: row for row in book["rows"]}, "book": book}


# ----------------------------------------------------------------------------- the graded class


def test_every_submission_gets_its_status_and_the_points_its_answers_deserve(graded):
    assert graded["status"] == 0
    rows = graded["rows"]
    assert sorted(rows) == sorted(CLASS)
    wrong = {}
    for name, (_, status, points) in CLASS.items():
        row = rows[name]
        got = [next(r["points"] for r in row["results"] if r["id"] == id) for id in IDS]
        if row["status"] != status or got != points:
            wrong[name] = (row["status"], got, [r["message"] for r in row["results"]], row["notes"])
    assert not wrong, json.dumps(wrong, indent=1, ensure_ascii=False)
    assert all(row["max"] == 3 for row in rows.values())


def test_no_submission_changed_and_the_gradebook_verifies(graded):
    assert graded["after"] == graded["before"]
    assert all(row["unchanged"] for row in graded["rows"].values())
    assert graded["book"]["changed"] == []
    assert grading.main(["--verify", str(graded["out"])]) == 0


def test_the_feedback_says_what_happened(graded):
    rows = graded["rows"]

    def message(name, id):
        return next(r["message"] for r in rows[name]["results"] if r["id"] == id)

    assert "not right yet" in message("partial", "day0.gradient")
    assert "not attempted yet" in message("untouched", "day0.relu")
    assert "NotImplementedError: later" in message("raising", "day0.relu")
    assert "did not finish in time" in message("endless", "day0.relu")
    assert any("ran past 30 s" in note for note in rows["endless"]["notes"])
    assert "there is no `gradient`" in message("crashing", "day0.gradient")
    assert any("crashed the kernel" in note for note in rows["crashing"]["notes"])
    assert "not valid JSON" in rows["broken_json"]["notes"][0]
    assert "not a Jupyter notebook" in rows["not_a_notebook"]["notes"][0]
    assert rows["empty_file"]["notes"][0] == "the file is empty"
    assert "over the 2 MB limit" in rows["huge_outputs"]["notes"][0]
    assert "is a straight (affine) function" in message("checks_deleted", "day0.model")
    assert "not right yet (case 2 of 4)" in message("memorised", "day0.relu")  # case 1 is fixed, case 2 random
    assert "not right yet (case 2 of 4)" in message("seed_thief", "day0.relu")  # no seed to be found
    assert "redefines check" in rows["check_redefined"]["review"]
    assert "patches coursekit" in rows["compare_patched"]["review"]
    assert "writes the progress file" in rows["progress_forged"]["review"]
    assert "installs IPython hooks" in rows["fake_record"]["review"]
    assert rows["correct"]["review"] == []


def test_the_kernel_sees_none_of_the_instructors_environment(graded):
    copy = nbformat.read(graded["out"] / "executed" / "seed_thief.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for cell in copy.cells for o in cell.get("outputs", []))
    seen = set(json.loads(printed.split("ENVIRONMENT:", 1)[1].splitlines()[0]))
    assert INSTRUCTOR_ONLY not in seen and "COURSEKIT_MODE" in seen
    ours = {"HOME", "TMPDIR", "COURSEKIT_DATA", "COURSEKIT_CACHE", "COURSEKIT_PROGRESS", "COURSEKIT_STATIC_QUIZ",
            "COURSEKIT_MODE", "IPYTHONDIR", "MPLBACKEND", "MPLCONFIGDIR", "JUPYTER_RUNTIME_DIR",
            "TERM", "CLICOLOR", "CLICOLOR_FORCE", "FORCE_COLOR", "PAGER", "GIT_PAGER"}  # (these, set by Jupyter)
    assert seen & set(graded["environment"]) <= set(KEPT_ENV) | ours, sorted(seen & set(graded["environment"]))


def test_gradebook_csv(graded):
    with open(graded["out"] / "grades.csv", newline="", encoding="utf-8") as file:
        table = list(csv.reader(file))
    assert table[0] == CSV_HEAD + IDS + CSV_TAIL
    by_student = {line[0]: dict(zip(table[0], line)) for line in table[1:]}
    assert sorted(by_student) == sorted(CLASS)
    assert by_student["correct"]["total"] == "3" and by_student["correct"]["max"] == "3"
    assert by_student["endless"]["status"] == "timeout" and by_student["endless"]["total"] == "2"
    assert {line["unchanged"] for line in by_student.values()} == {"yes"}
    print("\n" + (graded["out"] / "grades.csv").read_text(encoding="utf-8"))


def test_report_and_executed_copies(graded):
    report = (graded["out"] / "report.html").read_text(encoding="utf-8")
    for name in CLASS:
        assert f"id='s-{name}'" in report
    assert "Class summary" in report and "Exercises" in report and "byte for byte" in report
    executed = graded["out"] / "executed"
    ran = [name for name, (_, status, _) in CLASS.items() if status != "malformed"]
    assert sorted(p.stem for p in executed.iterdir()) == sorted(ran)
    copy = nbformat.read(executed / "partial.ipynb", as_version=4)
    assert copy.cells[-1].source.startswith("## Grader: 2 of 3 points")
    assert not (graded["out"] / "work").exists()


def test_grading_again_gives_the_same_grades(graded, tmp_path):
    again = tmp_path / "again"
    again.mkdir()
    for name in ("partial", "memorised"):
        shutil.copy(graded["folder"] / f"{name}.ipynb", again / f"{name}.ipynb")
    out = tmp_path / "out"
    book = grading.grade(again, out, jobs=2, secret_file=graded["out"] / ".grader-secret", cell_timeout=30,
                         unsafe_no_sandbox=bool(UNSAFE))
    for row in book.rows:
        first = graded["rows"][row.student]
        assert [r.message for r in row.results] == [r["message"] for r in first["results"]]
        assert row.seed == first["seed"]
