"""The course look: colours, matplotlib settings, and the helpers every plot uses to apply them.

:data:`STYLE` holds the look; :func:`new_figure` and :func:`style_axes` apply it
to new figures and panels, and :func:`use_style` makes it the default for your
own figures too.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import torch
from cycler import cycler
from matplotlib.colors import LinearSegmentedColormap

#: Line and class colours, in the order they are used.
PALETTE = (
    "#3b6fb6",  # blue
    "#e07b39",  # orange
    "#3a9e6f",  # green
    "#c4453c",  # red
    "#8c63b5",  # purple
    "#8a6d3b",  # brown
    "#d16ba5",  # pink
    "#6f7b85",  # grey
)

#: Colours for the two sides of a binary decision boundary (class 0 blue, class 1 orange).
BINARY_CMAP = LinearSegmentedColormap.from_list("coursekit_binary", [PALETTE[0], "#f7f7f7", PALETTE[1]])

#: matplotlib settings shared by every figure of the course.
STYLE = {
    "figure.dpi": 100,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "axes.prop_cycle": cycler(color=PALETTE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 11,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "lines.linewidth": 2.0,
    "lines.markersize": 4,
    "image.cmap": "viridis",
}

_GRID = {"visible": True, "alpha": 0.35, "linestyle": "--", "linewidth": 0.6}
_PANEL = (4.6, 3.4)  # width, height of one panel in inches
_LW, _MS = STYLE["lines.linewidth"], STYLE["lines.markersize"]


def use_style() -> None:
    """Make the course style the default for every figure drawn from now on."""
    mpl.rcParams.update(STYLE)


def new_figure(nrows: int = 1, ncols: int = 1, *, panel_size=_PANEL, **kwargs):
    """A new ``(fig, axes)`` in the course style, sized ``panel_size`` inches per panel.

    ``axes`` is a single ``Axes`` for one panel, else an array, as with ``plt.subplots``.
    """
    width, height = panel_size
    kwargs.setdefault("figsize", (width * ncols, height * nrows))
    kwargs.setdefault("layout", "constrained")
    fig, axes = plt.subplots(nrows, ncols, **kwargs)
    fig.set_facecolor("white")
    for ax in fig.axes:
        _prepare_axes(ax)
    return fig, axes


def _prepare_axes(ax):
    """The parts of the style that must be set before drawing: colours, ticks, spines.

    They are set on the axes themselves rather than through global settings, so the
    look does not depend on (or change) anything else in the session.
    """
    ax.set_prop_cycle(color=PALETTE)
    ax.tick_params(labelsize=STYLE["xtick.labelsize"])
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)


def style_axes(ax, *, title=None, xlabel=None, ylabel=None, legend=None, grid=True):
    """Give one ``Axes`` the course look and its labels; returns ``ax``.

    ``legend=None`` adds a legend only when something on the axes has a label;
    ``legend="outside"`` puts it to the right of the panel, where it hides no data.
    """
    if title is not None:
        ax.set_title(title, fontsize=STYLE["axes.titlesize"], fontweight=STYLE["axes.titleweight"])
    if xlabel is not None:
        ax.set_xlabel(xlabel, fontsize=STYLE["axes.labelsize"])
    if ylabel is not None:
        ax.set_ylabel(ylabel, fontsize=STYLE["axes.labelsize"])
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    if grid:
        ax.grid(**_GRID)
    else:
        ax.grid(False)
    labelled = ax.get_legend_handles_labels()[1]
    if legend == "outside":
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=STYLE["legend.fontsize"])
    elif legend or (legend is None and labelled):
        ax.legend(frameon=False, fontsize=STYLE["legend.fontsize"])
    return ax


def _axes(ax, panel_size=_PANEL):
    """The given ``ax``, or a fresh single panel."""
    if ax is not None:
        return ax
    _, ax = new_figure(panel_size=panel_size)
    return ax


def _to_numpy(a) -> np.ndarray:
    """A NumPy array from a tensor (any device, with or without grad), list or array."""
    if isinstance(a, torch.Tensor):
        return a.detach().cpu().numpy()
    return np.asarray(a)

