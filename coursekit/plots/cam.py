"""Pictures of where a classifier looks: class activation maps over their images, with boxes.

A map laid over its image as a translucent heat map (bright = raises the class score most), the
predicted and true class in the title, and optionally the true box (green) and the box drawn
from the map (orange). Boxes are ``(x0, y0, x1, y1)`` with x1, y1 exclusive, as in
``coursekit.localization``. A histogram of IoUs compares ways of drawing boxes.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .style import PALETTE, _axes, _to_numpy, new_figure, style_axes

TRUE_COLOR, PREDICTED_COLOR = PALETTE[2], PALETTE[1]  # green: the truth, orange: what the map says


def _image_for_display(image) -> np.ndarray:
    """One image [C, H, W] or [H, W] (C = 1 or 3) -> [H, W] or [H, W, 3], stretched to [0, 1]."""
    img = _to_numpy(image).astype(float)
    if img.ndim == 3 and img.shape[0] in (1, 3):
        img = img[0] if img.shape[0] == 1 else img.transpose(1, 2, 0)
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[-1] != 3):
        raise ValueError(f"an image must be [H, W], [1, H, W] or [3, H, W], got shape {list(np.shape(image))}")
    span = img.max() - img.min()
    return (img - img.min()) / span if span > 0 else np.zeros_like(img)


def draw_box(ax, box, color=TRUE_COLOR, label=None, linewidth=2.0):
    """Draw one box ``(x0, y0, x1, y1)`` (x1, y1 exclusive) on an image shown with ``imshow``; returns the patch.

    Pixel (x, y) covers [x - 0.5, x + 0.5] on the image's axes, so the box's outline runs along
    the outer edges of its first and last pixels.
    """
    x0, y0, x1, y1 = (float(v) for v in _to_numpy(box).reshape(-1))
    patch = Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, edgecolor=color,
                      linewidth=linewidth, label=label)
    ax.add_patch(patch)
    return patch


def plot_cam(image, cam, ax=None, *, title=None, true_box=None, predicted_box=None, alpha=0.5,
             cmap="inferno"):
    """One image with its class activation map laid over it; returns the ``Axes``.

    ``image`` [C, H, W] or [H, W]; ``cam`` [h, w], any size: it is stretched (bilinearly) over the
    whole image, and each map is scaled to its own colour range (compare where, not how much).
    ``true_box`` and ``predicted_box`` are drawn in green and orange.
    """
    img = _image_for_display(image)
    heat = torch.as_tensor(_to_numpy(cam), dtype=torch.float32)
    if heat.ndim != 2:
        raise ValueError(f"cam must be one map [h, w], got shape {list(heat.shape)}; pick one with cam[i]")
    heat = torch.nn.functional.interpolate(heat[None, None], size=img.shape[:2], mode="bilinear",
                                           align_corners=False)[0, 0].numpy()
    ax = _axes(ax, panel_size=(2.2, 2.4))
    ax.imshow(img, cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=1, interpolation="nearest")
    ax.imshow(heat, cmap=cmap, alpha=alpha, interpolation="nearest")
    if true_box is not None:
        draw_box(ax, true_box, TRUE_COLOR, label="true box")
    if predicted_box is not None:
        draw_box(ax, predicted_box, PREDICTED_COLOR, label="CAM box")
    ax.set_axis_off()
    if title is not None:
        ax.set_title(title, fontsize=9)
    return ax


def plot_cam_grid(images, cams, predicted, true=None, class_names=None, *, true_boxes=None,
                  predicted_boxes=None, ncols: int = 6, title=None, panel_size=1.8, alpha=0.5) -> Figure:
    """Several images with their maps (:func:`plot_cam`), titled *predicted (true)*; returns the ``Figure``.

    ``images`` [N, C, H, W], ``cams`` [N, h, w], ``predicted`` and ``true`` class numbers [N]
    (a title turns red where they differ). With boxes [N, 4], each panel also says the IoU.
    """
    n = len(images)
    if len(cams) != n or len(predicted) != n or (true is not None and len(true) != n):
        raise ValueError(f"images, cams and classes must have one entry per image; got {n} images, "
                         f"{len(cams)} maps, {len(predicted)} predictions")
    from ..localization import box_iou  # here, not at the top: plots stay importable on their own

    name = (lambda k: class_names[int(k)]) if class_names is not None else (lambda k: str(int(k)))
    ncols = max(1, min(ncols, n))
    fig, axes = new_figure(max(1, math.ceil(n / ncols)), ncols, panel_size=(panel_size, panel_size + 0.35),
                           squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i >= n:
            continue
        label = name(predicted[i]) + ("" if true is None else f" ({name(true[i])})")
        if true_boxes is not None and predicted_boxes is not None:
            label += f"\nIoU {box_iou(true_boxes[i], predicted_boxes[i]).item():.2f}"
        plot_cam(images[i], cams[i], ax, title=label, alpha=alpha,
                 true_box=None if true_boxes is None else true_boxes[i],
                 predicted_box=None if predicted_boxes is None else predicted_boxes[i])
        if true is not None and int(predicted[i]) != int(true[i]):
            ax.title.set_color(PALETTE[3])
    if title:
        fig.suptitle(title, fontweight="bold")
    return fig


def plot_iou_histogram(ious, ax=None, *, threshold=0.5, bins=20, title="IoU with the true box"):
    """Histograms of IoUs, one per method ``{name: ious [N]}``, with the ``threshold`` marked; returns the ``Axes``.

    The legend gives each method's share of IoUs at or above the threshold.
    """
    ax = _axes(ax, panel_size=(6.0, 3.4))
    edges = np.linspace(0, 1, bins + 1)
    for (method, values), color in zip(ious.items(), PALETTE):
        v = _to_numpy(values).astype(float).reshape(-1)
        label = f"{method}: {np.mean(v >= threshold):.0%} ≥ {threshold}"
        ax.hist(v, bins=edges, color=color, alpha=0.45, label=label)
        ax.hist(v, bins=edges, color=color, histtype="step", linewidth=1.5)
    ax.axvline(threshold, color="0.3", linestyle="--", linewidth=1)
    return style_axes(ax, title=title, xlabel="IoU", ylabel="images", legend=True)
