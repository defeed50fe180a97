"""Measure generated digits with a classifier trained in the course, instead of only looking at them.

    from coursekit import sample_metrics as sm
    scorer = sm.mnist_scorer()                       # trained once (>= 99% in laptop mode), then cached
    sm.requested_share(scorer, images, labels)       # conditional generators: share shown as asked
    sm.class_spread(sm.predict_digits(scorer, images))   # how many samples of each digit
    sm.matched_accuracy(codes, predicted)            # InfoGAN: code -> digit after the best matching
    real_a, real_b = sm.real_halves(test_images, 5000)   # two disjoint random sets of real digits
    sm.fid_report(scorer, generated, real_a, real_b) # Fréchet distances, next to real-vs-real

Every function takes digits as ``[N, 1, 28, 28]`` (or ``[N, 28, 28]``, ``[N, 784]``) with intensities in
[0, 1]; a tanh generator's output ``x`` becomes ``(x + 1) / 2`` first.

The Fréchet distance is the idea of FID (Heusel et al., 2017) with the course's MNIST classifier in
place of Inception-v3: fit a Gaussian to the classifier's 128 penultimate features of each set of
images and measure ``|mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2))``. Its value depends on the
classifier and on the number of images, so compare figures computed the same way, and always next
to the distance between two sets of real images of the same size.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from torch import nn

from .data import load_mnist
from .data.paths import cache_dir
from .modes import run_mode

SCORER_VERSION = 2  # bump when the network or the recipe changes, so old cached weights are not reused


@dataclass(frozen=True)
class Recipe:
    """How the scorer is trained in one run mode."""

    train_images: int | None  # None: all 60,000
    epochs: int
    test_images: int | None = None


RECIPES = {"fast": Recipe(train_images=6000, epochs=1, test_images=2000),
           "laptop": Recipe(train_images=None, epochs=4),
           "full": Recipe(train_images=None, epochs=6)}


class DigitScorer(nn.Module):
    """A small CNN for 28x28 digits: ``features`` gives 128 numbers per image, ``head`` the 10 logits."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),   # 16 x 14 x 14
            nn.Conv2d(16, 32, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),  # 32 x 7 x 7
            nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(),
        )
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(128, 10))
        self.test_accuracy: float | None = None  # measured on MNIST's test digits when the scorer is made

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def mnist_scorer(*, mode=None, cache: bool = True, verbose: bool = True, root=None) -> DigitScorer:
    """The course's MNIST classifier in eval mode on the CPU, with its test accuracy measured now.

    Trained with the recipe of the run mode (laptop: 4 epochs on all 60,000 digits, each batch shifted
    by up to 2 pixels; 99.2% on the test digits after 80 s of one CPU core) and kept in
    ``<cache>/models/``; later calls load it in a second. ``cache=False``
    always trains. ``root`` is the data root (default: $COURSEKIT_DATA or the user cache).
    """
    mode_name = run_mode().name if mode is None else getattr(mode, "name", mode)
    if mode_name not in RECIPES:
        raise ValueError(f"mode must be one of {sorted(RECIPES)} or a RunMode; got {mode!r}.")
    recipe = RECIPES[mode_name]
    data = load_mnist(root)  # once; each recipe takes the first digits of each split it needs
    x_test, y_test = data.x_test[:recipe.test_images], data.y_test[:recipe.test_images]
    scorer = DigitScorer()
    path = cache_dir() / "models" / f"mnist_scorer-v{SCORER_VERSION}-{mode_name}.pt"
    trained = not (cache and _load(scorer, path))
    if trained:
        _train(scorer, data.x_train[:recipe.train_images], data.y_train[:recipe.train_images], recipe)
        if cache:
            _save(scorer, path)
    scorer.eval()
    scorer.test_accuracy = requested_share(scorer, x_test, y_test)
    if verbose:
        source = "trained now" if trained else f"loaded from {path.parent}"
        print(f"MNIST scorer ({mode_name} recipe, {source}): {scorer.test_accuracy:.2%} on "
              f"{len(y_test):,} test digits")
    return scorer


