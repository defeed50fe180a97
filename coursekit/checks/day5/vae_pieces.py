"""Checks of solutions/day5/01_vae_pieces.ipynb: the reparameterization step, the Gaussian KL term, the VAE loss.

- ``reparameterize(mu, logvar)`` is random, so its check looks at what can be known: the sample,
  standardized with the true standard deviation, must look like N(0, 1) noise over many entries; the
  gradient of the sample must reach mu and logvar with the values the trick gives them. Taking
  exp(logvar) as the standard deviation, ignoring logvar, one noise draw shared by the batch and a
  sample cut off from the graph are named.
- ``gaussian_kl(mu, logvar)`` is compared with the closed form in float64; the usual wrong reductions
  (mean over the latent dimensions, over the batch), a factor or a sign lost, logvar read as log sigma,
  and log(exp(logvar)) underflowing are named.
- ``vae_loss(logits, x, mu, logvar)`` is compared with the Bernoulli negative ELBO per image; means
  over pixels, sums over the batch, a sigmoid followed by a log (inf at extreme logits) and the
  clamped ``binary_cross_entropy`` are named.

While the learner's code runs, building any ``torch.distributions`` distribution (``Normal(...)``, and
with it ``kl_divergence`` and ``rsample``) is refused: these are what the exercises ask you to write.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..cases import Case, exercise, input_seed
from ..compare import describe
from ..day0 import _random
from ..mistakes import has_nan, judged
from ..refuse import refusing

NO_DISTRIBUTIONS = ("Write it with tensor operations; torch.distributions (Normal, rsample, kl_divergence) is what "
                    "the check compares you with.")


def without_distributions(answer, *args):
    """``answer(*args)``, refusing any torch.distributions distribution it builds (kl_divergence needs two)."""
    from torch.distributions import Distribution

    with refusing(Distribution, "__init__", lambda a: f"torch.distributions.{type(a[0]).__name__}"):
        return answer(*args)


# ----------------------------------------------------------------------------- 1. the reparameterization step


def _draw(answer, mu, logvar, seed):
    torch.manual_seed(seed)  # the runner restores the generators' state afterwards
    return without_distributions(answer, mu, logvar)


def _spread_test(mu, logvar, rows_share_values=False):
    """A test: (z - mu) / exp(logvar / 2) looks like independent N(0, 1) noise; known wrong spreads are named."""
    mu64, logvar64 = mu.double(), logvar.double()
    count = mu.numel()
    tolerance = 6 * math.sqrt(2 / count) + 1e-3  # six standard errors of a sample variance of N(0, 1) noise

    def variance_of(residual):
        return residual.pow(2).mean().item()

    def test(z):
        if not isinstance(z, torch.Tensor) or tuple(z.shape) != tuple(mu.shape):
            return f"for mu of shape {list(mu.shape)} return one sample of the same shape, got {describe(z)}"
        if not z.is_floating_point() or z.dtype != mu.dtype:
            return f"return the sample in mu's dtype ({mu.dtype}), got {z.dtype}"
        if has_nan(z):
            return ("NaN or infinity in the sample: is the standard deviation computed in a way that overflows, or "
                    "from the square root of something negative?")
        offset = z.detach().double() - mu64
        if offset.abs().max() == 0:
            return "the sample is mu itself: no noise was added"
        residual = offset / (0.5 * logvar64).exp()
        if rows_share_values and bool((residual - residual[:1]).abs().max() < 1e-5 * residual.abs().max()):
            return ("every row got the same noise: draw one independent noise value per entry of mu "
                    "(the noise needs mu's whole shape)")
        if abs(variance_of(residual) - 1) <= tolerance and abs(residual.mean().item()) <= tolerance:
            return None
        if abs(variance_of(offset / logvar64.exp()) - 1) <= tolerance:
            return ("the spread is exp(logvar): that is the variance, so the sample's standard deviation came out "
                    "as the variance. The standard deviation is the square root of the variance")
        if abs(variance_of(offset) - 1) <= tolerance:
            return "the spread is 1 everywhere: logvar is ignored"
        if abs(residual.mean().item()) > tolerance:
            return f"the noise's mean is {residual.mean().item():.3f}, not 0: draw it from a standard normal"
        return (f"(z - mu) / exp(logvar / 2) should look like standard normal noise, but its variance over "
                f"{count:,} entries is {variance_of(residual):.3f}, its mean {residual.mean().item():.3f}")
    return test


def _gradients(answer, mu, logvar, seed):
    """(z, d sum(z) / d mu, d sum(z) / d logvar) for fresh leaves mu and logvar; a word when the graph is cut."""
    mu, logvar = mu.detach().clone().requires_grad_(), logvar.detach().clone().requires_grad_()
    z = _draw(answer, mu, logvar, seed)
    if not isinstance(z, torch.Tensor):
        return z
    if not z.requires_grad:
        return "no graph"
    z.sum().backward()
    return z.detach(), mu.grad, logvar.grad


def _gradient_test(mu, logvar):
    def test(got):
        if isinstance(got, str) and got == "no graph":
            return ("the sample does not depend on mu and logvar in the graph (no gradient can reach them): was it "
                    "made under torch.no_grad(), with .detach(), or by a sampling function that autograd cannot see "
                    "through? Make the randomness an input, and the sample a differentiable function of mu and logvar")
        if not isinstance(got, tuple) or not isinstance(got[0], torch.Tensor):
            return f"return the sample, a tensor of mu's shape; got {describe(got)}"
        z, grad_mu, grad_logvar = got
        if grad_mu is None or grad_logvar is None:
            missing = "mu" if grad_mu is None else "logvar"
            return f"no gradient reaches {missing}: the sample must be computed from {missing}, not from a copy of it"
        offset = z.double() - mu.double()
        if not bool(grad_mu.any()) and not bool(grad_logvar.any()):
            return ("the gradients that reach mu and logvar are 0: the sample came from a sampling function that "
                    "autograd cannot see through. Make the randomness an input, and the sample a differentiable "
                    "function of mu and logvar")
        if not torch.allclose(grad_mu.double(), torch.ones_like(offset), atol=1e-5):
            return f"d sample / d mu should be 1 for every entry, got {describe(grad_mu)}"
        if torch.allclose(grad_logvar.double(), 0.5 * offset, atol=1e-5, rtol=1e-4):
            return None
        if torch.allclose(grad_logvar.double(), offset, atol=1e-5, rtol=1e-4):
            return ("d sample / d logvar equals (z - mu), so the standard deviation was taken as exp(logvar), the "
                    "variance; it is the square root of the variance")
        return (f"d sample / d logvar should be (z - mu) / 2 for the trick's sample, got {describe(grad_logvar)} "
                f"where (z - mu) / 2 is {describe(0.5 * offset)}")
    return test


@exercise("day5.reparameterize", expects="function", answer="reparameterize", time_limit=10.0,
          hint="Which part of the sample is random, and which part depends on mu and logvar? Draw the random part "
               "on its own, with mu's shape, then build the sample from it so that autograd sees mu and logvar.",
          forbid_hint=NO_DISTRIBUTIONS)
def reparameterize_cases():
    seed = 11 + input_seed()
    mu = 3 * _random(4000, 8, seed=700)
    logvar = 2 * torch.rand(4000, 8, generator=torch.Generator().manual_seed(701 + input_seed())) - 1.5
    yield Case("mu and logvar of shape [4000, 8] (logvar between -1.5 and 0.5): is the sample's spread right?",
               args=(mu, logvar, seed), use=_draw, test=_spread_test(mu, logvar, rows_share_values=True),
               hint="Standardize your sample with the standard deviation that logvar stands for, and look at its "
                    "mean and variance yourself.")
    small_mu, small_logvar = _random(3, 5, seed=710), _random(3, 5, seed=711)
    yield Case("mu and logvar of shape [3, 5]; the check takes the gradient of sample.sum()",
               args=(small_mu, small_logvar, seed), use=_gradients, test=_gradient_test(small_mu, small_logvar),
               hint="The sample has to be a differentiable function of mu and logvar, with only the noise random.")
    same = torch.full((2000, 4), 1.0)
    yield Case("2000 rows with the same mu = 1 and logvar = 1: does each row get its own noise?",
               args=(same, same.clone(), seed), use=_draw, test=_spread_test(same, same, rows_share_values=True),
               hint="A noise tensor of shape [D] is broadcast over the batch: every row gets the same draw.")
    mu3, logvar3 = _random(50, 6, 10, seed=720), _random(50, 6, 10, seed=721)
    yield Case("mu and logvar of shape [50, 6, 10] (not only matrices)", args=(mu3, logvar3, seed), use=_draw,
               test=_spread_test(mu3, logvar3), hint="Draw the noise with exactly mu's shape, whatever it is.")
    wide = torch.linspace(-60.0, 90.0, 3000).reshape(1000, 3)
    yield Case("logvar from -60 to 90 (standard deviations from 1e-13 to 3e19)", args=(torch.zeros(1000, 3), wide,
               seed), use=_draw, test=_spread_test(torch.zeros(1000, 3), wide),
               hint="exp(90) is beyond float32's largest number, exp(45) is not: which one does the sample need?")
    mu64, logvar64 = _random(3000, 2, seed=730, dtype=torch.float64), _random(3000, 2, seed=731, dtype=torch.float64)
    yield Case("double precision, shape [3000, 2]", args=(mu64, logvar64, seed), use=_draw,
               test=_spread_test(mu64, logvar64), hint="Draw the noise in mu's dtype (and on mu's device).")


# ----------------------------------------------------------------------------- 2. the KL term


def gaussian_kl_reference(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)) per row: [N, D] -> [N], in float64."""
    mu, logvar = mu.double(), logvar.double()
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=-1)


