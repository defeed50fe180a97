"""A variational autoencoder of dense layers for 28x28 grey images (MNIST).

    model = vae_mlp(latent_dim=20, hidden=400)
    mu, logvar = model.encode(x)          # x [N, 1, 28, 28] in [0, 1] -> two [N, 20]
    logits = model.decode(z)              # z [N, 20] -> [N, 1, 28, 28], one Bernoulli logit per pixel
    logits, mu, logvar = model(x)         # encode, draw z = mu + sigma * eps, decode

The loss and the likelihood estimate are in :mod:`coursekit.vae`. The decoder returns logits, not
intensities: ``torch.sigmoid(logits)`` is the image, and the loss works on the logits for stability.
"""

from __future__ import annotations

import torch
from torch import nn

from ..vae import reparameterize


class VAE(nn.Module):
    """Encoder ``image -> hidden -> (mu, logvar)``, decoder ``z -> hidden -> pixel logits``: one hidden layer each."""

    def __init__(self, latent_dim: int = 20, hidden: int = 400, image_shape=(1, 28, 28)):
        super().__init__()
        if latent_dim < 1 or hidden < 1:
            raise ValueError(f"latent_dim and hidden must be positive, got {latent_dim} and {hidden}.")
        self.latent_dim, self.image_shape = latent_dim, tuple(image_shape)
        pixels = 1
        for size in self.image_shape:
            pixels *= size
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(pixels, hidden), nn.ReLU())
        self.to_mu = nn.Linear(hidden, latent_dim)
        self.to_logvar = nn.Linear(hidden, latent_dim)  # log sigma^2: any real number is a valid variance
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden), nn.ReLU(),
            nn.Linear(hidden, pixels), nn.Unflatten(1, self.image_shape),
        )

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``x [N, *image_shape]`` -> ``mu, logvar``, each ``[N, latent_dim]``: the Gaussian q(z | x)."""
        if tuple(x.shape[1:]) != self.image_shape:
            raise ValueError(f"Expected images of shape [N, {', '.join(map(str, self.image_shape))}], "
                             f"got {tuple(x.shape)}. A single image needs .unsqueeze(0).")
        features = self.encoder(x)
        return self.to_mu(features), self.to_logvar(features)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """``z [N, latent_dim]`` -> pixel logits ``[N, *image_shape]``; ``torch.sigmoid`` of them is the image."""
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"Expected latent codes of shape [N, {self.latent_dim}], got {tuple(z.shape)}.")
        return self.decoder(z)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None):
        """Encode, draw one ``z`` with the reparameterization trick, decode: ``(logits, mu, logvar)``."""
        mu, logvar = self.encode(x)
        return self.decode(reparameterize(mu, logvar, generator=generator)), mu, logvar

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` new images ``[n, *image_shape]`` in [0, 1]: ``z ~ N(0, I)`` decoded, the Bernoulli means."""
        device = next(self.parameters()).device
        z = torch.randn(n, self.latent_dim, generator=generator, device=device)
        return torch.sigmoid(self.decode(z))


def vae_mlp(latent_dim: int = 20, hidden: int = 400) -> VAE:
    """The dense VAE for MNIST, 784-400-(20 + 20) / 20-400-784 by default: 652,824 parameters.

    Shapes: ``[N, 1, 28, 28]`` -> flatten 784 -> ``hidden`` (ReLU) -> ``mu``, ``logvar`` ``[N, latent_dim]``;
    ``z [N, latent_dim]`` -> ``hidden`` (ReLU) -> 784 logits -> ``[N, 1, 28, 28]``. Parameters:
    ``785 * hidden + 2 * (hidden + 1) * latent_dim`` (encoder) ``+ (latent_dim + 1) * hidden + (hidden + 1) * 784``
    (decoder); ``vae_mlp(latent_dim=2, hidden=256)``, the 2-D latent of the course's pictures: 404,244.
    """
    return VAE(latent_dim=latent_dim, hidden=hidden)
