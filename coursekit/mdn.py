"""Mixture density networks: a network whose output is a whole distribution, a mixture of Gaussians.

    head = MDNHead(in_features=32, n_components=5, out_features=2)
    params = head(features)                      # MixtureParams(logits, mu, log_sigma)
    loss = mixture_nll(params, targets).mean()   # stable: log-softmax and logsumexp, never exp then log
    draws = sample_mixture(params)               # one target per input, drawn from its mixture

For every input the head gives ``K`` components, each with a weight, a mean and a standard deviation
per output dimension (``D`` of them, independent within a component):

    p(y | x) = sum_k  pi_k(x) * prod_d N(y_d; mu_kd(x), sigma_kd(x)^2),

with ``pi = softmax(logits)`` and ``sigma = exp(log_sigma)``. Shapes: ``logits [..., K]``,
``mu`` and ``log_sigma [..., K, D]``, targets ``[..., D]``. :func:`mixture_cdf` and
:func:`mixture_quantile` work on each output dimension alone (its marginal, a 1-D mixture with
the same weights), which is what predictive intervals need.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn

_HALF_LOG_TWO_PI = 0.5 * math.log(2 * math.pi)


class MixtureParams(NamedTuple):
    """One Gaussian mixture per input: ``logits [..., K]``, ``mu [..., K, D]``, ``log_sigma [..., K, D]``."""

    logits: torch.Tensor
    mu: torch.Tensor
    log_sigma: torch.Tensor


def _check(params: MixtureParams, target: torch.Tensor | None = None) -> None:
    """A clear error when the shapes of a mixture (and its targets) do not fit together."""
    logits, mu, log_sigma = params
    if mu.ndim < 2 or mu.shape != log_sigma.shape or logits.shape != mu.shape[:-1]:
        raise ValueError(f"Expected logits [..., K], mu and log_sigma [..., K, D]; got logits {tuple(logits.shape)}, "
                         f"mu {tuple(mu.shape)}, log_sigma {tuple(log_sigma.shape)}. A 1-D target still needs D = 1.")
    if target is not None and target.shape != mu.shape[:-2] + mu.shape[-1:]:
        raise ValueError(f"Targets of shape {tuple(target.shape)} do not fit a mixture with mu {tuple(mu.shape)}: "
                         f"expected {tuple(mu.shape[:-2] + mu.shape[-1:])}; add .unsqueeze(-1) to a 1-D target.")


def _standardize(y: torch.Tensor, params: MixtureParams) -> torch.Tensor:
    """(y - mu) / sigma for every component, ``[..., K, D]``.

    Dividing by sigma is multiplying by exp(-log_sigma), done in two halves: exp(120) overflows
    float32 but exp(60) does not, so a component with sigma = e^-120 sitting on its data gives 0, not nan.
    """
    half = torch.exp(-0.5 * params.log_sigma)
    return (y.unsqueeze(-2) - params.mu) * half * half


def mixture_nll(params: MixtureParams, target: torch.Tensor) -> torch.Tensor:
    """Negative log-likelihood of ``target [..., D]`` under each mixture, shape ``[...]``, in nats.

    Everything stays in log space: ``log pi`` from ``log_softmax``, ``log N`` written out (no
    ``exp``), and the sum over components as ``logsumexp``, so huge ``|y - mu|``, tiny ``sigma``
    and very negative logits give large but finite numbers where ``-log(sum(pi * N))`` gives inf or nan.
    """
    _check(params, target)
    logits, log_sigma = params.logits, params.log_sigma
    z = _standardize(target, params)  # [..., K, D], distance in standard deviations
    log_normal = (-0.5 * z ** 2 - log_sigma - _HALF_LOG_TWO_PI).sum(-1)  # [..., K], log N of each component
    return -torch.logsumexp(torch.log_softmax(logits, dim=-1) + log_normal, dim=-1)


class MDNHead(nn.Module):
    """A linear layer whose outputs are read as a mixture of ``n_components`` Gaussians over ``out_features`` values."""

    def __init__(self, in_features: int, n_components: int, out_features: int = 1):
        super().__init__()
        if n_components < 1 or out_features < 1:
            raise ValueError(f"Need at least one component and one output, got n_components={n_components}, "
                             f"out_features={out_features}.")
        self.n_components, self.out_features = n_components, out_features
        self.linear = nn.Linear(in_features, n_components * (1 + 2 * out_features))

    def forward(self, features: torch.Tensor) -> MixtureParams:
        k, d = self.n_components, self.out_features
        out = self.linear(features)
        logits, mu, log_sigma = out.split([k, k * d, k * d], dim=-1)
        shape = out.shape[:-1] + (k, d)
        return MixtureParams(logits, mu.reshape(shape), log_sigma.reshape(shape))


def sample_mixture(params: MixtureParams, generator: torch.Generator | None = None) -> torch.Tensor:
    """One draw ``[..., D]`` from each mixture: pick a component by its weight, then draw from that Gaussian."""
    _check(params)
    logits, mu, log_sigma = params
    k, d = mu.shape[-2:]
    probs = torch.softmax(logits, dim=-1).reshape(-1, k)
    chosen = torch.multinomial(probs, 1, generator=generator)  # [N, 1]
    index = chosen.unsqueeze(-1).expand(-1, 1, d)
    mu_k = mu.reshape(-1, k, d).gather(1, index).squeeze(1)
    sigma_k = log_sigma.reshape(-1, k, d).gather(1, index).squeeze(1).exp()
    noise = torch.randn(mu_k.shape, generator=generator, dtype=mu.dtype, device=mu.device)
    return (mu_k + sigma_k * noise).reshape(mu.shape[:-2] + (d,))


def mixture_mean(params: MixtureParams) -> torch.Tensor:
    """The mean ``[..., D]`` of each mixture: the weighted mean of the component means."""
    _check(params)
    return (torch.softmax(params.logits, dim=-1).unsqueeze(-1) * params.mu).sum(-2)


def mixture_cdf(params: MixtureParams, y: torch.Tensor) -> torch.Tensor:
    """P(Y_d <= y_d) for each output dimension ``d`` alone, shape ``[..., D]`` (the marginal CDFs)."""
    _check(params, y)
    weights = torch.softmax(params.logits, dim=-1).unsqueeze(-1)  # [..., K, 1]
    z = _standardize(y, params)
    return (weights * 0.5 * torch.erfc(-z / math.sqrt(2))).sum(-2)


@torch.no_grad()
def mixture_quantile(params: MixtureParams, q: float, iterations: int = 50) -> torch.Tensor:
    """The ``q``-quantile ``[..., D]`` of each marginal, found by bisection on :func:`mixture_cdf`.

    The answer lies between the lowest ``mu - 10 sigma`` and the highest ``mu + 10 sigma`` of the
    components; each step halves that bracket, so 50 steps leave it about 1e-15 of its width.
    """
    if not 0 < q < 1:
        raise ValueError(f"A quantile needs 0 < q < 1, got q={q}.")
    sigma = params.log_sigma.exp()
    low = (params.mu - 10 * sigma).min(-2).values
    high = (params.mu + 10 * sigma).max(-2).values
    for _ in range(iterations):
        middle = (low + high) / 2
        below = mixture_cdf(params, middle) < q
        low, high = torch.where(below, middle, low), torch.where(below, high, middle)
    return (low + high) / 2
