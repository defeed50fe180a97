"""The data sets of the course: their folders, files, official URLs and published checksums."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable

from . import formats
from .errors import DataError


@dataclass(frozen=True)
class RemoteFile:
    """One file of a data set: its name in the folder, official URL, checksum and reader."""

    name: str
    url: str
    checksum: str  # "md5:<hex>" or "sha256:<hex>" of the official download
    read: Callable[[Path], Any]  # parses the whole file; raises formats.BadFile when it is not valid


@dataclass(frozen=True)
class Dataset:
    """A data set: the folder its files live in (``<data root>/<folder>/<file>``) and those files."""

    name: str
    folder: str
    description: str
    files: tuple[RemoteFile, ...]

    def file(self, name: str) -> RemoteFile:
        return next(f for f in self.files if f.name == name)


IDX_FILES = {  # array name -> file name, for every MNIST-format data set
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}


def idx_dataset(name: str, folder: str, description: str, base_url: str, md5: dict[str, str],
                n_train: int = 60_000, n_test: int = 10_000) -> Dataset:
    """An MNIST-format data set: four gzipped IDX files, train and test images and labels."""
    counts = {"x_train": n_train, "y_train": n_train, "x_test": n_test, "y_test": n_test}
    files = []
    for key, file in IDX_FILES.items():
        reader = formats.read_idx_images if key.startswith("x") else formats.read_idx_labels
        files.append(RemoteFile(file, base_url + file, "md5:" + md5[file], partial(reader, count=counts[key])))
    return Dataset(name, folder, description, tuple(files))


MNIST = idx_dataset(
    "mnist", "mnist", "handwritten digits 0-9, 28x28 grey, 60,000 train + 10,000 test",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    {"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
     "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
     "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
     "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"},
)

FASHION_MNIST = idx_dataset(
    "fashion_mnist", "fashion-mnist", "Zalando clothing images, 10 classes, 28x28 grey, 60,000 train + 10,000 test",
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    {"train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
     "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
     "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
     "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310"},
)

CIFAR10 = Dataset(
    "cifar10", "cifar-10", "colour photos, 10 classes, 32x32, 50,000 train + 10,000 test",
    (RemoteFile("cifar-10-python.tar.gz", "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                "md5:c58f30108f718f92721af3b95e74349a", formats.read_cifar10_tar),),
)

# No checksum is published for these files; the sha256 values are those of the widely used copies.
TINY_SHAKESPEARE = Dataset(
    "tiny_shakespeare", "tinyshakespeare", "1.1 million characters of Shakespeare's plays (char-RNN)",
    (RemoteFile("input.txt",
                "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
                "sha256:86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed", formats.read_text),),
)


@dataclass(frozen=True)
class SeriesInfo:
    """What one time-series CSV holds: its columns, how often it is sampled, its unit."""

    file: str
    columns: tuple[str, str]
    date_unit: str  # numpy datetime64 unit: "M" monthly, "D" daily
    unit: str
    description: str
    sha256: str


SERIES = {
    "airline-passengers": SeriesInfo(
        "airline-passengers.csv", ("Month", "Passengers"), "M", "thousands of passengers",
        "Monthly international airline passengers, January 1949 to December 1960",
        "8cb51be753a718d9be5d76d7e238cc224792754676adc21faa59e954b0201621"),
    "daily-min-temperatures": SeriesInfo(
        "daily-min-temperatures.csv", ("Date", "Temp"), "D", "degrees Celsius",
        "Daily minimum temperatures in Melbourne, Australia, 1981 to 1990",
        "8b9de63ed6789492bf497625e7f9beb96a63d367b4b0a21754006f749fa5e5da"),
    "monthly-sunspots": SeriesInfo(
        "monthly-sunspots.csv", ("Month", "Sunspots"), "M", "mean number of sunspots",
        "Monthly mean number of sunspots, January 1749 to December 1983",
        "c4ec8cc57d9f6fb6ecdb3e1f37f25b6f4badd5124c55931052b0cd2fc3bc71f3"),
}

TIMESERIES = Dataset(
    "timeseries", "timeseries", "three real series: airline passengers, Melbourne temperatures, sunspots",
    tuple(RemoteFile(info.file, "https://raw.githubusercontent.com/jbrownlee/Datasets/master/" + info.file,
                     "sha256:" + info.sha256,
                     partial(formats.read_series_csv, columns=info.columns, date_unit=info.date_unit))
          for info in SERIES.values()),
)

REGISTRY: dict[str, Dataset] = {d.name: d for d in (MNIST, FASHION_MNIST, CIFAR10, TINY_SHAKESPEARE, TIMESERIES)}
DATASETS: tuple[str, ...] = tuple(REGISTRY)


def _simplify(name: str) -> str:
    return name.strip().lower().replace("-", "").replace("_", "")


def get_dataset(name: str) -> Dataset:
    """The data set called ``name``; its folder name and - or _ spellings work too ("cifar-10", "fashion-mnist")."""
    for dataset in REGISTRY.values():
        if _simplify(name) in (_simplify(dataset.name), _simplify(dataset.folder)):
            return dataset
    raise DataError(f"There is no data set called {name!r}. The data sets are: {', '.join(REGISTRY)}.")
