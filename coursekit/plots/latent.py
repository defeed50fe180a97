"""Pictures of latent spaces: codes coloured by digit, rows of decoded images, a decoded lattice.

Made for the generative models of Day 5. Images are ``[1, 28, 28]`` (or ``[28, 28]``) grey
digits with values in [0, 1], shown as they are (0 black, 1 white), never stretched, so two
panels can be compared by brightness.
"""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from .style import PALETTE, _axes, _to_numpy, new_figure, style_axes

#: One colour per digit 0-9: the course palette and two more.
DIGIT_COLORS = PALETTE + ("#b5a02d", "#2aa3b5")  # olive, teal


def plot_latent_space(z, labels, ax=None, title=None, *, class_names=None, size=4.0, alpha=0.6):
    """Two-dimensional codes as a scatter plot, one colour per class, legend outside; returns the ``Axes``.

    ``z`` is ``[N, 2]`` (the encoder's output for N images), ``labels`` ``[N]`` their class
    numbers 0-9 (``class_names`` names them in the legend; the default is the digit).
    """
    points = _to_numpy(z).astype(float)
    classes = _to_numpy(labels).reshape(-1)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"z must be [N, 2] codes, got shape {list(points.shape)}; "
                         "for a larger latent space, project it to 2-D first (e.g. PCA) or plot two of its axes")
    if len(classes) != len(points):
        raise ValueError(f"got {len(points)} codes but {len(classes)} labels; they must pair up one to one")
    if len(classes) and (classes.min() < 0 or classes.max() >= len(DIGIT_COLORS)):
        raise ValueError(f"labels must be class numbers 0 to {len(DIGIT_COLORS) - 1}, got {classes.min()} to "
                         f"{classes.max()}")
    ax = _axes(ax, panel_size=(5.4, 4.4))
    for k in np.unique(classes).astype(int):
        chosen = classes == k
        name = class_names[k] if class_names is not None else str(k)
        ax.scatter(points[chosen, 0], points[chosen, 1], s=size, alpha=alpha, color=DIGIT_COLORS[k],
                   label=name, linewidths=0, rasterized=True)
    style_axes(ax, title=title, xlabel="$z_1$", ylabel="$z_2$", legend=False)
    legend = ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9)
    for handle in legend.legend_handles:  # legend dots big and opaque, whatever the points' size
        handle.set_sizes([30.0])
        handle.set_alpha(1.0)
    return ax


def _image_rows(rows) -> np.ndarray:
    """``rows`` (tensor, array or list of lists) -> float array [R, C, H, W], checked."""
    if isinstance(rows, (list, tuple)):
        if not rows or not all(isinstance(r, (list, tuple, torch.Tensor, np.ndarray)) and len(r) for r in rows):
            raise ValueError("rows must be a non-empty list of non-empty rows of images")
        lengths = {len(r) for r in rows}
        if len(lengths) != 1:
            raise ValueError(f"every row must hold the same number of images, got rows of {sorted(lengths)}")
        arr = np.stack([np.stack([_to_numpy(img).astype(float) for img in r]) for r in rows])
    else:
        arr = _to_numpy(rows).astype(float)
    if arr.ndim == 5 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim != 4:
        raise ValueError(f"rows must be [R, C, 1, H, W] or [R, C, H, W] (grey images), got shape {list(arr.shape)}")
    return arr


