"""Progress: recorded per exercise, shown per day, never broken by a bad file."""

from __future__ import annotations

import json
import types
from pathlib import Path

import pytest

from coursekit import progress
from coursekit.checks import Result


@pytest.fixture(autouse=True)
def file(tmp_path, monkeypatch) -> Path:
    """A private progress file for every test (never the developer's own)."""
    path = tmp_path / "sub" / "progress.json"
    monkeypatch.setenv(progress.ENV_VAR, str(path))
    return path


def result(id="day0.relu", status="passed"):
    return Result(id, status, "summary")


def test_location_env_var_then_xdg_then_home(monkeypatch, tmp_path, file):
    assert progress.path() == file
    monkeypatch.delenv(progress.ENV_VAR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert progress.path() == tmp_path / "xdg" / "coursekit" / "progress.json"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert progress.path() == tmp_path / "home" / ".cache" / "coursekit" / "progress.json"


def test_record_keeps_the_best_status_and_counts_tries(file):
    assert progress.record(result(status="not attempted"))
    assert progress.load()["day0.relu"]["tries"] == 0
    for status in ("failed", "passed", "failed"):
        progress.record(result(status=status))
    entry = progress.load()["day0.relu"]
    assert (entry["status"], entry["last"], entry["tries"]) == ("passed", "failed", 3)
    assert json.loads(file.read_text())["version"] == 1
    assert [p.name for p in file.parent.iterdir()] == ["progress.json"]  # no temporary file left


@pytest.mark.parametrize("contents", ["{not json", "[]", '{"exercises": []}', '{"exercises": {"a": 3}}',
                                      '{"exercises": {"day0.relu": {"status": "great", "tries": 1}}}', "\x00\xff"])
def test_a_corrupt_file_is_set_aside_and_started_afresh(file, contents):
    file.parent.mkdir(parents=True)
    file.write_text(contents, encoding="latin-1")
    assert progress.load() == {}
    assert "could not be read" in str(progress.table())
    assert progress.record(result())
    assert progress.load()["day0.relu"]["status"] == "passed"
    assert file.with_name("progress.json.bak").read_text(encoding="latin-1") == contents


def test_an_unwritable_location_returns_false_without_raising(tmp_path):
    assert progress.record(result(), file=tmp_path) is False  # a folder, not a file
    assert progress.load(tmp_path) == {}
    str(progress.table(tmp_path))


def test_table_lists_every_exercise_per_day(file):
    progress.record(result("day0.relu", "passed"))
    progress.record(result("day0.gradient", "failed"))
    progress.record(result("day9.retired", "passed"))  # no longer in the course: still listed
    text = str(progress.table())
    lines = text.splitlines()
    assert lines[0] == f"Progress, kept in {file}"
    assert lines[2].split() == ["day", "exercise", "status", "tries", "last", "checked"]
    rows = {line.split()[1]: line.split()[2:5] for line in lines[3:] if line.startswith("day") and " of " not in line}
    assert rows["relu"][:2] == ["✔", "passed"] and rows["relu"][2] == "1"
    assert rows["gradient"][:2] == ["✘", "failed"]
    assert rows["model"][:3] == ["·", "not", "checked"]
    assert "day0: 1 of 3 passed" in lines and "day9: 1 of 1 passed" in lines
    html = progress.table()._repr_html_()
    assert "<progress value='1' max='3'>" in html and "<td>relu</td>" in html


def test_show_prints_the_table(capsys):
    progress.show()
    assert "day0: 0 of 3 passed" in capsys.readouterr().out


def test_command_shows_and_resets(file, capsys):
    progress.record(result())
    assert progress.cmd_progress(types.SimpleNamespace(reset=False, file=None)) == 0
    assert "day0: 1 of 3 passed" in capsys.readouterr().out
    assert progress.cmd_progress(types.SimpleNamespace(reset=True, file=None)) == 0
    assert "kept as" in capsys.readouterr().out
    assert not file.exists() and file.with_name("progress.json.bak").exists()
    assert progress.cmd_progress(types.SimpleNamespace(reset=True, file=str(file))) == 0
    assert "no progress to reset" in capsys.readouterr().out
