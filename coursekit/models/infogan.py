"""InfoGAN's two networks for MNIST: a generator fed noise plus codes, and a discriminator with a Q head.

The generator reads three things: unstructured noise ``z``, a categorical code (one of
``n_categories`` values, given as an index) and ``n_continuous`` continuous codes. The
discriminator has one convolutional body and two heads on its features: the real-or-fake logit
of any GAN, and the Q head that guesses the codes back from an image (logits for the category,
a Gaussian mean and log-variance for each continuous code). Sharing the body makes Q almost free.

    G = infogan_generator()                      # 434,321 parameters
    D = infogan_discriminator()                  # 218,943 parameters (body + both heads)
    images = G(z, categories, continuous)        # [N, 1, 28, 28] in [-1, 1]
    out = D(images)                              # InfoOutput(real_logit [N], category_logits [N, 10], ...)

Images are in [-1, 1] (tanh) inside the GAN; ``(images + 1) / 2`` gives the usual [0, 1].
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn
from torch.nn import functional as F


class InfoOutput(NamedTuple):
    """What the discriminator says about a batch of ``N`` images."""

    real_logit: torch.Tensor         # [N]: > 0 means "looks real"
    category_logits: torch.Tensor    # [N, n_categories]: Q's guess of the categorical code
    continuous_mean: torch.Tensor    # [N, n_continuous]: Q's guess of the continuous codes ...
    continuous_logvar: torch.Tensor  # [N, n_continuous]: ... and how unsure it is (log-variance)


class InfoGenerator(nn.Module):
    """Noise and codes -> 7x7 maps -> 14x14 -> 28x28 image, by two transposed convolutions."""

    def __init__(self, noise_dim: int = 62, n_categories: int = 10, n_continuous: int = 2, width: int = 32):
        super().__init__()
        self.noise_dim, self.n_categories, self.n_continuous = noise_dim, n_categories, n_continuous
        self.project = nn.Sequential(
            nn.Linear(noise_dim + n_categories + n_continuous, 256), nn.BatchNorm1d(256), nn.ReLU(),
            nn.Linear(256, width * 7 * 7), nn.BatchNorm1d(width * 7 * 7), nn.ReLU(),
            nn.Unflatten(1, (width, 7, 7)),
        )
        self.upsample = nn.Sequential(
            nn.ConvTranspose2d(width, width // 2, 4, stride=2, padding=1),  # 7x7 -> 14x14
            nn.BatchNorm2d(width // 2), nn.ReLU(),
            nn.ConvTranspose2d(width // 2, 1, 4, stride=2, padding=1),  # 14x14 -> 28x28
            nn.Tanh(),
        )

    def forward(self, noise: torch.Tensor, categories: torch.Tensor, continuous: torch.Tensor) -> torch.Tensor:
        """``noise`` [N, noise_dim], ``categories`` [N] integer codes, ``continuous`` [N, n_continuous]."""
        one_hot = F.one_hot(categories, self.n_categories).to(noise.dtype)
        return self.upsample(self.project(torch.cat([noise, one_hot, continuous], dim=1)))


class InfoDiscriminator(nn.Module):
    """A shared convolutional body, a real/fake head and a Q head that recovers the codes."""

    def __init__(self, n_categories: int = 10, n_continuous: int = 2, width: int = 32):
        super().__init__()
        self.n_categories, self.n_continuous = n_categories, n_continuous
        self.body = nn.Sequential(
            nn.Conv2d(1, width // 2, 4, stride=2, padding=1), nn.LeakyReLU(0.2),  # 28x28 -> 14x14
            nn.Conv2d(width // 2, width, 4, stride=2, padding=1),  # 14x14 -> 7x7
            nn.BatchNorm2d(width), nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(width * 7 * 7, 128), nn.BatchNorm1d(128), nn.LeakyReLU(0.2),
        )
        self.real_fake_head = nn.Linear(128, 1)
        self.q_head = nn.Sequential(
            nn.Linear(128, 64), nn.LeakyReLU(0.2),
            nn.Linear(64, n_categories + 2 * n_continuous),  # logits, means, log-variances
        )

    def forward(self, images: torch.Tensor) -> InfoOutput:
        """``images`` [N, 1, 28, 28] in [-1, 1] -> :class:`InfoOutput`."""
        features = self.body(images)
        q = self.q_head(features)
        logits, mean, logvar = q.split([self.n_categories, self.n_continuous, self.n_continuous], dim=1)
        return InfoOutput(self.real_fake_head(features).squeeze(1), logits, mean, logvar)


def infogan_generator(noise_dim: int = 62, n_categories: int = 10, n_continuous: int = 2,
                      width: int = 32) -> InfoGenerator:
    """InfoGAN's generator: ``G(noise [N, noise_dim], categories [N], continuous [N, n_continuous])``.

    Returns images ``[N, 1, 28, 28]`` in [-1, 1]. Shapes: the 74 inputs (62 + 10 one-hot + 2)
    -> 256 -> ``width`` x 7 x 7 -> ``width/2`` x 14 x 14 -> 1 x 28 x 28. With the defaults
    (``width=32``, a laptop-sized cut of the paper's 64/128 channels), 434,321 parameters, most of
    them in the 256 -> 1568 projection; ``width=64`` gives 865,313.
    """
    return InfoGenerator(noise_dim, n_categories, n_continuous, width)


def infogan_discriminator(n_categories: int = 10, n_continuous: int = 2, width: int = 32) -> InfoDiscriminator:
    """InfoGAN's discriminator with the Q head: ``D(images [N, 1, 28, 28]) -> InfoOutput``.

    Body: 1 x 28 x 28 -> ``width/2`` x 14 x 14 -> ``width`` x 7 x 7 -> 128 features; the
    real/fake head maps them to one logit, the Q head (128 -> 64 ->) to ``n_categories`` logits
    plus a mean and a log-variance per continuous code. With the defaults (``width=32``), 218,943
    parameters: 209,648 in the body, 129 in the real/fake head, 9,166 in the Q head
    (``width=64``: 444,591).
    """
    return InfoDiscriminator(n_categories, n_continuous, width)
