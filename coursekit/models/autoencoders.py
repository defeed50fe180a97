"""Autoencoders for 28x28 grey digits: a dense one and a convolutional one.

An autoencoder is two networks trained as one: ``encoder`` squeezes an image into a short code
``z`` (the latent vector), ``decoder`` rebuilds the image from the code, and the loss compares
the rebuilt image with the original. Both constructors return an :class:`Autoencoder`, whose
``encoder`` and ``decoder`` can be used on their own (to plot codes, or to decode chosen ones).

The decoder ends with a sigmoid, so it outputs images in [0, 1], like the data: train with
``F.binary_cross_entropy(model(x), x)`` (pixel intensities read as probabilities) or with the
mean squared error, and hand outputs straight to the plots and to ``coursekit.sample_metrics``.
"""

from __future__ import annotations

from torch import Tensor, nn


class Autoencoder(nn.Module):
    """``encoder`` then ``decoder``: ``model(x)`` is the reconstruction of ``x``, same shape, in [0, 1]."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, x: Tensor) -> Tensor:
        return self.decoder(self.encoder(x))


def _check_sizes(latent_dim: int, hidden) -> None:
    sizes = [latent_dim, *hidden]
    if any(not isinstance(s, int) or s < 1 for s in sizes):
        raise ValueError(f"latent_dim and hidden sizes must be positive integers, got latent_dim={latent_dim!r}, "
                         f"hidden={hidden!r}")


def dense_autoencoder(latent_dim: int = 2, hidden=(512, 128)) -> Autoencoder:
    """A fully connected autoencoder for ``[N, 1, 28, 28]`` images in [0, 1].

    Encoder: 784 -> ``hidden`` (ReLU after each) -> ``latent_dim`` (no activation, so codes can
    take any value); decoder: the mirror image, ending in a sigmoid and reshaped to
    ``[N, 1, 28, 28]``. ``model.encoder(x)`` is ``[N, latent_dim]``, ``model.decoder(z)`` is
    ``[N, 1, 28, 28]``. Parameters with the default ``hidden=(512, 128)``: 936,466 for
    ``latent_dim=2`` (encoder 467,842, decoder 468,624); 940,064 for ``latent_dim=16``.
    Nearly all of them sit in the two 784x512 layers.
    """
    _check_sizes(latent_dim, hidden)
    widths = [28 * 28, *hidden, latent_dim]
    encoder = [nn.Flatten()]
    for i in range(len(widths) - 1):
        encoder.append(nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            encoder.append(nn.ReLU())
    decoder = []
    back = widths[::-1]
    for i in range(len(back) - 1):
        decoder.append(nn.Linear(back[i], back[i + 1]))
        decoder.append(nn.ReLU() if i < len(back) - 2 else nn.Sigmoid())
    decoder.append(nn.Unflatten(1, (1, 28, 28)))
    return Autoencoder(nn.Sequential(*encoder), nn.Sequential(*decoder))


def conv_autoencoder(latent_dim: int = 16, channels=(16, 32)) -> Autoencoder:
    """A convolutional autoencoder for ``[N, 1, 28, 28]`` images in [0, 1].

    Encoder: two stride-2 convolutions (3x3, ReLU) 1x28x28 -> c1x14x14 -> c2x7x7, flattened,
    then a linear layer to ``latent_dim``. Decoder: a linear layer back to c2x7x7, then two
    stride-2 transposed convolutions (4x4) c2x7x7 -> c1x14x14 -> 1x28x28 and a sigmoid.
    Strided convolutions downsample and transposed ones upsample, so no pooling is needed.
    Parameters with the default ``channels=(16, 32)``: 65,025 for ``latent_dim=16``
    (encoder 29,904, decoder 35,121); 21,107 for ``latent_dim=2``.
    """
    _check_sizes(latent_dim, channels)
    c1, c2 = channels
    flat = c2 * 7 * 7
    encoder = nn.Sequential(
        nn.Conv2d(1, c1, kernel_size=3, stride=2, padding=1), nn.ReLU(),  # 28 -> 14
        nn.Conv2d(c1, c2, kernel_size=3, stride=2, padding=1), nn.ReLU(),  # 14 -> 7
        nn.Flatten(),
        nn.Linear(flat, latent_dim),
    )
    decoder = nn.Sequential(
        nn.Linear(latent_dim, flat), nn.ReLU(),
        nn.Unflatten(1, (c2, 7, 7)),
        nn.ConvTranspose2d(c2, c1, kernel_size=4, stride=2, padding=1), nn.ReLU(),  # 7 -> 14
        nn.ConvTranspose2d(c1, 1, kernel_size=4, stride=2, padding=1),  # 14 -> 28
        nn.Sigmoid(),
    )
    return Autoencoder(encoder, decoder)
