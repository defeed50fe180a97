"""Environment and GPU checks: what is installed, what hardware there is, which device to use.

``doctor()`` (or ``coursekit doctor`` in a terminal) looks at everything the
course needs and prints one table with advice for whatever is off. It never
raises: each check catches its own failure and turns it into a line of advice.
``get_device()`` is the one call notebooks use to pick where tensors live.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata

DEVICE_ENV_VAR = "COURSEKIT_DEVICE"
SUPPORTED_PYTHON = ((3, 10), (3, 13))


# --------------------------------------------------------------------------- device


def get_device(prefer: str | None = None):
    """The ``torch.device`` the course should use: CUDA, else Apple MPS, else the CPU.

    ``prefer`` (or ``$COURSEKIT_DEVICE``) forces one, e.g. ``"cpu"`` to compare
    speeds; asking for a device that is not there raises a ``ValueError`` that
    says which ones are.
    """
    import torch

    wanted = (prefer or os.environ.get(DEVICE_ENV_VAR, "")).strip().lower()
    available = ["cpu"]
    if torch.cuda.is_available():
        available.insert(0, "cuda")
    if _mps_available(torch):
        available.insert(0, "mps")
    if not wanted:
        for name in ("cuda", "mps", "cpu"):
            if name in available:
                return torch.device(name)
    if wanted.split(":")[0] not in available:
        raise ValueError(
            f"Device {wanted!r} was asked for (argument or ${DEVICE_ENV_VAR}) but this machine "
            f"has only: {', '.join(available)}. Ask for one of those, or leave it unset."
        )
    return torch.device(wanted)


def _mps_available(torch) -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


# --------------------------------------------------------------------------- report


@dataclass
class Check:
    """One line of the report: what was looked at, what was found, and whether it is fine."""

    section: str
    name: str
    value: str
    status: str = "ok"  # "ok", "warn" or "fail"
    advice: str = ""


@dataclass
class Report:
    """Everything ``doctor`` found. Truthy when nothing failed; prints as a table."""

    checks: list[Check] = field(default_factory=list)
    device: str = "cpu"

    def add(self, section, name, value, status="ok", advice=""):
        self.checks.append(Check(section, name, str(value), status, advice))

    @property
    def problems(self) -> list[Check]:
        return [c for c in self.checks if c.status != "ok"]

    def __bool__(self) -> bool:
        return all(c.status != "fail" for c in self.checks)

    def to_text(self, brief: bool = False) -> str:
        mark = {"ok": "ok", "warn": "WARN", "fail": "FAIL"}
        shown = [c for c in self.checks if not brief or c.status != "ok" or c.section == "summary"]
        width = max((len(c.name) for c in shown), default=10)
        lines, section = [], None
        for c in shown:
            if c.section != section:
                section = c.section
                lines.append(f"\n{section.upper()}")
            lines.append(f"  {c.name:<{width}}  {c.value}" + ("" if c.status == "ok" else f"  [{mark[c.status]}]"))
        if self.problems:
            lines.append("\nADVICE")
            for c in self.problems:
                lines.append(f"  - {c.name}: {c.advice or c.value}")
        else:
            lines.append("\nAll checks passed.")
        return "\n".join(lines).lstrip("\n")

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        import html

        colour = {"ok": "#1a7f37", "warn": "#9a6700", "fail": "#cf222e"}
        rows = "".join(
            f"<tr><td>{html.escape(c.section)}</td><td>{html.escape(c.name)}</td>"
            f"<td>{html.escape(c.value)}</td>"
            f"<td style='color:{colour[c.status]};font-weight:bold'>{c.status}</td>"
            f"<td>{html.escape(c.advice)}</td></tr>"
            for c in self.checks
        )
        return (
            "<table><thead><tr><th>section</th><th>check</th><th>found</th><th></th>"
            f"<th>advice</th></tr></thead><tbody>{rows}</tbody></table>"
        )


# --------------------------------------------------------------------------- checks


def _check_python(report: Report) -> None:
    version = platform.python_version()
    low, high = SUPPORTED_PYTHON
    if low <= sys.version_info[:2] <= high:
        report.add("system", "Python", f"{version} ({sys.executable})")
    else:
        report.add("system", "Python", version, "fail",
                   f"PyTorch and TensorFlow need Python {low[0]}.{low[1]} to {high[0]}.{high[1]}; "
                   "make the environment again with one of those: PYTHON=python3.11 ./setup.sh")
    report.add("system", "OS", f"{platform.system()} {platform.release()} ({platform.machine()})")
    report.add("system", "CPU threads", os.cpu_count() or "unknown")
    memory = _total_memory_bytes()
    report.add("system", "memory", f"{memory / 2**30:.1f} GiB" if memory else "unknown")


def _total_memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # Windows, or a system that hides it
        return None


def _pinned_requirements() -> dict[str, str]:
    """Package name -> pinned version, read from coursekit's own installed metadata."""
    pins = {}
    for requirement in metadata.requires("coursekit") or []:
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^;\s]+)\s*(;(.*))?$", requirement)
        if not match or "extra ==" in (match.group(4) or ""):
            continue
        marker = match.group(4)
        if marker and not _marker_applies(marker):
            continue
        pins[match.group(1)] = match.group(2)
    return pins


