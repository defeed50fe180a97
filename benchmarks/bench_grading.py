"""Grading throughput: notebooks per minute with one job and with several, hostile notebooks included.

    .venv/bin/python benchmarks/bench_grading.py [--copies 30] [--hostile 6] [--jobs 1 2] [--cell-timeout 20]

A class of ``--copies`` students is made in a temporary folder: the solved day-0 exercise notebook
(solutions/00_how_exercises_work.ipynb), each with its own student cell so that no two files are
the same, and among them ``--hostile`` notebooks that attack the grader (an endless cell, a
crash, a hunt for the seed, an escape from the sandbox that leaves a process behind, a fork
storm, a flood of output). The class is graded once per ``--jobs`` value into a fresh output
folder, with the same secret, so every run must give the same grades, and each gradebook must
verify. The figure is the whole run's wall clock: reading, one sandboxed kernel per notebook
(starting Python and importing torch is most of it), the checks and the gradebook.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import nbformat
import torch

from coursekit.grading.grader import grade
from coursekit.grading.ledger import verify

ROOT = Path(__file__).resolve().parents[1]

HOSTILE = {
    "endless": "while True:\n    pass",
    "crash": "import os\nos._exit(1)",
    "seed_hunt": ("import gc\nfound = {torch.initial_seed()}\nfor o in gc.get_objects():\n"
                  "    if isinstance(o, dict) and isinstance(o.get('seed'), int):\n        found.add(o['seed'])\n"
                  "print(len(found), 'candidate seeds')"),
    "escape": ("import os, subprocess, sys\n"
               "for path in ('/root', '..', '../..', os.path.expanduser('~')):\n    try:\n"
               "        print(path, os.listdir(path)[:5])\n    except OSError as error:\n        print(path, error)\n"
               "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'], start_new_session=True)\n"
               "try:\n    blob = bytearray(16 * 2**30)\nexcept MemoryError:\n    print('no 16 GB')"),
    "fork_storm": ("import subprocess\nchildren = []\ntry:\n    for _ in range(2000):\n"
                   "        children.append(subprocess.Popen(['sleep', '60']))\nexcept OSError as error:\n"
                   "    print(len(children), 'processes, then', error)\nfor child in children:\n    child.kill()"),
    "output_flood": "print('x' * 30_000_000)",
}


def make_class(folder: Path, copies: int, hostile: int, solved: Path) -> None:
    names = list(HOSTILE)[:hostile]
    for number in range(1, copies + 1):
        nb = nbformat.read(solved, as_version=4)
        kind = names[number - 1] if number <= len(names) else ""
        nb.cells.insert(1, nbformat.v4.new_code_cell(f"student = {number}  # {kind or 'honest'}"))
        if kind:
            nb.cells.insert(2, nbformat.v4.new_code_cell(HOSTILE[kind]))
        nbformat.write(nb, folder / f"student{number:02d}{'_' + kind if kind else ''}.ipynb")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=30, help="notebooks in the class (default 30)")
    parser.add_argument("--hostile", type=int, default=len(HOSTILE),
                        help=f"hostile ones among them (default {len(HOSTILE)})")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="job counts to compare (default 1 2)")
    parser.add_argument("--cell-timeout", type=float, default=20, help="seconds a cell may run (default 20)")
    parser.add_argument("--notebook", type=Path, default=ROOT / "solutions" / "00_how_exercises_work.ipynb")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{args.copies} notebooks ({args.hostile} hostile) from {args.notebook.name}; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU(s), load average {load:.2f} at the "
          f"start; torch {torch.__version__}; cell timeout {args.cell_timeout:g} s\n")
    with tempfile.TemporaryDirectory(prefix="coursekit-bench-grading-") as base:
        folder = Path(base) / "class"
        folder.mkdir()
        make_class(folder, args.copies, args.hostile, args.notebook)
        secret = Path(base) / "secret"
        print(f"{'jobs':>4}  {'seconds':>8}  {'notebooks/min':>13}  {'per notebook':>12}  grades")
        rates, grades = {}, None
        for jobs in args.jobs:
            out = Path(base) / f"out-{jobs}"
            start = time.perf_counter()
            book = grade(folder, out, jobs=jobs, secret_file=secret, cell_timeout=args.cell_timeout)
            seconds = time.perf_counter() - start
            rates[jobs] = 60 * args.copies / seconds
            these = [(row.student, row.status, row.total) for row in book.rows]
            same = "same as before" if grades in (None, these) else "DIFFERENT"
            grades = grades or these
            totals = sorted({f"{row.total:g}/{row.max:g} {row.status}" for row in book.rows})
            problems = verify(out, bytes.fromhex(secret.read_text().strip()), folder)
            print(f"{jobs:>4}  {seconds:>8.1f}  {rates[jobs]:>13.1f}  {seconds / args.copies:>11.1f}s  "
                  f"{', '.join(totals)} ({same}; {'verifies' if not problems else problems})", flush=True)
        first = args.jobs[0]
        for jobs in args.jobs[1:]:
            print(f"\n{jobs} jobs grade {rates[jobs] / rates[first]:.2f}x as many notebooks per minute as {first}.")


if __name__ == "__main__":
    main()
