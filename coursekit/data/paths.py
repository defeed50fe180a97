"""Where things live: the data root (raw downloads), the processed cache, and the classroom mirror."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .errors import DataError

DATA_ENV_VAR = "COURSEKIT_DATA"
CACHE_ENV_VAR = "COURSEKIT_CACHE"
MIRROR_ENV_VAR = "COURSEKIT_MIRROR"


def user_cache_dir() -> Path:
    """coursekit's per-user cache folder: %LOCALAPPDATA% on Windows, else $XDG_CACHE_HOME or ~/.cache."""
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "coursekit"
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "coursekit"


def _folder(chosen: str | os.PathLike | None, env_var: str, default: Path) -> Path:
    """The folder given as an argument, else in ``env_var``, else ``default``; never a file."""
    from_env = os.environ.get(env_var, "").strip()
    path = Path(chosen or from_env or default).expanduser().absolute()
    if path.exists() and not path.is_dir():
        source = "the argument" if chosen else f"${env_var}" if from_env else "the default"
        raise DataError(f"{path} (from {source}) is a file, but it should be a folder. "
                        "Point it at a folder instead.")
    return path


def data_root(root: str | os.PathLike | None = None) -> Path:
    """The data root, laid out as ``<root>/<folder>/<file>``: ``root``, else $COURSEKIT_DATA, else the user cache."""
    return _folder(root, DATA_ENV_VAR, user_cache_dir() / "data")


def cache_dir(cache: str | os.PathLike | None = None) -> Path:
    """The processed-array cache: ``cache``, else $COURSEKIT_CACHE, else ``~/.cache/coursekit/processed``."""
    return _folder(cache, CACHE_ENV_VAR, user_cache_dir() / "processed")


def mirror_url(mirror: str | None = None) -> str | None:
    """The mirror's base URL (``mirror``, else $COURSEKIT_MIRROR) without a trailing slash; None: official sources."""
    chosen = (mirror or os.environ.get(MIRROR_ENV_VAR, "")).strip()
    if not chosen:
        return None
    if "://" not in chosen:
        raise DataError(f"The mirror {chosen!r} is not a URL. Give a base URL such as http://10.0.0.5:8000 "
                        f"(an instructor running `python -m http.server` in their data folder); for a folder "
                        f"on this machine, set ${DATA_ENV_VAR} to it instead.")
    return chosen.rstrip("/")
