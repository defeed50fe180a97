"""Grade a folder of handed-in notebooks: run each in its own kernel, judge, write the gradebook.

``grade(submissions, out)`` does the whole job and returns the ``Gradebook``:

1. Read every ``*.ipynb`` once (bytes and SHA-256), name students and assignments, flag copies
   (``submissions.py``); a file that is not a notebook gets its row. No ``bwrap``: refuse,
   unless ``unsafe_no_sandbox`` (``sandbox.py``).
2. For each notebook, make the cases here and write only their inputs (``verdict.write_inputs``)
   to a private folder, with a copy of the notebook without its outputs; a worker process
   (``_worker.py``) runs it there in a fresh kernel, in its sandbox, with the time limits, then
   runs the harness cell (``harness.py``) that records what the answers return. Several workers
   run at once with ``jobs``; each finished row goes to the signed journal (``ledger.py``).
3. The grader loads each record (plain data, bounded in size) and judges it with its own cases
   (``verdict.py``).
4. It hashes the submissions again, and writes ``grades.csv``, ``report.html``, the signed
   ``grades.json``, ``grading.log`` and the executed copies in ``executed/``.

The inputs of the cases come from a seed derived from a secret kept in ``OUT/.grader-secret``
and the submission's hash: unknown to the learner, and the same when the same file is graded
again, so a re-run gives the same grades. The seed and the expected values never leave this
process.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import nbformat

from .. import checks as checks_package
from ..checks.cases import find
from ..checks.result import Result
from ..data.paths import data_root
from ..exercises import ROOT as COURSE_ROOT
from . import harness as harness_module
from .launch import KEPT_ENV, kernel_env, read_small, run_worker  # noqa: F401 (KEPT_ENV: for the tests)
from .ledger import JOURNAL, Journal
from .report import Gradebook, Row, write_all
from .sandbox import Limits, Sandbox, readable_roots, why_not
from .submissions import (Assignment, MixedAssignments, Submission, assignments, find_submissions, name_them,
                          review_flags, sha256_of)
from .verdict import LOCK as verdict_lock
from .verdict import RecordError, judge, load_record, write_inputs

MARKER = ".coursekit-grades"  # marks a folder this tool made, which it may clear on a re-run
SECRET = ".grader-secret"
COURSE = COURSE_ROOT  # the course's folder: coursekit, exercises/, solutions/ (hidden from the sandbox)
ATTEMPTS = 3  # kernels one notebook may use (a cell that crashes or hangs is left out of the next)


class GradingError(Exception):
    """Grading could not start (a wrong folder, an unknown assignment)."""


def grade(submissions: str | Path, out: str | Path, *, assignment: str | None = None, jobs: int = 1,
          timeout: float = 600, cell_timeout: float = 120, max_mb: float = 25, mode: str | None = None,
          secret_file: str | Path | None = None, keep_work: bool = False, echo=None,
          limits: Limits | None = None, unsafe_no_sandbox: bool = False, resume: bool = False) -> Gradebook:
    """Grade every notebook under ``submissions`` into ``out``; see the module's docstring."""
    started = time.time()
    folder, out = Path(submissions).resolve(), Path(out).resolve()
    _check_folders(folder, out)
    known = assignments()
    if assignment and assignment.removesuffix(".ipynb") not in known:
        raise GradingError(f"there is no assignment {assignment!r}; the course has: {', '.join(known) or 'none'}")
    assignment = assignment.removesuffix(".ipynb") if assignment else None
    secret_path = Path(secret_file).resolve() if secret_file else out / SECRET
    sandbox = _sandbox(folder, out, secret_path, limits or Limits(), unsafe_no_sandbox)
    subs = find_submissions(folder, int(max_mb * 2**20))
    try:
        name_them(subs, known, assignment)
    except MixedAssignments as error:
        raise GradingError(str(error)) from None
    _prepare(out, resume)
    log = _Log(out / "grading.log", echo)
    secret = _secret(secret_path)
    journal = Journal(out, secret)
    log(f"grading {len(subs)} notebook(s) from {folder} with {jobs} job(s); "
        f"limits: {cell_timeout:g} s a cell, {timeout:g} s a notebook; "
        + ("each in a bubblewrap sandbox" if sandbox.isolated else "NOT ISOLATED (--unsafe-no-sandbox)"))
    settings = {"folder": str(folder), "out": str(out), "jobs": jobs, "timeout": timeout,
                "cell_timeout": cell_timeout, "max_mb": max_mb, "mode": mode or _mode(),
                "isolated": sandbox.isolated, "limits": vars(sandbox.limits)}
    grader_files = _grader_files()
    saved_mode = os.environ.get("COURSEKIT_MODE")
    os.environ["COURSEKIT_MODE"] = settings["mode"]  # the checks judge in the mode the notebooks ran in
    try:
        rows = _grade_all(subs, known, out, secret, settings, keep_work, jobs, log, sandbox, journal)
    finally:
        if saved_mode is None:
            os.environ.pop("COURSEKIT_MODE", None)
        else:
            os.environ["COURSEKIT_MODE"] = saved_mode

    changed = []
    for sub, row in zip(subs, rows):
        row.unchanged = sha256_of(sub.path) == sub.sha256
        if not row.unchanged:
            changed.append(row.file)
            row.notes.insert(0, "THE SUBMITTED FILE CHANGED DURING GRADING")
            log(f"ERROR: {row.file} changed during grading (sha256 before: {sub.sha256})")
    tampered = [name for name, digest in grader_files.items() if _digest(Path(name)) != digest]
    for name in tampered:
        log(f"WARNING: the course's own file {name} changed during grading")
    if not keep_work:
        shutil.rmtree(out / "work", ignore_errors=True)
    book = Gradebook(rows=sorted(rows, key=lambda r: (r.student.lower(), r.file)),
                     exercises=_columns(rows, known), settings=settings, changed=changed, grader_changed=tampered,
                     started=datetime.fromtimestamp(started).isoformat(timespec="seconds"),
                     seconds=time.time() - started)
    write_all(book, out, secret)
    log(f"done in {book.seconds:.1f} s: {out / 'grades.csv'}, {out / 'report.html'}")
    return book


