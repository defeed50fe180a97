"""The VAE's pieces: KL in closed form, the reparameterization step, the ELBO terms, the IWAE estimate, the model."""

import math

import pytest
import torch
from torch import nn

from coursekit.models.vae import VAE, vae_mlp
from coursekit.vae import (
    ElboTerms,
    bernoulli_nll,
    gaussian_kl,
    importance_weighted_log_likelihood,
    negative_elbo,
    reparameterize,
)


def test_kl_closed_form_matches_monte_carlo():
    g = torch.Generator().manual_seed(0)
    mu = torch.tensor([[0.5, -1.0, 2.0], [0.0, 0.3, -0.7]], dtype=torch.float64)
    logvar = torch.tensor([[0.0, -1.5, 0.8], [1.2, -0.2, -2.5]], dtype=torch.float64)
    z = reparameterize(mu.expand(200_000, 2, 3), logvar.expand(200_000, 2, 3), generator=g)
    log_q = (-0.5 * ((z - mu) ** 2 / logvar.exp() + logvar + math.log(2 * math.pi))).sum(-1)
    log_p = (-0.5 * (z ** 2 + math.log(2 * math.pi))).sum(-1)
    monte_carlo = (log_q - log_p).mean(0)
    torch.testing.assert_close(gaussian_kl(mu, logvar), monte_carlo, atol=0.03, rtol=0.01)


def test_kl_is_zero_at_the_prior_and_positive_elsewhere():
    assert torch.equal(gaussian_kl(torch.zeros(4, 5), torch.zeros(4, 5)), torch.zeros(4))
    kl = gaussian_kl(torch.randn(100, 5), torch.randn(100, 5))
    assert kl.shape == (100,) and (kl > 0).all()
    # one dimension by hand: mu = 1, sigma^2 = e: (1 + e - 1 - 1) / 2
    assert gaussian_kl(torch.tensor([1.0]), torch.tensor([1.0])).item() == pytest.approx((math.e - 1) / 2)


def test_reparameterize_draws_the_right_distribution():
    g = torch.Generator().manual_seed(1)
    mu, logvar = torch.tensor([3.0, -2.0]), torch.tensor([math.log(4.0), math.log(0.25)])
    z = reparameterize(mu.expand(100_000, 2), logvar.expand(100_000, 2), generator=g)
    torch.testing.assert_close(z.mean(0), mu, atol=0.02, rtol=0)
    torch.testing.assert_close(z.std(0), torch.tensor([2.0, 0.5]), atol=0.02, rtol=0)


def test_reparameterize_passes_gradients_where_sampling_does_not():
    mu = torch.zeros(3, requires_grad=True)
    logvar = torch.zeros(3, requires_grad=True)
    # a plain draw cuts the graph: torch.normal silently gives zero gradients, .sample() has no graph at all
    (torch.normal(mu, logvar.exp().sqrt()) ** 2).sum().backward()
    assert torch.equal(mu.grad, torch.zeros(3)) and torch.equal(logvar.grad, torch.zeros(3))
    assert torch.distributions.Normal(mu, logvar.exp().sqrt()).sample().grad_fn is None
    mu.grad = logvar.grad = None
    z = reparameterize(mu, logvar)
    (z ** 2).sum().backward()
    assert mu.grad is not None and logvar.grad is not None
    assert mu.grad.abs().sum() > 0 and logvar.grad.abs().sum() > 0
    eps = (z.detach() - 0.0) / 1.0  # sigma = 1, mu = 0: z is eps itself
    torch.testing.assert_close(mu.grad, 2 * eps)  # d(z^2)/d mu = 2 z


def test_reparameterize_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape"):
        reparameterize(torch.zeros(2, 3), torch.zeros(2, 4))


def test_bernoulli_nll_matches_the_formula_and_stays_finite():
    x = torch.tensor([[0.0, 1.0, 0.3, 0.9]])
    logits = torch.tensor([[-2.0, 1.5, 0.0, 3.0]])
    p = torch.sigmoid(logits)
    by_hand = -(x * p.log() + (1 - x) * (1 - p).log()).sum(1)
    torch.testing.assert_close(bernoulli_nll(logits, x), by_hand)
    # confident and right: close to 0; confident and wrong: about 100, never inf
    extreme = bernoulli_nll(torch.tensor([[100.0], [-100.0]]), torch.tensor([[1.0], [1.0]]))
    assert torch.isfinite(extreme).all() and extreme[0] < 1e-6 and extreme[1] == pytest.approx(100.0)


def test_bernoulli_nll_rejects_normalized_images():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        bernoulli_nll(torch.zeros(2, 4), torch.full((2, 4), -0.4))
    with pytest.raises(ValueError, match="same shape"):
        bernoulli_nll(torch.zeros(2, 784), torch.zeros(2, 1, 28, 28))


def test_negative_elbo_returns_both_terms_per_image():
    x = torch.rand(5, 1, 28, 28)
    mu, logvar = torch.randn(5, 8), torch.randn(5, 8)
    logits = torch.randn(5, 1, 28, 28)
    terms = negative_elbo(logits, x, mu, logvar)
    assert isinstance(terms, ElboTerms)
    assert terms.reconstruction.shape == terms.kl.shape == (5,)
    torch.testing.assert_close(terms.reconstruction, bernoulli_nll(logits, x))
    torch.testing.assert_close(terms.kl, gaussian_kl(mu, logvar))
    torch.testing.assert_close(terms.loss, (terms.reconstruction + terms.kl).mean())
    with pytest.raises(ValueError, match="encodings"):
        negative_elbo(logits, x, mu[:3], logvar[:3])


