"""A DCGAN-style generator and discriminator for 28x28 grey images (MNIST).

The recipe of Radford et al. (2015), scaled down for digits: no pooling anywhere, the generator
grows the image with strided **transposed** convolutions (7x7 -> 14x14 -> 28x28) with batch norm
and ReLU between them and tanh at the end (images in [-1, 1]); the discriminator shrinks it with
strided convolutions and LeakyReLU and ends with one logit per image (no sigmoid: the losses in
:mod:`coursekit.gan` take logits).

    G = dcgan_generator(z_dim=64)     # [N, 64] noise -> [N, 1, 28, 28] in [-1, 1]
    D = dcgan_discriminator()         # [N, 1, 28, 28] -> [N, 1] logits
"""

from __future__ import annotations

from torch import nn


def init_dcgan_weights(module: nn.Module) -> None:
    """DCGAN's initialization: conv weights from N(0, 0.02), batch-norm scales from N(1, 0.02)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def dcgan_generator(z_dim: int = 64, width: int = 32, batch_norm: bool = True) -> nn.Sequential:
    """Noise ``[N, z_dim]`` -> images ``[N, 1, 28, 28]`` in [-1, 1]; 240,321 parameters by default
    (237,153 with ``batch_norm=False``).

    Shapes: z -> linear -> ``2*width`` x 7 x 7 -> transposed conv 4x4, stride 2 -> ``width`` x 14 x 14
    -> transposed conv 4x4, stride 2 -> 1 x 28 x 28 -> tanh. Batch norm and ReLU follow the linear
    layer and the first transposed convolution; ``batch_norm=False`` leaves batch norm out (Day 5,
    notebook 03 trains that variant on a short CPU budget). The module has a ``z_dim`` attribute.
    """
    if z_dim < 1 or width < 1:
        raise ValueError(f"z_dim and width must be positive integers, got z_dim={z_dim}, width={width}.")

    def norm(kind, n):
        return kind(n) if batch_norm else nn.Identity()

    generator = nn.Sequential(
        nn.Linear(z_dim, 2 * width * 7 * 7, bias=not batch_norm),  # batch norm's shift replaces the bias
        norm(nn.BatchNorm1d, 2 * width * 7 * 7), nn.ReLU(),
        nn.Unflatten(1, (2 * width, 7, 7)),
        nn.ConvTranspose2d(2 * width, width, kernel_size=4, stride=2, padding=1, bias=not batch_norm),  # 7 -> 14
        norm(nn.BatchNorm2d, width), nn.ReLU(),
        nn.ConvTranspose2d(width, 1, kernel_size=4, stride=2, padding=1),  # 14 -> 28
        nn.Tanh(),
    )
    init_dcgan_weights(generator)
    generator.z_dim = z_dim
    return generator


def dcgan_discriminator(width: int = 32) -> nn.Sequential:
    """Images ``[N, 1, 28, 28]`` -> one logit per image ``[N, 1]``; 36,513 parameters by default.

    Shapes: 1 x 28 x 28 -> conv 4x4, stride 2 -> ``width`` x 14 x 14 -> conv 4x4, stride 2 ->
    ``2*width`` x 7 x 7 -> flatten -> linear -> 1. LeakyReLU(0.2) after each convolution, so that
    the generator gets a gradient through negative pre-activations too; no pooling, no batch norm.
    """
    if width < 1:
        raise ValueError(f"width must be a positive integer, got {width}.")
    discriminator = nn.Sequential(
        nn.Conv2d(1, width, kernel_size=4, stride=2, padding=1), nn.LeakyReLU(0.2),  # 28 -> 14
        nn.Conv2d(width, 2 * width, kernel_size=4, stride=2, padding=1), nn.LeakyReLU(0.2),  # 14 -> 7
        nn.Flatten(),
        nn.Linear(2 * width * 7 * 7, 1),
    )
    init_dcgan_weights(discriminator)
    return discriminator
