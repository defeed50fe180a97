"""Repeatable runs: one call that seeds every random number generator the course uses."""

from __future__ import annotations

import os
import random

import numpy as np


def seed_everything(seed: int = 0, *, deterministic: bool = False) -> int:
    """Seed Python's ``random``, NumPy and PyTorch (CPU and every GPU) with ``seed``.

    With ``deterministic=True`` PyTorch is also told to use deterministic
    algorithms, which makes GPU runs repeatable at some cost in speed. Returns
    the seed so a notebook can print what it used.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative whole number, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    # Hash randomisation is fixed at interpreter start; setting it here only
    # reaches subprocesses (DataLoader workers), which is where it matters.
    os.environ["PYTHONHASHSEED"] = str(seed)

    import torch

    torch.manual_seed(seed)  # seeds the CPU and all CUDA devices
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
        # cuBLAS needs this set for deterministic matrix products on CUDA >= 10.2
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    return seed
