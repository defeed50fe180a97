"""Toy 2-D sets, scikit-learn's bundled sets, and where the data layer looks for things."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from coursekit import data


@pytest.mark.parametrize("name", data.TOY_2D)
def test_toy_2d(name):
    X, y = data.make_toy_2d(name, n_samples=301, noise=0.05, seed=3)
    assert X.shape == (301, 2) and X.dtype == torch.float32
    assert y.shape == (301,) and y.dtype == torch.int64 and set(y.tolist()) == {0, 1}
    assert 0.35 < y.float().mean() < 0.65 and float(X.abs().max()) < 3
    X_again, y_again = data.make_toy_2d(name, n_samples=301, noise=0.05, seed=3)
    assert torch.equal(X, X_again) and torch.equal(y, y_again)
    assert not torch.equal(X, data.make_toy_2d(name, n_samples=301, noise=0.05, seed=4)[0])


def test_noise_free_xor_follows_the_rule():
    X, y = data.make_toy_2d("xor", n_samples=200, noise=0.0)
    assert torch.equal(y, ((X[:, 0] > 0) != (X[:, 1] > 0)).long())


def test_unknown_toy_set():
    with pytest.raises(ValueError, match="circles, moons, xor, spirals"):
        data.make_toy_2d("swiss-roll")


@pytest.mark.parametrize("name, shape, task", [("diabetes", (442, 10), "regression"),
                                               ("iris", (150, 4), "classification"),
                                               ("breast_cancer", (569, 30), "classification"),
                                               ("digits", (1797, 64), "classification"),
                                               ("wine", (178, 13), "classification")])
def test_sklearn_sets(name, shape, task):
    table = data.load_sklearn(name)
    assert table.X.shape == shape and table.X.dtype == torch.float32 and table.task == task
    assert len(table.feature_names) == shape[1] and table.y.shape == (shape[0],)
    if task == "regression":
        assert table.y.dtype == torch.float32 and len(table.target_names) == 1
    else:
        assert table.y.dtype == torch.int64 and int(table.y.max()) == len(table.target_names) - 1
    features, target = table.dataset()[0]
    assert features.shape == (shape[1],) and name in repr(table)


def test_unknown_sklearn_set():
    with pytest.raises(ValueError, match="diabetes"):
        data.load_sklearn("boston")


# --------------------------------------------------------------------------- paths and names


def test_data_root_argument_then_env_then_user_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSEKIT_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data.data_root() == tmp_path / "xdg" / "coursekit" / "data"
    monkeypatch.setenv("COURSEKIT_DATA", str(tmp_path / "env"))
    assert data.data_root() == tmp_path / "env"
    assert data.data_root(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.delenv("COURSEKIT_DATA")
    assert data.data_root() == Path.home() / ".cache" / "coursekit" / "data"


def test_cache_dir_and_mirror_from_env(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSEKIT_CACHE", str(tmp_path / "processed"))
    assert data.cache_dir() == tmp_path / "processed"
    assert data.mirror_url() is None
    monkeypatch.setenv("COURSEKIT_MIRROR", "http://10.0.0.5:8000/")
    assert data.mirror_url() == "http://10.0.0.5:8000"
    assert data.mirror_url("https://example.org/data") == "https://example.org/data"


def test_data_root_that_is_a_file(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(data.DataError, match="is a file, but it should be a folder"):
        data.data_root(tmp_path / "f")


def test_dataset_names_and_aliases():
    from coursekit.data.sources import get_dataset

    assert data.DATASETS == ("mnist", "fashion_mnist", "cifar10", "tiny_shakespeare", "timeseries")
    assert get_dataset("cifar-10").folder == "cifar-10" and get_dataset("Fashion-MNIST").name == "fashion_mnist"
    assert get_dataset("tinyshakespeare").name == "tiny_shakespeare"
    folders = {get_dataset(name).folder for name in data.DATASETS}
    assert folders == {"mnist", "fashion-mnist", "cifar-10", "tinyshakespeare", "timeseries"}
