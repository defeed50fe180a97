"""Exercises are generated from the solutions: in sync, nothing leaks, the markers are strict."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from coursekit import exercises as gen
from coursekit.checks import all_exercises

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted(p for p in (ROOT / "solutions").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def exercise_of(solution: Path) -> Path:
    return ROOT / "exercises" / solution.relative_to(ROOT / "solutions")


def code_cells(path: Path):
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


# ----------------------------------------------------------------------------- the committed notebooks


def test_exercises_are_in_sync_with_the_solutions(capsys):
    assert SOLUTIONS, "no solution notebooks"
    status = gen.main(["--check"])
    assert status == 0, f"exercises/ is out of date, run `python -m coursekit.exercises`:\n{capsys.readouterr().out}"


def _blocks(source: str) -> tuple[list[str], list[str]]:
    """(lines inside solution or hidden-test blocks, the other lines) of a cell's source."""
    inside, outside, open_ = [], [], False
    for line in source.splitlines():
        if line.strip() in gen.MARKERS:
            open_ = gen.MARKERS[line.strip()][1] == "begin"
        else:
            (inside if open_ else outside).append(line.strip())
    return inside, outside


def leaks(solution: nbformat.NotebookNode, exercise: nbformat.NotebookNode) -> list[str]:
    """Marker words, solution lines and hidden-test lines found in the exercise."""
    text = nbformat.writes(exercise)
    found = [word for word in gen.MARKER_WORDS if word in text]
    secret, public = set(), set()
    for cell in solution.cells:
        inside, outside = _blocks(cell.source)
        secret |= {line for line in inside if line and not line.startswith("#")}  # prompts are public
        public |= set(outside)
    exercise_lines = {line.strip() for cell in exercise.cells for line in cell.source.splitlines()}
    return found + sorted((secret - public) & exercise_lines)


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_nothing_leaks_into_the_exercise(solution):
    exercise = exercise_of(solution)
    found = leaks(nbformat.read(solution, as_version=4), nbformat.read(exercise, as_version=4))
    assert not found, f"solution, hidden-test or marker text in {exercise.name}: {found}"


def test_the_leak_test_finds_leaks():
    solution = gen.tidy_solution(_solution_notebook())
    assert leaks(solution, gen.student_notebook(solution)) == []
    assert leaks(solution, solution) == ["BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
                                         "assert f(1) == 2", "assert f(2) == 4", "return 2 * x"]
    without_markers = nbformat.from_dict(solution)
    for cell in without_markers.cells:
        cell.source = "\n".join(line for line in cell.source.splitlines() if line.strip() not in gen.MARKERS)
    assert leaks(solution, without_markers) == ["assert f(1) == 2", "assert f(2) == 4", "return 2 * x"]


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_exercise_is_clean_and_runs_without_comparing_outputs(solution):
    for cell in code_cells(exercise_of(solution)):
        assert not cell.outputs and cell.execution_count is None
        assert "NBVAL_CHECK_OUTPUT" not in cell.source and "nbgrader" not in cell.metadata


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_solution_checks_show_their_pass_line_and_carry_nbgrader_metadata(solution):
    known = {e.id for e in all_exercises()}
    checked = []
    for cell in code_cells(solution):
        called = re.findall(r'^check\("([\w.]+)", \w+\)$', cell.source, flags=re.M)
        if "### BEGIN SOLUTION" in cell.source:
            assert cell.metadata["nbgrader"]["solution"] is True
        if called:
            (id,) = called
            assert id in known, f"{solution.name} checks an unknown exercise {id!r}"
            assert cell.source.startswith(gen.CHECK_OUTPUT), "a check cell must compare its output"
            assert cell.metadata["nbgrader"]["grade"] is True and cell.metadata["nbgrader"]["points"] > 0
            text = "".join(o.get("data", {}).get("text/plain", "") for o in cell.outputs)
            assert text == f"✔ {id}: passed, all " + text.split("all ")[-1] and text.endswith(" cases right.")
            checked.append(id)
    assert checked, f"{solution.name} has no check cells"


def test_every_exercise_check_is_used_by_a_solution():
    used = " ".join(cell.source for solution in SOLUTIONS for cell in code_cells(solution))
    unused = [e.id for e in all_exercises() if f'"{e.id}"' not in used]
    assert not unused, f"checks without a solution notebook: {unused}"


# ----------------------------------------------------------------------------- one cell


def test_a_solution_inside_a_function_becomes_a_prompt_and_return_placeholder():
    source = ("def f(x):\n    ### BEGIN SOLUTION\n    # TODO: double x\n    y = 2 * x\n    return y\n"
              "    ### END SOLUTION\n")
    assert gen.student_source(source) == "def f(x):\n    # TODO: double x\n    return ..."


def test_a_top_level_solution_keeps_its_names_defined():
    source = ("### BEGIN SOLUTION\n# TODO: build the model\n#   (two layers)\nmodel = make()\na, b = 1, 2\n"
              "### END SOLUTION\nmodel")
    expected = "# TODO: build the model\n#   (two layers)\nmodel = ...\na = ...\nb = ...\nmodel"
    assert gen.student_source(source) == expected


def test_a_solution_without_names_or_return_becomes_ellipsis():
    source = "for i in range(3):\n    ### BEGIN SOLUTION\n    # TODO: print i\n    print(i)\n    ### END SOLUTION"
    assert gen.student_source(source) == "for i in range(3):\n    # TODO: print i\n    ..."


