"""Files made by the tests: small MNIST-format sets (standing in for Fashion-MNIST), bad files, the cache."""

from __future__ import annotations

import gzip
import io
import json
import os
import pickle
import tarfile

import numpy as np
import pytest
import torch

from coursekit import data
from coursekit.data import formats, sources
from coursekit.data.checksums import file_digest

N_TRAIN, N_TEST = 100, 20


def write_idx_set(folder, n_train=N_TRAIN, n_test=N_TEST, seed=0):
    """Four valid MNIST-format files in ``folder``."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        formats.write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)))
        formats.write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", np.arange(n) % 10)
    return folder


@pytest.fixture
def small_fashion(tmp_path, monkeypatch):
    """A data root holding a 100 + 20 image Fashion-MNIST, and the registry expecting those counts."""
    folder = write_idx_set(tmp_path / "root" / "fashion-mnist")
    md5 = {p.name: file_digest(p, "md5") for p in folder.iterdir()}
    small = sources.idx_dataset("fashion_mnist", "fashion-mnist", "test set", "http://127.0.0.1:9/", md5,
                                n_train=N_TRAIN, n_test=N_TEST)
    monkeypatch.setitem(sources.REGISTRY, "fashion_mnist", small)
    return tmp_path / "root"


def write_cifar(root, n_per_batch=10, n_test=20, drop=(), data_shape=None, extra=None):
    """A small archive laid out like the CIFAR-10 python version."""
    rng = np.random.default_rng(0)
    members = {"batches.meta": {b"label_names": [c.encode() for c in CIFAR_CLASSES]}}
    for name, n in [(f"data_batch_{i}", n_per_batch) for i in range(1, 6)] + [("test_batch", n_test)]:
        pixels = rng.integers(0, 256, data_shape or (n, 3072), dtype=np.uint8)
        members[name] = {b"data": pixels, b"labels": [i % 10 for i in range(n)], **(extra or {})}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, content in members.items():
            if name not in drop:
                raw = pickle.dumps(content, protocol=2)
                info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
                info.size = len(raw)
                tar.addfile(info, io.BytesIO(raw))
    path = root / "cifar-10" / "cifar-10-python.tar.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(buffer.getvalue()))
    return path


CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


# --------------------------------------------------------------------------- good small files


def test_small_fashion_mnist_loads(small_fashion):
    fashion = data.load_fashion_mnist(small_fashion)
    assert fashion.x_train.shape == (N_TRAIN, 1, 28, 28) and fashion.x_test.shape == (N_TEST, 1, 28, 28)
    assert fashion.x_train.dtype == torch.float32 and fashion.y_train.dtype == torch.int64
    assert fashion.classes[0] == "T-shirt/top" and fashion.num_classes == 10
    raw = formats.read_idx(small_fashion / "fashion-mnist" / "train-images-idx3-ubyte.gz", ndim=3)
    assert torch.equal(fashion.x_train[:, 0], torch.from_numpy(raw).float() / 255)


def test_small_cifar_archive_loads(tmp_path):
    write_cifar(tmp_path)
    cifar = data.load_cifar10(tmp_path, limit=30)
    assert cifar.x_train.shape == (30, 3, 32, 32) and cifar.x_test.shape == (20, 3, 32, 32)
    assert cifar.classes == CIFAR_CLASSES and cifar.y_test.tolist() == [i % 10 for i in range(20)]


def test_status_reports_ready_missing_and_invalid(small_fashion):
    (small_fashion / "tinyshakespeare").mkdir()
    (small_fashion / "tinyshakespeare" / "input.txt").write_bytes(b"")
    report = data.status(small_fashion)
    assert report["fashion_mnist"].state == "ready"
    assert report["tiny-shakespeare"].state == "invalid" and "empty" in report["tiny_shakespeare"].detail
    assert report["mnist"].state == "missing" and not report.all_ready
    assert "fashion_mnist" in str(report) and "invalid" in str(report)


# --------------------------------------------------------------------------- bad files


def damage(path, how):
    raw = bytearray(path.read_bytes())
    if how == "truncate":
        raw = raw[: len(raw) // 2]
    elif how == "corrupt":
        middle = len(raw) // 2
        size = min(64, len(raw) - middle)  # keep the length
        raw[middle: middle + size] = bytes(x ^ 0xFF for x in raw[middle: middle + size])
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("how, message", [("truncate", "truncated"), ("corrupt", "not valid gzip|truncated")])
def test_damaged_gzip_is_caught(small_fashion, how, message):
    path = small_fashion / "fashion-mnist" / "train-images-idx3-ubyte.gz"
    damage(path, how)
    with pytest.raises(data.DataError, match=message) as caught:
        data.load_fashion_mnist(small_fashion)
    text = str(caught.value)
    assert str(path) in text and "delete it" in text.lower() and "coursekit fetch fashion_mnist" in text


def test_wrong_magic_number(small_fashion):
    folder = small_fashion / "fashion-mnist"
    formats.write_idx(folder / "train-images-idx3-ubyte.gz", np.zeros(N_TRAIN))  # a labels file in its place
    with pytest.raises(data.DataError, match="train-images-idx3-ubyte.gz.*magic number is 2049 but should be 2051"):
        data.load_fashion_mnist(small_fashion)


def test_count_mismatch(small_fashion):
    formats.write_idx(small_fashion / "fashion-mnist" / "t10k-labels-idx1-ubyte.gz", np.zeros(N_TEST - 1))
    expected = f"t10k-labels-idx1-ubyte.gz.*holds {N_TEST - 1} labels, expected {N_TEST}"
    with pytest.raises(data.DataError, match=expected):
        data.load_fashion_mnist(small_fashion)


def test_header_promising_more_data_than_present(small_fashion):
    path = small_fashion / "fashion-mnist" / "t10k-images-idx3-ubyte.gz"
    content = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(content[:-100]))  # a valid gzip of a cut IDX file
    with pytest.raises(data.DataError, match="header promises .* but it holds"):
        data.load_fashion_mnist(small_fashion)


def test_label_out_of_range(small_fashion):
    formats.write_idx(small_fashion / "fashion-mnist" / "train-labels-idx1-ubyte.gz", np.full(N_TRAIN, 12))
    with pytest.raises(data.DataError, match="label 12"):
        data.load_fashion_mnist(small_fashion)


@pytest.mark.parametrize("kwargs, message", [
    ({"drop": ("data_batch_3",)}, "lacks cifar-10-batches-py/data_batch_3"),
    ({"data_shape": (10, 1024)}, r"shape \(N, 3072\)"),
])
def test_bad_cifar_archive(tmp_path, kwargs, message):
    path = write_cifar(tmp_path, **kwargs)
    with pytest.raises(data.DataError, match=message) as caught:
        data.load_cifar10(tmp_path)
    assert str(path) in str(caught.value)


def test_truncated_cifar_archive(tmp_path):
    damage(write_cifar(tmp_path), "truncate")
    with pytest.raises(data.DataError, match="cifar-10-python.tar.gz.*truncated"):
        data.load_cifar10(tmp_path)


class Boom:
    def __reduce__(self):
        return (os.system, ("echo should never run",))


def test_cifar_pickle_cannot_run_code(tmp_path):
    write_cifar(tmp_path, extra={b"trap": Boom()})
    with pytest.raises(data.DataError, match="system object"):
        data.load_cifar10(tmp_path)


def test_text_that_is_not_utf8(tmp_path):
    path = tmp_path / "tinyshakespeare" / "input.txt"
    path.parent.mkdir()
    path.write_bytes(b"To be, or not \xff\xfe to be")
    with pytest.raises(data.DataError, match="input.txt.*not UTF-8"):
        data.load_tiny_shakespeare(tmp_path)


@pytest.mark.parametrize("content, message", [
    ('"Month","Count"\n"1949-01",112\n', "header"),
    ('"Month","Passengers"\n', "no rows"),
    ('"Month","Passengers"\n"1949-01",112\n"1949-02",?\n', "line 3.*not a number"),
    ('"Month","Passengers"\n"1949-01",112\n"1949-0', "line 3 should hold 2 values"),
    ('"Month","Passengers"\n"1949-13",112\n', "date cannot be read"),
])
def test_bad_csv(tmp_path, content, message):
    path = tmp_path / "timeseries" / "airline-passengers.csv"
    path.parent.mkdir()
    path.write_text(content)
    with pytest.raises(data.DataError, match=message) as caught:
        data.load_timeseries("airline_passengers", tmp_path)
    assert "airline-passengers.csv" in str(caught.value)


def test_unknown_names():
    with pytest.raises(ValueError, match="airline-passengers"):
        data.load_timeseries("stock-prices")
    with pytest.raises(data.DataError, match="mnist, fashion_mnist"):
        data.fetch(["imagenet"])


def test_data_error_is_a_runtime_error():
    assert issubclass(data.DataError, RuntimeError)


# --------------------------------------------------------------------------- processed cache


def cache_entry(name):
    entries = list((data.cache_dir() / name).iterdir())
    assert len(entries) == 1
    return entries[0]


def test_second_load_uses_the_cache(small_fashion):
    first = data.load_fashion_mnist(small_fashion)
    path = small_fashion / "fashion-mnist" / "t10k-labels-idx1-ubyte.gz"
    stat = path.stat()
    damage(path, "corrupt")  # same size and time: the cache key cannot tell, so the cache must be used
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert torch.equal(data.load_fashion_mnist(small_fashion).y_test, first.y_test)


def test_changed_raw_files_rebuild_the_cache(small_fashion):
    data.load_fashion_mnist(small_fashion)
    old = cache_entry("fashion_mnist")
    write_idx_set(small_fashion / "fashion-mnist", seed=1)
    os.utime(small_fashion / "fashion-mnist" / "train-images-idx3-ubyte.gz", ns=(1, 1))
    fresh = data.load_fashion_mnist(small_fashion)
    assert cache_entry("fashion_mnist") != old and not old.exists()
    raw = formats.read_idx(small_fashion / "fashion-mnist" / "train-images-idx3-ubyte.gz", ndim=3)
    assert torch.equal(fresh.x_train[:, 0], torch.from_numpy(raw).float() / 255)


@pytest.mark.parametrize("target, damage_how", [("x_train.npy", "truncate"), ("manifest.json", "corrupt"),
                                                ("y_test.npy", "delete")])
def test_damaged_cache_is_rebuilt(small_fashion, target, damage_how):
    first = data.load_fashion_mnist(small_fashion)
    path = cache_entry("fashion_mnist") / target
    if damage_how == "delete":
        path.unlink()
    else:
        damage(path, damage_how)
    again = data.load_fashion_mnist(small_fashion)
    assert torch.equal(again.x_train, first.x_train) and torch.equal(again.y_test, first.y_test)
    assert json.loads((cache_entry("fashion_mnist") / "manifest.json").read_text())["arrays"]


def test_unwritable_cache_only_warns(small_fashion, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("COURSEKIT_CACHE", str(blocker / "cache"))
    with pytest.warns(UserWarning, match="COURSEKIT_CACHE"):
        fashion = data.load_fashion_mnist(small_fashion)
    assert len(fashion.x_train) == N_TRAIN


def test_pickles_from_old_numpy_are_read():
    """The official CIFAR-10 batches name numpy.core.multiarray (numpy 1.x); numpy 2 calls it numpy._core."""
    import warnings

    old_style = pickle.dumps({b"data": np.arange(6, dtype=np.uint8)}, protocol=2).replace(
        b"numpy._core.multiarray", b"numpy.core.multiarray")
    assert b"numpy.core.multiarray" in old_style
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DeprecationWarning from importing numpy.core
        content = formats._ArrayUnpickler(io.BytesIO(old_style), encoding="bytes").load()
    assert content[b"data"].tolist() == [0, 1, 2, 3, 4, 5]
