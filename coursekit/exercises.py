"""Make the exercise notebooks from the solution notebooks.

``solutions/`` is the single source; ``exercises/`` is written from it and never edited by hand::

    python -m coursekit.exercises            tidy solutions/, then rewrite exercises/
    python -m coursekit.exercises --execute  the same, after running the solutions to refresh
                                             the outputs that nbval compares
    python -m coursekit.exercises --check    change nothing; exit 1 and list what is out of date

How to write a solution notebook (nbgrader's own markers, so nbgrader can use it as it is)::

    def relu(x):
        ### BEGIN SOLUTION
        # TODO: keep the positive entries of x and put 0 elsewhere
        return torch.where(x > 0, x, 0.0)
        ### END SOLUTION

- A solution block starts with its prompt: a ``# TODO:`` comment (continued by more comment
  lines if needed). The exercise keeps the prompt and replaces the code with a placeholder
  that still runs: in a block at the top of a cell, ``name = ...`` for each name the block
  assigns (``model = ...``); else ``return ...`` when the block ends with a return, or ``...``.
- ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS`` blocks are removed; a cell left
  empty is dropped.
- Marker lines hold only the marker. Unmatched or nested markers, and markers in markdown
  cells, are errors.
- Outputs (and execution counts) are kept only in solution cells whose first line is
  ``# NBVAL_CHECK_OUTPUT`` (nbval compares them: a check's pass line). Exercises keep no outputs and lose that line,
  so nbval only checks that they run (their checks say "not attempted").
- Exercises carry ``metadata.coursekit.assignment`` (the path under ``solutions/`` without
  ``.ipynb``), which tells the instructors' grader which checks a handed-in notebook gets.
- Cells with solution blocks are given nbgrader "solution" metadata, cells with hidden tests
  nbgrader "grade" metadata (1 point, locked), where missing; exercises drop it.
Other files under ``solutions/`` (e.g. a ``conftest.py`` for the tests) are copied as they are.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import sys
import tempfile
import textwrap
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
MARKERS = {
    "### BEGIN SOLUTION": ("solution", "begin"),
    "### END SOLUTION": ("solution", "end"),
    "### BEGIN HIDDEN TESTS": ("hidden tests", "begin"),
    "### END HIDDEN TESTS": ("hidden tests", "end"),
}
MARKER_WORDS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
CHECK_OUTPUT = "# NBVAL_CHECK_OUTPUT"
SKIPPED = {".ipynb_checkpoints", "__pycache__", ".pytest_cache"}


class MarkerError(ValueError):
    """A solution notebook whose markers do not pair up."""


# ----------------------------------------------------------------------------- one cell


def _marker(line: str, where: str) -> tuple[str, str] | None:
    """(block kind, "begin" or "end") if ``line`` is a marker line, None if it is ordinary code."""
    if not any(word in line for word in MARKER_WORDS):
        return None
    if line.strip() not in MARKERS:
        raise MarkerError(f"{where}: a marker line must hold only the marker, not {line.strip()!r}")
    return MARKERS[line.strip()]


def student_source(source: str, where: str = "cell") -> str:
    """The student version of one code cell's source: solutions become placeholders, hidden tests go."""
    out: list[str] = []
    block: list[str] | None = None
    kind = indent = ""
    for number, line in enumerate(source.splitlines(), 1):
        here = f"{where}, line {number}"
        marker = _marker(line, here)
        if marker is None:
            (out if block is None else block).append(line)
        elif marker[1] == "begin":
            if block is not None:
                raise MarkerError(f"{here}: {line.strip()} inside a {kind} block (blocks cannot be nested)")
            block, kind, indent = [], marker[0], line[: len(line) - len(line.lstrip())]
        else:
            if block is None or marker[0] != kind:
                raise MarkerError(f"{here}: {line.strip()} without a matching BEGIN")
            if kind == "solution":
                out += _placeholder(block, indent, here)
            block = None
    if block is not None:
        raise MarkerError(f"{where}: a {kind} block is not closed")
    return "\n".join(out).strip("\n")


