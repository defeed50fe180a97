"""A run that survives any one submission, and a gradebook that can be verified.

Hostile files (JSON nested too deeply, an integer of a million digits, a name that is not UTF-8,
a name with a new line that would fake a line of the log, a name a spreadsheet would run as a
formula, a cell Python cannot parse) are graded in one run: each gets its row and the others are
graded. The gradebook's rows are signed and ``--verify`` notices any change made after grading.
A run killed half way resumes where it stopped.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from coursekit import grading
from coursekit.grading.report import _text
from coursekit.grading.sandbox import why_not
from coursekit.grading.submissions import printable

ROOT = Path(__file__).resolve().parents[1]
SOLVED = ROOT / "solutions" / "00_how_exercises_work.ipynb"
UNSAFE = ["--unsafe-no-sandbox"] if why_not() else []  # where bubblewrap is missing (CI installs it)


def _write(folder: Path, name, data: bytes) -> None:
    path = os.path.join(os.fsencode(folder), name if isinstance(name, bytes) else name.encode())
    with open(path, "wb") as file:
        file.write(data)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("robust")
    subs, out = base / "submissions", base / "grades"
    subs.mkdir()
    cells = nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]))
    _write(subs, "deep.ipynb", b"[" * 200_000 + b"]" * 200_000)
    _write(subs, "bigint.ipynb", b'{"cells": [], "nbformat": 4, "x": ' + b"9" * 1_000_000 + b"}")
    _write(subs, b"caf\xe9.ipynb", cells.encode())  # Latin-1, not UTF-8
    _write(subs, "evil\n2026-01-01T00:00:00  mallory: ok, 3 of 3 points.ipynb", cells.encode())
    _write(subs, "=HYPERLINK(\"evil\",\"y\").ipynb", cells.encode())
    pathological = nbformat.read(SOLVED, as_version=4)
    pathological.cells.insert(1, nbformat.v4.new_code_cell("y = " + "(" * 50_000 + ")" * 50_000))
    nbformat.write(pathological, subs / "pathological.ipynb")
    status = grading.main([str(subs), "--out", str(out), "--assignment", "00_how_exercises_work", "--jobs", "2",
                           "--cell-timeout", "60", "--quiet"] + UNSAFE)
    return {"status": status, "subs": subs, "out": out, "book": json.loads((out / "grades.json").read_text())}


def test_every_hostile_file_gets_its_row_and_the_others_are_graded(graded):
    assert graded["status"] == 0
    rows = {row["file"]: row for row in graded["book"]["rows"]}
    assert len(rows) == 6
    assert "nested too deeply" in rows["deep.ipynb"]["notes"][0]
    assert rows["bigint.ipynb"]["status"] == "malformed"
    assert rows["pathological.ipynb"]["status"] == "ok" and rows["pathological.ipynb"]["total"] == 3
    assert printable(os.fsdecode(b"caf\xe9.ipynb")) in rows and "caf\\xe9.ipynb" in rows
    assert all(row["status"] in ("ok", "malformed") for row in rows.values())


def test_names_are_escaped_in_the_log_csv_json_and_html(graded):
    log = (graded["out"] / "grading.log").read_text(encoding="utf-8")
    assert "mallory" in log and not any(line.startswith("2026-01-01") for line in log.splitlines())
    with open(graded["out"] / "grades.csv", newline="", encoding="utf-8") as file:
        table = list(csv.reader(file))
    cells = [cell for line in table[1:] for cell in line]
    assert not any(cell[:1] in ("=", "+", "-", "@") for cell in cells), cells
    assert any(cell.startswith("'=HYPERLINK") for cell in cells)
    report = (graded["out"] / "report.html").read_text(encoding="utf-8")
    assert "=HYPERLINK(&quot;evil&quot;,&quot;y&quot;)" in report
    assert _text("-1+2") == "'-1+2" and _text("alice") == "alice"


def test_the_gradebook_verifies_and_any_change_is_noticed(graded, tmp_path):
    out = graded["out"]
    assert grading.main(["--verify", str(out)]) == 0
    original = {name: (out / name).read_bytes() for name in ("grades.csv", "grades.json")}
    try:
        (out / "grades.csv").write_bytes(original["grades.csv"].replace(b",ok,", b",ok,", 1) + b"mallory,ok,1,1,1\n")
        assert grading.main(["--verify", str(out)]) == 3
        (out / "grades.csv").write_bytes(original["grades.csv"])
        book = json.loads(original["grades.json"])
        book["rows"][0]["total"] = 99
        (out / "grades.json").write_text(json.dumps(book))
        assert grading.main(["--verify", str(out)]) == 3
        (out / "grades.json").write_bytes(original["grades.json"])
        assert grading.main(["--verify", str(out), "--secret-file", str(_other_secret(tmp_path))]) == 3
        assert grading.main(["--verify", str(out)]) == 0
    finally:
        for name, data in original.items():
            (out / name).write_bytes(data)


def _other_secret(tmp_path: Path) -> Path:
    (tmp_path / "other").write_text("ab" * 32)
    return tmp_path / "other"


def test_a_killed_run_resumes_where_it_stopped(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    for name in ("a", "b", "c"):
        (subs / f"{name}.ipynb").write_bytes(SOLVED.read_bytes())
    command = [sys.executable, "-m", "coursekit.grading", str(subs), "--out", str(out), "--quiet"] + UNSAFE
    run = subprocess.Popen(command, start_new_session=True)
    journal = out / "rows.jsonl"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not (journal.exists() and journal.read_text().count("\n") >= 1):
        time.sleep(0.5)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    first = [json.loads(line)["file"] for line in journal.read_text().splitlines()]
    assert 1 <= len(first) < 3 and not (out / "grades.json").exists()
    assert subprocess.run(command + ["--resume"]).returncode == 0
    log = (out / "grading.log").read_text(encoding="utf-8")
    assert all(f"(graded before); {name}" in log for name in first)
    book = json.loads((out / "grades.json").read_text())
    assert sorted(row["file"] for row in book["rows"]) == ["a.ipynb", "b.ipynb", "c.ipynb"]
    assert all(row["total"] == 3 for row in book["rows"])
    assert grading.main(["--verify", str(out)]) == 0
