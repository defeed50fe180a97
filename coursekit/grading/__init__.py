"""Grade a class's handed-in exercise notebooks: ``coursekit grade SUBMISSIONS --out GRADES``.

Each notebook is copied, stripped of its stored outputs and run top to bottom in its own kernel,
in its own process, with time limits; then the grader's own checks run on what the learner
defined and the grader judges the results in its own process. Submissions are never changed
(their SHA-256 is compared before and after). The output folder gets ``grades.csv``,
``grades.json``, ``report.html``, ``grading.log`` and the executed copies in ``executed/``.

- ``grader.py``: the whole run (``grade``), one worker process per notebook, ``--jobs`` at once
- ``_worker.py``: runs one notebook in a fresh kernel (time limits, crashes, the harness cell)
- ``harness.py``: the code the grader adds at the end of the notebook: records what answers return
- ``verdict.py``: judges those records with the grader's own cases
- ``submissions.py``: reads what was handed in; students, assignments
- ``report.py``: the CSV, JSON and HTML gradebook

docs/INSTRUCTORS.md explains how to use it, docs/THREAT_MODEL.md what it defends against.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["grade", "main", "cmd_grade", "add_arguments"]


def grade(*args, **kwargs):
    """Grade a folder of notebooks; see ``coursekit.grading.grader.grade``."""
    from .grader import grade as run

    return run(*args, **kwargs)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``coursekit grade`` (also used by ``python -m coursekit.grading``)."""
    parser.add_argument("submissions", help="folder of handed-in notebooks (*.ipynb, sub-folders too)")
    parser.add_argument("--out", help="folder for the gradebook (default: SUBMISSIONS-graded beside it)")
    parser.add_argument("--assignment", help="grade every notebook as this assignment, e.g. 00_how_exercises_work "
                                             "(default: from each notebook's metadata or file name)")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks graded at once (default 1)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds a whole notebook may run (default 600)")
    parser.add_argument("--cell-timeout", type=float, default=120, help="seconds one cell may run (default 120)")
    parser.add_argument("--max-mb", type=float, default=25, help="larger files are not run (default 25 MB)")
    parser.add_argument("--mode", choices=("fast", "laptop", "full"),
                        help="run mode of the notebooks (default: $COURSEKIT_MODE, else fast)")
    parser.add_argument("--secret-file", help="the grader's secret that seeds the inputs (default: OUT/.grader-secret)")
    parser.add_argument("--keep-work", action="store_true", help="keep OUT/work/ (what each notebook wrote)")
    parser.add_argument("--quiet", action="store_true", help="print only the summary")


def cmd_grade(args) -> int:
    """``coursekit grade``: 0 when graded, 1 when grading could not start, 2 when a file changed."""
    from pathlib import Path

    from .grader import GradingError, grade as run

    out = args.out or str(Path(args.submissions).resolve().parent / (Path(args.submissions).resolve().name + "-graded"))
    try:
        book = run(args.submissions, out, assignment=args.assignment, jobs=args.jobs, timeout=args.timeout,
                   cell_timeout=args.cell_timeout, max_mb=args.max_mb, mode=args.mode, secret_file=args.secret_file,
                   keep_work=args.keep_work, echo=None if args.quiet else print)
    except GradingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    statuses = ", ".join(f"{n} {s}" for s in ("ok", "timeout", "crashed", "malformed", "error")
                         if (n := sum(r.status == s for r in book.rows)))
    print(f"{len(book.rows)} notebook(s): {statuses or 'none'}. Gradebook: {Path(out) / 'grades.csv'}; "
          f"report: {Path(out) / 'report.html'}")
    if not book.ok:
        print("error: files changed during grading (see the report)", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursekit.grading", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return cmd_grade(parser.parse_args(argv))