def test_hidden_tests_are_removed():
    source = 'check("a.b", f)\n### BEGIN HIDDEN TESTS\nassert f(1) == 2\n### END HIDDEN TESTS'
    assert gen.student_source(source) == 'check("a.b", f)'


@pytest.mark.parametrize("source, words", [
    ("### BEGIN SOLUTION\n# TODO: x\nx = 1", "not closed"),
    ("x = 1\n### END SOLUTION", "without a matching BEGIN"),
    ("### BEGIN SOLUTION\n# TODO: x\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n### END SOLUTION", "nested"),
    ("### BEGIN SOLUTION\n# TODO: x\n### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS\n### END SOLUTION", "nested"),
    ("### BEGIN HIDDEN TESTS\nassert 1\n### END SOLUTION", "without a matching BEGIN"),
    ("### BEGIN SOLUTION  # the answer\n# TODO: x\nx = 1\n### END SOLUTION", "only the marker"),
    ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "must start with its prompt"),
])
def test_bad_markers_are_errors(source, words):
    with pytest.raises(gen.MarkerError, match=words):
        gen.student_source(source, "test")


def test_markers_in_markdown_are_errors():
    nb = new_notebook(cells=[new_markdown_cell("### BEGIN SOLUTION\nthe answer\n### END SOLUTION")])
    with pytest.raises(gen.MarkerError, match="code cells only"):
        gen.tidy_solution(nb)


# ----------------------------------------------------------------------------- folders


def _solution_notebook() -> nbformat.NotebookNode:
    solution = new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    # TODO: double x\n    return 2 * x\n"
                             "    ### END SOLUTION",
                             outputs=[nbformat.v4.new_output("stream", text="left over\n")], execution_count=3)
    checked = new_code_cell('# NBVAL_CHECK_OUTPUT\ncheck("day0.relu", f)\n### BEGIN HIDDEN TESTS\nassert f(1) == 2\n'
                            "### END HIDDEN TESTS", execution_count=4,
                            outputs=[nbformat.v4.new_output("display_data", data={"text/plain": "✔ passed"})])
    hidden_only = new_code_cell("### BEGIN HIDDEN TESTS\nassert f(2) == 4\n### END HIDDEN TESTS")
    return new_notebook(cells=[new_markdown_cell("# T"), solution, checked, hidden_only],
                        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


def test_generate_check_and_clean_up(tmp_path, capsys):
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    (solutions / "day1").mkdir(parents=True)
    nbformat.write(_solution_notebook(), solutions / "day1" / "ex.ipynb")
    (solutions / "conftest.py").write_text("# copied as it is\n")
    (exercises / "old").mkdir(parents=True)
    (exercises / "old" / "stale.ipynb").write_text("{}")
    folders = ["--solutions", str(solutions), "--exercises", str(exercises)]

    assert gen.main(folders + ["--check"]) == 1
    out = capsys.readouterr().out
    assert "stale.ipynb" in out and "ex.ipynb" in out
    assert gen.main(folders) == 0
    assert gen.main(folders + ["--check"]) == 0
    assert not (exercises / "old" / "stale.ipynb").exists()
    assert (exercises / "conftest.py").read_text() == "# copied as it is\n"

    tidy = nbformat.read(solutions / "day1" / "ex.ipynb", as_version=4)
    assert tidy.cells[1].outputs == [] and tidy.cells[1].execution_count is None  # not a checked cell
    assert tidy.cells[2].outputs and tidy.cells[2].execution_count == 4  # nbval compares this one
    assert tidy.cells[1].metadata["nbgrader"]["solution"] is True
    assert tidy.cells[2].metadata["nbgrader"] == {"grade": True, "grade_id": "check-day0-relu", "locked": True,
                                                  "points": 1, "schema_version": 3, "solution": False}
    student = nbformat.read(exercises / "day1" / "ex.ipynb", as_version=4)
    assert [c.source for c in student.cells] == ["# T", "def f(x):\n    # TODO: double x\n    return ...",
                                                 'check("day0.relu", f)']

    tidy.cells[1].source = tidy.cells[1].source.replace("2 * x", "x + x")  # an edited solution: drift
    nbformat.write(tidy, solutions / "day1" / "ex.ipynb")
    assert gen.main(folders + ["--check"]) == 0  # the student version did not change
    tidy.cells[1].source = tidy.cells[1].source.replace("double x", "add x to itself")
    nbformat.write(tidy, solutions / "day1" / "ex.ipynb")
    assert gen.main(folders + ["--check"]) == 1
    assert "exercises/day1/ex.ipynb" in capsys.readouterr().out.replace(os.sep, "/")


def test_a_bad_marker_stops_the_generator(tmp_path, capsys):
    nb = new_notebook(cells=[new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION")])
    (tmp_path / "s").mkdir()
    nbformat.write(nb, tmp_path / "s" / "bad.ipynb")
    assert gen.main(["--solutions", str(tmp_path / "s"), "--exercises", str(tmp_path / "e")]) == 2
    assert "bad.ipynb, cell 1, line 3" in capsys.readouterr().err
    assert not (tmp_path / "e").exists()


# ----------------------------------------------------------------------------- nbgrader


@pytest.mark.notebook
@pytest.mark.skipif(not os.environ.get("NBGRADER_VENV"), reason="set NBGRADER_VENV to a venv with nbgrader installed")
def test_nbgrader_generates_and_autogrades_the_solutions():
    run = subprocess.run([shutil.which("bash"), str(ROOT / "tools" / "check_nbgrader.sh"), os.environ["NBGRADER_VENV"]],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "nbgrader: OK" in run.stdout
