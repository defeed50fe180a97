"""Checksums: a file's digest, and the ``SHA256SUMS`` files that a data folder or mirror may publish."""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_digest(path: str | Path, algorithm: str = "sha256") -> str:
    """The hex digest of a file (``algorithm`` is any hashlib name, e.g. "md5" or "sha256")."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def parse_sums(text: str) -> dict[str, str]:
    """Read ``sha256sum`` output ("HEX  folder/file" per line) into {"folder/file": "hex"}."""
    sums = {}
    for line in text.splitlines():
        parts = line.strip().split(maxsplit=1)
        if len(parts) == 2 and not parts[0].startswith("#"):
            name = parts[1].lstrip("*").strip().removeprefix("./")
            sums[name] = parts[0].lower()
    return sums


def split_checksum(checksum: str) -> tuple[str, str]:
    """"md5:abc..." -> ("md5", "abc...")."""
    algorithm, _, value = checksum.partition(":")
    return algorithm, value.lower()


MIN_PREFIX = 8  # hex digits: torchvision publishes only the first 8 of a weight file's SHA-256 in its name


def digest_matches(actual: str, expected: str) -> bool:
    """Whether a file's hex digest ``actual`` matches ``expected``: the whole digest, or a published prefix.

    A prefix (at least MIN_PREFIX hex digits) verifies only those digits: 8 of them miss a corrupt or
    truncated download once in 4 billion, but do not stop a file crafted to match them.
    """
    if len(expected) < len(actual):
        return len(expected) >= MIN_PREFIX and actual.startswith(expected)
    return actual == expected
