"""Label-conditioned GANs for 28x28 digits: a conditional generator, its discriminator, and AC-GAN's.

All three take the label as a whole number per image (a LongTensor ``[N]`` of digits 0-9) and
turn it into a one-hot vector inside, so a learner never builds one-hot tensors by hand:

- :func:`conditional_generator` reads ``[z, one_hot(y)]`` and draws a digit of class ``y``;
- :func:`conditional_discriminator` reads an image *and* the label it claims to show, and says
  "real pair" or "fake pair"; the one-hot label enters as 10 extra image channels;
- :func:`acgan_discriminator` reads the image alone and answers twice: real or fake (one logit)
  and which digit it is (10 class logits), the auxiliary classifier of AC-GAN (Odena et al., 2017).

Images are ``[N, 1, 28, 28]`` in [-1, 1] (the generator ends with tanh; map real MNIST with
``2 * x - 1`` and generated digits back with ``(x + 1) / 2`` before plotting or scoring).
Discriminators return logits; the losses of :mod:`coursekit.gan` apply the sigmoid.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .dcgan import init_dcgan_weights, dcgan_generator

N_CLASSES = 10


def _one_hot(labels, n_classes: int, n: int) -> torch.Tensor:
    """``labels`` [N] (whole numbers in 0..n_classes-1) as float one-hot rows [N, n_classes]."""
    if not isinstance(labels, torch.Tensor) or labels.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8):
        raise TypeError("labels must be a tensor of whole numbers (torch.long), one class index per image; "
                        f"got {type(labels).__name__}{'' if not isinstance(labels, torch.Tensor) else ' of ' + str(labels.dtype)}")
    if labels.shape != (n,):
        raise ValueError(f"labels must have shape [{n}] (one per image), got {list(labels.shape)}")
    if n and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}, got values from {int(labels.min())} to {int(labels.max())}")
    return F.one_hot(labels.long(), n_classes).float()


def _check_images(images, name="images"):
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or tuple(images.shape[1:]) != (1, 28, 28):
        shape = list(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"{name} must be a tensor [N, 1, 28, 28] (MNIST-sized, values in [-1, 1]), got {shape}")


class ConditionalGenerator(nn.Module):
    """``(z [N, z_dim], labels [N]) -> images [N, 1, 28, 28]`` in [-1, 1].

    Notebook 03's DCGAN generator with ``n_classes`` more inputs: it reads ``[z, one_hot(labels)]``,
    ``z_dim + n_classes`` numbers -> Linear -> ``2w x 7 x 7`` -> BN, ReLU -> transposed conv to
    ``w x 14 x 14`` -> BN, ReLU -> transposed conv to ``1 x 28 x 28`` -> tanh.
    """

    def __init__(self, z_dim: int = 64, n_classes: int = N_CLASSES, width: int = 32):
        super().__init__()
        self.z_dim, self.n_classes = z_dim, n_classes
        self.net = dcgan_generator(z_dim + n_classes, width)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if not isinstance(z, torch.Tensor) or z.dim() != 2 or z.shape[1] != self.z_dim:
            shape = list(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(f"z must be a tensor [N, {self.z_dim}] (one noise vector per image), got {shape}")
        condition = _one_hot(labels, self.n_classes, len(z)).to(z.device)
        return self.net(torch.cat([z, condition], dim=1))

    def sample(self, labels: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw one image per label with fresh noise; returns images in **[0, 1]** (for plots and scores)."""
        device = next(self.parameters()).device
        z = torch.randn(len(labels), self.z_dim, generator=generator).to(device)
        return (self(z, labels.to(device)) + 1) / 2


