"""The gradebook: ``grades.csv`` for a spreadsheet, ``grades.json`` for tools, ``report.html`` to read.

The HTML report is one self-contained file (no scripts, no downloads): the class summary,
each exercise's pass rate with its most common feedback, the gradebook table, and for each
student what failed and why, in the same words the checks show in the notebook.
"""

from __future__ import annotations

import csv
import html
import json
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..checks.result import Result
from .ledger import seal

STATUSES = ("ok", "timeout", "crashed", "malformed", "error")
STATUS_WORDS = {
    "ok": "ran to the end",
    "timeout": "a cell or the notebook ran past its time limit",
    "crashed": "the kernel died (os._exit, a native crash, memory)",
    "malformed": "not a notebook that can be graded",
    "error": "the grader could not get a result it trusts",
}
_COLOUR = {"ok": "#1a7f37", "timeout": "#9a6700", "crashed": "#cf222e", "malformed": "#8250df", "error": "#cf222e",
           "passed": "#1a7f37", "failed": "#cf222e", "not attempted": "#6e7781"}
_MARK = {"passed": "✔", "failed": "✘", "not attempted": "…"}


@dataclass
class Row:
    """One submission's line of the gradebook."""

    student: str
    file: str
    assignment: str
    status: str  # one of STATUSES
    results: list[Result]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    sha256: str = ""
    unchanged: bool = True
    seed: int | None = None
    flags: list[str] = field(default_factory=list)  # code that looks aimed at the checks, for review
    executed: str = ""  # the executed copy, relative to the output folder

    @classmethod
    def from_dict(cls, data: dict) -> "Row":
        """The Row that ``to_dict`` wrote (a finished row of a run that is resumed)."""
        results = [Result(r["id"], r["status"], r["summary"], [tuple(d) for d in r["details"]], r["points"],
                          r["max_points"]) for r in data["results"]]
        return cls(data["student"], data["file"], data["assignment"], data["status"], results, list(data["notes"]),
                   data["seconds"], data["sha256"], data["unchanged"], data["seed"], list(data["review"]),
                   data["executed"])

    @property
    def total(self) -> float:
        return sum(r.points for r in self.results)

    @property
    def max(self) -> float:
        return sum(r.max_points for r in self.results)

    def points(self, id: str) -> float | None:
        return next((r.points for r in self.results if r.id == id), None)

    def to_dict(self) -> dict:
        return {"student": self.student, "file": self.file, "assignment": self.assignment, "status": self.status,
                "total": self.total, "max": self.max, "seconds": self.seconds, "sha256": self.sha256,
                "unchanged": self.unchanged, "seed": self.seed, "notes": self.notes, "review": self.flags,
                "executed": self.executed,
                "results": [dict(r.to_dict(), summary=r.summary, details=[list(d) for d in r.details])
                            for r in self.results]}


@dataclass
class Gradebook:
    rows: list[Row]
    exercises: list[str]  # the exercise columns
    settings: dict
    changed: list[str] = field(default_factory=list)  # submissions whose hash changed
    grader_changed: list[str] = field(default_factory=list)  # the course's own files that changed
    started: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when no submission changed during grading."""
        return not self.changed


def write_all(book: Gradebook, out: Path, secret: bytes | None = None) -> None:
    """grades.csv, report.html, then grades.json, signed with ``secret`` (see ``ledger.seal``)."""
    write_csv(book, out / "grades.csv")
    _write(out / "report.html", html_report(book))
    data = {"started": book.started, "seconds": round(book.seconds, 1), "settings": book.settings,
            "changed": book.changed, "grader_changed": book.grader_changed, "exercises": book.exercises,
            "rows": [row.to_dict() for row in book.rows]}
    if secret is not None:
        seal(data, out, secret)
    _write(out / "grades.json", json.dumps(data, indent=1, ensure_ascii=False))


def _write(path: Path, text: str) -> None:
    """Write UTF-8; a lone surrogate (from a name or message that was not UTF-8) becomes an escape."""
    path.write_bytes(text.encode("utf-8", "backslashreplace"))


# ----------------------------------------------------------------------------- CSV

CSV_HEAD = ["student", "status"]
CSV_TAIL = ["total", "max", "run_time_s", "assignment", "file", "notes", "sha256", "unchanged"]


def write_csv(book: Gradebook, path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8", errors="backslashreplace") as file:
        writer = csv.writer(file)
        writer.writerow(CSV_HEAD + book.exercises + CSV_TAIL)
        for row in book.rows:
            points = [_number(row.points(id)) for id in book.exercises]
            notes = row.notes[:3] + ([f"review: {', '.join(row.flags)}"] if row.flags else [])
            writer.writerow([_text(row.student), row.status] + points + [
                _number(row.total), _number(row.max), f"{row.seconds:.1f}", _text(row.assignment), _text(row.file),
                _text(" | ".join(notes)), row.sha256, "yes" if row.unchanged else "NO"])


def _number(value) -> str:
    return "" if value is None else f"{value:g}"


def _text(value: str) -> str:
    """A text cell that a spreadsheet shows as text: one starting like a formula gets a ' in front."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r", "|", "%") else value


