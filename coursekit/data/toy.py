"""Small in-memory data sets: 2-D toy problems for the playground, and scikit-learn's bundled tables."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import TensorDataset

TOY_2D = ("circles", "moons", "xor", "spirals")
SKLEARN_SETS = {"diabetes": "regression", "iris": "classification", "breast_cancer": "classification",
                "digits": "classification", "wine": "classification"}


def _xor(n_samples: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Points in the square [-1, 1]^2; class 1 where x and y have different signs."""
    X = rng.uniform(-1, 1, size=(n_samples, 2))
    return X, ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(np.int64)


def _spirals(n_samples: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals of one and a half turns, the second turned by half a circle."""
    y = np.arange(n_samples) % 2
    t = np.sqrt(rng.uniform(0, 1, n_samples)) * 3 * np.pi  # sqrt: points spread evenly along the arms
    angle = t + np.pi * y
    radius = t / (3 * np.pi)
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1), y


def make_toy_2d(name: str, n_samples: int = 200, noise: float = 0.1,
                seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A two-class problem in the plane: X float32 [n_samples, 2] (roughly in [-1.5, 1.5]), y int64 [n_samples].

    ``name``: "circles" or "moons" (from scikit-learn), "xor" or "spirals".
    ``noise``: standard deviation of Gaussian noise added to the points. Same ``seed``, same points.
    """
    from sklearn.datasets import make_circles, make_moons

    rng = np.random.default_rng(seed)
    if name == "circles":
        X, y = make_circles(n_samples, noise=noise, factor=0.5, random_state=seed)
    elif name == "moons":
        X, y = make_moons(n_samples, noise=noise, random_state=seed)
    elif name in ("xor", "spirals"):
        X, y = (_xor if name == "xor" else _spirals)(n_samples, rng)
        X = X + rng.normal(0, noise, size=X.shape)
        order = rng.permutation(n_samples)  # mixed classes, like scikit-learn's sets
        X, y = X[order], y[order]
    else:
        raise ValueError(f"There is no toy set called {name!r}. Choose one of: {', '.join(TOY_2D)}.")
    return torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y, dtype=torch.int64)


@dataclass(repr=False)
class TabularData:
    """A table: ``X`` float32 [n_samples, n_features]; ``y`` float32 [n_samples] for regression,
    int64 class indices for classification (``target_names[i]`` names class i)."""

    name: str
    X: torch.Tensor
    y: torch.Tensor
    feature_names: list[str]
    target_names: list[str]
    task: str  # "regression" or "classification"
    description: str  # scikit-learn's full description of the data set

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    def dataset(self) -> TensorDataset:
        """All rows as a Dataset of (features, target) pairs."""
        return TensorDataset(self.X, self.y)

    def __repr__(self) -> str:
        return (f"TabularData({self.name!r}: {self.task}, {self.n_samples} samples x {self.n_features} features, "
                f"target {', '.join(self.target_names[:10])})")


def load_sklearn(name: str) -> TabularData:
    """One of scikit-learn's bundled sets (no download): "diabetes", "iris", "breast_cancer", "digits", "wine"."""
    import sklearn.datasets

    if name not in SKLEARN_SETS:
        raise ValueError(f"There is no bundled set called {name!r}. Choose one of: {', '.join(SKLEARN_SETS)}.")
    bunch = getattr(sklearn.datasets, f"load_{name}")()
    task = SKLEARN_SETS[name]
    if task == "regression":
        y = torch.as_tensor(bunch.target, dtype=torch.float32)
        target_names = ["disease progression one year after baseline"] if name == "diabetes" else ["target"]
    else:
        y = torch.as_tensor(bunch.target, dtype=torch.int64)
        target_names = [str(t) for t in bunch.target_names]
    return TabularData(name, torch.as_tensor(bunch.data, dtype=torch.float32), y,
                       [str(f) for f in bunch.feature_names], target_names, task, bunch.DESCR)
