"""Image data sets (MNIST, Fashion-MNIST, CIFAR-10) as float tensors ready to train on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import TensorDataset

from .cache import cached
from .errors import DataError
from .prepare import ensure, read_file
from .sources import IDX_FILES, get_dataset

MNIST_CLASSES = [str(digit) for digit in range(10)]
FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


@dataclass(repr=False)
class ImageData:
    """Train and test images with their labels.

    ``x_train``, ``x_test``: float32 [N, C, H, W] with values in [0, 1] (C = 1 for grey, 3 for colour).
    ``y_train``, ``y_test``: int64 [N], class indices; ``classes[i]`` is the name of class i.
    """

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    classes: list[str]

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one image."""
        return tuple(self.x_train.shape[1:])

    def train_set(self) -> TensorDataset:
        """The training split as a Dataset of (image, label) pairs, ready for a DataLoader."""
        return TensorDataset(self.x_train, self.y_train)

    def test_set(self) -> TensorDataset:
        """The test split as a Dataset of (image, label) pairs."""
        return TensorDataset(self.x_test, self.y_test)

    def subset(self, n_train: int | None, n_test: int | None = None) -> ImageData:
        """The first ``n_train`` training and ``n_test`` test examples (default: as many as ``n_train``); no copy."""
        n_test = n_train if n_test is None else n_test
        return ImageData(self.name, self.x_train[:n_train], self.y_train[:n_train],
                         self.x_test[:n_test], self.y_test[:n_test], self.classes)

    def __repr__(self) -> str:
        shown = ", ".join(self.classes[:10]) + (", ..." if self.num_classes > 10 else "")
        return (f"ImageData({self.name!r}: train {list(self.x_train.shape)}, test {list(self.x_test.shape)}, "
                f"{self.num_classes} classes: {shown})")


def to_image_data(name: str, arrays: dict, classes: list[str], limit: int | None = None) -> ImageData:
    """uint8 arrays ([N, H, W] or [N, C, H, W], labels [N]) -> ImageData, keeping the first ``limit`` of each split."""

    def images(x: np.ndarray) -> torch.Tensor:
        x = torch.from_numpy(np.array(x[:limit]))  # a copy: the tensor owns its memory
        return (x.unsqueeze(1) if x.ndim == 3 else x).float().div_(255)

    def labels(y: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(y[:limit].astype(np.int64))

    return ImageData(name, images(arrays["x_train"]), labels(arrays["y_train"]),
                     images(arrays["x_test"]), labels(arrays["y_test"]), list(classes))


def _load_idx(name: str, classes: list[str], root, mirror, limit) -> ImageData:
    """Any MNIST-format data set: four IDX files, parsed once and then served from the cache."""
    dataset = get_dataset(name)
    paths = ensure(dataset, root=root, mirror=mirror)

    def parse() -> dict:
        arrays = {key: read_file(dataset, dataset.file(file), paths[file]) for key, file in IDX_FILES.items()}
        for split in ("train", "test"):
            n_images, n_labels = len(arrays[f"x_{split}"]), len(arrays[f"y_{split}"])
            if n_images != n_labels:
                raise DataError(f"The {name} {split} files disagree: {n_images:,} images but {n_labels:,} "
                                f"labels in {paths[IDX_FILES['x_' + split]].parent}/. Delete them and load again.")
        return arrays

    return to_image_data(dataset.name, cached(dataset.name, paths.values(), parse), classes, limit)


def load_mnist(root=None, *, mirror: str | None = None, limit: int | None = None) -> ImageData:
    """MNIST digits: x float32 [60000, 1, 28, 28] in [0, 1], y int64 [60000]; test 10,000.

    ``limit`` keeps only the first N examples of each split (fast mode: ``limit=2000``).
    """
    return _load_idx("mnist", MNIST_CLASSES, root, mirror, limit)


def load_fashion_mnist(root=None, *, mirror: str | None = None, limit: int | None = None) -> ImageData:
    """Fashion-MNIST clothes, same shapes as MNIST; ``classes`` names the 10 kinds of clothing."""
    return _load_idx("fashion_mnist", FASHION_MNIST_CLASSES, root, mirror, limit)


def load_cifar10(root=None, *, mirror: str | None = None, limit: int | None = None) -> ImageData:
    """CIFAR-10 photos: x float32 [N, 3, 32, 32] in [0, 1], y int64 [N]; ``classes`` from batches.meta."""
    dataset = get_dataset("cifar10")
    file = dataset.files[0]
    path = ensure(dataset, root=root, mirror=mirror)[file.name]
    content = cached(dataset.name, [path], lambda: read_file(dataset, file, path))
    return to_image_data(dataset.name, content, content["classes"], limit)
