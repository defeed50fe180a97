"""InfoGAN's two extra pieces: drawing the codes, and the mutual-information loss that keeps them.

    from coursekit.infogan import sample_codes, mutual_information_loss
    noise, categories, continuous = sample_codes(64)          # [64, 62], [64], [64, 2]
    out = D(G(noise, categories, continuous))                 # an InfoOutput (coursekit.models.infogan)
    info_loss = mutual_information_loss(out, categories, continuous)

The loss is the negative of InfoGAN's variational lower bound on I(codes; G(noise, codes)), up to
the entropy of the codes, which is a constant: the cross-entropy of Q's guess of the categorical
code, plus ``continuous_weight`` times the Gaussian negative log-likelihood of the continuous codes
under Q's mean and variance. Chen et al. (2016) use weight 1 for the categorical code and a smaller
one for continuous codes; the default here is 1 and 0.1.
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F


def sample_codes(n: int, noise_dim: int = 62, n_categories: int = 10, n_continuous: int = 2,
                 generator: torch.Generator | None = None):
    """Draw ``n`` latent inputs: noise N(0, 1), a uniform category, continuous codes uniform in [-1, 1].

    Returns ``(noise [n, noise_dim], categories [n] int64, continuous [n, n_continuous])``.
    """
    if n < 1 or n_categories < 1 or noise_dim < 0 or n_continuous < 0:
        raise ValueError(f"sample_codes needs n >= 1 and n_categories >= 1 and no negative sizes; got "
                         f"n={n}, noise_dim={noise_dim}, n_categories={n_categories}, n_continuous={n_continuous}.")
    noise = torch.randn(n, noise_dim, generator=generator)
    categories = torch.randint(0, n_categories, (n,), generator=generator)
    continuous = torch.rand(n, n_continuous, generator=generator) * 2 - 1
    return noise, categories, continuous


def gaussian_nll(x: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """-log N(x; mean, exp(logvar)) per element, in nats."""
    return 0.5 * (logvar + (x - mean) ** 2 / logvar.exp() + math.log(2 * math.pi))


def mutual_information_loss(q_output, categories: torch.Tensor, continuous: torch.Tensor,
                            continuous_weight: float = 0.1) -> torch.Tensor:
    """InfoGAN's information loss (a scalar): what Q fails to recover of the codes fed to G.

    ``q_output`` has ``category_logits`` [N, K], ``continuous_mean`` and ``continuous_logvar``
    [N, C] (an ``InfoOutput``); ``categories`` [N] are the category indices and ``continuous``
    [N, C] the continuous codes that made the images. Returns the batch mean of
    ``cross_entropy + continuous_weight * sum over codes of Gaussian NLL``. Minimizing it raises
    the lower bound on the mutual information between the codes and the images.
    """
    logits, mean, logvar = q_output.category_logits, q_output.continuous_mean, q_output.continuous_logvar
    if logits.dim() != 2 or categories.shape != logits.shape[:1]:
        raise ValueError(f"category_logits must be [N, K] and categories [N]; got {tuple(logits.shape)} "
                         f"and {tuple(categories.shape)}.")
    if continuous.shape != mean.shape or mean.shape != logvar.shape:
        raise ValueError(f"continuous codes, Q's means and log-variances must have one shape [N, C]; got "
                         f"{tuple(continuous.shape)}, {tuple(mean.shape)} and {tuple(logvar.shape)}.")
    category_loss = F.cross_entropy(logits, categories)
    continuous_loss = gaussian_nll(continuous, mean, logvar).sum(dim=1).mean()
    return category_loss + continuous_weight * continuous_loss
