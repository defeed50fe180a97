"""Grade a class's handed-in exercise notebooks: ``coursekit grade SUBMISSIONS --out GRADES``.

Each notebook is copied, stripped of its stored outputs and run top to bottom in its own kernel,
in its own process and bubblewrap sandbox, with time and resource limits; then the answers are
called on inputs the grader made and the grader judges what came back in its own process. Submissions are never changed
(their SHA-256 is compared before and after). The output folder gets ``grades.csv``,
``grades.json``, ``report.html``, ``grading.log`` and the executed copies in ``executed/``.

- ``grader.py``: the whole run (``grade``), one worker process per notebook, ``--jobs`` at once
- ``sandbox.py``: the bubblewrap sandbox each worker and its kernel run in, and their limits
- ``launch.py``: starts one worker in its sandbox, reads back only what it may leave
- ``_worker.py``: runs one notebook in a fresh kernel (time limits, crashes, the harness cell)
- ``harness.py``: the code the grader adds at the end of the notebook: records what answers return
- ``verdict.py``: judges those records with the grader's own cases
- ``submissions.py``: reads what was handed in; students, assignments
- ``report.py``: the CSV, JSON and HTML gradebook
- ``ledger.py``: signed rows (the journal a killed run resumes from) and ``--verify``

docs/INSTRUCTORS.md explains how to use it, docs/THREAT_MODEL.md what it defends against.
"""

from __future__ import annotations

import argparse
import sys

from .sandbox import Limits

__all__ = ["grade", "main", "cmd_grade", "cmd_verify", "add_arguments"]


def grade(*args, **kwargs):
    """Grade a folder of notebooks; see ``coursekit.grading.grader.grade``."""
    from .grader import grade as run

    return run(*args, **kwargs)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``coursekit grade`` (also used by ``python -m coursekit.grading``)."""
    parser.add_argument("submissions", nargs="?", help="folder of handed-in notebooks (*.ipynb, sub-folders too)")
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
    limits = Limits()
    parser.add_argument("--memory-mb", type=int, default=limits.memory_mb,
                        help=f"address space of each process of a submission (default {limits.memory_mb})")
    parser.add_argument("--max-processes", type=int, default=limits.processes,
                        help=f"processes and threads of a submission (default {limits.processes})")
    parser.add_argument("--max-file-mb", type=int, default=limits.file_mb,
                        help=f"the largest file a submission may write (default {limits.file_mb})")
    parser.add_argument("--cpu-seconds", type=int, default=limits.cpu_seconds,
                        help=f"CPU time of each process of a submission (default {limits.cpu_seconds})")
    parser.add_argument("--unsafe-no-sandbox", action="store_true",
                        help="grade without bubblewrap: students' code runs with your rights (the report says so)")
    parser.add_argument("--resume", action="store_true",
                        help="keep the rows a killed or stopped run into the same --out finished; grade the rest")
    parser.add_argument("--verify", metavar="OUT",
                        help="check a gradebook instead of grading: its signed rows, files and the submissions")
    parser.add_argument("--quiet", action="store_true", help="print only the summary")


def cmd_verify(args) -> int:
    """``coursekit grade --verify OUT``: 0 when nothing changed since grading, 3 when something did."""
    import json
    from pathlib import Path

    from .ledger import verify

    out = Path(args.verify)
    secret_path = Path(args.secret_file) if args.secret_file else out / ".grader-secret"
    try:
        secret = bytes.fromhex(secret_path.read_text().strip())
        folder = args.submissions or json.loads((out / "grades.json").read_text(encoding="utf-8"))["settings"]["folder"]
    except (OSError, ValueError, KeyError) as error:
        print(f"error: cannot verify {out}: {error}", file=sys.stderr)
        return 1
    problems = verify(out, secret, Path(folder) if Path(folder).is_dir() else None)
    for problem in problems:
        print(f"CHANGED: {problem}")
    print(f"{out}: " + (f"{len(problems)} change(s) since grading" if problems else
                        "every row, file and submission is as it was graded"))
    return 3 if problems else 0


def cmd_grade(args) -> int:
    """``coursekit grade``: 0 when graded, 1 when grading could not start, 2 when a file changed."""
    from pathlib import Path

    from .grader import GradingError, grade as run

    if args.verify:
        return cmd_verify(args)
    if not args.submissions:
        print("error: name the folder of submissions (or --verify OUT)", file=sys.stderr)
        return 1

    out = args.out or str(Path(args.submissions).resolve().parent / (Path(args.submissions).resolve().name + "-graded"))
    try:
        book = run(args.submissions, out, assignment=args.assignment, jobs=args.jobs, timeout=args.timeout,
                   cell_timeout=args.cell_timeout, max_mb=args.max_mb, mode=args.mode, secret_file=args.secret_file,
                   keep_work=args.keep_work, echo=None if args.quiet else print,
                   limits=Limits(args.memory_mb, args.max_processes, args.max_file_mb, args.cpu_seconds),
                   unsafe_no_sandbox=args.unsafe_no_sandbox, resume=args.resume)
    except GradingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    statuses = ", ".join(f"{n} {s}" for s in ("ok", "timeout", "crashed", "malformed", "error")
                         if (n := sum(r.status == s for r in book.rows)))
    print(f"{len(book.rows)} notebook(s): {statuses or 'none'}. Gradebook: {Path(out) / 'grades.csv'}; "
          f"report: {Path(out) / 'report.html'}")
    if not book.settings.get("isolated", True):
        print("warning: this run was NOT isolated (--unsafe-no-sandbox); the report says so", file=sys.stderr)
    if not book.ok:
        print("error: files changed during grading (see the report)", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursekit.grading", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return cmd_grade(parser.parse_args(argv))
