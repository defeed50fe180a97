"""What was handed in: find the notebooks, read them without trusting them, tell whose and which they are.

- ``assignments()``: every exercise notebook of the course, read from the grader's own
  ``solutions/`` (the exercises it checks, in order, and the name each answer has), never
  from a submission.
- ``find_submissions(folder)``: every ``*.ipynb`` under the folder, read once: its bytes,
  their SHA-256, and either a notebook or the reason it is not one (empty, too large, not
  JSON, not a notebook). Reading never raises.
- The student is the name of the sub-folder it was handed in under when that folder holds
  only this notebook, else the file name (a section folder, ``section-a/alice.ipynb``), with the
  assignment's name taken out: ``alice-00_how_exercises_work.ipynb`` is ``alice``. A
  ``metadata.coursekit.student`` that says otherwise is flagged, never believed.
- The assignment is ``--assignment`` when given, else ``metadata.coursekit.assignment``
  (the exercise notebooks carry it), else an assignment named in the file name, else the one
  whose checks the notebook calls, else the one most of the class handed in. A folder that
  mixes assignments must be graded with ``--assignment`` (``MixedAssignments``); then a notebook
  of another assignment is flagged (and scores what it answers of this one).
- Flags for the instructor (``Submission.flags``, the report's Review): byte-identical files,
  symbolic links (never followed: not graded), another assignment, another student's id.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ..checks.cases import find
from ..exercises import ROOT, SKIPPED


@dataclass
class Assignment:
    """An exercise notebook of the course: the exercises it checks and the answer each one names."""

    name: str  # "00_how_exercises_work": its path under solutions/ without .ipynb
    source: Path
    exercises: list[tuple[str, str]]  # (exercise id, the name of the learner's answer)


@dataclass
class Submission:
    """One handed-in file, as read before grading."""

    path: Path
    file: str  # its path under the submissions folder
    sha256: str
    size: int
    notebook: nbformat.NotebookNode | None = None
    problem: str = ""  # why it is not a gradable notebook ("" when it is)
    notes: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # for the instructor's review; never change the grade
    student: str = ""
    assignment: str = ""


def assignments(root: Path = ROOT) -> dict[str, Assignment]:
    """{name: Assignment} for every notebook under ``solutions/`` (else ``exercises/``) that calls checks."""
    folder = root / "solutions" if (root / "solutions").is_dir() else root / "exercises"
    found = {}
    for path in sorted(folder.rglob("*.ipynb")):
        if SKIPPED & set(path.relative_to(folder).parts):
            continue
        nb = nbformat.read(path, as_version=4)
        calls = checks_called(nb)
        if calls:
            name = path.relative_to(folder).with_suffix("").as_posix()
            found[name] = Assignment(name, path, calls)
    return found


def checks_called(nb) -> list[tuple[str, str]]:
    """(exercise id, answer name) of every recorded ``check("id", name)`` call in the notebook, in order."""
    calls: dict[str, str] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(_without_magics(cell.source))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "check"
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                continue
            if any(k.arg == "record" and isinstance(k.value, ast.Constant) and not k.value.value
                   for k in node.keywords):
                continue  # check("day0.relu", torch.abs, record=False) shows a failure; it is not the exercise
            id = node.args[0].value
            named = node.args[1].id if len(node.args) > 1 and isinstance(node.args[1], ast.Name) else None
            exercise = find(id)
            name = (exercise.answer if exercise is not None else None) or named
            if name and id not in calls:
                calls[id] = name
    return list(calls.items())


def _without_magics(source: str) -> str:
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


# ----------------------------------------------------------------------------- reading


def read_submission(path: Path, folder: Path, max_bytes: int) -> Submission:
    """Read one file as a notebook, or say why it is not one. Never raises, never writes."""
    try:
        return _read(path, folder, max_bytes)
    except BaseException as error:  # RecursionError, MemoryError, ...: this file only, never the class
        if isinstance(error, KeyboardInterrupt):
            raise
        return Submission(path, _relative(path, folder), sha256_of(path), 0,
                          problem=f"the file could not be read as a notebook ({type(error).__name__})")


def _read(path: Path, folder: Path, max_bytes: int) -> Submission:
    if path.is_symlink() or os.path.realpath(path) != os.path.abspath(path):
        sub = Submission(path, _relative(path, folder), "", 0,
                         problem="a symbolic link, not a file: not followed, not graded (hand in the file itself)")
        sub.flags.append("a symbolic link")
        return sub
    try:
        size = path.stat().st_size
        if size > max_bytes:  # hashed in pieces, never read whole
            return Submission(path, _relative(path, folder), sha256_of(path), size,
                              problem=_problem(b"x", max_bytes, size))
        data = path.read_bytes()
    except OSError as error:
        return Submission(path, _relative(path, folder), "", 0, problem=f"the file could not be read ({error})")
    sub = Submission(path, _relative(path, folder), hashlib.sha256(data).hexdigest(), len(data))
    sub.problem = _problem(data, max_bytes)
    if sub.problem:
        return sub
    text = data.decode("utf-8-sig")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sub.notebook = nbformat.reads(text, as_version=4)
    except Exception as error:
        sub.problem = f"not a notebook that Jupyter can open ({type(error).__name__}: {_short(error)})"
        return sub
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nbformat.validate(sub.notebook)
    except Exception as error:
        sub.notes.append(f"the notebook does not follow the format exactly ({_short(error)}); graded anyway")
    return sub


def _problem(data: bytes, max_bytes: int, size: int | None = None) -> str:
    """Why ``data`` (of ``size`` bytes, when it was not read) is not a notebook worth running, or ""."""
    size = len(data) if size is None else size
    if not data.strip():
        return "the file is empty" if not data else "the file holds only white space"
    if size > max_bytes:
        return (f"the file is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:g} MB limit "
                "(huge stored outputs? Clear the outputs and hand it in again, or raise --max-mb)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return f"not a text file (not UTF-8 at byte {error.start})"
    try:
        content = json.loads(text)
    except json.JSONDecodeError as error:
        return f"not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}); the file is damaged"
    except RecursionError:
        return "JSON nested too deeply to be a notebook"
    except ValueError as error:  # an integer of thousands of digits, ...
        return f"not JSON that Jupyter can open ({_short(error)})"
    if not isinstance(content, dict) or not isinstance(content.get("cells"), list) or "nbformat" not in content:
        return "JSON, but not a Jupyter notebook (no cells and nbformat version)"
    for number, cell in enumerate(content["cells"], 1):
        source = cell.get("source") if isinstance(cell, dict) else None
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw") or not (
                isinstance(source, str) or isinstance(source, list) and all(isinstance(s, str) for s in source)):
            return f"JSON, but not a Jupyter notebook (cell {number} is not a code, markdown or raw cell with a source)"
    return ""


def find_submissions(folder: Path, max_bytes: int) -> list[Submission]:
    """Every ``*.ipynb`` under ``folder`` (not in checkpoints or hidden folders), read; copies flagged."""
    paths = sorted(p for p in folder.rglob("*.ipynb")
                   if (p.is_file() or p.is_symlink()) and not any(part in SKIPPED or part.startswith(".")
                                                                  for part in p.relative_to(folder).parts))
    subs = [read_submission(p, folder, max_bytes) for p in paths]
    same: dict[str, list[Submission]] = {}
    for sub in subs:
        if sub.sha256 and sub.size:
            same.setdefault(sub.sha256, []).append(sub)
    for copies in same.values():
        for sub in copies if len(copies) > 1 else []:
            others = ", ".join(other.file for other in copies if other is not sub)
            sub.flags.append(f"byte for byte the same file as {others}")
    return subs


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in pieces ("missing" if it cannot be read)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as file:
            for block in iter(lambda: file.read(2**20), b""):
                digest.update(block)
    except OSError:
        return "missing"
    return digest.hexdigest()


# ----------------------------------------------------------------------------- who and what


class MixedAssignments(ValueError):
    """The folder holds notebooks of several assignments and no ``--assignment`` was given."""


def name_them(subs: list[Submission], known: dict[str, Assignment], assignment: str | None) -> None:
    """Set each submission's assignment and student (unique across the class); flag what does not fit."""
    for sub in subs:
        try:
            sub.assignment = assignment or _guess_assignment(sub, known)
        except Exception as error:  # a pathological cell (ast too deep, ...): this file only
            sub.assignment = ""
            sub.notes.append(f"its code could not be read to tell the assignment ({type(error).__name__})")
    found = Counter(s.assignment for s in subs if s.assignment)
    if not assignment and len(found) > 1:
        raise MixedAssignments("the folder mixes assignments (" + ", ".join(f"{name}: {n}" for name, n in
                               found.most_common()) + "); grade one at a time with --assignment NAME")
    common = found.most_common(1)
    for sub in subs:
        if not sub.assignment and common:
            sub.assignment = common[0][0]
            if not sub.problem:
                sub.notes.append(f"could not tell which assignment this is; graded as {sub.assignment}")
        declared = _metadata(sub).get("assignment")
        if assignment and isinstance(declared, str) and declared != assignment:
            sub.notes.append(f"the notebook says it is {declared!r}; graded as {assignment!r} (--assignment)")
            sub.flags.append(f"a notebook of another assignment ({declared!r})")
        elif assignment and sub.notebook is not None:
            try:
                looks = _guess_assignment(sub, known, from_name=False)
            except Exception:
                looks = ""
            if looks and looks != assignment:
                sub.flags.append(f"looks like a notebook of another assignment ({looks!r})")
    per_folder: Counter = Counter()
    for sub in subs:
        parts = sub.file.split("/")[:-1]
        per_folder.update({"/".join(parts[:n]) for n in range(1, len(parts) + 1)})
    seen: Counter = Counter()
    for sub in subs:
        try:
            student = _student(sub, per_folder)
        except Exception:
            student = "student"
        claimed = _metadata(sub).get("student")
        if isinstance(claimed, str) and claimed.strip() and _safe_id(claimed) != student:
            sub.flags.append(f"its metadata says it is from {_safe_id(claimed)!r}")
        seen[student] += 1
        if seen[student] > 1:
            sub.notes.append(f"another submission is also from {student!r}")
            student = f"{student}-{seen[student]}"
        sub.student = student