class ConditionalDiscriminator(nn.Module):
    """``(images [N, 1, 28, 28], labels [N]) -> logits [N]``: is this a real (image, label) pair?

    The one-hot label is broadcast to 10 constant ``28 x 28`` channels beside the image:
    ``11 x 28 x 28`` -> conv to ``w x 14 x 14``, LeakyReLU -> conv to ``2w x 7 x 7``, LeakyReLU ->
    Linear -> 1 logit. A convolution over a constant channel adds a fixed map per class, so the first
    layer sees "image features + a learned map for the claimed digit". Chosen over a learned label
    embedding because it is the same one-hot concatenation as in the generator, needs no new layer
    type, and with 10 classes costs only ``10 * w * 16`` first-layer weights (5,120 for w = 32).
    Train it with real images under wrong labels among the fakes (Day 5, notebook 04), so that it
    must read the label to win.
    """

    def __init__(self, n_classes: int = N_CLASSES, width: int = 32):
        super().__init__()
        self.n_classes = n_classes
        self.features = nn.Sequential(
            nn.Conv2d(1 + n_classes, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),  # 14x14
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),  # 7x7
            nn.Flatten(),
        )
        self.real_or_fake = nn.Linear(2 * width * 7 * 7, 1)

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        _check_images(images)
        condition = _one_hot(labels, self.n_classes, len(images)).to(images.device)
        label_maps = condition[:, :, None, None].expand(-1, -1, 28, 28)  # [N, 10, 28, 28], constant per channel
        return self.real_or_fake(self.features(torch.cat([images, label_maps], dim=1))).squeeze(1)


class ACGANDiscriminator(nn.Module):
    """``images [N, 1, 28, 28] -> (realness logits [N], class logits [N, n_classes])``.

    The same body as :class:`ConditionalDiscriminator` without the label channels
    (``1 x 28 x 28 -> w x 14 x 14 -> 2w x 7 x 7``), then two linear heads on the shared features.
    """

    def __init__(self, n_classes: int = N_CLASSES, width: int = 32):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),  # 14x14
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),  # 7x7
            nn.Flatten(),
        )
        self.real_or_fake = nn.Linear(2 * width * 7 * 7, 1)
        self.classify = nn.Linear(2 * width * 7 * 7, n_classes)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        _check_images(images)
        features = self.features(images)
        return self.real_or_fake(features).squeeze(1), self.classify(features)


def _with_dcgan_init(model: nn.Module) -> nn.Module:
    init_dcgan_weights(model)  # weights from N(0, 0.02) as in DCGAN (notebook 03), like the generator's
    return model


def conditional_generator(z_dim: int = 64, n_classes: int = N_CLASSES, width: int = 32) -> ConditionalGenerator:
    """Generator conditioned by a one-hot label concatenated to the noise; 271,681 parameters by default.

    ``gen(z, labels)``: z ``[N, z_dim]``, labels ``[N]`` (long, 0..n_classes-1) ->
    ``[N, 1, 28, 28]`` in [-1, 1]; ``gen.sample(labels)`` gives images in [0, 1].
    Shapes: ``z_dim + n_classes`` -> ``2w x 7 x 7`` -> ``w x 14 x 14`` -> ``1 x 28 x 28``.
    """
    return ConditionalGenerator(z_dim, n_classes, width)


def conditional_discriminator(n_classes: int = N_CLASSES, width: int = 32) -> ConditionalDiscriminator:
    """Discriminator of (image, label) pairs, the label as 10 constant channels; 41,633 parameters by default.

    ``disc(images, labels)``: ``[N, 1, 28, 28]`` in [-1, 1] and ``[N]`` -> one logit per image ``[N]``.
    """
    return _with_dcgan_init(ConditionalDiscriminator(n_classes, width))


def acgan_discriminator(n_classes: int = N_CLASSES, width: int = 32) -> ACGANDiscriminator:
    """AC-GAN discriminator: a real/fake head and an auxiliary class head; 67,883 parameters by default.

    ``disc(images)``: ``[N, 1, 28, 28]`` in [-1, 1] -> ``(realness [N], class_logits [N, n_classes])``.
    """
    return _with_dcgan_init(ACGANDiscriminator(n_classes, width))
