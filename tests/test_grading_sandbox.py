"""The sandbox each submission runs in (bubblewrap): what a hostile notebook tries, and what it gets.

One small class is graded in one run with small limits: an honest notebook, and one whose first
cell tries to escape (read the grader's secret and the other submissions, write to them and to
the course, reach the network, see other processes, take too much memory, disk or processes) and
leaves a process behind in its own session to change things after its kernel is gone. Its
answers are right, so it must get full marks, with every attempt refused and nothing changed.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import nbformat
import pytest

from coursekit import grading
from coursekit.grading import grader, sandbox
from coursekit.grading.sandbox import Limits
from test_grading import GRADIENT, MODEL, RELU, answered

pytestmark = pytest.mark.skipif(bool(sandbox.why_not()), reason=f"no sandbox here: {sandbox.why_not()}")
ROOT = Path(__file__).resolve().parents[1]
LIMITS = Limits(memory_mb=4096, processes=96, file_mb=20, cpu_seconds=900)
DAEMON = "coursekit-test-daemon-4f1d"  # in the left-behind process's command line, to find it afterwards

ESCAPE = '''
import json, os, resource, socket, subprocess, sys
_report = {{}}


def _try(name, action):
    try:
        _report[name] = "ALLOWED " + repr(action())[:60]
    except BaseException as error:
        _report[name] = "refused " + type(error).__name__


_try("read the secret", lambda: open({out!r} + "/.grader-secret").read())
_try("list the submissions", lambda: os.listdir({subs!r}))
_try("change a submission", lambda: open({subs!r} + "/honest.ipynb", "a").write(" "))
_try("list the output folder", lambda: os.listdir({out!r}))
_try("change the course", lambda: open({course!r} + "/coursekit/grading/grader.py", "a").write("#"))
_try("read the solutions", lambda: open({course!r} + "/solutions/00_how_exercises_work.ipynb").read())
_try("reach the network", lambda: socket.create_connection(("1.1.1.1", 53), timeout=3))
_try("see the grader", lambda: [p for p in os.listdir("/proc") if p.isdigit()
                                and b"pytest" in open(f"/proc/{{p}}/cmdline", "rb").read()] or 1 / 0)
_try("grab 8 GB", lambda: len(bytearray(8 * 2**30)))
_try("write 40 MB", lambda: open("big.bin", "wb").write(bytes(40 * 2**20)))
_children = []


def _spawn():
    for _ in range(400):
        _children.append(subprocess.Popen(["sleep", "30"]))


_try("start 400 processes", _spawn)
for _child in _children:
    _child.kill()
    _child.wait()
_report["limits"] = [resource.getrlimit(r)[0] for r in (resource.RLIMIT_AS, resource.RLIMIT_NPROC,
                                                        resource.RLIMIT_FSIZE, resource.RLIMIT_CPU)]
_daemon = "import sys, time; time.sleep(8); open(sys.argv[1] + '/honest.ipynb', 'a').write('changed')"
subprocess.Popen([sys.executable, "-c", _daemon, {subs!r}, "{marker}"], start_new_session=True)
print("ESCAPE:", json.dumps(_report))'''


def _hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _daemons() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and DAEMON.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            pass
    return found


@pytest.fixture(scope="module")
def escaped(tmp_path_factory):
    base = tmp_path_factory.mktemp("sandbox")
    subs, out = base / "submissions", base / "grades"
    subs.mkdir()
    code = ESCAPE.format(out=str(out), subs=str(subs), course=str(ROOT), marker=DAEMON)
    nbformat.write(answered(RELU, GRADIENT, MODEL), subs / "honest.ipynb")
    nbformat.write(answered(RELU, GRADIENT, MODEL, first_cell_extra=code), subs / "escape.ipynb")
    before = {p.name: _hash(p) for p in subs.iterdir()}
    course = {p: _hash(p) for p in (ROOT / "coursekit" / "grading").glob("*.py")}
    book = grading.grade(subs, out, jobs=2, cell_timeout=60, timeout=300, limits=LIMITS)
    time.sleep(10)  # the left-behind process would have written by now
    return {"book": book, "subs": subs, "out": out, "before": before, "course": course, "daemons": _daemons()}


def test_a_hostile_notebook_gets_what_its_answers_deserve_and_nothing_changes(escaped):
    rows = {row.student: row for row in escaped["book"].rows}
    assert {name: (row.status, row.total) for name, row in rows.items()} == {"honest": ("ok", 3), "escape": ("ok", 3)}
    assert {p.name: _hash(p) for p in escaped["subs"].iterdir()} == escaped["before"]
    assert {p: _hash(p) for p in escaped["course"]} == escaped["course"]
    assert escaped["book"].ok and not escaped["book"].grader_changed
    assert escaped["book"].settings["isolated"] is True
    assert grading.main(["--verify", str(escaped["out"])]) == 0


def test_every_escape_is_refused_and_the_limits_hold(escaped):
    copy = nbformat.read(escaped["out"] / "executed" / "escape.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for cell in copy.cells for o in cell.get("outputs", []))
    report = json.loads(printed.split("ESCAPE:", 1)[1].splitlines()[0])
    limits = report.pop("limits")
    allowed = {name: outcome for name, outcome in report.items() if not outcome.startswith("refused")}
    assert not allowed, report
    assert limits == [LIMITS.memory_mb * 2**20, LIMITS.processes, LIMITS.file_mb * 2**20, LIMITS.cpu_seconds]


def test_no_process_outlives_its_sandbox(escaped):
    assert escaped["daemons"] == []


def test_without_bubblewrap_grading_refuses_unless_told_it_is_unsafe(tmp_path, monkeypatch):
    monkeypatch.setattr(grader, "why_not", lambda: "bwrap is not installed")
    (tmp_path / "subs").mkdir()
    with pytest.raises(grader.GradingError, match="cannot isolate.*--unsafe-no-sandbox"):
        grading.grade(tmp_path / "subs", tmp_path / "out")
    book = grading.grade(tmp_path / "subs", tmp_path / "out", unsafe_no_sandbox=True)
    assert book.settings["isolated"] is False
    assert "NOT isolated" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert json.loads((tmp_path / "out" / "grades.json").read_text())["settings"]["isolated"] is False


def test_the_sandbox_hides_what_it_must():
    box = sandbox.Sandbox("/usr/bin/bwrap", LIMITS, [ROOT, Path("/usr")], [ROOT / "solutions", ROOT / "secret.txt"])
    argv = box.command(["python", "w.py"], writable=[Path("/tmp/w")], read_only=[], cwd=Path("/tmp/w"), uid=None)
    text = " ".join(argv)
    assert "--unshare-pid" in argv and "--unshare-net" in argv and "--die-with-parent" in argv
    assert f"--ro-bind {ROOT} {ROOT}" in text and f"--tmpfs {ROOT / 'solutions'}" in text
    assert "--bind /tmp/w /tmp/w" in text and argv[-2:] == ["python", "w.py"]
    assert f"--nproc={LIMITS.processes}" in text and f"--as={LIMITS.memory_mb * 2**20}" in text


def test_a_course_under_tmp_stays_visible_inside_the_sandbox(tmp_path):
    """A fresh clone or a CI checkout may live under /tmp, which the sandbox mounts afresh: it must bind the
    course into that /tmp, not hide it behind it (found by a fresh-clone run: the venv's python vanished)."""
    course = tmp_path / "course"
    (course / "solutions").mkdir(parents=True)
    (course / "lesson.txt").write_text("visible\n")
    (course / "solutions" / "answer.txt").write_text("hidden")
    work = tmp_path / "work"
    work.mkdir()
    box = sandbox.Sandbox(sandbox.shutil.which("bwrap"), LIMITS, [Path("/usr"), course], [course / "solutions"])
    script = f"cat {course / 'lesson.txt'}; ls {course / 'solutions'} | wc -l; ls /tmp | wc -l"
    argv = box.command(["/bin/sh", "-c", script], writable=[work], read_only=[], cwd=work, uid=None)
    done = sandbox.subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    visible, hidden_entries, tmp_entries = done.stdout.split()
    assert visible == "visible" and hidden_entries == "0"
    assert int(tmp_entries) == 1  # only the path down to the test's own folders, nothing else of the real /tmp
