"""The loaders on the real data sets: the shared copies named by $COURSEKIT_TEST_DATA."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from coursekit import data


@pytest.fixture(scope="session")
def mnist(real_data):
    return data.load_mnist(real_data)


@pytest.fixture(scope="session")
def cifar(real_data):
    return data.load_cifar10(real_data)


@pytest.fixture(scope="session")
def shakespeare(real_data):
    return data.load_tiny_shakespeare(real_data)


def check_labels(y: torch.Tensor, n: int, num_classes: int = 10) -> None:
    assert y.shape == (n,) and y.dtype == torch.int64
    counts = torch.bincount(y, minlength=num_classes)
    assert len(counts) == num_classes and int(counts.sum()) == n and bool((counts > 0).all())


def test_mnist_shapes_dtypes_and_labels(mnist):
    assert mnist.x_train.shape == (60_000, 1, 28, 28) and mnist.x_test.shape == (10_000, 1, 28, 28)
    for x in (mnist.x_train, mnist.x_test):
        assert x.dtype == torch.float32 and float(x.min()) == 0.0 and float(x.max()) == 1.0
    check_labels(mnist.y_train, 60_000)
    check_labels(mnist.y_test, 10_000)
    assert mnist.classes == [str(d) for d in range(10)] and mnist.image_shape == (1, 28, 28)
    image, label = mnist.train_set()[0]
    assert image.shape == (1, 28, 28) and label.dtype == torch.int64 and len(mnist.test_set()) == 10_000


def test_mnist_second_load_comes_from_the_cache_and_is_identical(mnist, real_data):
    entries = list((data.cache_dir() / "mnist").iterdir())
    assert len(entries) == 1 and (entries[0] / "manifest.json").exists()
    again = data.load_mnist(real_data)
    assert torch.equal(again.x_test, mnist.x_test) and torch.equal(again.y_train, mnist.y_train)


def test_limit_and_subset_take_the_first_examples(mnist, real_data):
    small = data.load_mnist(real_data, limit=2000)
    assert small.x_train.shape == (2000, 1, 28, 28) and small.y_test.shape == (2000,)
    assert torch.equal(small.x_train, mnist.x_train[:2000]) and torch.equal(small.y_test, mnist.y_test[:2000])
    part = mnist.subset(100, 30)
    assert len(part.train_set()) == 100 and len(part.test_set()) == 30 and part.classes == mnist.classes


def test_cifar10_shared_copy(cifar):
    assert cifar.x_train.shape == (10_000, 3, 32, 32) and cifar.x_test.shape == (4_000, 3, 32, 32)
    assert cifar.x_train.dtype == torch.float32
    assert 0.0 <= float(cifar.x_train.min()) < float(cifar.x_train.max()) <= 1.0
    check_labels(cifar.y_train, 10_000)
    check_labels(cifar.y_test, 4_000)
    assert cifar.classes == ["airplane", "automobile", "bird", "cat", "deer",
                             "dog", "frog", "horse", "ship", "truck"]


def test_tiny_shakespeare(shakespeare, real_data):
    raw = (real_data / "tinyshakespeare" / "input.txt").read_text(encoding="utf-8")
    assert len(shakespeare) == 1_115_394 and shakespeare.text == raw
    assert shakespeare.ids.shape == (1_115_394,) and shakespeare.ids.dtype == torch.int64
    assert shakespeare.vocab == sorted(set(raw)) and shakespeare.vocab_size == 65
    assert shakespeare.decode(shakespeare.ids[:500]) == raw[:500]
    sample = "First Citizen:\nBefore we proceed any further, hear me speak."
    assert shakespeare.decode(shakespeare.encode(sample)) == sample
    with pytest.raises(ValueError, match="not in the vocabulary"):
        shakespeare.encode("café")
    train, val = shakespeare.split(0.9)
    assert len(train) + len(val) == len(shakespeare)


def test_tiny_shakespeare_cached_load_is_identical(shakespeare, real_data):
    again = data.load_tiny_shakespeare(real_data)
    assert again.text == shakespeare.text and torch.equal(again.ids, shakespeare.ids)


@pytest.mark.parametrize("name, rows, first", [("airline-passengers", 144, 112.0),
                                               ("daily-min-temperatures", 3650, 20.7),
                                               ("monthly-sunspots", 2820, 58.0)])
def test_timeseries(real_data, name, rows, first):
    series = data.load_timeseries(name, real_data)
    lines = [line for line in (real_data / "timeseries" / f"{name}.csv").read_text().splitlines() if line.strip()]
    assert len(series) == rows == len(lines) - 1
    assert series.values.dtype == torch.float32 and series.values.shape == (rows,)
    assert series.values[0].item() == pytest.approx(first)
    assert np.issubdtype(series.dates.dtype, np.datetime64) and len(series.dates) == rows
    assert (np.diff(series.dates).astype(int) > 0).all()
    assert series.unit and series.description and name in repr(series)


def test_status_of_the_shared_folder(real_data):
    report = data.status(real_data)
    states = {d.name: d.state for d in report.datasets}
    assert states == {"mnist": "ready", "fashion_mnist": "missing", "cifar10": "ready",
                      "tiny_shakespeare": "ready", "timeseries": "ready"}
    assert "fashion-mnist/" in str(report) and "coursekit fetch" in str(report)


def test_loading_never_writes_to_the_data_root(real_data, mnist, cifar, shakespeare):
    before = sorted((p, p.stat().st_mtime_ns) for p in real_data.rglob("*"))
    data.load_timeseries("airline-passengers", real_data)
    data.load_mnist(real_data, limit=10)
    assert sorted((p, p.stat().st_mtime_ns) for p in real_data.rglob("*")) == before
