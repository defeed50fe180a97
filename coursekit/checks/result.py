"""What a check found: a ``Result`` that is truthy on a pass and shows as text or as HTML."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

STATUSES = ("passed", "failed", "not attempted")
_MARK = {"passed": "✔", "failed": "✘", "not attempted": "…"}
_COLOUR = {"passed": "#1a7f37", "failed": "#cf222e", "not attempted": "#6e7781"}


@dataclass
class Result:
    """The outcome of one exercise's check.

    ``status`` is "passed", "failed" or "not attempted"; ``summary`` is the first line of the
    feedback and ``details`` the lines under it, as (label, text) pairs: given, expected, got,
    problem, hint. ``points`` are those earned out of ``max_points``.
    """

    id: str
    status: str
    summary: str
    details: list[tuple[str, str]] = field(default_factory=list)
    points: float = 0.0
    max_points: float = 1.0

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __bool__(self) -> bool:
        return self.passed

    @property
    def message(self) -> str:
        """The whole feedback as plain text (what ``print(result)`` shows)."""
        lines = [f"{_MARK[self.status]} {self.id}: {self.summary}"]
        lines += [f"    {label:<9} {text}" for label, text in self.details]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict:
        """Plain data, e.g. for a gradebook."""
        return {"id": self.id, "status": self.status, "points": self.points,
                "max_points": self.max_points, "message": self.message}

    def _repr_html_(self) -> str:
        colour = _COLOUR[self.status]
        rows = "".join(
            f"<tr><td style='padding:0 1em 0 0;vertical-align:top'><b>{html.escape(label)}</b></td>"
            f"<td style='text-align:left'><code>{html.escape(text)}</code></td></tr>"
            for label, text in self.details
        )
        table = f"<table style='margin:0.3em 0 0 1.4em'>{rows}</table>" if rows else ""
        return (
            f"<div style='border-left:4px solid {colour};padding:0.3em 0.8em'>"
            f"<span style='color:{colour};font-weight:bold'>{_MARK[self.status]} {html.escape(self.id)}</span>: "
            f"{html.escape(self.summary)}{table}</div>"
        )

    def _ipython_display_(self) -> None:
        # check() has already shown this result in the current cell; when the result is also
        # the cell's last value, Jupyter would show it a second time. Skip that one.
        if getattr(self, "_shown_in_cell", None) != _cell_number():
            show(self)


def show(result: Result) -> None:
    """Show ``result`` once: as HTML (with a text fallback) in Jupyter, as text elsewhere."""
    number = _cell_number()
    if number is None:
        try:
            print(result.message)
        except UnicodeEncodeError:  # a console that cannot print the marks
            print(result.message.encode("ascii", "replace").decode())
        return
    from IPython.display import display

    display({"text/plain": result.message, "text/html": result._repr_html_()}, raw=True)
    result._shown_in_cell = number


def _cell_number() -> int | None:
    """The number of the Jupyter cell being run, or None outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return None if shell is None else shell.execution_count
