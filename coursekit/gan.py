"""Generative adversarial networks: the two losses of the game and a small training loop.

A discriminator ``D`` gives one **logit** per image (``D(x) = sigmoid(logit)`` is its belief that the
image is real); a generator ``G`` turns noise ``z`` into images. All losses take logits, never
probabilities, and are written with ``binary_cross_entropy_with_logits`` / ``softplus``, which stay
finite where ``log(sigmoid(...))`` would give ``-inf``:

    d_loss = discriminator_loss(D(real), D(fake.detach()))   # -log D(x) - log(1 - D(G(z)))
    g_loss = generator_loss(D(fake))                         # -log D(G(z)): the non-saturating loss
    history = train_gan(G, D, real_images, steps=2000)       # both, alternating, with a history

Each loss is a mean over the batch and returns a scalar tensor. :func:`saturating_generator_loss` is
the generator's side of the original minimax game, ``log(1 - D(G(z)))``, kept for comparison: its
gradient vanishes exactly when the generator is bad and the discriminator sure of it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["discriminator_loss", "generator_loss", "saturating_generator_loss", "gan_step", "train_gan",
           "generate", "to_unit_range", "to_tanh_range"]


def _check_logits(logits, name: str) -> torch.Tensor:
    """A clear error for what is not a batch of discriminator logits."""
    if not isinstance(logits, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of discriminator logits, got {type(logits).__name__}.")
    if not logits.is_floating_point():
        raise TypeError(f"{name} must be floating point (logits), got dtype {logits.dtype}; call .float() first.")
    if logits.numel() == 0:
        raise ValueError(f"{name} is empty: the discriminator needs at least one image in the batch.")
    if logits.ndim > 1 and logits.shape[1:].numel() != 1:
        raise ValueError(f"{name} has shape {tuple(logits.shape)}; expected one logit per image, [N] or [N, 1]. "
                         "Does the discriminator end with a single output unit?")
    return logits.reshape(-1)


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """``-mean log D(x) - mean log(1 - D(G(z)))``: binary cross-entropy, real labelled 1, fake 0.

    The sum of the two batch means, so a discriminator that cannot tell (``D = 1/2`` everywhere)
    scores ``2 ln 2 = 1.386``. Logits of shape ``[N]`` or ``[N, 1]``; the two batches may differ in size.
    """
    real = _check_logits(real_logits, "real_logits")
    fake = _check_logits(fake_logits, "fake_logits")
    return (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
            + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))


def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The non-saturating generator loss ``-mean log D(G(z))``: fakes labelled as real.

    Its gradient with respect to a logit is ``D(G(z)) - 1``, close to -1 when the discriminator
    rejects the fakes, so a bad generator still learns. Logits ``[N]`` or ``[N, 1]``.
    """
    fake = _check_logits(fake_logits, "fake_logits")
    return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))


def saturating_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The minimax generator loss ``mean log(1 - D(G(z)))``, to be minimized (negative, down to -inf).

    ``log(1 - sigmoid(l)) = -softplus(l)``, exact and finite for any logit. Its gradient with respect
    to a logit is ``-D(G(z))``, close to 0 when the discriminator rejects the fakes: it saturates.
    """
    fake = _check_logits(fake_logits, "fake_logits")
    return -F.softplus(fake).mean()


def to_tanh_range(images: torch.Tensor) -> torch.Tensor:
    """Images in [0, 1] to [-1, 1], the range of a generator that ends with tanh."""
    return images * 2 - 1


def to_unit_range(images: torch.Tensor) -> torch.Tensor:
    """Images in [-1, 1] (a tanh generator's output) back to [0, 1], for plots and metrics."""
    return ((images + 1) / 2).clamp(0, 1)


def gan_step(generator: nn.Module, discriminator: nn.Module, real: torch.Tensor, opt_g, opt_d,
             g_loss_fn=generator_loss) -> dict[str, float]:
    """One round of the game on a batch of ``real`` images: a discriminator step, then a generator step.

    Returns the numbers of this round: ``d_loss``, ``g_loss``, ``d_real`` (mean D(x)) and ``d_fake``
    (mean D(G(z)) seen by the discriminator step, before the generator moved).
    """
    z = torch.randn(len(real), generator.z_dim, device=real.device)
    fake = generator(z)
    real_logits, fake_logits = discriminator(real), discriminator(fake.detach())  # detach: D's step leaves G alone
    d_loss = discriminator_loss(real_logits, fake_logits)
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()

    g_loss = g_loss_fn(discriminator(fake))  # the updated D judges the same fakes; only G's weights step
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item(),
            "d_real": torch.sigmoid(real_logits).mean().item(), "d_fake": torch.sigmoid(fake_logits).mean().item()}


def train_gan(generator: nn.Module, discriminator: nn.Module, images: torch.Tensor, *, steps: int,
              batch_size: int = 64, lr_g: float = 2e-4, lr_d: float = 2e-4, betas=(0.5, 0.999),
              g_loss_fn=generator_loss, seed: int = 0) -> dict[str, list[float]]:
    """Train a GAN for a fixed number of ``steps`` (batches) with Adam; returns the history.

    ``images`` ``[N, C, H, W]`` in the generator's output range ([-1, 1] for a tanh generator: see
    :func:`to_tanh_range`). The generator must have a ``z_dim`` attribute. The history holds one
    value per step for ``d_loss``, ``g_loss``, ``d_real`` and ``d_fake`` (see :func:`gan_step`).
    """
    if not hasattr(generator, "z_dim"):
        raise AttributeError("The generator needs a z_dim attribute (the length of its noise vector); "
                             "set generator.z_dim = ... or build it with coursekit.models.dcgan.dcgan_generator.")
    if images.ndim != 4 or len(images) < batch_size:
        raise ValueError(f"images must be [N, C, H, W] with N >= batch_size={batch_size}, got {tuple(images.shape)}.")
    device = next(generator.parameters()).device
    opt_g = torch.optim.Adam(generator.parameters(), lr=lr_g, betas=betas)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr_d, betas=betas)
    order = torch.Generator().manual_seed(seed)
    generator.train(), discriminator.train()
    history = {"d_loss": [], "g_loss": [], "d_real": [], "d_fake": []}
    batches_per_epoch = len(images) // batch_size
    for step in range(steps):
        if step % batches_per_epoch == 0:  # a new shuffle every epoch
            perm = torch.randperm(len(images), generator=order)
        batch = perm[(step % batches_per_epoch) * batch_size:][:batch_size]
        for key, value in gan_step(generator, discriminator, images[batch].to(device), opt_g, opt_d,
                                   g_loss_fn).items():
            history[key].append(value)
    return history


@torch.no_grad()
def generate(generator: nn.Module, n: int, *, seed: int = 0, batch_size: int = 500) -> torch.Tensor:
    """``n`` images from the generator in eval mode, in [0, 1] on the CPU (for plots and metrics).

    The noise comes from its own seeded ``torch.Generator``: the same seed gives the same images.
    """
    noise = torch.Generator().manual_seed(seed)
    device = next(generator.parameters()).device
    was_training = generator.training
    generator.eval()
    chunks = []
    for start in range(0, n, batch_size):
        z = torch.randn(min(batch_size, n - start), generator.z_dim, generator=noise)
        chunks.append(to_unit_range(generator(z.to(device))).cpu())
    generator.train(was_training)
    return torch.cat(chunks)