def _grade_all(subs, known, out, secret, settings, keep_work, jobs, log, sandbox, journal) -> list[Row]:
    """Grade every submission, ``jobs`` at a time; a row for each, in the same order, each written to
    the journal as it is done. A signed row of the journal for the same file and assignment is reused."""
    finished = journal.finished()

    def one(sub: Submission) -> Row:
        done = finished.get((sub.file, sub.sha256, sub.assignment))
        if done is not None and done["student"] == sub.student:
            row = Row.from_dict(done)
            log(f"{row.student}: {row.status}, {row.total:g} of {row.max:g} points (graded before); {row.file}")
            return row
        try:
            row = _grade_one(sub, known.get(sub.assignment), out, secret, settings, keep_work, sandbox)
        except Exception as error:  # a failure of the grader on one notebook must not stop the others
            row = _row(sub, known.get(sub.assignment), "error", notes=[f"the grader failed on it: {error!r}"])
        journal.append(row.to_dict())
        log(f"{row.student}: {row.status}, {row.total:g} of {row.max:g} points ({row.seconds:.1f} s); {row.file}")
        return row

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, subs))


# ----------------------------------------------------------------------------- one notebook


def _grade_one(sub: Submission, assignment: Assignment | None, out: Path, secret: bytes, settings: dict,
               keep_work: bool, sandbox: Sandbox) -> Row:
    if sub.problem:
        return _row(sub, assignment, "malformed", notes=[sub.problem])
    if assignment is None:
        return _row(sub, None, "malformed", notes=["could not tell which assignment this is: use --assignment"])
    seed = seed_for(secret, sub.sha256, assignment.name)  # the inputs' seed: it never leaves this process
    executed = out / "executed" / f"{sub.student}.ipynb"
    private = Path(tempfile.mkdtemp(prefix="coursekit-grade-"))  # nothing of OUT is in the sandbox's view
    work = private / "work"
    work.mkdir()
    copy = work / f"{sub.student}.ipynb"
    nbformat.write(stripped(sub.notebook), copy)
    uid = sandbox.take_uid()
    try:
        snapshot = _snapshot(private / "checks")
        exercises = [list(pair) for pair in assignment.exercises]
        write_inputs(private / "inputs.pkl", [(id, find(id)) for id, _ in assignment.exercises], seed)
        job = {
            "notebook": str(copy), "workdir": str(work), "executed": str(private / "executed.ipynb"),
            "private": str(private),
            "checks": str(private / "checks"), "harness": str(private / "checks" / "_harness.py"),
            "root": str(Path(checks_package.__file__).parent.parent),
            "package": f"_coursekit_grader_{secrets.token_hex(6)}", "inputs": str(private / "inputs.pkl"),
            "kernel_seed": seed_for(secret, sub.sha256, assignment.name, purpose="kernel"),
            "exercises": exercises, "timeout": settings["timeout"], "cell_timeout": settings["cell_timeout"],
            "harness_timeout": _harness_limit(assignment), "attempts": ATTEMPTS,
            "env": kernel_env(work, settings["mode"]), "pidfile": str(private / "kernel.pid"),
            "result": str(private / "result.json"),
        }
        (private / "job.json").write_text(json.dumps(job), encoding="utf-8")
        result = run_worker(private, job, sandbox, uid)
        status = result.get("status", "error")
        notes = [i["text"] for i in result.get("incidents", [])] + [e["text"] for e in result.get("errors", [])]
        records: dict[str, dict] = {}
        unchecked = dict(result.get("unchecked", {}))
        for path in [str(private / f"record-{n}.pt") for n in range(ATTEMPTS)]:
            if not os.path.lexists(path):
                continue
            try:
                for id, record in load_record(path).items():
                    records.setdefault(id, record)
            except RecordError as error:
                notes.append(str(error))
                for id, _ in assignment.exercises:
                    unchecked.setdefault(id, str(error))
        if any(_digest(p) != digest for p, digest in snapshot.items()):
            status = "error"
            records = {}
            notes.append("the notebook's code changed the grader's copy of the checks: no grade could be trusted")
        results = [judge(find(id), name, records.get(id), seed, unchecked.get(id, "the checks did not run"))
                   for id, name in assignment.exercises]
        row = _row(sub, assignment, status, results, notes, seconds=result.get("seconds") or 0.0)
        row.seed = seed
        row.flags = review_flags(sub.notebook) + sub.flags
        if os.path.lexists(private / "executed.ipynb"):
            try:
                _keep_executed(private / "executed.ipynb", executed, row)
                row.executed = f"executed/{executed.name}"
            except Exception as error:  # the kernel may have left anything there
                row.notes.append(f"the executed copy could not be kept ({type(error).__name__})")
        return row
    finally:
        sandbox.give_uid(uid)
        if keep_work:
            shutil.rmtree(out / "work" / sub.student, ignore_errors=True)
            shutil.copytree(work, out / "work" / sub.student, symlinks=True, dirs_exist_ok=True,
                            ignore_dangling_symlinks=True)
        shutil.rmtree(private, ignore_errors=True)


