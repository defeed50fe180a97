"""Variational autoencoders: the reparameterization step, the loss, and a tighter likelihood estimate.

    mu, logvar = model.encode(x)                     # q(z | x) = N(mu, diag(exp(logvar)))
    z = reparameterize(mu, logvar)                   # z = mu + sigma * eps: gradients reach mu and logvar
    terms = negative_elbo(model.decode(z), x, mu, logvar)
    terms.loss.backward()                            # mean over the batch of reconstruction + KL
    log_px = importance_weighted_log_likelihood(model, x, k=100)   # [N] nats, at least the ELBO on average

The decoder is a **Bernoulli** decoder: ``decode(z)`` returns one logit per pixel and
``log p(x | z) = sum_pixels [x log sigmoid(l) + (1 - x) log sigmoid(-l)]`` for intensities ``x`` in
[0, 1] (binary cross-entropy, summed over the pixels). The prior is ``N(0, I)``. All quantities are
in nats per image: summed over pixels and latent dimensions, one number per image.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F

_LOG_TWO_PI = math.log(2 * math.pi)


class ElboTerms(NamedTuple):
    """The two terms of the negative ELBO, one number per image (nats): ``reconstruction [N]``, ``kl [N]``."""

    reconstruction: torch.Tensor
    kl: torch.Tensor

    @property
    def per_image(self) -> torch.Tensor:
        """The negative ELBO of every image, ``[N]``: an upper bound on ``-log p(x)``."""
        return self.reconstruction + self.kl

    @property
    def loss(self) -> torch.Tensor:
        """The training loss: the negative ELBO averaged over the batch (a scalar)."""
        return self.per_image.mean()


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """A draw ``z ~ N(mu, exp(logvar))`` written as ``mu + exp(logvar / 2) * eps`` with ``eps ~ N(0, I)``.

    The randomness lives in ``eps``, which does not depend on the parameters, so ``z`` is a
    differentiable function of ``mu`` and ``logvar`` and gradients flow back into the encoder.
    """
    if mu.shape != logvar.shape:
        raise ValueError(f"mu {tuple(mu.shape)} and logvar {tuple(logvar.shape)} must have the same shape "
                         "(one mean and one log-variance per latent dimension).")
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
    return mu + torch.exp(0.5 * logvar) * eps


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """``KL(N(mu, diag(exp(logvar))) || N(0, I))`` in closed form, summed over the last dimension: ``[...]``.

    Per latent dimension it is ``(mu^2 + sigma^2 - 1 - log sigma^2) / 2``: zero exactly at the prior.
    """
    if mu.shape != logvar.shape:
        raise ValueError(f"mu {tuple(mu.shape)} and logvar {tuple(logvar.shape)} must have the same shape.")
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)


def bernoulli_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``-log p(x | z)`` of a Bernoulli decoder, summed over everything but the first dimension: ``[N]``."""
    if logits.shape != x.shape:
        raise ValueError(f"The decoder's logits {tuple(logits.shape)} and the images {tuple(x.shape)} must have "
                         "the same shape: one logit per pixel.")
    if x.numel() and (x.min() < 0 or x.max() > 1):
        raise ValueError(f"A Bernoulli decoder needs intensities in [0, 1]; these run from {x.min().item():.3g} to "
                         f"{x.max().item():.3g}. Undo any normalization (MNIST from load_mnist is already in [0, 1]).")
    # with logits, never through sigmoid then log: log(sigmoid(-30)) in float32 is fine, log(0) is not
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)


def negative_elbo(logits: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> ElboTerms:
    """The negative ELBO of each image, as its two terms: ``-log p(x | z)`` (one draw of ``z``) and the KL.

    ``logits``: the decoder's output for ``z = reparameterize(mu, logvar)``, same shape as ``x``;
    ``mu``, ``logvar``: the encoder's ``[N, latent]``. Returns :class:`ElboTerms` with ``[N]`` tensors.
    """
    if mu.shape[0] != x.shape[0]:
        raise ValueError(f"{x.shape[0]} images but {mu.shape[0]} encodings: pass the mu and logvar of these images.")
    return ElboTerms(bernoulli_nll(logits, x), gaussian_kl(mu, logvar))


def _log_normal(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """``log N(z; mu, diag(exp(logvar)))`` summed over the last dimension."""
    return -0.5 * ((z - mu).pow(2) * torch.exp(-logvar) + logvar + _LOG_TWO_PI).sum(-1)


@torch.no_grad()
def importance_weighted_log_likelihood(model, x: torch.Tensor, k: int = 100, *, batch_rows: int = 20_000,
                                       generator: torch.Generator | None = None) -> torch.Tensor:
    """An estimate of ``log p(x)`` for each image, ``[N]`` nats, from ``k`` draws of the encoder's ``q(z | x)``.

    ``log p(x) ~ logsumexp_i [log p(x | z_i) + log p(z_i) - log q(z_i | x)] - log k`` (Burda et al., 2016).
    Its expectation is a lower bound on ``log p(x)`` that rises with ``k`` towards it; ``k = 1`` is the
    ELBO. ``model`` needs ``encode(x) -> (mu, logvar)`` and ``decode(z) -> logits``. Images are taken a few
    at a time so that at most about ``batch_rows`` decoded images are held at once.
    """
    if k < 1:
        raise ValueError(f"k is the number of samples per image and must be at least 1, got {k}.")
    chunk = max(1, batch_rows // k)
    estimates = []
    for x_chunk in x.split(chunk):
        mu, logvar = model.encode(x_chunk)                            # [n, d]
        mu_k, logvar_k = mu.expand(k, *mu.shape), logvar.expand(k, *logvar.shape)   # [k, n, d]
        z = reparameterize(mu_k, logvar_k, generator=generator)
        logits = model.decode(z.flatten(0, 1))                        # [k * n, ...]
        log_px_given_z = -bernoulli_nll(logits, x_chunk.repeat(k, *[1] * (x_chunk.ndim - 1))).view(k, -1)
        log_pz = _log_normal(z, torch.zeros_like(z), torch.zeros_like(z))
        log_qz = _log_normal(z, mu_k, logvar_k)
        log_weights = log_px_given_z + log_pz - log_qz                # [k, n]
        estimates.append(torch.logsumexp(log_weights, dim=0) - math.log(k))
    return torch.cat(estimates)