def _metadata(sub: Submission) -> dict:
    meta = sub.notebook.metadata.get("coursekit") if sub.notebook is not None else None
    return meta if isinstance(meta, dict) else {}


def _guess_assignment(sub: Submission, known: dict[str, Assignment], from_name: bool = True) -> str:
    declared = _metadata(sub).get("assignment")
    if from_name and isinstance(declared, str) and declared in known:
        return declared
    in_name = [name for name in known if Path(name).name in sub.path.stem]
    if from_name and in_name:
        return max(in_name, key=len)
    if sub.notebook is not None:
        called = {id for id, _ in checks_called(sub.notebook)}
        overlap = {name: len(called & {id for id, _ in a.exercises}) for name, a in known.items()}
        best = max(overlap, key=overlap.get, default=None)
        if best is not None and overlap[best]:
            return best
    return ""


def _student(sub: Submission, per_folder: Counter) -> str:
    """The folder's name when it holds only this notebook, else the file's (without the assignment's name)."""
    folder = sub.file.rsplit("/", 1)[0] if "/" in sub.file else ""
    top = folder.split("/")[0]
    if folder and per_folder[top] == 1:  # one notebook under this folder, however deep: its student
        name = top
    elif folder and per_folder[folder] == 1:
        name = folder.split("/")[-1]
    else:
        name = sub.path.stem
        if sub.assignment:
            rest = name.replace(Path(sub.assignment).name, "").strip(" -_.")
            name = rest or name
    return _safe_id(name)


