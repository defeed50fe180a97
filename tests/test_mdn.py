"""coursekit.mdn: the mixture NLL matches direct computations, stays finite where a naive one breaks, samples right."""

from __future__ import annotations

import math

import pytest
import torch

from coursekit.mdn import (MDNHead, MixtureParams, mixture_cdf, mixture_mean, mixture_nll, mixture_quantile,
                           sample_mixture)


def naive_nll(params, target):
    """-log(sum pi * N), computed the obvious way: the version that overflows and underflows."""
    logits, mu, log_sigma = params
    pi = torch.exp(logits) / torch.exp(logits).sum(-1, keepdim=True)
    sigma = torch.exp(log_sigma)
    density = torch.exp(-0.5 * ((target.unsqueeze(-2) - mu) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
    return -torch.log((pi * density.prod(-1)).sum(-1))


def one_d(logits, mu, sigma):
    """A 1-D mixture per row from lists of weights' logits, means and standard deviations."""
    mu = torch.tensor(mu, dtype=torch.float64)
    return MixtureParams(torch.tensor(logits, dtype=torch.float64), mu.unsqueeze(-1),
                         torch.tensor(sigma, dtype=torch.float64).log().unsqueeze(-1))


def test_one_component_is_the_gaussian_nll():
    torch.manual_seed(0)
    mu, sigma, y = torch.randn(20, 1, 1), torch.rand(20, 1, 1) + 0.1, torch.randn(20, 1)
    params = MixtureParams(torch.zeros(20, 1), mu, sigma.log())
    expected = -torch.distributions.Normal(mu[:, 0, 0], sigma[:, 0, 0]).log_prob(y[:, 0])
    assert torch.allclose(mixture_nll(params, y), expected, atol=1e-5)
    # and PyTorch's GaussianNLLLoss with full=True, which takes the variance
    loss = torch.nn.GaussianNLLLoss(full=True, reduction="none")(mu[:, 0], y, sigma[:, 0] ** 2)[:, 0]
    assert torch.allclose(mixture_nll(params, y), loss, atol=1e-5)


def test_a_mixture_with_known_values():
    # weights 0.25 / 0.75 (logits log 1, log 3), N(0, 1) and N(2, 0.5^2), at y = 1
    params = one_d([[0.0, math.log(3.0)]], [[0.0, 2.0]], [[1.0, 0.5]])
    pdf0 = math.exp(-0.5) / math.sqrt(2 * math.pi)
    pdf1 = math.exp(-0.5 * 4) / (0.5 * math.sqrt(2 * math.pi))
    expected = -math.log(0.25 * pdf0 + 0.75 * pdf1)
    assert mixture_nll(params, torch.tensor([[1.0]], dtype=torch.float64)).item() == pytest.approx(expected, rel=1e-12)


def test_two_dimensions_multiply_the_densities_within_a_component():
    torch.manual_seed(1)
    params = MixtureParams(torch.randn(7, 3), torch.randn(7, 3, 2), 0.3 * torch.randn(7, 3, 2))
    y = torch.randn(7, 2)
    assert torch.allclose(mixture_nll(params, y), naive_nll(params, y), atol=1e-5)


@pytest.mark.parametrize("case", ["huge distance", "tiny sigma", "very negative logits", "very positive logits"])
def test_extreme_inputs_stay_finite_and_correct_where_naive_breaks(case):
    # float32, as in training; each expected value is worked out by hand in log space
    log_sigma = torch.zeros(1, 2, 1)
    mu, y, logits = torch.zeros(1, 2, 1), torch.zeros(1, 1), torch.zeros(1, 2)
    if case == "huge distance":  # both components 1000 sigma away: each density underflows to 0
        y = torch.full((1, 1), 1000.0)
        expected = 0.5 * 1000.0 ** 2 + 0.5 * math.log(2 * math.pi)  # equal components: log 2 of weight cancels
    elif case == "tiny sigma":  # sigma = e^-120 underflows to 0 in float32, exactly on the mean
        log_sigma = torch.full((1, 2, 1), -120.0)
        expected = -120.0 + 0.5 * math.log(2 * math.pi)
    elif case == "very negative logits":  # exp(-1000) = 0 for both: the naive softmax is 0 / 0
        logits = torch.full((1, 2), -1000.0)
        expected = 0.5 * math.log(2 * math.pi)
    else:  # exp(1000) = inf: the naive softmax is inf / inf; the second component gets weight e^-1000
        logits = torch.tensor([[1000.0, 0.0]])
        mu = torch.tensor([[[5.0], [0.0]]])
        expected = 0.5 * 25 + 0.5 * math.log(2 * math.pi)
    params = MixtureParams(logits, mu, log_sigma)
    assert not torch.isfinite(naive_nll(params, y)).all(), "the naive version should break on this case"
    nll = mixture_nll(params, y)
    assert torch.isfinite(nll).all()
    assert nll.item() == pytest.approx(expected, rel=1e-5)


def test_gradients_are_finite_on_extreme_inputs():
    logits = torch.tensor([[-1000.0, 0.0, 1000.0]], requires_grad=True)
    mu = torch.tensor([[[0.0], [1e4], [-1e3]]], requires_grad=True)
    log_sigma = torch.tensor([[[-30.0], [5.0], [0.0]]], requires_grad=True)
    mixture_nll(MixtureParams(logits, mu, log_sigma), torch.tensor([[3.0]])).sum().backward()
    for tensor in (logits, mu, log_sigma):
        assert torch.isfinite(tensor.grad).all()


def test_sampling_reproduces_the_mixture_moments():
    params = one_d([[0.0, math.log(3.0)]], [[-2.0, 1.0]], [[0.5, 1.5]])
    n = 200_000
    many = MixtureParams(*(p.expand(n, *p.shape[1:]) for p in params))
    draws = sample_mixture(many, generator=torch.Generator().manual_seed(0))[:, 0]
    w, m, s = torch.tensor([0.25, 0.75]), torch.tensor([-2.0, 1.0]), torch.tensor([0.5, 1.5])
    mean = (w * m).sum()
    variance = (w * (s ** 2 + m ** 2)).sum() - mean ** 2  # law of total variance
    assert draws.mean().item() == pytest.approx(mean.item(), abs=0.02)
    assert draws.var().item() == pytest.approx(variance.item(), rel=0.02)
    assert mixture_mean(params)[0, 0].item() == pytest.approx(mean.item())


def test_sampling_is_seeded_and_keeps_shapes():
    params = MDNHead(4, 3, 2)(torch.randn(5, 6, 4))
    assert params.mu.shape == (5, 6, 3, 2) and params.logits.shape == (5, 6, 3)
    a = sample_mixture(params, generator=torch.Generator().manual_seed(3))
    b = sample_mixture(params, generator=torch.Generator().manual_seed(3))
    assert a.shape == (5, 6, 2) and torch.equal(a, b)


def test_quantiles_by_bisection_invert_the_cdf():
    params = one_d([[0.0, 0.5], [2.0, -1.0]], [[-3.0, 3.0], [0.0, 0.1]], [[1.0, 0.3], [2.0, 0.01]])
    for q in (0.05, 0.25, 0.5, 0.9):
        x = mixture_quantile(params, q)
        assert torch.allclose(mixture_cdf(params, x), torch.full_like(x, q), atol=1e-9)
    one = one_d([[0.0]], [[1.0]], [[2.0]])  # one Gaussian: the 97.5% quantile is mu + 1.96 sigma
    assert mixture_quantile(one, 0.975).item() == pytest.approx(1.0 + 2.0 * 1.959964, abs=1e-5)


def test_mismatched_shapes_say_what_to_do():
    params = MDNHead(4, 3, 1)(torch.randn(5, 4))
    with pytest.raises(ValueError, match="unsqueeze"):
        mixture_nll(params, torch.randn(5))
    with pytest.raises(ValueError, match="0 < q < 1"):
        mixture_quantile(params, 1.5)
