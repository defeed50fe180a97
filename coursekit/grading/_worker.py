"""Run one submitted notebook for the grader: a fresh kernel, time limits, then the harness cell.

The grader starts this file as a script, ``python _worker.py JOB.json``, one process per
notebook, so that a stuck run can be killed whole and nothing it does reaches the grader. It
imports nothing from ``coursekit``: only nbformat, nbclient and jupyter_client.

- The kernel is always this Python (the grader's environment), whatever the notebook names.
- Every code cell runs with the per-cell limit, and all of them within the notebook's limit.
  A cell that runs past its limit is interrupted; if the kernel does not answer after that, or
  if a cell kills the kernel (``os._exit``, a crash in native code, memory), the kernel is
  killed and the notebook runs again in a fresh kernel without that cell (a few tries at most).
- Then the harness cell (built here from the job) records what the answers return. If the
  kernel dies while an exercise is being checked, that exercise is marked and the others are
  checked in a fresh kernel.
- The executed copy and a small JSON result are written where the job says.
"""

from __future__ import annotations

import copy
import json
import math
import sys
import time
import traceback

import nbformat
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

HARNESS = '''\
# Added by the grader (coursekit grade): the course's own checks, run on the answers above.
def _coursekit_grader(path, job):
    import importlib.util
    spec = importlib.util.spec_from_file_location(job["package"] + "_harness", path)
    harness = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(harness)
    harness.run(job, globals())


_coursekit_grader({path!r}, {job!r})
del _coursekit_grader'''
PROBE_SECONDS = 5  # how long an interrupted kernel has to answer again
MAX_OUTPUT = 20_000_000  # characters of output kept from one run of a notebook; the rest is dropped