def _safe_id(name: str) -> str:
    return re.sub(r"[^\w.@-]+", "_", name.strip()).strip("._") or "student"


def _relative(path: Path, folder: Path) -> str:
    return printable(path.relative_to(folder).as_posix())


def printable(name: str) -> str:
    """A file name as text that is safe anywhere: bytes that are not UTF-8 and control characters
    (a new line that would fake a line of the log) become backslash escapes."""
    text = os.fsencode(name).decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _short(error: Exception) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= 160 else text[:157] + "..."


# ----------------------------------------------------------------------------- for review

# Code that only makes sense when aimed at the checks or the grader. None of it can raise a
# grade (the grade never reads what such code changes), but an instructor may want to talk
# about it; it is listed in the report, and never changes the grade.
REVIEW = [
    (r"^[ \t]*check[ \t]*=|^[ \t]*def[ \t]+(check|run_check)[ \t]*\(", "redefines check"),
    (r"coursekit(\.\w+)+[ \t]*=(?!=)|setattr\([ \t]*coursekit", "patches coursekit"),
    (r"sys\.modules\s*\[|importlib|__import__|builtins", "changes the import system or builtins"),
    (r"input_transformers|events\.register|register_post_execute|set_custom_exc", "installs IPython hooks"),
    (r"sys\._getframe|inspect\.(stack|currentframe|getouterframes)|gc\.get_objects|\bf_locals\b|\bf_back\b",
     "inspects frames or the heap"),
    (r"os\._exit|ctypes|signal\.signal", "can stop or crash the kernel"),
    (r"progress\.json|COURSEKIT_PROGRESS|progress\.record|progress\._write", "writes the progress file"),
]


def review_flags(nb) -> list[str]:
    """What in the notebook's code looks aimed at the checks or the grader, in words."""
    if nb is None:
        return []
    source = "\n".join(str(cell.get("source", "")) for cell in nb.cells if cell.get("cell_type") == "code")
    return [words for pattern, words in REVIEW if re.search(pattern, source, flags=re.M)]
