"""Run modes: one notebook, three scales.

Every notebook runs at one of three scales:

- ``fast``: a smoke run for tests and CI, seconds per notebook on a 2-core CPU.
  Results are not meant to convince anyone, only to prove the code runs.
- ``laptop``: a laptop CPU, minutes per notebook, results that make the point.
- ``full``: a GPU, results comparable with the published ones.

The mode is picked from the hardware (a CUDA GPU means ``full``, anything else
``laptop``) unless you choose one, either with the environment variable
``COURSEKIT_MODE`` or in code with :func:`set_run_mode`. A notebook reads it in
one line and scales its work with :meth:`RunMode.pick`::

    MODE = coursekit.run_mode()
    epochs = MODE.pick(fast=1, laptop=5, full=30)
"""

from __future__ import annotations

import os
from dataclasses import dataclass

MODES = ("fast", "laptop", "full")
ENV_VAR = "COURSEKIT_MODE"

_chosen_in_code: str | None = None


@dataclass(frozen=True)
class RunMode:
    """The scale a notebook runs at, and where that choice came from."""

    name: str
    reason: str

    def pick(self, *, fast, laptop, full):
        """Return the value given for the current mode: ``MODE.pick(fast=1, laptop=5, full=30)``."""
        return {"fast": fast, "laptop": laptop, "full": full}[self.name]

    @property
    def is_fast(self) -> bool:
        return self.name == "fast"

    def __str__(self) -> str:
        return f"{self.name} ({self.reason})"


def _check_name(name: str, source: str) -> str:
    cleaned = name.strip().lower()
    if cleaned not in MODES:
        raise ValueError(
            f"{source} is {name!r}, which is not a run mode. "
            f"Use one of: {', '.join(MODES)}."
        )
    return cleaned


def set_run_mode(name: str | None) -> RunMode:
    """Choose the mode for this Python session (``None`` goes back to automatic)."""
    global _chosen_in_code
    _chosen_in_code = None if name is None else _check_name(name, "The mode asked for")
    return run_mode()


def _hardware_default() -> RunMode:
    try:
        import torch

        if torch.cuda.is_available():
            return RunMode("full", f"picked automatically: CUDA GPU {torch.cuda.get_device_name(0)}")
    except Exception:  # a broken torch install is the doctor's business, not ours
        pass
    return RunMode("laptop", "picked automatically: no CUDA GPU")


def run_mode() -> RunMode:
    """The current run mode: set in code, else ``$COURSEKIT_MODE``, else from the hardware."""
    if _chosen_in_code is not None:
        return RunMode(_chosen_in_code, "set in code with set_run_mode()")
    from_env = os.environ.get(ENV_VAR, "").strip()
    if from_env:
        return RunMode(_check_name(from_env, f"${ENV_VAR}"), f"set by ${ENV_VAR}")
    return _hardware_default()
