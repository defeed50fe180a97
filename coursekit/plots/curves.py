"""Curves over time: named lines, learning-rate schedules, training histories (also live)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .style import _LW, _MS, _PANEL, PALETTE, STYLE, _axes, _prepare_axes, _to_numpy, new_figure, style_axes



def plot_lines(series: Mapping[str, Sequence[float]], *, x=None, ax=None, title=None,
               xlabel=None, ylabel=None, log_y=False, markers=False):
    """Several named curves on one panel (per-layer numbers, losses, ...); returns the ``Axes``.

    ``series`` maps a label to its y values, or to a pair ``(x, y)`` when the curves
    have different x values; a shared ``x`` defaults to 0, 1, 2, ...
    ``log_y=True`` uses a logarithmic y axis, the right choice for values that
    span orders of magnitude such as gradient norms.
    """
    ax = _axes(ax)
    whole_x = True
    for i, (name, values) in enumerate(series.items()):
        if isinstance(values, tuple) and len(values) == 2:
            xs, y = _to_numpy(values[0]).astype(float).reshape(-1), _to_numpy(values[1]).astype(float).reshape(-1)
        else:
            y = _to_numpy(values).astype(float).reshape(-1)
            xs = np.arange(len(y)) if x is None else _to_numpy(x)[: len(y)]
        whole_x = whole_x and bool(np.all(np.mod(xs, 1) == 0))
        ax.plot(xs, y, label=name, color=PALETTE[i % len(PALETTE)], linewidth=_LW, marker="o" if markers else None,
                markersize=_MS)
    if log_y:
        ax.set_yscale("log")
    if whole_x:  # layers, epochs, steps: no tick at 2.5
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return style_axes(ax, title=title, xlabel=xlabel, ylabel=ylabel)


def plot_lr_schedules(schedules: Mapping[str, Sequence[float]], ax=None, *, xlabel="epoch",
                      log_y=False, title="Learning-rate schedules"):
    """Learning rate against epoch (or step) for each named schedule; returns the ``Axes``.

    The rate holds for a whole epoch, so each curve is drawn as steps.
    """
    ax = _axes(ax, panel_size=(6.4, 3.4))
    for i, (name, rates) in enumerate(schedules.items()):
        r = _to_numpy(rates).astype(float).reshape(-1)
        ax.plot(np.arange(len(r)), r, drawstyle="steps-post", label=name, color=PALETTE[i % len(PALETTE)],
                linewidth=_LW)
    if log_y:
        ax.set_yscale("log")
    return style_axes(ax, title=title, xlabel=xlabel, ylabel="learning rate", legend="outside")


_SPLITS = {"train": "train", "val": "val", "valid": "val", "validation": "val", "test": "test"}
_SPLIT_STYLE = {"train": (PALETTE[0], "-"), "val": (PALETTE[1], "-"), "test": (PALETTE[2], "--")}


def _split_key(key: str):
    """``'val_loss'`` -> ``('loss', 'val')``; a key with no split prefix is a training metric."""
    for sep in ("_", "/"):
        head, _, rest = key.partition(sep)
        if rest and head.lower() in _SPLITS:
            return rest, _SPLITS[head.lower()]
    return key, "train"


def plot_history(history: Mapping[str, Sequence[float]], *, fig=None, xlabel="epoch", title=None) -> Figure:
    """Training curves, one panel per metric, train and validation together; returns the ``Figure``.

    Keys such as ``train_loss``/``val_loss`` (or Keras' ``loss``/``val_loss``)
    share a panel named ``loss``. Pass ``fig`` to redraw into an existing figure
    (this is what :class:`LiveHistory` does after every epoch).
    """
    panels: dict[str, list[tuple[str, np.ndarray]]] = {}
    for key, values in history.items():
        metric, split = _split_key(key)
        panels.setdefault(metric, []).append((split, _to_numpy(values).astype(float).reshape(-1)))
    n = max(len(panels), 1)
    if fig is None:
        fig, _ = new_figure(1, n)
    else:
        fig.clear()
        fig.set_size_inches(_PANEL[0] * n, _PANEL[1])
        for ax in np.atleast_1d(fig.subplots(1, n)):
            _prepare_axes(ax)
    for ax, (metric, curves) in zip(fig.axes, panels.items()):
        for split, y in curves:
            color, ls = _SPLIT_STYLE[split]
            epochs = np.arange(1, len(y) + 1)
            ax.plot(epochs, y, color=color, linestyle=ls, linewidth=_LW, marker="o" if len(y) <= 30 else None,
                    markersize=_MS, label=split)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        style_axes(ax, title=metric, xlabel=xlabel, ylabel=metric, legend=True)
    if title:
        fig.suptitle(title, fontweight="bold")
    return fig


class LiveHistory:
    """Training curves that redraw in place while a training loop runs.

    ::

        live = LiveHistory()
        for epoch in range(epochs):
            ...
            history["train_loss"].append(loss)
            live.update(history)

    In Jupyter the figure is shown once and updated in place; elsewhere
    ``update`` only redraws ``live.fig``, which you can save.
    """

    def __init__(self, title=None):
        self.title = title
        # A Figure made without pyplot, so Jupyter does not show a second copy at the end of the cell.
        self.fig = Figure(figsize=_PANEL, layout="constrained")
        self._handle = None

    def update(self, history: Mapping[str, Sequence[float]]) -> Figure:
        """Redraw with the latest ``history``; returns the figure."""
        plot_history(history, fig=self.fig, title=self.title)
        try:
            from IPython import get_ipython
            from IPython.display import Image, display
        except ImportError:  # plain Python: nothing to show
            return self.fig
        if get_ipython() is None:
            return self.fig
        # Shown as a PNG we render ourselves, so it works whatever matplotlib backend the notebook uses.
        buffer = io.BytesIO()
        self.fig.savefig(buffer, format="png", dpi=STYLE["figure.dpi"])
        image = Image(data=buffer.getvalue(), format="png")
        if self._handle is None:
            self._handle = display(image, display_id=True)
        else:
            self._handle.update(image)
        return self.fig