def _kl_mistakes(mu, logvar):
    kl = gaussian_kl_reference(mu, logvar)
    dtype = mu.dtype
    as_sigma = 0.5 * (mu.double().pow(2) + (2 * logvar.double()).exp() - 1 - 2 * logvar.double()).sum(dim=-1)
    return [
        ((kl / mu.shape[-1]).to(dtype), "that is the mean over the latent dimensions: the KL of independent "
                                        "dimensions is their sum"),
        (kl.sum().to(dtype), "that is the sum over the batch: return one KL per row, shape [N]"),
        (kl.mean().to(dtype), "that is the mean over the batch: return one KL per row, shape [N]"),
        ((2 * kl).to(dtype), "twice the KL: a factor 1/2 is missing"),
        ((-kl).to(dtype), "the sign is flipped: a KL divergence is never negative"),
        (as_sigma.to(dtype), "logvar was read as log(sigma); it is log(sigma^2), the log of the variance"),
        (lambda got: isinstance(got, torch.Tensor) and got.is_floating_point() and bool(got.isinf().any()),
         "inf: a logarithm of exp(logvar) (or of sigma squared) underflowed to log(0); logvar is already the "
         "logarithm you need"),
        (has_nan, "NaN: is exp or a square root of something large or negative taken?"),
    ]


