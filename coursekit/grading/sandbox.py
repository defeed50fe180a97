"""A sandbox per submission: the worker and its kernel run under bubblewrap (``bwrap``), on Linux.

``Sandbox.command(argv, ...)`` wraps the worker's command line so that it runs

- in PID, network, IPC and UTS namespaces of its own: no network (only a loopback, which the
  worker and its kernel talk over), no view of the machine's other processes, and every
  process it starts dies when the worker ends or is killed (``--die-with-parent`` too);
- on a file system made of read-only views: the system (``/usr``, ``/etc``), Python, the course
  and its data; its ``solutions/``, the submissions folder, the output folder and the
  grader's secret are hidden behind empty folders; only its own work folder and private
  folder are writable;
- as a user id of its own (when the grader runs as root), without capabilities, with
  ``prlimit`` limits on memory (address space), processes (threads count), file size and CPU
  time (``Limits``; ``coursekit grade --memory-mb --max-processes --max-file-mb --cpu-seconds``).

``Sandbox(None)`` (``--unsafe-no-sandbox``) runs the worker with the limits only and says so:
the report then states that the run was not isolated. ``why_not()`` says why bubblewrap
cannot be used here (missing, or namespaces not allowed), or "" when it can.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

FIRST_UID = 1_800_000_000  # the sandboxes' user ids when the grader runs as root: one per job at once


@dataclass
class Limits:
    """What one submission's processes may use, together (processes) or each (the others)."""

    memory_mb: int = 6144  # address space of each process (torch reserves much more than it uses)
    processes: int = 512  # processes and threads of the sandbox's user
    file_mb: int = 512  # the largest file it may write
    cpu_seconds: int = 3600  # CPU time of each process

    def prlimit(self) -> list[str]:
        return ["prlimit", f"--as={self.memory_mb * 2**20}", f"--nproc={self.processes}",
                f"--fsize={self.file_mb * 2**20}", f"--cpu={self.cpu_seconds}", "--"]


def why_not() -> str:
    """Why a sandbox cannot be made on this machine ("" when it can)."""
    if not sys.platform.startswith("linux"):
        return f"bubblewrap runs only on Linux (this is {sys.platform})"
    for tool in ("bwrap", "prlimit"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian and Ubuntu: apt-get install bubblewrap util-linux)"
    probe = [shutil.which("bwrap"), *_namespaces(), "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"]
    try:
        done = subprocess.run(probe, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as error:
        return f"bwrap could not be started ({error})"
    if done.returncode:
        return f"bwrap cannot make a sandbox here: {done.stderr.decode(errors='replace').strip()[:300]}"
    return ""


def _namespaces() -> list[str]:
    shared = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
              "--die-with-parent", "--new-session"]
    return shared if os.geteuid() == 0 else ["--unshare-user", *shared]


class Sandbox:
    """Makes sandboxed command lines; ``bwrap=None`` makes unsandboxed ones (limits only)."""

    def __init__(self, bwrap: str | None, limits: Limits, readable: list[Path], hidden: list[Path]):
        self.bwrap, self.limits = bwrap, limits
        self.readable = _outermost([Path(p).resolve() for p in readable if Path(p).exists()])
        self.hidden = [Path(p).resolve() for p in hidden]
        self.lock, self.free = threading.Lock(), list(range(64))

    @property
    def isolated(self) -> bool:
        return self.bwrap is not None

    def take_uid(self) -> int | None:
        """A user id no other sandbox is using now (root only; None otherwise)."""
        if not self.isolated or os.geteuid() != 0:
            return None
        with self.lock:
            return FIRST_UID + self.free.pop(0)

    def give_uid(self, uid: int | None) -> None:
        if uid is not None:
            with self.lock:
                self.free.append(uid - FIRST_UID)

    def command(self, argv: list[str], *, writable: list[Path], read_only: list[Path], cwd: Path,
                uid: int | None) -> list[str]:
        """``argv`` wrapped: namespaces and views (when isolated), a user id, the limits."""
        limited = self.limits.prlimit() + argv
        if not self.isolated:
            return limited
        for path in writable:
            _own(path, uid)
        drop = [] if uid is not None else ["--cap-drop", "ALL"]  # (as root, setpriv drops them after changing user)
        # /tmp first: a course or Python that lives under /tmp (a fresh clone, a CI checkout) is bound into it
        args = [self.bwrap, *_namespaces(), *drop, "--tmpfs", "/", "--tmpfs", "/tmp"]
        for folder in sorted({parent for path in self.readable for parent in path.parents if parent != Path("/")}):
            args += ["--perms", "0755", "--dir", str(folder)]
        for path in self.readable:
            args += ["--ro-bind", str(path), str(path)]
        for name in ("bin", "lib", "lib64", "sbin"):
            if Path(f"/{name}").is_symlink() and Path("/usr") in self.readable:
                args += ["--symlink", os.readlink(f"/{name}"), f"/{name}"]
        args += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/dev/shm"]
        args += [arg for device in sorted(Path("/dev").glob("nvidia*")) for arg in ("--dev-bind", str(device),
                                                                                        str(device))]
        for path in self.hidden:  # behind an empty folder (a file: behind /dev/null)
            if any(path == r or r in path.parents for r in self.readable):
                args += ["--ro-bind", "/dev/null", str(path)] if path.is_file() else ["--tmpfs", str(path)]
        for folder in sorted({parent for path in writable + read_only for parent in Path(path).resolve().parents
                              if parent != Path("/")}):
            args += ["--perms", "0755", "--dir", str(folder)]
        for path in writable:
            args += ["--bind", str(Path(path).resolve()), str(Path(path).resolve())]
        for path in read_only:
            args += ["--ro-bind", str(Path(path).resolve()), str(Path(path).resolve())]
        args += ["--chdir", str(Path(cwd).resolve()), "--"]
        if uid is not None:
            args += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                     "--bounding-set=-all", "--"]
        return args + limited


def readable_roots(course: Path, data: Path | None) -> list[Path]:
    """What a sandbox may read: the system, this Python and its packages, the course and its data."""
    roots = [Path(p) for p in ("/usr", "/etc", "/opt")]
    roots += [Path(sys.prefix), Path(sys.base_prefix), Path(os.path.realpath(sys.executable)).parent.parent, course]
    roots += [Path(p) for p in sys.path if p and os.path.isdir(p) and "site-packages" in p]
    if data:
        roots.append(Path(data))
    return roots


def _outermost(paths: list[Path]) -> list[Path]:
    """The paths that are not inside another of them, in order."""
    unique = sorted(set(paths), key=lambda p: len(p.parts))
    kept: list[Path] = []
    for path in unique:
        if not any(k == path or k in path.parents for k in kept):
            kept.append(path)
    return kept


def _own(path: Path, uid: int | None) -> None:
    """Give ``path`` (and what is in it) to the sandbox's user, so that it can write there."""
    if uid is None:
        return
    for folder, dirs, files in os.walk(path):
        os.chown(folder, uid, uid)
        for name in dirs + files:
            os.chown(os.path.join(folder, name), uid, uid, follow_symlinks=False)