class _TinyVAE(nn.Module):
    """1-D latent, 4 pixels: small enough to integrate p(x) numerically."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.enc = nn.Linear(4, 2)
        self.dec = nn.Linear(1, 4)
        with torch.no_grad():
            self.dec.weight.mul_(3.0)  # a decoder that depends strongly on z, so the bounds differ

    def encode(self, x):
        mu, logvar = self.enc(x).chunk(2, -1)
        return mu, logvar - 1.0

    def decode(self, z):
        return self.dec(z)


def _exact_log_px(model, x):
    # p(x) = integral of p(x | z) N(z; 0, 1) dz, as a sum over a fine grid (the tails beyond +-10 are negligible)
    z = torch.linspace(-10, 10, 4001, dtype=torch.float64).unsqueeze(1)
    with torch.no_grad():
        logits = nn.functional.linear(z, model.dec.weight.double(), model.dec.bias.double())
    pairs = len(x), len(z), 4
    log_lik = -bernoulli_nll(logits.expand(pairs).flatten(0, 1), x.double().unsqueeze(1).expand(pairs).flatten(0, 1))
    log_lik = log_lik.view(len(x), len(z))  # [N, grid]
    log_prior = -0.5 * (z[:, 0] ** 2 + math.log(2 * math.pi))
    return torch.logsumexp(log_lik + log_prior, dim=1) + math.log(z[1, 0] - z[0, 0])


def test_importance_weighted_estimate_rises_with_k_towards_the_exact_likelihood():
    model = _TinyVAE()
    x = torch.rand(64, 4, generator=torch.Generator().manual_seed(2))
    exact = _exact_log_px(model, x)
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        mu, logvar = model.encode(x)
        elbo = -negative_elbo(model.decode(reparameterize(mu, logvar, generator=g)), x, mu, logvar).per_image
    means = {k: importance_weighted_log_likelihood(model, x, k=k, generator=g).mean().item() for k in (1, 10, 1000)}
    assert means[1] == pytest.approx(elbo.mean().item(), abs=0.15)  # k = 1 is the ELBO (one draw each)
    assert means[1] < means[10] < means[1000]
    assert means[1000] == pytest.approx(exact.mean().item(), abs=0.02)  # within Monte Carlo noise of log p(x)
    assert exact.mean().item() - means[1] > 0.1  # the ELBO alone is visibly loose for this model


def test_importance_weighted_estimate_is_exact_when_q_is_the_posterior():
    # a decoder that ignores z makes the posterior equal to the prior; an encoder that outputs the prior
    # then gives every sample the weight p(x) itself, so any k returns log p(x) exactly
    class PriorVAE(nn.Module):
        def encode(self, x):
            return torch.zeros(len(x), 3), torch.zeros(len(x), 3)

        def decode(self, z):
            return torch.tensor([0.5, -1.0, 2.0, 0.0]).expand(len(z), 4)

    x = torch.rand(10, 4)
    exact = -bernoulli_nll(torch.tensor([0.5, -1.0, 2.0, 0.0]).expand(10, 4), x)
    for k in (1, 7):
        torch.testing.assert_close(importance_weighted_log_likelihood(PriorVAE(), x, k=k), exact)


def test_importance_weighted_estimate_is_the_same_in_chunks():
    model = vae_mlp(latent_dim=4, hidden=16)
    x = torch.rand(13, 1, 28, 28)
    whole = importance_weighted_log_likelihood(model, x, k=5, generator=torch.Generator().manual_seed(0))
    chunked = importance_weighted_log_likelihood(model, x, k=5, batch_rows=15,
                                                 generator=torch.Generator().manual_seed(0))
    assert whole.shape == chunked.shape == (13,) and torch.isfinite(whole).all()
    # different chunks draw different eps, so only close on average, not equal
    assert abs(whole.mean() - chunked.mean()) < 5
    with pytest.raises(ValueError, match="at least 1"):
        importance_weighted_log_likelihood(model, x, k=0)


def test_vae_mlp_shapes_and_parameter_counts():
    model = vae_mlp()
    assert sum(p.numel() for p in model.parameters()) == 652_824
    assert sum(p.numel() for p in vae_mlp(latent_dim=2, hidden=256).parameters()) == 404_244
    x = torch.rand(7, 1, 28, 28)
    mu, logvar = model.encode(x)
    assert mu.shape == logvar.shape == (7, 20)
    assert model.decode(mu).shape == (7, 1, 28, 28)
    logits, mu2, _ = model(x)
    assert logits.shape == x.shape and torch.equal(mu, mu2)
    samples = model.sample(6, generator=torch.Generator().manual_seed(0))
    assert samples.shape == (6, 1, 28, 28) and samples.min() >= 0 and samples.max() <= 1


def test_reconstruction_gradients_reach_the_encoder():
    torch.manual_seed(0)
    model = VAE(latent_dim=3, hidden=8)
    x = torch.rand(4, 1, 28, 28)
    logits, mu, logvar = model(x)
    negative_elbo(logits, x, mu, logvar).reconstruction.mean().backward()
    # the reconstruction term alone reaches the encoder only through z = mu + sigma * eps
    assert model.encoder[1].weight.grad.abs().sum() > 0 and model.to_logvar.weight.grad.abs().sum() > 0


def test_vae_rejects_wrong_shapes():
    model = vae_mlp(latent_dim=2, hidden=8)
    with pytest.raises(ValueError, match="unsqueeze"):
        model.encode(torch.rand(1, 28, 28))
    with pytest.raises(ValueError, match=r"\[N, 2\]"):
        model.decode(torch.zeros(3, 5))
