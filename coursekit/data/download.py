"""Download one file safely: stream it to ``<file>.part`` with a progress bar, verify it, then rename it."""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable

from tqdm.auto import tqdm

from .checksums import digest_matches, split_checksum
from .errors import DataError
from .formats import BadFile

TIMEOUT_S = 30  # seconds without a byte before we give up
CHUNK_BYTES = 1 << 16
USER_AGENT = "coursekit (deep-learning course data loader)"


class _Failed(Exception):
    """Internal: why a download failed, and whether it looks like there is no network."""

    def __init__(self, problem: str, offline: bool = False):
        super().__init__(problem)
        self.offline = offline


def download(url: str, dest: str | Path, *, checksum: str | None = None,
             read: Callable[[Path], Any] | None = None, advice: str | None = None,
             progress: bool = True) -> Path:
    """Download ``url`` to ``dest``; ``dest`` appears only once the whole file arrived and passed the checks.

    ``checksum`` ("md5:<hex>" or "sha256:<hex>") is compared with the download when given (a shorter
    <hex> of at least 8 digits is a prefix, as torchvision publishes, and only those digits are checked);
    ``read`` parses the downloaded file and raises ``BadFile`` when it is not valid.
    On any failure nothing is left behind (an existing ``dest`` is untouched) and a
    ``DataError`` names the file, the URL, what went wrong and what to do (``advice`` replaces the default).
    """
    dest = Path(dest)
    part = dest.with_name(f"{dest.name}.{os.getpid()}.part")  # one per process: two downloads never share it
    algorithm = split_checksum(checksum)[0] if checksum else None
    out = _open_part(part)  # a DataError when the folder cannot be written
    try:
        with out:
            actual = _stream(url, out, algorithm, dest.name, progress)
        _verify(part, checksum, actual, read)
        os.replace(part, dest)
    except _Failed as failure:
        part.unlink(missing_ok=True)
        _remove_if_empty(dest.parent)
        what = f"{dest.parent.name}/{dest.name}"
        raise DataError(f"Could not download {what} from {url}: {failure}. "
                        f"{advice or _default_advice(dest, failure.offline)}") from None
    except BaseException:  # e.g. KeyboardInterrupt in a notebook: still leave no partial file
        part.unlink(missing_ok=True)
        raise
    return dest


def _remove_if_empty(folder: Path) -> None:
    """Leave no empty data-set folder behind a failed first download (a folder with files stays)."""
    try:
        folder.rmdir()
    except OSError:
        pass


def _open_part(part: Path):
    """Create the folder and open ``<file>.part`` for writing."""
    try:
        part.parent.mkdir(parents=True, exist_ok=True)
        return open(part, "wb")
    except OSError as error:
        raise DataError(f"Cannot write to {part.parent} ({error.strerror or error}), so {part.stem} cannot be "
                        f"downloaded there. Set COURSEKIT_DATA to a folder you can write to, or copy the "
                        f"files into {part.parent}/ by hand.") from None


def _stream(url: str, out, algorithm: str | None, label: str, progress: bool) -> str | None:
    """Copy the response body into ``out``; returns its digest. Raises _Failed on any network problem."""
    digest = hashlib.new(algorithm) if algorithm else None
    received, promised = 0, None
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            length = response.headers.get("Content-Length")
            promised = int(length) if length and length.isdigit() else None
            with tqdm(total=promised, desc=label, unit="B", unit_scale=True, unit_divisor=1024,
                      disable=not progress) as bar:
                while chunk := response.read(CHUNK_BYTES):
                    out.write(chunk)
                    received += len(chunk)
                    if digest:
                        digest.update(chunk)
                    bar.update(len(chunk))
    except urllib.error.HTTPError as error:
        raise _Failed(f"the server answered HTTP {error.code} ({error.reason})") from None
    except urllib.error.URLError as error:
        raise _Failed(f"the server cannot be reached ({error.reason})", offline=True) from None
    except (http.client.HTTPException, OSError) as error:  # connection reset, timeout, disk full
        raise _Failed(f"the transfer broke off after {received:,} bytes ({error or type(error).__name__})") from None
    if promised is not None and received != promised:
        raise _Failed(f"the connection closed after {received:,} of the {promised:,} bytes promised")
    return digest.hexdigest() if digest else None


def _verify(part: Path, checksum: str | None, actual: str | None, read) -> None:
    """Raise _Failed when the checksum or the file's structure is wrong."""
    if checksum:
        algorithm, expected = split_checksum(checksum)
        if not digest_matches(actual, expected):
            should = "should be" if len(expected) == len(actual) else "should start with"
            raise _Failed(f"its {algorithm} checksum is {actual} but {should} {expected}, "
                          "so the download is corrupt or not the expected file")
    if read is not None:
        try:
            read(part)
        except BadFile as problem:
            raise _Failed(f"the downloaded file is not valid: {problem}") from None


def _default_advice(dest: Path, offline: bool) -> str:
    if offline:
        return ("This machine seems to have no network. To get the data, run `coursekit fetch` on a connected "
                f"machine and copy its data folder here, set COURSEKIT_MIRROR to a classroom mirror, or copy the "
                f"files into {dest.parent}/.")
    return (f"Nothing was kept. Try again; if it keeps failing, set COURSEKIT_MIRROR to a classroom mirror "
            f"or copy the files into {dest.parent}/.")


def read_url(url: str) -> bytes | None:
    """The content of a small file at ``url``, or None when the server says 404 (used for a mirror's SHA256SUMS).

    Other failures raise a DataError whose message is only the reason; the caller says what it was for.
    """
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return response.read()
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise DataError(f"{url} answered HTTP {error.code} ({error.reason})") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        raise DataError(f"{url} cannot be reached ({getattr(error, 'reason', error)})") from None
