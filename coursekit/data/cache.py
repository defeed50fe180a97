"""Processed cache: parsed arrays saved as .npy files, so that the second load of a data set is fast.

An entry lives in ``<cache dir>/<data set>/<key>/``, where the key is a hash of
the raw files' paths, sizes and modification times: replace a raw file and the
entry is rebuilt. A damaged entry is thrown away and rebuilt, never an error.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import warnings
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from .paths import cache_dir

CACHE_VERSION = 1  # bump when what is stored changes


def cache_key(raw_paths: Iterable[Path]) -> str:
    """A short hash of the raw files' paths, sizes and modification times."""
    stamps = [CACHE_VERSION]
    for path in sorted(Path(p).resolve() for p in raw_paths):
        info = path.stat()
        stamps.append([str(path), info.st_size, info.st_mtime_ns])
    return hashlib.sha256(json.dumps(stamps).encode()).hexdigest()[:16]


def cached(name: str, raw_paths: Iterable[Path], build: Callable[[], dict]) -> dict:
    """The processed content of data set ``name``: from the cache if the raw files are unchanged, else ``build()``.

    ``build`` returns a dict of numpy arrays and small JSON-able values (like class names).
    """
    folder = cache_dir() / name / cache_key(raw_paths)
    content = load_entry(folder)
    if content is None:
        content = build()
        save_entry(folder, content)
    return content


def load_entry(folder: Path) -> dict | None:
    """A cache entry's content, or None when it is absent or damaged (a damaged one is deleted)."""
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        return None
    try:
        manifest = json.loads(manifest_path.read_text())
        content = dict(manifest["values"])
        for key, (shape, dtype) in manifest["arrays"].items():
            array = np.load(folder / f"{key}.npy", allow_pickle=False)
            if list(array.shape) != shape or str(array.dtype) != dtype:
                raise ValueError(f"{key}.npy holds {array.shape} {array.dtype}, expected {shape} {dtype}")
            content[key] = array
        return content
    except Exception:  # whatever is wrong with it, the cure is the same: rebuild it from the raw files
        shutil.rmtree(folder, ignore_errors=True)
        return None


def _write_atomically(path: Path, write: Callable) -> None:
    """Write through ``write(file)`` to a temporary name, then rename: readers never see half a file."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as file:
            write(file)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def save_entry(folder: Path, content: dict) -> None:
    """Save arrays as ``<key>.npy`` and the rest in ``manifest.json`` (written last); old entries are removed."""
    arrays = {k: v for k, v in content.items() if isinstance(v, np.ndarray)}
    manifest = {"arrays": {k: [list(v.shape), str(v.dtype)] for k, v in arrays.items()},
                "values": {k: v for k, v in content.items() if k not in arrays}}
    try:
        if folder.parent.is_dir():
            for old in folder.parent.iterdir():  # entries for older versions of the raw files
                if old != folder:
                    shutil.rmtree(old, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        for key, array in arrays.items():
            _write_atomically(folder / f"{key}.npy", lambda f, a=array: np.save(f, a, allow_pickle=False))
        _write_atomically(folder / "manifest.json", lambda f: f.write(json.dumps(manifest).encode()))
    except OSError as error:
        warnings.warn(f"Could not save processed data in {folder} ({error}). Loading still works, but the "
                      "next load will not be faster; set COURSEKIT_CACHE to a folder you can write to.",
                      stacklevel=3)