def _kl_case(mu, logvar, what, hint=""):
    expected = gaussian_kl_reference(mu, logvar).to(mu.dtype)
    tolerance = {"atol": 1e-4, "rtol": 1e-5} if mu.dtype == torch.float32 else {"atol": 1e-10, "rtol": 1e-10}
    given = f"{what}: mu and logvar of shape {list(mu.shape)}" + (
        "" if mu.dtype == torch.float32 else f", {str(mu.dtype).removeprefix('torch.')}")
    return Case(given, args=(mu, logvar), use=without_distributions, hint=hint,
                test=judged(expected, _kl_mistakes(mu, logvar), **tolerance))


@exercise("day5.gaussian_kl", expects="function", answer="gaussian_kl",
          hint="Work out the KL of one latent dimension on paper first (a Gaussian against a standard Gaussian), "
               "then decide how the D dimensions of one row combine.",
          forbid_hint=NO_DISTRIBUTIONS)
def gaussian_kl_cases():
    yield _kl_case(_random(6, 4, seed=800), 0.5 * _random(6, 4, seed=801), "a batch of 6 rows, 4 latent dimensions",
                   hint="Return one number per row: shape [N].")
    yield _kl_case(torch.zeros(3, 5), torch.zeros(3, 5), "mu = 0 and logvar = 0: the prior itself",
                   hint="A distribution's KL to itself is 0.")
    yield _kl_case(_random(1, 1, seed=810), _random(1, 1, seed=811), "a batch of one row, one latent dimension",
                   hint="Shape [1, 1] in, shape [1] out.")
    yield _kl_case(_random(4, 20, seed=820), _random(4, 20, seed=821), "20 latent dimensions",
                   hint="The prior's dimensions are independent, and so are the posterior's: how do KLs of "
                        "independent parts add up?")
    logvar = torch.tensor([[-120.0, 0.0], [60.0, -30.0], [-87.0, 2.0]])
    yield _kl_case(torch.tensor([[0.0, 1.0], [2.0, -1.0], [100.0, 0.5]]), logvar,
                   "extreme logvar: -120, -87 and 60 (a posterior almost a point, one wider than the universe)",
                   hint="exp(-120) is 0 in float32, so log(exp(-120)) is -inf; the logarithm of the variance is given "
                        "to you as it is.")
    yield _kl_case(_random(5, 3, seed=830, dtype=torch.float64), _random(5, 3, seed=831, dtype=torch.float64),
                   "double precision", hint="Keep the input's dtype: float64 in, float64 out.")


# ----------------------------------------------------------------------------- 3. the VAE loss


def _bce(logits, x):
    """Bernoulli negative log-likelihood of each pixel, from logits, stable, in float64."""
    return F.binary_cross_entropy_with_logits(logits.double(), x.double(), reduction="none")


