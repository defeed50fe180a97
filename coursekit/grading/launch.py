"""Start one submission's worker in its sandbox, and read back only what it may leave there.

``run_worker`` runs ``_worker.py`` on a job (in the sandbox that ``sandbox.py`` makes, with the
kernel's environment from ``kernel_env``: a few variables, none of the instructor's) and kills it
whole if it outlives every limit. What the sandbox wrote is untrusted: ``read_small`` reads only
regular files (never a link, a pipe or a device) up to a size, and ``checked_result`` keeps only
the fields the grader expects from the worker's result.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

from ..data.paths import data_root
from .sandbox import Sandbox

WORKER = Path(__file__).with_name("_worker.py")


def run_worker(private: Path, job: dict, sandbox: Sandbox, uid: int | None) -> dict:
    """Run ``_worker.py`` on the job in its sandbox; kill it (and its kernels) if it outlives every limit."""
    limit = job["timeout"] + job["attempts"] * (job["harness_timeout"] + 60)
    argv = sandbox.command([sys.executable, str(WORKER), str(private / "job.json")], cwd=Path(job["workdir"]),
                           writable=[private], uid=uid,
                           read_only=[private / "checks", private / "inputs.pkl", private / "job.json"])
    with open(private / "worker.log", "wb") as log:
        worker = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=job["workdir"], env=job["env"],
                                  start_new_session=True)
        try:
            worker.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            _kill(worker.pid)  # in a sandbox, everything in it dies with it
            if not sandbox.isolated and (private / "kernel.pid").exists():
                for line in (private / "kernel.pid").read_text().split()[:10]:
                    _kill(int(line)) if line.isdigit() else None
            worker.wait()
            return {"status": "timeout", "incidents": [{"kind": "timeout", "cell": None,
                                                        "text": f"the run was killed after {limit:g} s"}],
                    "seconds": limit}
    try:
        return checked_result(read_small(private / "result.json", 2**20))
    except (OSError, ValueError, TypeError, KeyError):
        tail = read_small(private / "worker.log", 2**24, missing=b"")[-300:].decode(errors="replace")
        return {"status": "error", "incidents": [{"kind": "error", "cell": None,
                                                  "text": f"the grader's worker stopped without a result: {tail}"}]}


def read_small(path: Path, limit: int, missing: bytes | None = None) -> bytes:
    """The bytes of a regular file the sandbox wrote (never a link, a pipe or a device), at most ``limit``."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        if missing is not None:
            return missing
        raise
    with os.fdopen(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise OSError(f"{path.name} is not a regular file")
        data = file.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{path.name} is over {limit} bytes")
    return data


def checked_result(data: bytes) -> dict:
    """The worker's result (written inside the sandbox, so read as untrusted): only the expected fields."""
    result = json.loads(data)
    texts = lambda items: [{"text": str(i["text"])[:2000]} for i in items[:50]]  # noqa: E731
    status = result["status"] if result.get("status") in ("ok", "timeout", "crashed", "error") else "error"
    return {"status": status, "incidents": texts(result.get("incidents", [])),
            "errors": texts(result.get("errors", [])),
            "unchecked": {str(k): str(v)[:500] for k, v in dict(result.get("unchecked", {})).items()},
            "seconds": float(result["seconds"]) if isinstance(result.get("seconds"), (int, float)) else 0.0}


def _kill(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (OSError, AttributeError):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


KEPT_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
            "VIRTUAL_ENV", "CUDA_VISIBLE_DEVICES")


def kernel_env(work: Path, mode: str) -> dict:
    """The kernel's environment: a few of the grader's variables (nothing else of the instructor's),
    a home, temporary folder, progress file and IPython folder of its own."""
    env = {name: os.environ[name] for name in KEPT_ENV if name in os.environ}
    env.update(COURSEKIT_DATA=str(data_root()), COURSEKIT_CACHE=str(work / ".cache"), HOME=str(work), TMPDIR=str(work),
               COURSEKIT_PROGRESS=str(work / ".progress.json"), COURSEKIT_STATIC_QUIZ="1", COURSEKIT_MODE=mode,
               IPYTHONDIR=str(work / ".ipython"), MPLBACKEND="Agg", MPLCONFIGDIR=str(work / ".matplotlib"),
               JUPYTER_RUNTIME_DIR=str(work / ".runtime"), PYDEVD_DISABLE_FILE_VALIDATION="1")
    return env