class CurrentPython(KernelSpecManager):
    """Whatever kernel a notebook names, run it with this Python (the course's environment)."""

    def get_kernel_spec(self, kernel_name):
        return KernelSpec(name="python3", display_name="Python 3 (coursekit grader)", language="python",
                          argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"])


class Client(NotebookClient):
    """nbclient's client, keeping no more than MAX_OUTPUT characters of a notebook's output."""

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        size = (len(str(content.get("text", ""))) + len(str(content.get("traceback", "")))
                + sum(len(str(value)) for value in (content.get("data") or {}).values()))
        self.kept = getattr(self, "kept", 0) + size
        if self.kept > MAX_OUTPUT:
            if not getattr(self, "capped", False):
                self.capped = True
                outs.append(note(f"output dropped from here on: over {MAX_OUTPUT:,} characters"))
            return None
        return super().output(outs, msg, display_id, cell_index)


def note(text: str):
    """An output that says what the grader did to a cell."""
    return nbformat.v4.new_output("stream", name="stderr", text=f"[grader] {text}\n")


def first_line(cell) -> str:
    line = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
    return line if len(line) <= 60 else line[:57] + "..."


class Run:
    """One notebook's run, over as many kernels as it takes."""

    def __init__(self, job: dict):
        self.job = job
        self.nb = nbformat.read(job["notebook"], as_version=4)
        self.start = time.monotonic()
        self.deadline = self.start + job["timeout"]
        self.skip: dict[int, str] = {}  # cell index -> why it is not run any more
        self.incidents: list[dict] = []  # time-outs and crashes, kept over the tries
        self.errors: list[dict] = []  # cells that raised, in the last try
        self.remaining = [list(pair) for pair in job["exercises"]]
        self.unchecked: dict[str, str] = {}  # exercise id -> why it got no record
        self.records: list[str] = []  # the harness files written
        self.status = "ok"
        self.executed = None

    def incident(self, kind: str, text: str, cell: int | None = None) -> None:
        self.incidents.append({"kind": kind, "text": text, "cell": cell})
        if self.status == "ok":
            self.status = kind  # "timeout" or "crashed": the first that happened

    def run(self) -> dict:
        for attempt in range(self.job["attempts"]):
            again = self.attempt(attempt)
            if not again:
                break
        else:
            for id, _ in self.remaining:
                self.unchecked[id] = f"the kernel crashed or hung {self.job['attempts']} times"
        nbformat.write(self.executed, self.job["executed"])
        return {"status": self.status, "incidents": self.incidents, "errors": self.errors,
                "records": self.records, "unchecked": self.unchecked, "skipped": sorted(self.skip),
                "seconds": round(time.monotonic() - self.start, 2)}

    def attempt(self, attempt: int) -> bool:
        """Run the notebook once in a fresh kernel; True if it must run again."""
        nb = copy.deepcopy(self.nb)
        self.executed, self.errors = nb, []
        km = AsyncKernelManager(kernel_name="python3", kernel_spec_manager=CurrentPython())
        client = Client(nb, km=km, timeout=self.job["cell_timeout"], allow_errors=True,
                        record_timing=False, shutdown_kernel="immediate", iopub_timeout=10,
                        resources={"metadata": {"path": self.job["workdir"]}}, on_cell_executed=self.executed_hook)
        try:
            with client.setup_kernel(env=self.job["env"], cwd=self.job["workdir"], cleanup_kc=True):
                self.remember_kernel(km)
                outcome = self.run_cells(client, nb)
                if outcome == "again":
                    return True
                if outcome == "stop":
                    return False
                return self.run_harness(client, nb, attempt)
        except Exception as error:  # the kernel did not start, or nbclient failed: give up on this notebook
            self.incident("error", f"the notebook could not be run ({type(error).__name__}: {error})")
            for id, _ in self.remaining:
                self.unchecked[id] = "the notebook could not be run"
            self.remaining = []
            return False

    def executed_hook(self, cell, cell_index, execute_reply) -> None:
        """Notice a cell that called exit() or quit(): the kernel stops soon after it answers."""
        payload = (execute_reply or {}).get("content", {}).get("payload") or []
        if any(item.get("source") == "ask_exit" for item in payload):
            self.exit_asked = True

    def remember_kernel(self, km) -> None:
        """Tell the grader the kernel's process id, so that it can kill it if this worker hangs."""
        try:
            with open(self.job["pidfile"], "a", encoding="utf-8") as file:
                file.write(f"{km.provisioner.process.pid}\n")
        except Exception:
            pass

    def run_cells(self, client, nb) -> str:
        """Run the learner's cells: "done", "again" (a fresh kernel, without a cell) or "stop"."""
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            cell.outputs, cell.execution_count = [], None
            if index in self.skip:
                cell.outputs = [note(f"not run: {self.skip[index]}")]
                continue
            if not cell.source.strip():
                continue
            left = self.deadline - time.monotonic()
            if left <= 0:
                return self.out_of_time(index, nb)
            limit = min(self.job["cell_timeout"], left)
            client.timeout = max(1, math.ceil(limit))
            where = f"cell {index + 1} ({first_line(cell)})"
            self.exit_asked = False
            try:
                client.execute_cell(cell, index)
                if self.exit_asked:
                    self.incident("crashed", f"{where} stopped the kernel (exit() or quit())", index)
                    self.skip[index] = "it stopped the kernel (exit() or quit()) on an earlier run"
                    return "again"
            except CellTimeoutError:
                if limit < self.job["cell_timeout"]:
                    return self.out_of_time(index, nb)
                self.incident("timeout", f"{where} ran past {limit:g} s and was stopped", index)
                if self.recover(client):
                    cell.outputs.append(note(f"stopped after {limit:g} s (the cell time limit)"))
                    continue
                self.skip[index] = f"it ran past {limit:g} s and the kernel had to be killed"
                return "again"
            except DeadKernelError:
                self.incident("crashed", f"{where} crashed the kernel", index)
                self.skip[index] = "it crashed the kernel on an earlier run"
                return "again"
            for output in cell.outputs:
                if output.get("output_type") == "error":
                    self.errors.append({"cell": index, "text": f"{where} raised {output.get('ename')}: "
                                                               f"{str(output.get('evalue', ''))[:200]}"})
                    break
        return "done"

    def out_of_time(self, index: int, nb) -> str:
        self.incident("timeout", f"the notebook ran past its limit of {self.job['timeout']:g} s "
                                 f"(at cell {index + 1}); the checks did not run", index)
        nb.cells[index].outputs.append(note(f"stopped: the notebook ran past {self.job['timeout']:g} s"))
        for id, _ in self.remaining:
            self.unchecked[id] = f"the notebook ran past its time limit of {self.job['timeout']:g} s"
        self.remaining = []
        return "stop"

    def recover(self, client) -> bool:
        """Interrupt the kernel and see whether it answers again (True) or must be killed (False)."""
        try:
            run_sync(client.km.interrupt_kernel)()
            client.timeout = PROBE_SECONDS
            client.execute_cell(nbformat.v4.new_code_cell("pass"), 0, store_history=False)
            return True
        except (CellTimeoutError, DeadKernelError):
            return False

    def run_harness(self, client, nb, attempt: int) -> bool:
        """Run the harness cell for the exercises still to check; True if a fresh kernel must go on."""
        if not self.remaining:
            return False
        record = f"{self.job['private']}/record-{attempt}.pt"
        marker = f"{self.job['private']}/checking-{attempt}.txt"
        job = {"checks": self.job["checks"], "package": self.job["package"], "root": self.job["root"],
               "inputs": self.job["inputs"], "kernel_seed": self.job["kernel_seed"],
               "exercises": self.remaining, "out": record, "marker": marker}
        cell = nbformat.v4.new_code_cell(HARNESS.format(path=self.job["harness"], job=job))
        cell.metadata["coursekit"] = {"grader": True}
        nb.cells.append(cell)
        client.timeout = self.job["harness_timeout"]
        self.records.append(record)
        try:
            client.execute_cell(cell, len(nb.cells) - 1, store_history=False)
        except (CellTimeoutError, DeadKernelError) as error:
            what = "crashed the kernel" if isinstance(error, DeadKernelError) else \
                f"was still running after {self.job['harness_timeout']:g} s"
            current = read_text(marker)
            ids = [id for id, _ in self.remaining]
            if current not in ids:
                self.incident("crashed" if isinstance(error, DeadKernelError) else "timeout",
                              f"the grader's checks {what}")
                for id in ids:
                    self.unchecked[id] = f"the grader's checks {what}"
                self.remaining = []
                return False
            self.incident("crashed" if isinstance(error, DeadKernelError) else "timeout",
                          f"your code {what} while {current} was being checked")
            self.unchecked[current] = f"your code {what} while it was being checked"
            self.remaining = self.remaining[ids.index(current) + 1:]
            return bool(self.remaining)
        errors = [o for o in cell.outputs if o.get("output_type") == "error"]
        if errors:
            self.incident("error", f"the grader's checks raised {errors[0].get('ename')}: {errors[0].get('evalue')}")
            for id, _ in self.remaining:
                self.unchecked.setdefault(id, "the grader's checks could not run")
        self.remaining = []
        return False


def read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as file:
            return file.read().strip()
    except OSError:
        return ""


def main(argv: list[str]) -> int:
    with open(argv[1], encoding="utf-8") as file:
        job = json.load(file)
    try:
        result = Run(job).run()
    except Exception as error:  # the worker itself failed: tell the grader rather than vanish
        result = {"status": "error", "incidents": [{"kind": "error", "cell": None,
                                                    "text": f"the grader's worker failed: {error!r}"}],
                  "errors": [], "records": [], "unchecked": {}, "skipped": [], "seconds": None,
                  "traceback": traceback.format_exc()}
    with open(job["result"], "w", encoding="utf-8") as file:
        json.dump(result, file)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