def stripped(nb) -> nbformat.NotebookNode:
    """A copy of the notebook with every stored output, execution count and widget state removed."""
    nb = nbformat.from_dict(nb)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


_HARNESS_LIMITS: dict[str, float] = {}


def _harness_limit(assignment: Assignment) -> float:
    """Seconds the harness cell may take: every case of every exercise at its time limit, and some."""
    with verdict_lock:
        if assignment.name not in _HARNESS_LIMITS:
            total = 30.0
            for id, _ in assignment.exercises:
                exercise = find(id)
                total += (exercise.time_limit + 1) * max(1, len(list(exercise.cases()))) if exercise else 0
            _HARNESS_LIMITS[assignment.name] = total
    return _HARNESS_LIMITS[assignment.name]


def _mode() -> str:
    return os.environ.get("COURSEKIT_MODE") or "fast"


# ----------------------------------------------------------------------------- the grader's own files


def _snapshot(folder: Path) -> dict[Path, str]:
    """Copy the check modules and the harness to ``folder``; {copy: its SHA-256}."""
    folder.mkdir(parents=True)
    here = Path(checks_package.__file__).parent
    copies = {}
    for source in sorted(here.glob("*.py")):
        copies[folder / source.name] = source
    copies[folder / "_harness.py"] = Path(harness_module.__file__)
    for target, source in copies.items():
        target.write_bytes(_SOURCES.setdefault(str(source), source.read_bytes()))
    return {target: _digest(target) for target in copies}


_SOURCES: dict[str, bytes] = {}  # the grader's files as they were when first read, in this process


def _grader_files() -> dict[str, str]:
    """{path: SHA-256} of the checks' and the grader's own files, to notice a notebook that rewrites them."""
    folders = (Path(checks_package.__file__).parent, Path(__file__).parent)
    return {str(p): _digest(p) for folder in folders for p in sorted(folder.glob("*.py"))}


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return "missing"


def _secret(path: Path) -> bytes:
    """The grader's secret (made on the first run, kept for re-runs): learners never see it."""
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(value + "\n")
    return bytes.fromhex(value)