def _marker_applies(marker: str) -> bool:
    try:
        from packaging.markers import Marker

        return Marker(marker).evaluate()
    except Exception:
        return True


def _check_packages(report: Report) -> None:
    try:
        pins = _pinned_requirements()
    except metadata.PackageNotFoundError:
        report.add("packages", "coursekit", "not installed", "fail",
                   "coursekit is imported from a folder but not installed; run ./setup.sh")
        return
    for name, pinned in pins.items():
        try:
            found = metadata.version(name)
        except metadata.PackageNotFoundError:
            report.add("packages", name, "missing", "fail",
                       f"{name}=={pinned} is not installed; run ./setup.sh (or pip install -e .)")
            continue
        if found.split("+")[0] == pinned:
            report.add("packages", name, found)
        else:
            report.add("packages", name, f"{found} (course pins {pinned})", "warn",
                       f"{name} {found} is installed but the course is tested with {pinned}; "
                       "run ./setup.sh to install the pinned versions")


def _check_torch(report: Report) -> None:
    try:
        import torch
    except Exception as error:  # ImportError, or a broken binary raising OSError
        report.add("pytorch", "import torch", f"failed: {error}", "fail",
                   "PyTorch does not import; run ./setup.sh, and if it still fails, remove .venv and run it again")
        return
    build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "CPU only"
    if getattr(torch.version, "hip", None):
        build = f"ROCm {torch.version.hip}"
    report.add("pytorch", "version", f"{torch.__version__} ({build} build)")
    report.add("pytorch", "CPU threads used", torch.get_num_threads())

    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(index)
            report.add("pytorch", f"cuda:{index}",
                       f"{props.name}, {props.total_memory / 2**30:.1f} GiB, compute {props.major}.{props.minor}")
        _try_device(report, torch, "cuda")
    elif _nvidia_gpu_present():
        if torch.version.cuda:
            advice = ("An NVIDIA GPU is present but PyTorch cannot use it: the driver is probably older than "
                      f"CUDA {torch.version.cuda} needs. Update the NVIDIA driver, or run on the CPU.")
        else:
            advice = ("An NVIDIA GPU is present but this PyTorch is a CPU-only build. Install a CUDA build "
                      "(see pytorch.org, 'Get started') to use the GPU; the course also runs on the CPU.")
        report.add("pytorch", "CUDA", "GPU present, not usable", "warn", advice)
    else:
        report.add("pytorch", "CUDA", "no NVIDIA GPU")

    if _mps_available(torch):
        report.add("pytorch", "Apple MPS", "available")
        _try_device(report, torch, "mps")
    elif platform.system() == "Darwin":
        report.add("pytorch", "Apple MPS", "not available", "warn",
                   "On an Apple-silicon Mac, MPS needs macOS 12.3+ and an arm64 Python (not Rosetta).")


def _try_device(report: Report, torch, name: str) -> None:
    try:
        x = torch.ones(8, device=name)
        assert float((x * 2).sum().cpu()) == 16.0
        report.add("pytorch", f"{name} works", "a tensor computed on it")
    except Exception as error:
        report.add("pytorch", f"{name} works", f"no: {error}", "fail",
                   f"PyTorch sees {name} but cannot compute on it; set COURSEKIT_DEVICE=cpu to carry on "
                   "on the CPU, and check the driver.")


def _nvidia_gpu_present() -> bool:
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10)
        return out.returncode == 0 and "GPU" in out.stdout
    except (OSError, subprocess.SubprocessError):
        return False


# TensorFlow is checked in a child process: importing it takes seconds and a
# few hundred MB, and a broken install can abort the process; neither should
# happen to the learner's notebook kernel.
_TF_PROBE = """
import json, os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf, keras
print(json.dumps({"tf": tf.__version__, "keras": keras.__version__,
                  "gpus": [d.name for d in tf.config.list_physical_devices("GPU")],
                  "cuda_build": bool(tf.test.is_built_with_cuda())}))
"""