def plot_image_rows(rows, row_labels=None, col_labels=None, title=None, *, panel_size=1.0) -> Figure:
    """Images laid out as an R x C grid, with optional labels per row and column; returns the ``Figure``.

    ``rows`` is a tensor ``[R, C, 1, 28, 28]`` (or ``[R, C, 28, 28]``), or a list of R lists of C
    images each: interpolations (one row per pair), latent traversals, class-conditioned samples.
    Values in [0, 1] are shown as they are (clipped), so equal values look equal in every panel.
    ``row_labels`` (R of them) go to the left of each row, ``col_labels`` (C) above each column.
    """
    arr = np.clip(_image_rows(rows), 0.0, 1.0)
    n_rows, n_cols = arr.shape[:2]
    if row_labels is not None and len(row_labels) != n_rows:
        raise ValueError(f"got {n_rows} rows but {len(row_labels)} row labels")
    if col_labels is not None and len(col_labels) != n_cols:
        raise ValueError(f"got {n_cols} columns but {len(col_labels)} column labels")
    fig, axes = new_figure(n_rows, n_cols, panel_size=(panel_size, panel_size), squeeze=False)
    fig.get_layout_engine().set(w_pad=0.01, h_pad=0.01, wspace=0.02, hspace=0.02)
    for r in range(n_rows):
        for c in range(n_cols):
            ax = axes[r, c]
            ax.imshow(arr[r, c], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.spines[:].set_visible(False)
            if c == 0 and row_labels is not None:
                ax.set_ylabel(str(row_labels[r]), rotation=0, ha="right", va="center", fontsize=9)
            if r == 0 and col_labels is not None:
                ax.set_title(str(col_labels[c]), fontsize=8)
    if title:
        fig.suptitle(title, fontweight="bold")
    return fig


def plot_latent_grid(decode, extent=(-3, 3), n: int = 15, title=None, *, ax=None, device=None):
    """Decode an ``n x n`` lattice of 2-D codes and show the images as one picture; returns the ``Axes``.

    ``decode`` maps codes ``[M, 2]`` to images ``[M, 1, 28, 28]`` (or ``[M, 784]``) in [0, 1], e.g. a
    decoder module. ``extent`` is ``(low, high)`` for both axes, or ``(x_low, x_high, y_low, y_high)``.
    The lattice is laid out like a scatter plot of the codes: z1 grows to the right, z2 upwards, and
    the tick labels are latent coordinates, so the picture can sit beside :func:`plot_latent_space`.
    Codes are made on ``device`` (default: the module's own device, else the CPU), decoded without
    gradients.
    """
    if len(extent) == 2:
        extent = (extent[0], extent[1], extent[0], extent[1])
    if len(extent) != 4 or extent[0] >= extent[1] or extent[2] >= extent[3]:
        raise ValueError(f"extent must be (low, high) or (x_low, x_high, y_low, y_high) with low < high, got {extent}")
    if n < 2:
        raise ValueError(f"n must be at least 2 (codes per side), got {n}")
    if device is None and isinstance(decode, torch.nn.Module):
        device = next(decode.parameters(), torch.empty(0)).device
    x_low, x_high, y_low, y_high = (float(v) for v in extent)
    z1 = torch.linspace(x_low, x_high, n)
    z2 = torch.linspace(y_high, y_low, n)  # top row first: z2 grows upwards, as in a scatter plot
    codes = torch.stack(torch.meshgrid(z2, z1, indexing="ij")[::-1], dim=-1).reshape(-1, 2)
    with torch.no_grad():
        images = decode(codes.to(device))
    images = _to_numpy(images).astype(float)
    if images.size != n * n * 28 * 28:
        raise ValueError(f"decode must turn {n * n} codes into {n * n} images of 28x28 pixels, "
                         f"got an output of shape {list(images.shape)}")
    tiles = images.reshape(n, n, 28, 28).transpose(0, 2, 1, 3).reshape(n * 28, n * 28)
    ax = _axes(ax, panel_size=(5.0, 5.0))
    # Each tile sits centred on its code: pad the extent by half a lattice step on every side.
    half_x, half_y = (x_high - x_low) / (n - 1) / 2, (y_high - y_low) / (n - 1) / 2
    ax.imshow(np.clip(tiles, 0.0, 1.0), cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest",
              extent=(x_low - half_x, x_high + half_x, y_low - half_y, y_high + half_y))
    return style_axes(ax, title=title, xlabel="$z_1$", ylabel="$z_2$", grid=False)