def vae_loss_reference(logits, x, mu, logvar, *, pixels="sum", batch="mean", kl="sum", kl_sign=1.0):
    """The negative ELBO per image, averaged over the batch; the keywords make the usual mistakes on purpose."""
    per_pixel = _bce(logits, x).flatten(1)
    reconstruction = per_pixel.sum(1) if pixels == "sum" else per_pixel.mean(1)
    divergence = gaussian_kl_reference(mu, logvar)
    if kl == "mean":
        divergence = divergence / mu.shape[-1]
    elif kl == "none":
        divergence = torch.zeros_like(divergence)
    per_image = reconstruction + kl_sign * divergence
    return per_image.mean() if batch == "mean" else per_image.sum()


def _vae_mistakes(logits, x, mu, logvar):
    dtype = logits.dtype
    args = (logits, x, mu, logvar)
    p = torch.sigmoid(logits).double()  # in the logits' own precision, where it rounds to 0 or 1
    clamped = (-(p.log().clamp(min=-100) * x.double() + (1 - p).log().clamp(min=-100) * (1 - x.double()))).flatten(1)
    clamped = clamped.sum(1)
    clamped = (clamped + gaussian_kl_reference(mu, logvar)).mean()
    return [
        (vae_loss_reference(*args, pixels="mean").to(dtype), "the reconstruction term is the mean over pixels: the "
         "log-likelihood of an image is the sum over its pixels (a mean shrinks it 784 times next to the KL)"),
        (vae_loss_reference(*args, batch="sum").to(dtype), "that is the sum over the batch: average over the images"),
        (vae_loss_reference(*args, kl="none").to(dtype), "the KL term is missing: the loss is reconstruction plus KL"),
        (vae_loss_reference(*args, kl="mean").to(dtype), "the KL term is averaged over the latent dimensions; it is "
                                                         "their sum"),
        (vae_loss_reference(*args, kl_sign=-1.0).to(dtype), "the KL term is subtracted: the loss to minimize is "
                                                            "reconstruction plus KL (the negative ELBO)"),
        (clamped.to(dtype), "binary_cross_entropy on sigmoid(logits) clamps each log at -100, which is wrong for "
                            "extreme logits: use the loss that takes the logits themselves"),
        (lambda got: isinstance(got, torch.Tensor) and got.is_floating_point() and bool(got.isinf().any()),
         "inf: sigmoid(logits) rounded to exactly 0 or 1 and its log is -inf. Work from the logits with a loss "
         "that never forms the probability"),
        (has_nan, "NaN: a log of 0 times 0, or an exp that overflowed. Work from the logits"),
    ]


def _vae_case(n, shape, latent, seed, what, hint="", logit_scale=2.0, binary=False, dtype=torch.float32):
    logits = logit_scale * _random(n, *shape, seed=seed, dtype=dtype)
    x = torch.rand(n, *shape, generator=torch.Generator().manual_seed(seed + 1 + input_seed()), dtype=dtype)
    if binary:
        x = (x > 0.5).to(dtype)
    mu, logvar = _random(n, latent, seed=seed + 2, dtype=dtype), 0.5 * _random(n, latent, seed=seed + 3, dtype=dtype)
    expected = vae_loss_reference(logits, x, mu, logvar).to(dtype)
    tolerance = {"atol": 1e-3, "rtol": 1e-5} if dtype == torch.float32 else {"atol": 1e-9, "rtol": 1e-10}
    given = (f"{what}: logits and x of shape {[n, *shape]}, mu and logvar of shape {[n, latent]}"
             + ("" if dtype == torch.float32 else f", {str(dtype).removeprefix('torch.')}"))
    return Case(given, args=(logits, x, mu, logvar), use=without_distributions, hint=hint,
                test=judged(expected, _vae_mistakes(logits, x, mu, logvar), **tolerance))


@exercise("day5.vae_loss", expects="function", answer="vae_loss",
          hint="Compute the two terms for each image separately, print them, then combine; one scalar comes back.",
          forbid_hint=NO_DISTRIBUTIONS)
def vae_loss_cases():
    yield _vae_case(4, (1, 28, 28), 2, seed=900, what="4 MNIST-sized images, a 2-D latent",
                    hint="The reconstruction term of one image is a log-likelihood of all its pixels together.")
    yield _vae_case(6, (12,), 3, seed=910, what="flat images of 12 pixels, intensities anywhere in [0, 1]",
                    hint="x need not be 0 or 1: the Bernoulli log-likelihood takes intensities in [0, 1] as they are.")
    yield _vae_case(1, (1, 5, 5), 4, seed=920, what="a batch of one")
    yield _vae_case(5, (1, 6, 6), 3, seed=930, logit_scale=60.0, binary=True,
                    what="extreme logits (around +-100), some on the wrong side of their pixel",
                    hint="sigmoid(-100) is 0 in float32, and log(0) is -inf; some losses work from the logits "
                         "without ever forming the probability.")
    yield _vae_case(3, (1, 4, 4), 2, seed=940, dtype=torch.float64, what="double precision",
                    hint="Keep the input's dtype: float64 in, float64 out.")
