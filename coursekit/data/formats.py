"""Readers for the raw file formats. Each reads the whole file and rejects anything truncated or corrupt.

A reader returns the parsed content or raises ``BadFile`` with a short reason;
the caller adds which file it was and what to do about it.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import pickle
import tarfile
import zlib
from pathlib import Path

import numpy as np


class BadFile(ValueError):
    """A file is not what it should be; the message says what is wrong with it."""


# --------------------------------------------------------------------------- gzip


def gunzip(path: str | Path) -> bytes:
    """The decompressed content of a .gz file; the CRC and length are checked, so truncation is caught."""
    try:
        return gzip.decompress(Path(path).read_bytes())
    except EOFError:
        raise BadFile("the gzip data ends early, so the file is truncated") from None
    except (gzip.BadGzipFile, zlib.error) as error:
        raise BadFile(f"it is not valid gzip data ({error})") from None


# --------------------------------------------------------------------------- IDX (MNIST format)

IDX_UBYTE = 0x08  # the type code of unsigned bytes; the magic number is 0x0800 + number of dimensions


def read_idx(path: str | Path, ndim: int) -> np.ndarray:
    """A gzipped IDX file (the MNIST format) as a uint8 array with ``ndim`` dimensions."""
    data = gunzip(path)
    header = 4 + 4 * ndim
    magic = int.from_bytes(data[:4], "big")
    if len(data) < 4 or magic != IDX_UBYTE * 256 + ndim:
        raise BadFile(f"its magic number is {magic} but should be {IDX_UBYTE * 256 + ndim} "
                      f"(unsigned bytes in {ndim} dimension(s)), so it is not this kind of IDX file")
    if len(data) < header:
        raise BadFile("it ends inside its header")
    dims = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = header + math.prod(dims)
    if len(data) != expected:
        raise BadFile(f"its header promises {' x '.join(map(str, dims))} values ({expected:,} bytes) "
                      f"but it holds {len(data):,} bytes")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims).copy()


def write_idx(path: str | Path, array: np.ndarray) -> Path:
    """Save a uint8 array as a gzipped IDX file, the format ``read_idx`` reads (e.g. your own MNIST-style data)."""
    array = np.asarray(array, dtype=np.uint8)
    header = bytes([0, 0, IDX_UBYTE, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    Path(path).write_bytes(gzip.compress(header + array.tobytes(), compresslevel=6))
    return Path(path)


def read_idx_images(path: str | Path, count: int, size: tuple[int, int] = (28, 28)) -> np.ndarray:
    """An IDX image file: uint8 [count, 28, 28], with the count checked."""
    images = read_idx(path, ndim=3)
    if images.shape[1:] != size:
        raise BadFile(f"its images are {images.shape[1]}x{images.shape[2]}, expected {size[0]}x{size[1]}")
    if len(images) != count:
        raise BadFile(f"it holds {len(images):,} images, expected {count:,}")
    return images


def read_idx_labels(path: str | Path, count: int, num_classes: int = 10) -> np.ndarray:
    """An IDX label file: uint8 [count] with values 0..num_classes-1."""
    labels = read_idx(path, ndim=1)
    if len(labels) != count:
        raise BadFile(f"it holds {len(labels):,} labels, expected {count:,}")
    if labels.size and labels.max() >= num_classes:
        raise BadFile(f"it holds label {labels.max()}, but labels go from 0 to {num_classes - 1}")
    return labels


# --------------------------------------------------------------------------- CIFAR-10 (python version)

CIFAR_FOLDER = "cifar-10-batches-py"
CIFAR_TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
CIFAR_MEMBERS = CIFAR_TRAIN_BATCHES + ("test_batch", "batches.meta")


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles plain data and numpy arrays only, so a tampered file cannot run code."""

    ALLOWED = {("numpy._core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "scalar"),
               ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")}

    def find_class(self, module, name):
        module = module.replace("numpy.core.", "numpy._core.")  # pickles made by numpy 1.x
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"it contains a {module}.{name} object, which CIFAR files never hold")
        return super().find_class(module, name)


def _unpickle_member(tar: tarfile.TarFile, name: str) -> dict:
    """One pickled dict from the archive, with its bytes keys turned into str."""
    try:
        raw = tar.extractfile(f"{CIFAR_FOLDER}/{name}").read()
        content = _ArrayUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except (tarfile.TarError, EOFError, pickle.UnpicklingError, ValueError, TypeError,
            AttributeError, IndexError) as error:
        raise BadFile(f"its member {name} cannot be read ({error})") from None
    if not isinstance(content, dict):
        raise BadFile(f"its member {name} is not a dict")
    return {key.decode() if isinstance(key, bytes) else key: value for key, value in content.items()}


def _cifar_batch(tar: tarfile.TarFile, name: str) -> tuple[np.ndarray, np.ndarray]:
    """One batch: images uint8 [N, 3, 32, 32] and labels uint8 [N]."""
    batch = _unpickle_member(tar, name)
    if "data" not in batch or "labels" not in batch:
        raise BadFile(f"its member {name} lacks the keys 'data' and 'labels' (has {sorted(batch)})")
    data, labels = batch["data"], np.asarray(batch["labels"])
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        found = f"{getattr(data, 'shape', '?')} {getattr(data, 'dtype', type(data).__name__)}"
        raise BadFile(f"in {name}, 'data' should be a uint8 array of shape (N, 3072), found {found}")
    if labels.shape != (len(data),):
        raise BadFile(f"{name} has {len(data):,} images but {labels.size:,} labels")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise BadFile(f"{name} holds labels outside 0..9")
    return data.reshape(-1, 3, 32, 32), labels.astype(np.uint8)


def read_cifar10_tar(path: str | Path) -> dict:
    """The CIFAR-10 python archive: x_train/x_test uint8 [N, 3, 32, 32], y_train/y_test uint8 [N], classes."""
    try:
        tar = tarfile.open(fileobj=io.BytesIO(gunzip(path)))
        present = {member.name for member in tar.getmembers()}
    except tarfile.TarError as error:
        raise BadFile(f"it is not a valid tar archive ({error})") from None
    missing = [name for name in CIFAR_MEMBERS if f"{CIFAR_FOLDER}/{name}" not in present]
    if missing:
        raise BadFile(f"the archive lacks {', '.join(f'{CIFAR_FOLDER}/{m}' for m in missing)}")
    names = _unpickle_member(tar, "batches.meta").get("label_names")
    if not isinstance(names, list) or len(names) != 10:
        raise BadFile("batches.meta does not hold the 10 label_names")
    train = [_cifar_batch(tar, name) for name in CIFAR_TRAIN_BATCHES]
    x_test, y_test = _cifar_batch(tar, "test_batch")
    return {
        "x_train": np.concatenate([x for x, _ in train]),
        "y_train": np.concatenate([y for _, y in train]),
        "x_test": x_test,
        "y_test": y_test,
        "classes": [n.decode() if isinstance(n, bytes) else str(n) for n in names],
    }


# --------------------------------------------------------------------------- text and CSV


def read_text(path: str | Path) -> str:
    """A UTF-8 text file that is not empty."""
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadFile(f"it is not UTF-8 text (byte {error.start:,} cannot be decoded)") from None
    if not text.strip():
        raise BadFile("it is empty")
    return text


def read_series_csv(path: str | Path, columns: tuple[str, str], date_unit: str) -> tuple[np.ndarray, np.ndarray]:
    """A two-column CSV (date, value) with the header ``columns``: dates datetime64 [T] and values float32 [T]."""
    rows = [row for row in csv.reader(io.StringIO(read_text(path).lstrip("\ufeff"))) if row]
    if [cell.strip() for cell in rows[0]] != list(columns):
        raise BadFile(f"its header is {rows[0]}, expected {list(columns)}")
    if len(rows) < 2:
        raise BadFile("it has a header but no rows")
    values = []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != 2:
            raise BadFile(f"line {line} should hold 2 values (date, value) but holds {len(row)}: {row}")
        try:
            value = float(row[1])
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise BadFile(f"line {line}: {row[1]!r} is not a number")
        values.append(value)
    try:
        dates = np.array([row[0].strip() for row in rows[1:]], dtype=f"datetime64[{date_unit}]")
    except ValueError as error:
        raise BadFile(f"a date cannot be read ({error})") from None
    return dates, np.array(values, dtype=np.float32)
