"""Checks of solutions/day5/03_design_a_conditional_generator.ipynb: digits on demand, under a budget.

The learner hands in a trained generator: a module with an int attribute ``latent_dim`` whose
``model(z, labels)`` maps noise ``z`` [N, latent_dim] drawn from N(0, I) and digits ``labels`` [N]
(int64, 0..9) to images [N, 1, 28, 28] with intensities in [0, 1]. It keeps at most
``PARAMETER_BUDGET`` parameters (what only helps training, an encoder or a discriminator, is not
handed in and does not count). The check draws 100 noise vectors for each digit, asks for that
digit, and has the course's MNIST classifier (``coursekit.sample_metrics``) read the images: the
share read as the digit asked for must reach ``requested_share_threshold()``, which depends on
the run mode. The images of one digit must also differ from one another (a generator that ignores
z and draws each digit's average image would otherwise pass).
"""

from __future__ import annotations

import torch

from ..cases import Case, exercise, input_seed
from ..compare import describe
from ..design import parameter_count

PARAMETER_BUDGET = 500_000
SAMPLES_PER_DIGIT = 100
MIN_SPREAD = 0.04  # mean per-pixel standard deviation among one digit's samples; real digits: about 0.15


def requested_share_threshold() -> float:
    """The share of samples the classifier must read as the digit asked for, in this run mode."""
    from ...modes import run_mode

    return run_mode().pick(fast=0.2, laptop=0.85, full=0.9)


def _within_budget(count):
    if count > PARAMETER_BUDGET:
        return (f"the generator has {count:,} parameters, over the budget of {PARAMETER_BUDGET:,}: fewer hidden units "
                "(a linear layer from a to b units has (a + 1) b of them)")
    return None


def _latent_dim(model, *args):
    return getattr(model, "latent_dim", None)


def _has_latent_dim(value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return (f"the model needs an attribute latent_dim, a positive int saying how long its noise vectors are "
                f"(set self.latent_dim in __init__); got {describe(value)}")
    return None


def _generate(model, labels, seed):
    """The model's images for ``labels``, from noise z ~ N(0, I) drawn from ``seed`` (on the labels' device)."""
    latent_dim = getattr(model, "latent_dim", None)
    if isinstance(latent_dim, bool) or not isinstance(latent_dim, int) or latent_dim < 1:
        return f"latent_dim is {latent_dim!r}"
    z = torch.randn(len(labels), latent_dim, generator=torch.Generator().manual_seed(seed)).to(labels.device)
    model.eval()
    with torch.no_grad():
        return model(z, labels)


def _digit_images(n):
    def test(images):
        if not isinstance(images, torch.Tensor) or tuple(images.shape) != (n, 1, 28, 28):
            return (f"for {n} noise vectors and {n} labels return {n} images of shape [1, 28, 28], "
                    f"got {describe(images)}")
        if not images.is_floating_point() or not bool(images.isfinite().all()):
            return "the images must be floating point numbers without NaN or infinity"
        if images.min() < 0 or images.max() > 1:
            return (f"intensities must lie in [0, 1] (got {images.min().item():.3f} to {images.max().item():.3f}): "
                    "a tanh output x becomes (x + 1) / 2, logits go through a sigmoid")
        return None
    return test


def _recognized(labels, threshold):
    def test(images):
        from ...sample_metrics import mnist_scorer, requested_share

        problem = _digit_images(len(labels))(images)
        if problem:
            return problem
        spread = torch.stack([images[labels == k].float().std(dim=0).mean() for k in range(10)]).mean().item()
        if spread < MIN_SPREAD:
            return (f"the images of one digit hardly differ (mean per-pixel spread {spread:.3f}; real digits about "
                    f"0.15): the generator must use z, and draw many different digits for each label")
        share = requested_share(mnist_scorer(verbose=False), images, labels)
        if share < threshold:
            return (f"the classifier reads {share:.1%} of the samples as the digit asked for; this run mode asks "
                    f"for {threshold:.0%}: does the generator read the label, did training converge, and are the "
                    "intensities in [0, 1] as MNIST's?")
        return None
    return test


@exercise("day5.conditional_generator", expects="module", answer="generator", time_limit=60.0, points=3.0,
          hint="Train it first (the cells above the check). It needs latent_dim, takes z [N, latent_dim] and labels "
               "[N] and returns images [N, 1, 28, 28] in [0, 1]. Look at a grid of its samples, one row per digit, "
               "before you check.")
def conditional_generator_cases():
    yield Case("the generator itself: how many parameters does it learn?", use=parameter_count,
               test=_within_budget)
    yield Case("the generator itself: how long are its noise vectors (latent_dim)?", use=_latent_dim,
               test=_has_latent_dim)
    seed = 4242 + input_seed()
    yield Case("noise z ~ N(0, I) of shape [10, latent_dim] and labels 0..9", args=(torch.arange(10), seed),
               use=_generate, test=_digit_images(10))
    labels = torch.arange(10).repeat(SAMPLES_PER_DIGIT)
    yield Case(f"{SAMPLES_PER_DIGIT} noise vectors z ~ N(0, I) for each digit 0..9, read by the course's MNIST "
               "classifier", args=(labels, seed + 1), use=_generate,
               test=_recognized(labels, requested_share_threshold()))