def _train(scorer: DigitScorer, x_train: torch.Tensor, y_train: torch.Tensor, recipe: Recipe) -> None:
    generator = torch.Generator().manual_seed(0)  # the same scorer on every machine and every run
    with torch.random.fork_rng():
        torch.manual_seed(0)
        scorer.apply(_reset)
        optimizer = torch.optim.Adam(scorer.parameters(), lr=2e-3)
        steps = recipe.epochs * (len(y_train) // 128)
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=2e-3, total_steps=steps)
        scorer.train()
        for _ in range(recipe.epochs):
            order = torch.randperm(len(y_train), generator=generator)
            for start in range(0, len(order) - 127, 128):
                batch = order[start:start + 128]
                images = _shifted(x_train[batch], generator)
                loss = nn.functional.cross_entropy(scorer(images), y_train[batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                schedule.step()


def _shifted(images: torch.Tensor, generator: torch.Generator, most: int = 2) -> torch.Tensor:
    """The batch moved by up to ``most`` pixels in x and y (one random shift per batch, zeros fill in)."""
    dy, dx = (torch.randint(-most, most + 1, (2,), generator=generator) + most).tolist()
    padded = nn.functional.pad(images, (most, most, most, most))
    return padded[:, :, dy:dy + 28, dx:dx + 28]


def _reset(module: nn.Module) -> None:
    if hasattr(module, "reset_parameters"):
        module.reset_parameters()


def _load(scorer: DigitScorer, path: Path) -> bool:
    try:
        scorer.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        return True
    except FileNotFoundError:
        return False
    except Exception as error:  # a damaged cache file is retrained, never used
        print(f"The cached scorer at {path} could not be read ({type(error).__name__}); training it again.")
        return False


def _save(scorer: DigitScorer, path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".part{os.getpid()}")
        torch.save(scorer.state_dict(), partial)
        os.replace(partial, path)  # a run killed while saving never leaves a half-written file in place
    except OSError as error:
        print(f"Could not keep the scorer in {path.parent} ({error}); it will be trained again next time. "
              "Set COURSEKIT_CACHE to a folder you can write to.")


def _as_digits(images, name: str = "images") -> torch.Tensor:
    """``images`` as a float CPU tensor [N, 1, 28, 28]; a clear error for other shapes or ranges."""
    x = torch.as_tensor(images).detach().to("cpu", torch.float32)
    if x.ndim == 2 and x.shape[1] == 784 or x.ndim == 3 and x.shape[1:] == (28, 28):
        x = x.reshape(-1, 1, 28, 28)
    if x.ndim != 4 or x.shape[1:] != (1, 28, 28):
        raise ValueError(f"{name} must be MNIST-sized digits [N, 1, 28, 28] (or [N, 28, 28], [N, 784]); "
                         f"got shape {list(x.shape)}.")
    if len(x) == 0:
        raise ValueError(f"{name} is empty: generate at least one image.")
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or infinite values: the generator diverged; retrain it "
                         "with a lower learning rate.")
    low, high = x.min().item(), x.max().item()
    if low < -0.01 or high > 1.01:
        raise ValueError(f"{name} must have intensities in [0, 1]; they range from {low:.2f} to {high:.2f}. "
                         "A tanh generator's output x becomes (x + 1) / 2.")
    return x


@torch.no_grad()
def _batched(function, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    return torch.cat([function(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])


def predict_digits(scorer: nn.Module, images) -> torch.Tensor:
    """The digit the scorer sees in each image: LongTensor [N]."""
    scorer.eval()
    return _batched(scorer, _as_digits(images)).argmax(dim=1)


def scorer_features(scorer: DigitScorer, images) -> torch.Tensor:
    """The scorer's 128 penultimate features per image, [N, 128], for Fréchet distances."""
    scorer.eval()
    return _batched(scorer.features, _as_digits(images))


def requested_share(scorer: nn.Module, images, labels) -> float:
    """Share of ``images`` that the scorer classifies as ``labels`` (the digits that were asked for)."""
    labels = torch.as_tensor(labels).to("cpu").long().reshape(-1)
    predicted = predict_digits(scorer, images)
    if len(labels) != len(predicted):
        raise ValueError(f"{len(predicted)} images but {len(labels)} labels: give one requested digit per image.")
    return (predicted == labels).float().mean().item()


def class_spread(predicted, num_classes: int = 10) -> torch.Tensor:
    """How many predictions fall on each class: LongTensor [num_classes] (a collapsed generator is spiky)."""
    predicted = torch.as_tensor(predicted).to("cpu").long().reshape(-1)
    return torch.bincount(predicted, minlength=num_classes)


def matched_accuracy(codes, predicted, num_classes: int = 10) -> tuple[float, dict[int, int]]:
    """Accuracy of ``codes`` as digit labels after the best one-to-one code -> digit matching.

    An unsupervised code (InfoGAN's categorical code) has no reason to call a 3 "3"; the Hungarian
    algorithm (``linear_sum_assignment``) picks the matching that agrees with ``predicted`` most often.
    Returns (accuracy, {code: digit}).
    """
    codes = torch.as_tensor(codes).to("cpu").long().reshape(-1)
    predicted = torch.as_tensor(predicted).to("cpu").long().reshape(-1)
    if len(codes) != len(predicted) or len(codes) == 0:
        raise ValueError(f"codes and predicted must be non-empty and of equal length; got {len(codes)} "
                         f"and {len(predicted)}.")
    table = torch.zeros(num_classes, num_classes, dtype=torch.long)
    table.index_put_((codes, predicted), torch.ones_like(codes), accumulate=True)
    rows, cols = linear_sum_assignment(table.numpy(), maximize=True)
    agreed = table[rows, cols].sum().item()
    return agreed / len(codes), {int(r): int(c) for r, c in zip(rows, cols)}


def frechet_distance(features_a, features_b) -> float:
    """Fréchet distance between Gaussians fitted to two sets of feature vectors [N, D] (float64 math)."""
    a = np.asarray(torch.as_tensor(features_a).to("cpu", torch.float64))
    b = np.asarray(torch.as_tensor(features_b).to("cpu", torch.float64))
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or min(len(a), len(b)) < 2:
        raise ValueError(f"need two sets of at least 2 feature vectors of the same length; got shapes "
                         f"{list(a.shape)} and {list(b.shape)}.")
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    # tr((S_a S_b)^(1/2)) = sum of sqrt(eigenvalues of S_a^(1/2) S_b S_a^(1/2)), a symmetric matrix
    values, vectors = np.linalg.eigh(cov_a)
    root_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    middle = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_root = np.sqrt(np.clip(middle, 0, None)).sum()
    distance = ((mean_a - mean_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_root
    return float(max(distance, 0.0))


def real_halves(images, n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Two disjoint random sets of ``n`` images each, for the real-vs-real floor of a Fréchet distance.

    Random, not the first and second halves: MNIST's test set is ordered (its first 5,000 digits come
    from other writers than its last 5,000), and ordered halves would put the floor far too high
    (20.9 against 1.2 for random halves of 5,000, with the laptop scorer).
    """
    if 2 * n > len(images):
        raise ValueError(f"need 2 x {n} images for two disjoint sets; got {len(images)}.")
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))
    return images[order[:n]], images[order[n:2 * n]]


def fid_report(scorer: DigitScorer, generated, real_a, real_b) -> dict[str, float]:
    """Fréchet distances {'generated': generated vs real_a, 'real_vs_real': real_b vs real_a}.

    Give ``generated`` and ``real_b`` the same number of images (the distance grows as sets shrink),
    and ``real_a``, ``real_b`` disjoint real digits (:func:`real_halves` of the test set).
    """
    reference = scorer_features(scorer, real_a)
    return {"generated": frechet_distance(scorer_features(scorer, generated), reference),
            "real_vs_real": frechet_distance(scorer_features(scorer, real_b), reference)}
