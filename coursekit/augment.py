"""Data augmentation for whole batches of images, written as tensor operations.

    from coursekit.augment import random_crop, random_flip, normalize, channel_stats
    mean, std = channel_stats(x_train)                  # one number per colour channel
    x_train, x_test = normalize(x_train, mean, std), normalize(x_test, mean, std)
    batch = random_flip(random_crop(batch, padding=4))  # a new random version of each image

Every function takes a batch ``[N, C, H, W]`` and treats each image on its own: image 3
may be flipped while image 4 is not, and each image gets its own crop offset. Nothing
loops over the images in Python; one call costs a few tensor operations on the whole
batch, on whatever device the batch lives on. Pass ``generator=torch.Generator()`` (seeded)
for a repeatable sequence; without it the global random state is used, which
``coursekit.seed_everything`` seeds.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F


def _check_batch(images, name: str = "images") -> torch.Tensor:
    """A 4-D tensor [N, C, H, W], or a clear error saying what was given instead."""
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape [N, C, H, W], not {type(images).__name__}")
    if images.ndim != 4:
        hint = " One image [C, H, W]? Add a batch dimension with x.unsqueeze(0)." if images.ndim == 3 else ""
        raise ValueError(f"{name} must have 4 dimensions [N, C, H, W], got shape {list(images.shape)}.{hint}")
    return images


def _generator_device(generator: torch.Generator | None, images: torch.Tensor) -> torch.device:
    """Random numbers must be drawn where their generator lives (then moved to the images)."""
    return generator.device if generator is not None else images.device


def random_flip(images: torch.Tensor, p: float = 0.5, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """Mirror each image left-right with probability ``p``, independently per image.

    A cat seen in a mirror is still a cat, so the flipped image is a new, equally valid example.
    """
    images = _check_batch(images)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p is a probability and must be between 0 and 1, got {p}")
    coins = torch.rand(len(images), generator=generator, device=_generator_device(generator, images))
    flip = coins.to(images.device) < p
    return torch.where(flip.view(-1, 1, 1, 1), images.flip(-1), images)


def random_crop(images: torch.Tensor, padding: int = 4, *, mode: str = "constant",
                generator: torch.Generator | None = None) -> torch.Tensor:
    """Pad each side by ``padding`` pixels, then cut out an H x W window at a random place per image.

    This shifts every image by up to ``padding`` pixels in each direction, each by its own
    amount: (2 * padding + 1) ** 2 possible offsets. ``mode`` fills the border: ``"constant"``
    (zeros; on normalized images, the average colour) or ``"reflect"`` (mirror the edge).

    How it works without a loop: ``unfold`` turns the padded batch into a view of *every*
    H x W window, indexed by its top-left corner: [N, C, 2p+1, 2p+1, H, W], no copy. Each
    image then picks its own window with one indexing step: ``windows[n, :, top[n], left[n]]``.
    """
    images = _check_batch(images)
    if not isinstance(padding, int) or isinstance(padding, bool) or padding < 0:
        raise ValueError(f"padding must be a whole number of pixels >= 0, got {padding!r}")
    if mode not in ("constant", "reflect"):
        raise ValueError(f"mode must be 'constant' or 'reflect', got {mode!r}")
    n, c, h, w = images.shape
    if mode == "reflect" and padding >= min(h, w):
        raise ValueError(f"mode='reflect' needs padding < image size ({min(h, w)}), got padding={padding}")
    if padding == 0:
        return images.clone()
    padded = F.pad(images, [padding] * 4, mode=mode)          # [N, C, H + 2p, W + 2p]
    windows = padded.unfold(2, h, 1).unfold(3, w, 1)          # [N, C, 2p + 1, 2p + 1, H, W], a view
    offsets = torch.randint(0, 2 * padding + 1, (2, n), generator=generator,
                            device=_generator_device(generator, images))
    top, left = offsets.to(images.device)
    return windows[torch.arange(n, device=images.device), :, top, left]  # [N, C, H, W]


def _per_channel(values, channels: int, name: str, like: torch.Tensor) -> torch.Tensor:
    """Mean or std as a [1, C, 1, 1] tensor that broadcasts over a batch."""
    values = torch.as_tensor(values, dtype=like.dtype, device=like.device).flatten()
    if values.numel() != channels:
        raise ValueError(f"{name} needs one value per channel: the images have {channels} channels, "
                         f"{name} has {values.numel()} values")
    return values.view(1, channels, 1, 1)


def normalize(images: torch.Tensor, mean: Sequence[float] | torch.Tensor,
              std: Sequence[float] | torch.Tensor) -> torch.Tensor:
    """``(images - mean) / std`` channel by channel: every channel then has mean 0 and spread 1.

    Use the mean and std of the *training* images (:func:`channel_stats`) for every split,
    so test images are transformed exactly as the model saw its training data.
    """
    images = _check_batch(images)
    if not images.is_floating_point():
        raise TypeError(f"normalize needs floating-point images, got {images.dtype}; "
                        "convert 8-bit pixels with images.float() / 255 first")
    mean = _per_channel(mean, images.shape[1], "mean", images)
    std = _per_channel(std, images.shape[1], "std", images)
    if (std <= 0).any():
        raise ValueError(f"std must be positive in every channel, got {std.flatten().tolist()}")
    return (images - mean) / std


def channel_stats(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and standard deviation of each channel over all images and pixels: two tensors [C]."""
    images = _check_batch(images)
    if not images.is_floating_point():
        raise TypeError(f"channel_stats needs floating-point images, got {images.dtype}; use images.float()")
    per_channel = images.transpose(0, 1).reshape(images.shape[1], -1)
    return per_channel.mean(dim=1), per_channel.std(dim=1)


def flip_and_crop(padding: int = 4, p: float = 0.5, *, generator: torch.Generator | None = None):
    """The standard CIFAR augmentation as one function ``batch -> batch``: random crop, then random flip.

    Pass it to ``fit(..., batch_transform=flip_and_crop())``: each training batch gets new
    random shifts and flips every time it is seen, so no two epochs show the same images.
    """
    def augment(images: torch.Tensor) -> torch.Tensor:
        return random_flip(random_crop(images, padding, generator=generator), p, generator=generator)

    return augment


__all__ = ["random_flip", "random_crop", "normalize", "channel_stats", "flip_and_crop"]