def seed_for(secret: bytes, sha256: str, assignment: str, purpose: str = "") -> int:
    """The seed of one submission's cases: unknown without the secret, the same for the same file.

    ``purpose="kernel"`` gives the seed of the answers' own random draws in the kernel, which
    tells nothing about the inputs' seed (another HMAC of the same secret)."""
    label = f"{purpose}\n" if purpose else ""
    digest = hmac.new(secret, f"{label}{assignment}\n{sha256}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:6], "big") + 1  # never 0: 0 gives the inputs learners see


# ----------------------------------------------------------------------------- folders and rows


def _sandbox(folder: Path, out: Path, secret: Path, limits: Limits, unsafe: bool) -> Sandbox:
    """The sandbox every submission runs in; GradingError where none can be made and ``unsafe`` is False."""
    hidden = [folder, out, secret, COURSE / "solutions", COURSE / ".git"]
    if unsafe:
        return Sandbox(None, limits, [], hidden)
    why = why_not()
    if why:
        raise GradingError(f"cannot isolate the submissions from this machine: {why}. Each notebook's code would "
                           "run with your rights (your files, network, processes). Install bubblewrap, or pass "
                           "--unsafe-no-sandbox to grade without isolation (the report will say so)")
    return Sandbox(shutil.which("bwrap"), limits, readable_roots(COURSE, data_root()), hidden)


def _check_folders(folder: Path, out: Path) -> None:
    if not folder.is_dir():
        raise GradingError(f"{folder} is not a folder")
    if out == folder or folder in out.parents or out in folder.parents:
        raise GradingError("the output folder must be outside the submissions folder (and not hold it)")
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise GradingError(f"{out} already holds files that this tool did not write; choose another --out")


def _prepare(out: Path, resume: bool = False) -> None:
    """Make the output folder; on a re-run, clear what the last run wrote there (never anything else).
    ``resume`` keeps the journal of finished rows and their executed copies."""
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("Written by `coursekit grade`; a re-run replaces this folder's contents.\n")
    for name in ("work",) if resume else ("executed", "work"):
        shutil.rmtree(out / name, ignore_errors=True)
    for name in ("grades.csv", "grades.json", "report.html") + (() if resume else ("grading.log", JOURNAL)):
        (out / name).unlink(missing_ok=True)
    (out / "executed").mkdir(exist_ok=True)


def _row(sub: Submission, assignment: Assignment | None, status: str, results: list[Result] | None = None,
         notes: list[str] | None = None, seconds: float = 0.0) -> Row:
    if results is None:
        results = []
        for id, _ in (assignment.exercises if assignment else []):
            exercise = find(id)
            results.append(Result(id, "failed", "not graded: " + (notes or ["the notebook could not be graded"])[0],
                                  [], 0.0, exercise.points if exercise else 1.0))
    return Row(student=sub.student, file=sub.file, assignment=sub.assignment, status=status, results=results,
               notes=list(notes or []) + sub.notes, seconds=float(seconds), sha256=sub.sha256, flags=list(sub.flags))


def _columns(rows: list[Row], known: dict[str, Assignment]) -> list[str]:
    """The exercise columns of the gradebook: those of every assignment graded, in course order."""
    graded = {row.assignment for row in rows}
    return [id for name, a in known.items() if name in graded for id, _ in a.exercises]


def _keep_executed(source: Path, target: Path, row: Row) -> None:
    """Copy the executed notebook from the sandbox to ``target``, with the grader's verdicts at the end."""
    nb = nbformat.reads(read_small(source, 64 * 2**20).decode("utf-8"), as_version=4)
    lines = [f"## Grader: {row.total:g} of {row.max:g} points ({row.status})", ""]
    for result in row.results:
        lines += ["```", result.message, "```", ""]
    lines += [f"- {text}" for text in row.notes]
    cell = nbformat.v4.new_markdown_cell("\n".join(lines))
    cell.metadata["coursekit"] = {"grader": True}
    nb.cells.append(cell)
    nbformat.write(nb, target)


class _Log:
    """grading.log, written as it goes; ``echo`` (e.g. print) also shows each line."""

    def __init__(self, path: Path, echo):
        self.path, self.echo, self.lock = path, echo, threading.Lock()

    def __call__(self, text: str) -> None:
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)  # one line per entry, always
        line = f"{datetime.now().isoformat(timespec='seconds')}  {text}"
        with self.lock, open(self.path, "a", encoding="utf-8") as file:
            file.write(line + "\n")
        if self.echo:
            self.echo(text)
