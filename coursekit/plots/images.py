"""Pictures of images and of what image classifiers do with them.

Image grids; the learned filters of a convolution and the feature maps it produces; a
confusion matrix; the examples a classifier got wrong.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from matplotlib.figure import Figure

from .style import _axes, _to_numpy, new_figure, style_axes


def plot_image_grid(images, labels=None, ncols: int = 8, *, cmap="gray", normalize=True,
                    title=None, panel_size=1.5) -> Figure:
    """A grid of images with optional labels as titles; returns the ``Figure``.

    ``images`` is a tensor or array ``[N, H, W]``, ``[N, C, H, W]`` (PyTorch)
    or ``[N, H, W, C]``, with 1 or 3 channels. ``normalize=True`` stretches each
    image to the full colour range, so normalized inputs (negative values) still
    display; ``normalize=False`` shows values as they are (RGB clipped to [0, 1]).
    """
    imgs = _to_numpy(images).astype(float)
    if imgs.ndim == 4 and imgs.shape[1] in (1, 3) and imgs.shape[-1] not in (1, 3):
        imgs = imgs.transpose(0, 2, 3, 1)  # NCHW -> NHWC
    if imgs.ndim == 4 and imgs.shape[-1] == 1:
        imgs = imgs[..., 0]
    if imgs.ndim not in (3, 4) or (imgs.ndim == 4 and imgs.shape[-1] != 3):
        raise ValueError(f"images must be [N, H, W] or [N, C, H, W] with C in (1, 3), got {list(np.shape(images))}")
    n = imgs.shape[0]
    if labels is not None and len(labels) != n:
        raise ValueError(f"got {n} images but {len(labels)} labels")
    ncols = max(1, min(ncols, n))
    nrows = max(1, math.ceil(n / ncols))
    fig, axes = new_figure(nrows, ncols, panel_size=(panel_size, panel_size + (0.25 if labels is not None else 0)),
                           squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i >= n:
            continue
        img = imgs[i]
        if normalize:
            span = img.max() - img.min()
            img = (img - img.min()) / span if span > 0 else np.zeros_like(img)
        elif img.ndim == 3:
            img = np.clip(img, 0.0, 1.0)
        ax.imshow(img, cmap=cmap if img.ndim == 2 else None, vmin=0 if normalize else None,
                  vmax=1 if normalize else None, interpolation="nearest")
        if labels is not None:
            lab = labels[i]
            lab = lab.item() if isinstance(lab, (torch.Tensor, np.generic)) else lab
            ax.set_title(str(lab), fontsize=9)
    if title:
        fig.suptitle(title, fontweight="bold")
    return fig


def plot_confusion_matrix(y_true, y_pred, class_names=None, ax=None, *, normalize=False,
                          title="Confusion matrix"):
    """Counts of (true class, predicted class) as a coloured table; returns the ``Axes``.

    Rows are true classes, columns predictions. ``normalize=True`` shows each
    row as fractions, so the diagonal reads as per-class recall.
    """
    t, p = _labels_pair(y_true, y_pred)
    k = len(class_names) if class_names is not None else int(max(t.max(), p.max())) + 1
    if t.size and max(t.max(), p.max()) >= k:
        raise ValueError(f"a label is {max(t.max(), p.max())} but there are only {k} class names; "
                         "pass one name per class")
    cm = np.bincount(t * k + p, minlength=k * k).reshape(k, k).astype(float)
    if normalize:
        cm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    ax = _axes(ax, panel_size=(0.5 * k + 2.5, 0.5 * k + 2.0))
    ax.imshow(cm, cmap="Blues", vmin=0)
    names = class_names if class_names is not None else [str(i) for i in range(k)]
    ax.set_xticks(range(k), names, rotation=45 if k > 5 else 0)
    ax.set_yticks(range(k), names)
    threshold = cm.max() / 2 if cm.max() > 0 else 1
    for i in range(k):
        for j in range(k):
            text = f"{cm[i, j]:.2f}" if normalize else f"{int(cm[i, j])}"
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="white" if cm[i, j] > threshold else "0.1")
    ax.spines[:].set_visible(False)
    return style_axes(ax, title=title, xlabel="predicted", ylabel="true", grid=False)


def _labels_pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    """True and predicted class numbers as two integer arrays of the same length, checked."""
    t, p = _to_numpy(y_true).reshape(-1), _to_numpy(y_pred).reshape(-1)
    if len(t) != len(p):
        raise ValueError(f"got {len(t)} true labels but {len(p)} predictions; they must pair up one to one")
    if np.issubdtype(p.dtype, np.floating) and not np.all(np.mod(p, 1) == 0):
        raise ValueError("predictions must be class numbers; for logits or probabilities pass outputs.argmax(1)")
    t, p = t.astype(int), p.astype(int)
    if len(t) and min(t.min(), p.min()) < 0:
        raise ValueError("class numbers must be 0, 1, 2, ...; got a negative one")
    return t, p


def plot_filters(weight, ncols: int = 8, *, channel=None, max_filters: int = 64, title=None,
                 panel_size=0.8) -> Figure:
    """The kernels of a convolution, one small image per output channel; returns the ``Figure``.

    ``weight`` is a ``nn.Conv2d`` or its weight tensor ``[out_channels, in_channels, kH, kW]``.
    A first layer on colour images (3 input channels) is shown in colour, on grey images (1)
    in grey. For any other layer pick one input channel with ``channel=`` to see, in grey,
    the kernels that read it. Each kernel is stretched to the full colour range on its own,
    so compare patterns, not brightness, between kernels.
    """
    w = getattr(weight, "weight", weight)
    w = _to_numpy(w).astype(float)
    if w.ndim != 4:
        raise ValueError(f"expected a Conv2d or a weight of shape [out, in, kH, kW], got shape {list(w.shape)}")
    if channel is not None:
        if not 0 <= channel < w.shape[1]:
            raise ValueError(f"channel={channel} but the layer has {w.shape[1]} input channels")
        w = w[:, channel:channel + 1]
    elif w.shape[1] not in (1, 3):
        raise ValueError(f"this layer reads {w.shape[1]} input channels, which is not grey (1) or colour (3); "
                         "pass channel=k to show the kernels that read input channel k")
    # channels last, said explicitly: a 3x3 colour kernel [3, 3, 3] could be read either way round
    w = w[:max_filters].transpose(0, 2, 3, 1)
    w = w[..., 0] if w.shape[-1] == 1 else w
    return plot_image_grid(w, ncols=ncols, normalize=True, title=title, panel_size=panel_size)


def plot_feature_maps(maps, ncols: int = 8, *, max_maps: int = 32, cmap="viridis", title=None,
                      panel_size=1.2) -> Figure:
    """The feature maps of one image, one panel per channel, titled by channel; returns the ``Figure``.

    ``maps`` is a layer's output for one image: ``[C, H, W]``, or ``[1, C, H, W]`` straight
    from a batch of one. Each map is stretched to the full colour range on its own (bright =
    strong response), so a map that is zero everywhere shows as one flat colour.
    """
    m = _to_numpy(maps).astype(float)
    if m.ndim == 4 and m.shape[0] == 1:
        m = m[0]
    if m.ndim != 3:
        hint = "; pick one image with maps[i]" if m.ndim == 4 else ""
        raise ValueError(f"feature maps of one image must be [C, H, W] or [1, C, H, W], got {list(m.shape)}{hint}")
    m = m[:max_maps]
    labels = [f"ch {c}" for c in range(len(m))]
    return plot_image_grid(m, labels, ncols=ncols, cmap=cmap, normalize=True, title=title, panel_size=panel_size)


def plot_misclassified(images, y_true, y_pred, class_names=None, *, max_images: int = 16, ncols: int = 8,
                       normalize=True, title=None, panel_size=1.5) -> Figure:
    """The images a classifier got wrong, each titled *true → predicted*; returns the ``Figure``.

    ``images`` ``[N, C, H, W]`` (or any layout :func:`plot_image_grid` takes) with their true
    and predicted class numbers, ``[N]`` each. The first ``max_images`` mistakes are shown, in
    the order of the data; the title says how many there are in all. ``normalize`` as in
    :func:`plot_image_grid` (``False`` shows images in [0, 1] in their true colours).
    """
    t, p = _labels_pair(y_true, y_pred)
    if len(images) != len(t):
        raise ValueError(f"got {len(images)} images but {len(t)} labels")
    wrong = np.flatnonzero(t != p)
    if title is None:
        title = f"{len(wrong)} of {len(t)} misclassified (true → predicted)"
    if len(wrong) == 0:
        fig, ax = new_figure(panel_size=(4.0, 1.2))
        ax.set_axis_off()
        ax.text(0.5, 0.5, "no misclassified examples", ha="center", va="center")
        fig.suptitle(title, fontweight="bold")
        return fig
    shown = wrong[:max_images]
    name = (lambda k: class_names[k]) if class_names is not None else str
    labels = [f"{name(t[i])} → {name(p[i])}" for i in shown]
    picked = images[torch.as_tensor(shown)] if isinstance(images, torch.Tensor) else np.asarray(images)[shown]
    return plot_image_grid(picked, labels, ncols=ncols, normalize=normalize, title=title, panel_size=panel_size)
