"""Functions of one or two variables: activations with their derivatives, loss surfaces with optimizer paths."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import torch
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

from .style import _LW, PALETTE, _axes, _to_numpy, new_figure, style_axes

#: Background of loss surfaces: darker towards the minimum.
_SURFACE_CMAP = LinearSegmentedColormap.from_list("coursekit_surface", ["#b9c6dc", "#ffffff"])


def plot_activations(funcs: Mapping[str, Callable], x_range=(-5.0, 5.0), *, num: int = 401) -> Figure:
    """Each activation function (left) and its derivative (right); returns the ``Figure``.

    ``funcs`` maps a name to an element-wise function of a tensor
    (``torch.sigmoid``, ``nn.ReLU()``, your own ``lambda``). The derivative is
    not typed in: autograd computes it, so the right panel also checks your
    function is differentiable where you expect.
    """
    lo, hi = float(x_range[0]), float(x_range[1])
    fig, (ax_f, ax_d) = new_figure(1, 2)
    for i, (name, f) in enumerate(funcs.items()):
        x = torch.linspace(lo, hi, num, requires_grad=True)
        y = f(x)
        (dy,) = torch.autograd.grad(y.sum(), x)
        style = {"color": PALETTE[i % len(PALETTE)], "linewidth": _LW,
                 "linestyle": "-" if i % 2 == 0 else "--"}  # dashes keep overlapping curves visible
        ax_f.plot(_to_numpy(x), _to_numpy(y), label=name, **style)
        ax_d.plot(_to_numpy(x), _to_numpy(dy), label=name, **style)
    for ax in (ax_f, ax_d):
        ax.axhline(0, color="0.55", linewidth=0.8)
        ax.axvline(0, color="0.55", linewidth=0.8)
    style_axes(ax_f, title="Activation", xlabel="$z$", ylabel="$f(z)$")
    style_axes(ax_d, title="Derivative (autograd)", xlabel="$z$", ylabel="$f'(z)$")
    return fig


def _bounds(bounds):
    """``((xmin, xmax), (ymin, ymax))`` or ``(xmin, xmax, ymin, ymax)`` as four floats."""
    flat = np.asarray(bounds, dtype=float).reshape(-1)
    if flat.size != 4:
        raise ValueError("bounds must be ((xmin, xmax), (ymin, ymax))")
    return tuple(flat)


def plot_loss_surface_paths(loss_fn: Callable, paths: Mapping[str, Sequence], bounds, ax=None, *,
                            resolution=200, levels=25, minimum=None, title="Optimizer paths"):
    """Contours of a 2-D loss with each optimizer's path on top; returns the ``Axes``.

    ``loss_fn`` takes a tensor whose last dimension holds ``(x, y)`` and returns
    the loss for each point, so the same function serves the optimizer (one
    point, shape ``[2]``) and this plot (a grid, shape ``[R, R, 2]``).
    ``paths`` maps a name to the visited points, shape ``[T, 2]``. Contour levels
    are spaced geometrically above the lowest value so the valley floor stays visible.
    """
    xmin, xmax, ymin, ymax = _bounds(bounds)
    xs, ys = np.linspace(xmin, xmax, resolution), np.linspace(ymin, ymax, resolution)
    xx, yy = np.meshgrid(xs, ys)
    grid = torch.as_tensor(np.stack([xx, yy], axis=-1), dtype=torch.float64)
    with torch.no_grad():
        Z = _to_numpy(loss_fn(grid)).astype(float)
    if Z.shape != xx.shape:
        raise ValueError(f"loss_fn must return one value per point: got shape {Z.shape} for a grid of {xx.shape}")

    ax = _axes(ax, panel_size=(6.4, 4.2))
    lo, hi = float(Z.min()), float(Z.max())
    lv = lo + (hi - lo) * np.geomspace(1e-3, 1.0, levels)
    ax.contourf(xx, yy, Z, levels=np.concatenate([[lo], lv]), cmap=_SURFACE_CMAP)
    ax.contour(xx, yy, Z, levels=lv, colors="0.55", linewidths=0.5)
    for i, (name, path) in enumerate(paths.items()):
        p = _to_numpy(path).astype(float).reshape(-1, 2)
        color = PALETTE[i % len(PALETTE)]
        ax.plot(p[:, 0], p[:, 1], "-", color=color, linewidth=1.6, marker="o", markersize=2.2, label=name)
        ax.plot(p[-1, 0], p[-1, 1], marker="X", markersize=8, color=color, markeredgecolor="white")
    if len(paths):
        first = _to_numpy(next(iter(paths.values()))).reshape(-1, 2)[0]
        ax.plot(first[0], first[1], marker="o", markersize=8, color="0.1", linestyle="none", label="start")
    if minimum is not None:
        ax.plot(minimum[0], minimum[1], marker="*", markersize=14, color="gold", markeredgecolor="0.1",
                linestyle="none", label="minimum")
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    return style_axes(ax, title=title, xlabel="$w_1$", ylabel="$w_2$", grid=False, legend="outside")

