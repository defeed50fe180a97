import random

import numpy as np
import pytest
import torch

from coursekit import seed_everything


def draw():
    return random.random(), float(np.random.rand()), torch.rand(3).tolist()


def test_same_seed_gives_same_numbers_everywhere():
    seed_everything(123)
    first = draw()
    seed_everything(123)
    assert draw() == first


def test_different_seeds_give_different_numbers():
    seed_everything(1)
    first = draw()
    seed_everything(2)
    second = draw()
    assert all(a != b for a, b in zip(first, second))


def test_returns_the_seed_and_accepts_large_seeds():
    assert seed_everything(2**40) == 2**40


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="non-negative whole number"):
        seed_everything(bad)


def test_deterministic_flag_turns_on_deterministic_algorithms():
    try:
        seed_everything(0, deterministic=True)
        assert torch.are_deterministic_algorithms_enabled()
    finally:
        torch.use_deterministic_algorithms(False)