def _placeholder(block: list[str], indent: str, where: str) -> list[str]:
    """The prompt comment of a solution block, then code that runs but does nothing yet."""
    lines = [line for line in block if line.strip()]
    if not lines or not lines[0].strip().startswith("# TODO"):
        raise MarkerError(f"{where}: a solution block must start with its prompt, a '# TODO: ...' comment")
    prompt = [lines[0]] + [line for line in _leading_comments(lines[1:])]
    try:
        statements = ast.parse(textwrap.dedent("\n".join(block))).body
    except SyntaxError:
        statements = []
    names = [name for statement in statements for name in _assigned(statement)] if not indent else []
    if names:
        code = [f"{name} = ..." for name in dict.fromkeys(names)]
    elif statements and isinstance(statements[-1], ast.Return):
        code = ["return ..."]
    else:
        code = ["..."]
    return prompt + [indent + line for line in code]


def _leading_comments(lines: list[str]) -> list[str]:
    taken = []
    for line in lines:
        if not line.strip().startswith("#"):
            break
        taken.append(line)
    return taken


def _assigned(statement: ast.stmt) -> list[str]:
    """The names a statement binds at its own level: ``a = ...``, ``a, b = ...``, ``def a``, ``class A``."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [statement.name]
    targets = statement.targets if isinstance(statement, ast.Assign) else (
        [statement.target] if isinstance(statement, ast.AnnAssign) else [])
    names = []
    for target in targets:
        for node in [target] + (list(target.elts) if isinstance(target, (ast.Tuple, ast.List)) else []):
            if isinstance(node, ast.Name):
                names.append(node.id)
    return names


def _has(source: str, word: str) -> bool:
    return any(line.strip() == word for line in source.splitlines())


# ----------------------------------------------------------------------------- one notebook


def tidy_solution(nb, where: str = "notebook"):
    """The solution notebook as it is stored: outputs only in check-output cells, nbgrader metadata set."""
    nb = nbformat.from_dict(nb)  # a copy
    nb.metadata.pop("widgets", None)  # what a run leaves behind: widget state, the Python version
    nb.metadata.get("language_info", {}).pop("version", None)
    for number, cell in enumerate(nb.cells, 1):
        cell.metadata.pop("execution", None)  # timings
        if cell.cell_type != "code":
            if any(word in cell.source for word in MARKER_WORDS):
                raise MarkerError(f"{where}, cell {number}: markers belong in code cells only")
            continue
        student_source(cell.source, f"{where}, cell {number}")  # raises on bad markers
        if not cell.source.startswith(CHECK_OUTPUT):  # nbval needs the count of a cell it compares
            cell.outputs, cell.execution_count = [], None
        solution, hidden = _has(cell.source, "### BEGIN SOLUTION"), _has(cell.source, "### BEGIN HIDDEN TESTS")
        if (solution or hidden) and "nbgrader" not in cell.metadata:
            cell.metadata["nbgrader"] = _nbgrader_metadata(cell, solution, hidden)
    return nb


def _nbgrader_metadata(cell, solution: bool, hidden: bool) -> dict:
    checked = re.search(r"""check\(\s*["']([\w.]+)["']""", cell.source)
    grade_id = f"check-{checked.group(1).replace('.', '-')}" if hidden and checked else f"cell-{cell.id}"
    meta = {"grade": hidden, "grade_id": grade_id, "locked": not solution, "schema_version": 3, "solution": solution}
    if hidden:
        meta["points"] = 1
    return meta


def student_notebook(nb, where: str = "notebook", assignment: str | None = None):
    """The exercise notebook made from a (tidy) solution notebook; ``assignment`` names it for the grader."""
    nb = nbformat.from_dict(nb)
    if assignment:
        nb.metadata["coursekit"] = {"assignment": assignment}
    cells = []
    for number, cell in enumerate(nb.cells, 1):
        cell.metadata.pop("nbgrader", None)
        if cell.cell_type == "code":
            source = student_source(cell.source, f"{where}, cell {number}")
            if not source.strip():
                continue  # a cell that held only hidden tests
            if source.startswith(CHECK_OUTPUT):
                source = source[len(CHECK_OUTPUT):].lstrip("\n")
            cell.source, cell.outputs, cell.execution_count = source, [], None
        cells.append(cell)
    nb.cells = cells
    return nb


# ----------------------------------------------------------------------------- folders


def plan(solutions: Path, exercises: Path, executed: dict | None = None) -> dict[Path, str | bytes | None]:
    """Every file that should change: path -> new contents (None: delete it).

    ``executed`` maps solution paths to freshly run notebooks, used instead of the stored ones.
    """
    wanted: dict[Path, str | bytes] = {}
    for source in sorted(_files(solutions)):
        relative = source.relative_to(solutions)
        if source.suffix == ".ipynb":
            nb = (executed or {}).get(source) or nbformat.read(source, as_version=4)
            tidy = tidy_solution(nb, str(relative))
            wanted[source] = nbformat.writes(tidy) + "\n"
            student = student_notebook(tidy, str(relative), relative.with_suffix("").as_posix())
            wanted[exercises / relative] = nbformat.writes(student) + "\n"
        else:
            wanted[exercises / relative] = source.read_bytes()
    changes: dict[Path, str | bytes | None] = {}
    for path, contents in wanted.items():
        current = path.read_bytes() if path.exists() else None
        encoded = contents.encode() if isinstance(contents, str) else contents
        if current != encoded:
            changes[path] = contents
    for stale in _files(exercises):
        if stale not in wanted:
            changes[stale] = None
    return changes


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return [p for p in folder.rglob("*") if p.is_file() and not SKIPPED & set(p.relative_to(folder).parts)]


def apply(changes: dict[Path, str | bytes | None]) -> None:
    for path, contents in changes.items():
        if contents is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(contents, str):
            path.write_text(contents, encoding="utf-8")
        else:
            path.write_bytes(contents)


def execute_solutions(solutions: Path, timeout: int = 300) -> dict:
    """Run every solution notebook (fast mode, a throw-away progress file); {path: the run notebook}."""
    from nbclient import NotebookClient

    saved = dict(os.environ)
    os.environ.update(COURSEKIT_MODE="fast", COURSEKIT_STATIC_QUIZ="1",
                      COURSEKIT_PROGRESS=os.path.join(tempfile.mkdtemp(), "progress.json"))
    executed = {}
    try:
        for path in sorted(p for p in _files(solutions) if p.suffix == ".ipynb"):
            print(f"running {path}")
            nb = nbformat.read(path, as_version=4)
            NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                           resources={"metadata": {"path": str(path.parent)}}).execute()
            executed[path] = nb
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return executed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursekit.exercises", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if anything is out of date")
    parser.add_argument("--execute", action="store_true", help="run the solutions first to refresh their outputs")
    parser.add_argument("--solutions", type=Path, default=ROOT / "solutions")
    parser.add_argument("--exercises", type=Path, default=ROOT / "exercises")
    args = parser.parse_args(argv)
    try:
        executed = execute_solutions(args.solutions) if args.execute and not args.check else None
        changes = plan(args.solutions, args.exercises, executed)
    except MarkerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.check:
        for path in changes:
            print(f"out of date: {path}")
        if changes:
            print("Run `python -m coursekit.exercises` to bring exercises/ up to date.", file=sys.stderr)
        return 1 if changes else 0
    apply(changes)
    for path, contents in changes.items():
        print(f"{'removed' if contents is None else 'wrote'} {path}")
    print(f"{len(changes)} file(s) changed." if changes else "Everything was up to date.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