# ----------------------------------------------------------------------------- HTML

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;margin:0;background:#f6f8fa}
main{max-width:1100px;margin:0 auto;padding:24px 28px 60px;background:#fff}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:20px;margin:34px 0 10px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
h3{font-size:17px;margin:0} .sub{color:#59636e;margin:0 0 18px}
table{border-collapse:collapse;width:100%} th,td{padding:5px 9px;border-bottom:1px solid #e5e8eb;text-align:left;
vertical-align:top} th{background:#f6f8fa;font-weight:600} td.num,th.num{text-align:right;white-space:nowrap}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid #d0d7de;border-radius:8px;padding:10px 16px;min-width:120px}
.card b{display:block;font-size:22px}.card span{color:#59636e;font-size:13px}
.badge{display:inline-block;border-radius:10px;padding:0 8px;color:#fff;font-size:13px;font-weight:600}
.bar{display:inline-block;height:10px;background:#1a7f37;border-radius:2px;vertical-align:middle}
.track{display:inline-block;text-align:left;width:140px;height:10px;background:#eaeef2;border-radius:2px;
vertical-align:middle;margin-right:8px}
.alert{border:2px solid #cf222e;background:#ffebe9;border-radius:8px;padding:10px 14px;margin:14px 0}
.fine{border:1px solid #1a7f37;background:#dafbe1;border-radius:8px;padding:8px 14px;margin:14px 0}
.student{border:1px solid #d0d7de;border-radius:8px;padding:12px 16px;margin:14px 0}
.meta{color:#59636e;font-size:13px;margin:4px 0 8px} .meta code{font-size:12px}
.result{border-left:4px solid;padding:3px 10px;margin:6px 0}.result table{width:auto;margin:3px 0 0 8px}
.result td{border:0;padding:1px 10px 1px 0;font-size:13px} .result td code{white-space:pre-wrap}
ul.notes{margin:4px 0 6px;padding-left:20px;font-size:14px}
.flags{background:#fff8c5;border-radius:6px;padding:4px 10px;font-size:14px}
.mark{font-weight:600;white-space:nowrap} a{color:#0969da}
"""


def html_report(book: Gradebook) -> str:
    e = html.escape
    names = sorted({row.assignment for row in book.rows if row.assignment})
    title = f"Grades: {', '.join(names) or 'no assignment'}"
    s = book.settings
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title>"
             f"<meta name='viewport' content='width=device-width'><style>{CSS}</style></head><body><main>",
             f"<h1>{e(title)}</h1><p class='sub'>{len(book.rows)} notebook(s) from "
             f"<code>{e(s.get('folder', ''))}</code>, graded {e(book.started.replace('T', ' '))} "
             f"in {book.seconds:.0f} s with {s.get('jobs')} job(s); "
             f"time limits {s.get('cell_timeout'):g} s a cell, {s.get('timeout'):g} s a notebook; "
             f"run mode {e(str(s.get('mode')))}.</p>"]
    parts.append(_isolation(book))
    parts.append(_integrity(book))
    parts.append(_summary(book))
    parts.append(_exercise_table(book))
    parts.append(_gradebook_table(book))
    parts.append("<h2>Students</h2>")
    parts += [_student(row) for row in book.rows]
    parts.append(
        "<h2>How these grades were made</h2><p>Each notebook was copied, its stored outputs removed, and the copy "
        "run top to bottom in a fresh kernel. Then the grader's own checks called each answer, by the name the "
        "exercise asks for, on inputs drawn from a secret seed, and judged what came back in the grader's own "
        "process. Printed or stored pass lines, a redefined <code>check</code>, a patched <code>coursekit</code>, "
        "the progress file and deleted check cells play no part. <b>Review</b> lists code that looks aimed at "
        "the checks; it never changes a grade. What this does and does not defend against: "
        "<code>docs/THREAT_MODEL.md</code>.</p></main></body></html>")
    return "\n".join(parts)


def _isolation(book: Gradebook) -> str:
    if book.settings.get("isolated", True):
        limits = book.settings.get("limits") or {}
        words = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in limits.items())
        return (f"<div class='fine'>✔ Each notebook ran in a bubblewrap sandbox of its own (no network, no view of "
                f"other submissions or of this folder; limits: {html.escape(words)}).</div>")
    return ("<div class='alert'><b>This run was NOT isolated</b> (<code>--unsafe-no-sandbox</code>): each "
            "notebook's code ran with the grader's rights, could read and change any file the grader can, use the "
            "network and leave processes behind. Trust these grades only as far as you trust the code.</div>")


def _integrity(book: Gradebook) -> str:
    e = html.escape
    if book.ok and not book.grader_changed:
        return (f"<div class='fine'>✔ All {len(book.rows)} submitted file(s) are byte for byte as they were "
                "before grading (SHA-256 before and after).</div>")
    items = "".join(f"<li>submission <code>{e(f)}</code> changed during grading</li>" for f in book.changed)
    items += "".join(f"<li>the course's file <code>{e(f)}</code> changed during grading (a notebook's code, "
                     "or someone editing the course)</li>" for f in book.grader_changed)
    return ("<div class='alert'><b>Something changed during grading: check before using these grades.</b>"
            f"<ul>{items}</ul></div>")


def _summary(book: Gradebook) -> str:
    rows = book.rows
    totals = [row.total for row in rows]
    top = max((row.max for row in rows), default=0)
    mean = statistics.mean(totals) if totals else 0
    median = statistics.median(totals) if totals else 0
    full = sum(1 for row in rows if row.max and row.total == row.max)
    cards = [(len(rows), "notebooks"), (f"{mean:.2f} / {top:g}", "mean points"), (f"{median:g} / {top:g}", "median"),
             (full, "full marks")]
    html_cards = "".join(f"<div class='card'><b>{v}</b><span>{k}</span></div>" for v, k in cards)
    counts = Counter(row.status for row in rows)
    chips = " ".join(f"{_badge(status)} {counts[status]} <span class='meta'>({STATUS_WORDS[status]})</span><br>"
                     for status in STATUSES if counts[status])
    spread = Counter(totals)
    most = max(spread.values(), default=1)
    bars = "".join(f"<tr><td class='num'>{value:g}</td><td><span class='bar' style='width:{240 * n / most:.0f}px'>"
                   f"</span> {n}</td></tr>" for value, n in sorted(spread.items(), reverse=True))
    return (f"<h2>Class summary</h2><div class='cards'>{html_cards}</div>"
            f"<div style='display:flex;gap:40px;flex-wrap:wrap;margin-top:14px'><div><b>Status</b><br>{chips}</div>"
            f"<div><b>Points</b><table style='width:auto'><tr><th class='num'>points</th><th>notebooks</th></tr>"
            f"{bars}</table></div></div>")


def _exercise_table(book: Gradebook) -> str:
    e = html.escape
    lines = []
    for id in book.exercises:
        results = [r for row in book.rows for r in row.results if r.id == id]
        n = len(results) or 1
        passed = sum(r.status == "passed" for r in results)
        skipped = sum(r.status == "not attempted" for r in results)
        not_run = sum(row.status == "malformed" for row in book.rows if any(r.id == id for r in row.results))
        failed = [r.summary for row in book.rows if row.status != "malformed"
                  for r in row.results if r.id == id and r.status == "failed"]
        common = Counter(failed).most_common(1)
        feedback = f"{e(common[0][0])} <span class='meta'>({common[0][1]}×)</span>" if common else ""
        points = results[0].max_points if results else 0
        lines.append(f"<tr><td><code>{e(id)}</code></td><td class='num'>{points:g}</td><td class='num'>"
                     f"<span class='track'><span class='bar' style='width:{140 * passed / n:.0f}px'></span></span>"
                     f"{passed} of {len(results)} ({100 * passed / n:.0f}%)</td><td class='num'>{len(failed)}</td>"
                     f"<td class='num'>{skipped}</td><td class='num'>{not_run}</td><td>{feedback}</td></tr>")
    return ("<h2>Exercises</h2><table><tr><th>exercise</th><th class='num'>points</th><th class='num'>passed</th>"
            "<th class='num'>failed</th><th class='num'>not attempted</th><th class='num'>not run</th>"
            "<th>most common feedback on a failure</th>"
            f"</tr>{''.join(lines)}</table>")


def _gradebook_table(book: Gradebook) -> str:
    e = html.escape
    head = "".join(f"<th>{e(id.split('.', 1)[-1])}</th>" for id in book.exercises)
    lines = []
    for row in book.rows:
        marks = ""
        for id in book.exercises:
            result = next((r for r in row.results if r.id == id), None)
            if result is None or row.status == "malformed":
                marks += "<td></td>"
                continue
            marks += (f"<td class='mark' style='color:{_COLOUR[result.status]}' title='{e(result.summary)}'>"
                      f"{_MARK[result.status]} {result.points:g}</td>")
        flag = " ⚑" if row.flags else ""
        lines.append(f"<tr><td><a href='#{_anchor(row)}'>{e(row.student)}</a>{flag}</td><td>{_badge(row.status)}</td>"
                     f"{marks}<td class='num'><b>{row.total:g}</b> / {row.max:g}</td>"
                     f"<td class='num'>{row.seconds:.1f} s</td></tr>")
    return (f"<h2>Gradebook</h2><table><tr><th>student</th><th>status</th>{head}<th class='num'>total</th>"
            f"<th class='num'>run time</th></tr>{''.join(lines)}</table>"
            "<p class='meta'>✔ passed, ✘ failed, … not attempted; ⚑ code flagged for review. "
            "The same table is in <code>grades.csv</code>.</p>")


def _student(row: Row) -> str:
    e = html.escape
    executed = f" · <a href='{e(row.executed)}'>executed copy</a>" if row.executed else ""
    changed = "" if row.unchanged else " · <b style='color:#cf222e'>FILE CHANGED DURING GRADING</b>"
    meta = (f"<div class='meta'><code>{e(row.file)}</code> · {e(row.assignment or 'unknown assignment')} · "
            f"{row.seconds:.1f} s · sha256 <code>{e(row.sha256[:16])}…</code>{executed}{changed}</div>")
    notes = "".join(f"<li>{e(text)}</li>" for text in row.notes)
    notes = f"<ul class='notes'>{notes}</ul>" if notes else ""
    flags = (f"<div class='flags'>⚑ For review (does not change the grade): {e('; '.join(row.flags))}</div>"
             if row.flags else "")
    results = "" if row.status == "malformed" else "".join(_result(r) for r in row.results)
    return (f"<section class='student' id='{_anchor(row)}'><h3>{e(row.student)} {_badge(row.status)} "
            f"<span style='float:right'>{row.total:g} / {row.max:g}</span></h3>{meta}{notes}{flags}{results}</section>")


def _result(result: Result) -> str:
    e = html.escape
    colour = _COLOUR[result.status]
    rows = "".join(f"<tr><td><b>{e(label)}</b></td><td><code>{e(text)}</code></td></tr>"
                   for label, text in result.details)
    table = f"<table>{rows}</table>" if rows else ""
    return (f"<div class='result' style='border-color:{colour}'><span style='color:{colour};font-weight:600'>"
            f"{_MARK[result.status]} {e(result.id)}</span> ({result.points:g} / {result.max_points:g}): "
            f"{e(result.summary)}{table}</div>")


def _badge(status: str) -> str:
    return f"<span class='badge' style='background:{_COLOUR.get(status, '#6e7781')}'>{html.escape(status)}</span>"


def _anchor(row: Row) -> str:
    return "s-" + "".join(c if c.isalnum() or c in "-_" else "_" for c in row.student)