def _check_tensorflow(report: Report, torch_has_gpu: bool) -> None:
    try:
        out = subprocess.run([sys.executable, "-c", _TF_PROBE], capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        report.add("tensorflow", "import tensorflow", "took over 2 minutes", "warn",
                   "TensorFlow is very slow to import here; the Keras notebooks will be slow to start.")
        return
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no message"])[-1]
        report.add("tensorflow", "import tensorflow", f"failed: {last}", "fail",
                   "TensorFlow is needed for the Keras vs PyTorch lesson; run ./setup.sh")
        return
    info = json.loads(out.stdout.strip().splitlines()[-1])
    report.add("tensorflow", "version", f"TensorFlow {info['tf']}, Keras {info['keras']}")
    if info["gpus"]:
        report.add("tensorflow", "GPU", ", ".join(info["gpus"]))
    elif torch_has_gpu:
        report.add("tensorflow", "GPU", "none seen", "warn",
                   "PyTorch uses the GPU but TensorFlow does not (the CPU build is installed). The course "
                   "only uses TensorFlow for the Keras comparison, which runs fine on the CPU; for a GPU, "
                   "install tensorflow[and-cuda] on Linux.")
    else:
        report.add("tensorflow", "GPU", "none (CPU)")


def _measure_matmul(report: Report, device) -> None:
    """Time float32 matrix products to give a feel for this machine's speed."""
    try:
        import torch

        n = 1024
        a = torch.randn(n, n, device=device)
        b = torch.randn(n, n, device=device)
        a @ b  # warm-up: the first call pays for kernel selection
        _synchronize(torch, device)
        repeats, start = 0, time.perf_counter()
        while repeats < 3 or time.perf_counter() - start < 0.3:
            a @ b
            repeats += 1
        _synchronize(torch, device)
        seconds = (time.perf_counter() - start) / repeats
        gflops = 2 * n**3 / seconds / 1e9
        report.add("speed", f"matmul {n}x{n} on {device}", f"{gflops:,.0f} GFLOP/s ({seconds * 1e3:.1f} ms each)")
    except Exception as error:
        report.add("speed", "matmul", f"could not measure: {error}", "warn", "")


def _synchronize(torch, device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()
    elif device.type == "mps":
        torch.mps.synchronize()


def doctor(*, tensorflow: bool = True, speed: bool = True, verbose: bool = True) -> Report:
    """Check the environment and print a report; returns it (truthy when nothing failed).

    ``tensorflow=False`` skips the TensorFlow check (it takes a few seconds) and
    ``speed=False`` the matmul timing. Nothing here raises.
    """
    report = Report()
    _check_python(report)
    _check_packages(report)
    _check_torch(report)
    torch_has_gpu = any(c.name.startswith("cuda:") for c in report.checks)
    if tensorflow:
        _check_tensorflow(report, torch_has_gpu)
    try:
        device = get_device()
        report.device = str(device)
        if speed:
            _measure_matmul(report, device)
        report.add("summary", "device for the course", _describe_device(device))
        report.add("summary", "what to expect", _expectation(device))
    except Exception as error:
        report.add("summary", "device for the course", f"none: {error}", "fail",
                   f"Unset ${DEVICE_ENV_VAR}, or set it to a device listed above.")
    _add_mode_and_data(report)
    if verbose:
        print(report)
    return report


def _describe_device(device) -> str:
    reason = f"set by ${DEVICE_ENV_VAR}" if os.environ.get(DEVICE_ENV_VAR) else "picked automatically"
    return f"{device} ({reason})"


def _expectation(device) -> str:
    if device.type == "cuda":
        return "a GPU: full mode runs the notebooks at the scale of the published results"
    if device.type == "mps":
        return "Apple GPU: laptop mode runs faster than on the CPU; full mode works but is slow"
    return "CPU only: laptop mode, minutes per notebook; full mode is meant for a CUDA GPU"


def _add_mode_and_data(report: Report) -> None:
    from .modes import run_mode

    try:
        report.add("summary", "run mode", str(run_mode()))
    except ValueError as error:
        report.add("summary", "run mode", "invalid", "fail", str(error))
    try:
        from .data import data_root

        report.add("summary", "data root", str(data_root()))
    except Exception as error:
        report.add("summary", "data root", f"unusable: {error}", "warn", str(error))
