"""Run notebooks top to bottom in a fresh kernel and print how long each took, kernel start included.

    python benchmarks/time_notebooks.py                       # every notebook, fast mode
    python benchmarks/time_notebooks.py --mode laptop notebooks/day1
    python benchmarks/time_notebooks.py --budget 60           # flag the ones over 60 s

The run mode is passed to the kernel through $COURSEKIT_MODE. Executed copies are
written to a temporary folder; the notebooks themselves are never changed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]


def find_notebooks(paths: list[str]) -> list[Path]:
    found = []
    for name in paths or ["notebooks", "solutions", "exercises"]:
        path = (ROOT / name) if not Path(name).is_absolute() else Path(name)
        found += [path] if path.suffix == ".ipynb" else sorted(path.rglob("*.ipynb"))
    return [p for p in found if ".ipynb_checkpoints" not in p.parts]


def run_one(path: Path, timeout: int, out_dir: Path) -> tuple[float, str]:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    try:
        client.execute()
        status = "ok"
    except CellExecutionError as error:
        status = "error: " + str(error).strip().splitlines()[-1][:120]
    except Exception as error:  # a dead kernel or a timeout: report and go on to the next
        status = f"error: {type(error).__name__}: {error}"[:140]
    seconds = time.perf_counter() - start
    nbformat.write(nb, out_dir / path.name)
    return seconds, status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", help="notebooks or folders (default: all)")
    parser.add_argument("--mode", default="fast", choices=["fast", "laptop", "full"])
    parser.add_argument("--budget", type=float, default=None, help="seconds allowed per notebook")
    parser.add_argument("--timeout", type=int, default=1200, help="seconds allowed per cell")
    args = parser.parse_args()

    os.environ["COURSEKIT_MODE"] = args.mode
    os.environ.setdefault("MPLBACKEND", "Agg")
    notebooks = find_notebooks(args.paths)
    out_dir = Path(tempfile.mkdtemp(prefix="timed-notebooks-"))
    print(f"mode={args.mode}  {len(notebooks)} notebooks  executed copies in {out_dir}")
    over, failed, total = [], [], 0.0
    for path in notebooks:
        seconds, status = run_one(path, args.timeout, out_dir)
        total += seconds
        flag = " OVER BUDGET" if args.budget and seconds > args.budget else ""
        print(f"{seconds:8.1f} s  {path.relative_to(ROOT)}  {status}{flag}", flush=True)
        over += [path] if flag else []
        failed += [path] if status != "ok" else []
    print(f"{total:8.1f} s  total; {len(failed)} failed, {len(over)} over budget")
    return 1 if failed or over else 0


if __name__ == "__main__":
    sys.exit(main())
