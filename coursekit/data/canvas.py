"""MNIST digits placed at random positions on a larger canvas, with the box around each digit.

A localization data set whose true boxes come for free: a classifier trained on the canvases sees
only the labels, and the boxes are kept to measure how well it finds the digit
(``coursekit.localization``). Optional clutter, small pieces cut from other digits, makes the
background less empty.
"""

from __future__ import annotations

import torch


def ink_box(image: torch.Tensor, ink: float = 0.25) -> list[int]:
    """The tight box ``(x0, y0, x1, y1)``, x1 and y1 exclusive, of the pixels of ``image`` [H, W] above ``ink``."""
    rows = torch.nonzero((image > ink).any(dim=1)).flatten()
    cols = torch.nonzero((image > ink).any(dim=0)).flatten()
    if len(rows) == 0:
        raise ValueError(f"an image has no pixel brighter than ink={ink}, so it has no digit to put a box around")
    return [int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1]


def _paste_fragments(canvas, images, count, fragment, generator):
    """Add ``count`` random ``fragment`` x ``fragment`` crops of random ``images`` anywhere on ``canvas``."""
    size, side = canvas.shape[-1], images.shape[-1]
    for _ in range(count):
        source = images[torch.randint(len(images), (1,), generator=generator).item(), 0]
        sy, sx = torch.randint(4, side - 4 - fragment + 1, (2,), generator=generator).tolist()  # inner part: ink
        y, x = torch.randint(size - fragment + 1, (2,), generator=generator).tolist()
        patch = canvas[0, y:y + fragment, x:x + fragment]
        torch.maximum(patch, source[sy:sy + fragment, sx:sx + fragment], out=patch)


def make_mnist_canvas(images: torch.Tensor, labels: torch.Tensor, *, size: int = 84, clutter: int = 0,
                      fragment: int = 8, ink: float = 0.25, seed: int = 0):
    """Each digit pasted at a random place on a black ``size`` x ``size`` canvas; returns ``(canvases, labels, boxes)``.

    ``images``: MNIST digits [N, 1, 28, 28] in [0, 1] (``coursekit.data.load_mnist``), ``labels`` [N].
    The whole 28x28 frame lands inside the canvas, at a uniformly random position.

    ``boxes`` [N, 4] int64 are the **tight boxes of the digit's ink** (pixels brighter than
    ``ink``), not of its 28x28 frame, in canvas pixels ``(x0, y0, x1, y1)`` with x1, y1 exclusive:
    ``canvases[n, 0, y0:y1, x0:x1]`` holds all of digit n's ink.

    ``clutter`` > 0 adds that many ``fragment`` x ``fragment`` pieces of other digits (taken from the
    same ``images``) at random places on each canvas, drawn under the digit's brightest pixels
    (pixel-wise maximum). Pieces may overlap the digit, as in cluttered MNIST; the box stays the
    digit's own. The same ``seed`` gives the same canvases, and the same digit positions whatever ``clutter`` is.
    """
    if images.ndim != 4 or images.shape[1] != 1 or images.shape[2] != images.shape[3]:
        raise ValueError(f"images must be grey squares [N, 1, S, S] such as MNIST's [N, 1, 28, 28], "
                         f"got shape {list(images.shape)}")
    if len(labels) != len(images):
        raise ValueError(f"got {len(images)} images but {len(labels)} labels")
    side = images.shape[-1]
    if size < side:
        raise ValueError(f"the canvas (size={size}) must be at least as large as a digit ({side}x{side})")
    if clutter < 0 or not 1 <= fragment <= side - 8:
        raise ValueError(f"clutter must be >= 0 and fragment between 1 and {side - 8}, "
                         f"got clutter={clutter}, fragment={fragment}")
    generator = torch.Generator().manual_seed(seed)
    canvases = torch.zeros(len(images), 1, size, size)
    boxes = torch.zeros(len(images), 4, dtype=torch.int64)
    # every position first, so that the clutter drawn afterwards does not move the digits
    corners = torch.randint(size - side + 1, (len(images), 2), generator=generator)
    for n, image in enumerate(images):
        y, x = corners[n].tolist()
        _paste_fragments(canvases[n], images, clutter, fragment, generator)
        frame = canvases[n, 0, y:y + side, x:x + side]
        torch.maximum(frame, image[0], out=frame)
        x0, y0, x1, y1 = ink_box(image[0], ink)
        boxes[n] = torch.tensor([x + x0, y + y0, x + x1, y + y1])
    return canvases, torch.as_tensor(labels).clone(), boxes
