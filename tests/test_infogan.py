"""Tests for InfoGAN: the two networks (shapes, parameter counts, the shared body) and the codes' loss."""

import math

import pytest
import torch
from torch.nn import functional as F

from coursekit.infogan import gaussian_nll, mutual_information_loss, sample_codes
from coursekit.models.infogan import InfoOutput, infogan_discriminator, infogan_generator


GENERATOR_PARAMS, DISCRIMINATOR_PARAMS, Q_HEAD_PARAMS = 434_321, 218_943, 9_166


def count(module):
    return sum(p.numel() for p in module.parameters())


def test_parameter_counts_match_the_docstrings():
    generator, discriminator = infogan_generator(), infogan_discriminator()
    assert count(generator) == GENERATOR_PARAMS
    assert count(discriminator) == DISCRIMINATOR_PARAMS
    assert count(discriminator.q_head) == Q_HEAD_PARAMS
    assert f"{GENERATOR_PARAMS:,}" in infogan_generator.__doc__
    assert f"{DISCRIMINATOR_PARAMS:,}" in infogan_discriminator.__doc__


def test_shapes_and_ranges():
    torch.manual_seed(0)
    generator, discriminator = infogan_generator(), infogan_discriminator(n_categories=10, n_continuous=2)
    noise, categories, continuous = sample_codes(8)
    images = generator(noise, categories, continuous)
    assert images.shape == (8, 1, 28, 28)
    assert images.min() >= -1 and images.max() <= 1
    out = discriminator(images)
    assert isinstance(out, InfoOutput)
    assert out.real_logit.shape == (8,)
    assert out.category_logits.shape == (8, 10)
    assert out.continuous_mean.shape == out.continuous_logvar.shape == (8, 2)


def test_both_heads_share_one_body():
    # the Q head costs little because it reads the real/fake head's features: one body, two small heads
    discriminator = infogan_discriminator()
    heads = count(discriminator.real_fake_head) + count(discriminator.q_head)
    assert count(discriminator) == count(discriminator.body) + heads
    assert heads < 0.05 * count(discriminator)
    out = discriminator(torch.randn(4, 1, 28, 28))
    out.category_logits.sum().backward()
    assert discriminator.body[0].weight.grad.abs().sum() > 0  # Q's loss trains the shared body
    assert discriminator.real_fake_head.weight.grad is None


def test_the_codes_change_the_image():
    torch.manual_seed(0)
    generator = infogan_generator().eval()
    noise, _, continuous = sample_codes(2)
    noise = noise[:1].expand(2, -1)
    continuous = continuous[:1].expand(2, -1)
    images = generator(noise, torch.tensor([3, 7]), continuous)
    assert (images[0] - images[1]).abs().max() > 1e-4


def test_sample_codes_ranges_and_repeatability():
    noise, categories, continuous = sample_codes(5000, noise_dim=62, n_categories=10, n_continuous=2,
                                                 generator=torch.Generator().manual_seed(1))
    assert noise.shape == (5000, 62) and categories.shape == (5000,) and continuous.shape == (5000, 2)
    assert categories.dtype == torch.int64 and set(categories.tolist()) == set(range(10))
    assert continuous.min() >= -1 and continuous.max() <= 1 and continuous.std() > 0.5
    assert abs(noise.mean()) < 0.05 and abs(noise.std() - 1) < 0.05
    again = sample_codes(5000, generator=torch.Generator().manual_seed(1))
    assert torch.equal(again[1], categories) and torch.equal(again[2], continuous)
    with pytest.raises(ValueError, match="n >= 1"):
        sample_codes(0)


def test_gaussian_nll_matches_torch_distributions():
    x, mean, logvar = torch.randn(50), torch.randn(50), torch.randn(50)
    expected = -torch.distributions.Normal(mean, (0.5 * logvar).exp()).log_prob(x)
    assert torch.allclose(gaussian_nll(x, mean, logvar), expected, atol=1e-5)


def test_mutual_information_loss_is_cross_entropy_plus_weighted_gaussian_nll():
    torch.manual_seed(0)
    n = 16
    out = InfoOutput(torch.zeros(n), torch.randn(n, 10), torch.randn(n, 2), torch.randn(n, 2))
    categories, continuous = torch.randint(0, 10, (n,)), torch.rand(n, 2) * 2 - 1
    nll = -torch.distributions.Normal(out.continuous_mean, (0.5 * out.continuous_logvar).exp()).log_prob(continuous)
    for weight in (0.0, 0.1, 1.0):
        expected = F.cross_entropy(out.category_logits, categories) + weight * nll.sum(1).mean()
        got = mutual_information_loss(out, categories, continuous, continuous_weight=weight)
        assert torch.allclose(got, expected, atol=1e-5)


def test_mutual_information_loss_rewards_recovering_the_codes():
    n = 100
    categories, continuous = torch.arange(n) % 10, torch.linspace(-1, 1, 2 * n).view(n, 2)
    knows = InfoOutput(torch.zeros(n), 20 * F.one_hot(categories, 10).float(), continuous.clone(),
                       torch.full((n, 2), -4.0))
    guesses = InfoOutput(torch.zeros(n), torch.zeros(n, 10), torch.zeros(n, 2), torch.zeros(n, 2))
    # a Q that knows nothing pays log K for the category: the bound on I(c; G) is then 0
    blind_category = F.cross_entropy(guesses.category_logits, categories)
    assert math.isclose(blind_category.item(), math.log(10), rel_tol=1e-6)
    assert mutual_information_loss(knows, categories, continuous) < mutual_information_loss(guesses, categories, continuous) - 2


def test_mutual_information_loss_rejects_mismatched_shapes():
    out = InfoOutput(torch.zeros(4), torch.zeros(4, 10), torch.zeros(4, 2), torch.zeros(4, 2))
    with pytest.raises(ValueError, match="categories"):
        mutual_information_loss(out, torch.zeros(5, dtype=torch.long), torch.zeros(4, 2))
    with pytest.raises(ValueError, match="one shape"):
        mutual_information_loss(out, torch.zeros(4, dtype=torch.long), torch.zeros(4, 3))
