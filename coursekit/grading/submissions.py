"""What was handed in: find the notebooks, read them without trusting them, tell whose and which they are.

- ``assignments()``: every exercise notebook of the course, read from the grader's own
  ``solutions/`` (the exercises it checks, in order, and the name each answer has), never
  from a submission.
- ``find_submissions(folder)``: every ``*.ipynb`` under the folder, read once: its bytes,
  their SHA-256, and either a notebook or the reason it is not one (empty, too large, not
  JSON, not a notebook). Reading never raises.
- The student is ``metadata.coursekit.student`` when the notebook has it, else the name of
  the sub-folder it was handed in under, else the file name (with the assignment's name
  taken out: ``alice-00_how_exercises_work.ipynb`` is ``alice``).
- The assignment is ``--assignment`` when given, else ``metadata.coursekit.assignment``
  (the exercise notebooks carry it), else an assignment named in the file name, else the one
  whose checks the notebook calls, else the one most of the class handed in.
"""

from __future__ import annotations

import ast
import hashlib
import json
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
        except SyntaxError:
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


def _problem(data: bytes, max_bytes: int) -> str:
    """Why ``data`` is not a notebook worth running, or ""."""
    if not data.strip():
        return "the file is empty" if not data else "the file holds only white space"
    if len(data) > max_bytes:
        return (f"the file is {len(data) / 2**20:.1f} MB, over the {max_bytes / 2**20:g} MB limit "
                "(huge stored outputs? Clear the outputs and hand it in again, or raise --max-mb)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return f"not a text file (not UTF-8 at byte {error.start})"
    try:
        content = json.loads(text)
    except json.JSONDecodeError as error:
        return f"not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}); the file is damaged"
    if not isinstance(content, dict) or not isinstance(content.get("cells"), list) or "nbformat" not in content:
        return "JSON, but not a Jupyter notebook (no cells and nbformat version)"
    for number, cell in enumerate(content["cells"], 1):
        source = cell.get("source") if isinstance(cell, dict) else None
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw") or not (
                isinstance(source, str) or isinstance(source, list) and all(isinstance(s, str) for s in source)):
            return f"JSON, but not a Jupyter notebook (cell {number} is not a code, markdown or raw cell with a source)"
    return ""


def find_submissions(folder: Path, max_bytes: int) -> list[Submission]:
    """Every ``*.ipynb`` under ``folder`` (not in checkpoints or hidden folders), read."""
    paths = sorted(p for p in folder.rglob("*.ipynb")
                   if p.is_file() and not any(part in SKIPPED or part.startswith(".")
                                              for part in p.relative_to(folder).parts))
    return [read_submission(p, folder, max_bytes) for p in paths]


def sha256_of(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


# ----------------------------------------------------------------------------- who and what


def name_them(subs: list[Submission], known: dict[str, Assignment], assignment: str | None) -> None:
    """Set each submission's assignment and student (unique across the class)."""
    for sub in subs:
        sub.assignment = assignment or _guess_assignment(sub, known)
    common = Counter(s.assignment for s in subs if s.assignment).most_common(1)
    for sub in subs:
        if not sub.assignment and common:
            sub.assignment = common[0][0]
            if not sub.problem:
                sub.notes.append(f"could not tell which assignment this is; graded as {sub.assignment}")
        declared = _metadata(sub).get("assignment")
        if assignment and isinstance(declared, str) and declared != assignment:
            sub.notes.append(f"the notebook says it is {declared!r}; graded as {assignment!r} (--assignment)")
    seen: Counter = Counter()
    for sub in subs:
        student = _student(sub)
        seen[student] += 1
        if seen[student] > 1:
            sub.notes.append(f"another submission is also from {student!r}")
            student = f"{student}-{seen[student]}"
        sub.student = student


def _metadata(sub: Submission) -> dict:
    meta = sub.notebook.metadata.get("coursekit") if sub.notebook is not None else None
    return meta if isinstance(meta, dict) else {}


def _guess_assignment(sub: Submission, known: dict[str, Assignment]) -> str:
    declared = _metadata(sub).get("assignment")
    if isinstance(declared, str) and declared in known:
        return declared
    in_name = [name for name in known if Path(name).name in sub.path.stem]
    if in_name:
        return max(in_name, key=len)
    if sub.notebook is not None:
        called = {id for id, _ in checks_called(sub.notebook)}
        overlap = {name: len(called & {id for id, _ in a.exercises}) for name, a in known.items()}
        best = max(overlap, key=overlap.get, default=None)
        if best is not None and overlap[best]:
            return best
    return ""


def _student(sub: Submission) -> str:
    declared = _metadata(sub).get("student")
    if isinstance(declared, str) and declared.strip():
        name = declared
    elif "/" in sub.file:
        name = sub.file.split("/")[0]
    else:
        name = sub.path.stem
        if sub.assignment:
            rest = name.replace(Path(sub.assignment).name, "").strip(" -_.")
            name = rest or name
    return re.sub(r"[^\w.@-]+", "_", name.strip()).strip("._") or "student"


def _relative(path: Path, folder: Path) -> str:
    return path.relative_to(folder).as_posix()


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
    source = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    return [words for pattern, words in REVIEW if re.search(pattern, source, flags=re.M)]
