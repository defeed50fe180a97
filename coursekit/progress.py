"""Your progress: which exercises you have passed, kept in a small JSON file outside the repository.

Every ``check(...)`` records its outcome here; ``coursekit.progress.show()`` in a notebook, or
``coursekit progress`` in a terminal, lists every exercise of the course per day.

The file is ``$COURSEKIT_PROGRESS`` when that is set, else
``$XDG_CACHE_HOME/coursekit/progress.json`` (``~/.cache/coursekit/progress.json``). It is
written atomically (a new file renamed over the old one). A file that cannot be read is set
aside as ``progress.json.bak`` at the next check and a fresh one started: nothing in this
module ever raises into a notebook.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ENV_VAR = "COURSEKIT_PROGRESS"
_RANK = {"not attempted": 0, "failed": 1, "passed": 2}  # the best status so far is kept
_MARK = {"passed": "✔", "failed": "✘", "not attempted": "…", "not checked": "·"}


def path() -> Path:
    """Where progress is kept: ``$COURSEKIT_PROGRESS``, else the user's cache folder."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "coursekit" / "progress.json"


def _read(file: Path) -> tuple[dict, str]:
    """(exercise id -> entry, problem): a missing file is empty, an unreadable one too, with the problem."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        entries = data["exercises"]
        for entry in entries.values():  # check the layout, so that nothing below can trip over it
            if entry["status"] not in _RANK or not isinstance(entry["tries"], int):
                raise ValueError("unexpected layout")
        return entries, ""
    except FileNotFoundError:
        return {}, ""
    except Exception as error:
        return {}, f"{file} could not be read ({type(error).__name__}), so it was ignored"


def load(file: str | Path | None = None) -> dict[str, dict]:
    """Everything recorded so far: ``{"day0.relu": {"status": "passed", "tries": 2, ...}}``."""
    return _read(Path(file) if file else path())[0]


def record(result, file: str | Path | None = None) -> bool:
    """Add a check's Result to the progress file; False (and nothing raised) if it could not be saved."""
    file = Path(file) if file else path()
    try:
        entries, problem = _read(file)
        if problem and file.is_file():
            os.replace(file, file.with_name(file.name + ".bak"))
        entry = entries.setdefault(result.id, {"status": "not attempted", "tries": 0})
        if _RANK.get(result.status, 0) >= _RANK.get(entry.get("status"), 0):
            entry["status"] = result.status
        entry["last"] = result.status
        entry["tries"] = int(entry.get("tries", 0)) + (result.status != "not attempted")
        entry["last_checked"] = datetime.now().isoformat(timespec="seconds")
        _write(file, {"version": 1, "exercises": entries})
        return True
    except Exception:
        return False


def _write(file: Path, data: dict) -> None:
    file.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=file.parent, suffix=".tmp", delete=False) as out:
        json.dump(data, out, indent=1, sort_keys=True)
    os.replace(out.name, file)


def reset(file: str | Path | None = None) -> Path | None:
    """Start over: the old file is kept as ``progress.json.bak``; returns that backup's path (None if none)."""
    file = Path(file) if file else path()
    if not file.exists():
        return None
    backup = file.with_name(file.name + ".bak")
    os.replace(file, backup)
    return backup


@dataclass(repr=False)
class Progress:
    """The progress table: one row per exercise, grouped by day. Prints as text, shows as HTML."""

    file: Path
    rows: list[tuple[str, str, str, int, str]] = field(default_factory=list)  # day, exercise, status, tries, when
    note: str = ""

    def per_day(self) -> dict[str, tuple[int, int]]:
        """{day: (passed, exercises)}."""
        days: dict[str, tuple[int, int]] = {}
        for day, _, status, _, _ in self.rows:
            passed, total = days.get(day, (0, 0))
            days[day] = (passed + (status == "passed"), total + 1)
        return days

    def __str__(self) -> str:
        header = ("day", "exercise", "status", "tries", "last checked")
        cells = [header] + [(d, e, f"{_MARK.get(s, '?')} {s}", str(t), w) for d, e, s, t, w in self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
        lines = [f"Progress, kept in {self.file}"] + ([self.note] if self.note else []) + [""]
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
        lines.append("")
        lines += [f"{day}: {passed} of {total} passed" for day, (passed, total) in self.per_day().items()]
        return "\n".join(lines)

    __repr__ = __str__  # what Jupyter shows as plain text

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(d)}</td><td>{html.escape(e)}</td><td>{_MARK.get(s, '?')} {html.escape(s)}</td>"
            f"<td>{t}</td><td>{html.escape(w)}</td></tr>" for d, e, s, t, w in self.rows)
        days = "".join(f"<div>{html.escape(day)}: <progress value='{p}' max='{n}'></progress> {p} of {n} passed</div>"
                       for day, (p, n) in self.per_day().items())
        note = f"<p>{html.escape(self.note)}</p>" if self.note else ""
        return (f"<p>Progress, kept in <code>{html.escape(str(self.file))}</code></p>{note}{days}"
                "<table><thead><tr><th>day</th><th>exercise</th><th>status</th><th>tries</th>"
                f"<th>last checked</th></tr></thead><tbody>{rows}</tbody></table>")


def table(file: str | Path | None = None) -> Progress:
    """The progress of every exercise of the course (those never checked too), as a ``Progress``."""
    file = Path(file) if file else path()
    entries, problem = _read(file)
    try:
        from .checks import all_exercises

        ids = [e.id for e in all_exercises()]
    except Exception:  # a broken check module must not hide the progress
        ids = []
    ids += sorted(set(entries) - set(ids))
    rows = []
    for id in ids:
        entry = entries.get(id, {})
        day, _, name = id.partition(".")
        when = str(entry.get("last_checked", "")).replace("T", " ")[:16]
        rows.append((day, name, str(entry.get("status", "not checked")), int(entry.get("tries", 0)), when))
    return Progress(file, rows, problem)


def show(file: str | Path | None = None) -> None:
    """Show the progress table: HTML in Jupyter, text elsewhere."""
    try:
        from IPython import get_ipython
        from IPython.display import display

        if get_ipython() is not None:
            display(table(file))
            return
    except ImportError:
        pass
    print(table(file))


def cmd_progress(args) -> int:
    """``coursekit progress [--reset] [--file PATH]``: show (or reset) the learner's progress."""
    file = getattr(args, "file", None)
    if getattr(args, "reset", False):
        backup = reset(file)
        print(f"Progress reset; the old file is kept as {backup}." if backup else "There was no progress to reset.")
        return 0
    print(table(file))
    return 0
