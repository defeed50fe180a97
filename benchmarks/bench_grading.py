"""Grading throughput: notebooks per minute with one job and with several.

    .venv/bin/python benchmarks/bench_grading.py [--copies 8] [--jobs 1 2] [--notebook PATH]

A class of ``--copies`` students is made in a temporary folder, each handing in the same
notebook (by default the solved day-0 exercise notebook, solutions/00_how_exercises_work.ipynb),
and graded once per ``--jobs`` value into a fresh output folder, with the same secret, so every
run must give the same grades. The figure is the whole run's wall clock: reading, one kernel per
notebook (starting Python and importing torch is most of it), the checks and the gradebook.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import torch

from coursekit.grading.grader import grade

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=8, help="notebooks in the class (default 8)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="job counts to compare (default 1 2)")
    parser.add_argument("--notebook", type=Path, default=ROOT / "solutions" / "00_how_exercises_work.ipynb")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{args.copies} copies of {args.notebook.name}; {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPU(s), load average {load:.2f} at the start; torch {torch.__version__}\n")
    with tempfile.TemporaryDirectory(prefix="coursekit-bench-grading-") as base:
        folder = Path(base) / "class"
        folder.mkdir()
        for number in range(1, args.copies + 1):
            shutil.copy(args.notebook, folder / f"student{number:02d}.ipynb")
        secret = Path(base) / "secret"
        print(f"{'jobs':>4}  {'seconds':>8}  {'notebooks/min':>13}  {'per notebook':>12}  grades")
        rates, grades = {}, None
        for jobs in args.jobs:
            start = time.perf_counter()
            book = grade(folder, Path(base) / f"out-{jobs}", jobs=jobs, secret_file=secret)
            seconds = time.perf_counter() - start
            rates[jobs] = 60 * args.copies / seconds
            these = [(row.student, row.status, row.total) for row in book.rows]
            same = "same as before" if grades in (None, these) else "DIFFERENT"
            grades = grades or these
            totals = sorted({f"{row.total:g}/{row.max:g} {row.status}" for row in book.rows})
            print(f"{jobs:>4}  {seconds:>8.1f}  {rates[jobs]:>13.1f}  {seconds / args.copies:>11.1f}s  "
                  f"{', '.join(totals)} ({same})", flush=True)
        first = args.jobs[0]
        for jobs in args.jobs[1:]:
            print(f"\n{jobs} jobs grade {rates[jobs] / rates[first]:.2f}x as many notebooks per minute as {first}.")


if __name__ == "__main__":
    main()
