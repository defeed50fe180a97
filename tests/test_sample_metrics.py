"""coursekit.sample_metrics: the Fréchet distance, the code-to-digit matching and the MNIST scorer."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch
from torch import nn

from coursekit import sample_metrics as sm


def test_frechet_distance_of_a_set_with_itself_is_zero_and_grows_with_a_shift():
    features = torch.randn(500, 8, generator=torch.Generator().manual_seed(0))
    assert sm.frechet_distance(features, features) == pytest.approx(0, abs=1e-8)
    shift = torch.tensor([3.0, 0, 0, 0, 0, 0, 0, 4.0])
    assert sm.frechet_distance(features, features + shift) == pytest.approx(25.0, rel=1e-9)


def test_frechet_distance_matches_the_formula_with_scipys_matrix_square_root():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(400, 6)) @ rng.normal(size=(6, 6))
    b = rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6)) + 0.5
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(cov_a @ cov_b).real
    expected = ((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(cov_a + cov_b - 2 * root)
    assert sm.frechet_distance(torch.tensor(a), torch.tensor(b)) == pytest.approx(expected, rel=1e-6)
    # 1-D Gaussians with standard deviations s and 2s: (s - 2s)^2 = s^2
    x = torch.randn(1000, 1, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    x = x - x.mean()  # centred, so that only the spreads differ
    assert sm.frechet_distance(x, 2 * x) == pytest.approx(x.var().item(), rel=1e-9)


def test_frechet_distance_refuses_mismatched_features():
    with pytest.raises(ValueError, match="same length"):
        sm.frechet_distance(torch.zeros(10, 3), torch.zeros(10, 4))
    with pytest.raises(ValueError, match="at least 2"):
        sm.frechet_distance(torch.zeros(1, 3), torch.zeros(10, 3))


def test_matched_accuracy_undoes_a_permutation_of_the_codes():
    digits = torch.arange(10).repeat(20)
    permutation = torch.tensor([3, 7, 0, 9, 1, 4, 8, 2, 6, 5])
    codes = permutation[digits]
    accuracy, mapping = sm.matched_accuracy(codes, digits)
    assert accuracy == 1.0
    assert all(mapping[int(permutation[d])] == d for d in range(10))
    # one code that mixes two digits can match only one of them
    mixed = codes.clone()
    mixed[digits == 1] = permutation[0]
    accuracy, _ = sm.matched_accuracy(mixed, digits)
    assert accuracy == pytest.approx(0.9)


def test_class_spread_counts_every_class_even_absent_ones():
    assert sm.class_spread(torch.tensor([1, 1, 3])).tolist() == [0, 2, 0, 1, 0, 0, 0, 0, 0, 0]


class Brightest(nn.Module):
    """A stand-in scorer: the 'digit' is the two-row band (0 to 9 from the top) with the most ink."""

    def forward(self, x):
        rows = x[:, 0, :20].reshape(len(x), 10, -1).sum(dim=2)
        return rows


def test_requested_share_and_its_errors():
    images = torch.zeros(4, 1, 28, 28)
    for i, digit in enumerate([2, 5, 7, 9]):
        images[i, 0, 2 * digit:2 * digit + 2] = 1.0
    scorer = Brightest()
    assert sm.predict_digits(scorer, images).tolist() == [2, 5, 7, 9]
    assert sm.requested_share(scorer, images, [2, 5, 0, 9]) == 0.75
    assert sm.requested_share(scorer, images.reshape(4, 784), torch.tensor([2, 5, 7, 9])) == 1.0
    with pytest.raises(ValueError, match=r"\(x \+ 1\) / 2"):
        sm.predict_digits(scorer, images * 2 - 1)
    with pytest.raises(ValueError, match="shape"):
        sm.predict_digits(scorer, torch.zeros(4, 3, 32, 32))
    with pytest.raises(ValueError, match="NaN"):
        sm.predict_digits(scorer, torch.full((2, 1, 28, 28), float("nan")))
    with pytest.raises(ValueError, match="one requested digit per image"):
        sm.requested_share(scorer, images, [1, 2])


def test_the_scorer_is_trained_once_cached_and_a_damaged_cache_is_retrained(real_data, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSEKIT_CACHE", str(tmp_path))
    first = sm.mnist_scorer(mode="fast", root=real_data)
    assert "trained now" in capsys.readouterr().out
    assert first.test_accuracy > 0.7  # fast recipe: one epoch on 6,000 shifted digits (79% here)
    second = sm.mnist_scorer(mode="fast", root=real_data)
    assert "loaded from" in capsys.readouterr().out
    assert all(torch.equal(a, b) for a, b in zip(first.state_dict().values(), second.state_dict().values()))
    features = sm.scorer_features(second, torch.rand(5, 1, 28, 28))
    assert features.shape == (5, 128)

    (cached,) = (tmp_path / "models").glob("mnist_scorer-*-fast.pt")
    cached.write_bytes(b"not a state dict")
    third = sm.mnist_scorer(mode="fast", root=real_data)
    assert "could not be read" in capsys.readouterr().out
    assert third.test_accuracy == pytest.approx(first.test_accuracy)  # the same seed, the same scorer
    with pytest.raises(ValueError, match="mode must be one of"):
        sm.mnist_scorer(mode="huge", root=real_data)


def test_real_halves_are_disjoint_random_and_refuse_too_few():
    images = torch.arange(100.0).view(100, 1, 1, 1)
    a, b = sm.real_halves(images, 40)
    assert len(a) == len(b) == 40 and not set(a.flatten().tolist()) & set(b.flatten().tolist())
    assert a.flatten().tolist() != list(range(40))  # not the first 40 in order
    assert torch.equal(a, sm.real_halves(images, 40)[0])  # the same seed, the same sets
    with pytest.raises(ValueError, match="disjoint"):
        sm.real_halves(images, 51)
