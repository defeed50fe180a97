"""Plots for the course: one function per kind of picture, all in one style.

Every function draws with matplotlib and returns what it drew, so a notebook
can add to it, restyle it or save it:

- a function that draws one panel takes ``ax=None`` and returns the ``Axes``
  (it makes a new figure when no ``ax`` is given);
- a function that draws several panels returns the ``Figure``.

None of them calls ``plt.show()``: Jupyter shows every new figure at the end of
the cell. End the line with ``;`` (or assign the result) so the notebook does
not also print the returned object.

The look lives in one place, :data:`STYLE`; :func:`new_figure` and
:func:`style_axes` apply it, and :func:`use_style` makes it the default for
your own figures too.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import torch
from cycler import cycler
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

# --------------------------------------------------------------------------- style

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

#: Background of loss surfaces: darker towards the minimum.
_SURFACE_CMAP = LinearSegmentedColormap.from_list("coursekit_surface", ["#b9c6dc", "#ffffff"])

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


# --------------------------------------------------------------------------- curves


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


# --------------------------------------------------------------------------- 2-D pictures


def _grid_outputs(model_or_fn, grid: torch.Tensor) -> np.ndarray:
    """Evaluate a model (eval mode, no grad, on its own device) or a function on grid points."""
    if isinstance(model_or_fn, torch.nn.Module):
        model = model_or_fn
        param = next(model.parameters(), None)
        if param is not None:
            grid = grid.to(device=param.device, dtype=param.dtype)
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                out = model(grid)
        finally:
            model.train(was_training)
    else:
        with torch.no_grad():
            out = model_or_fn(grid)
    return _to_numpy(out).astype(float)


def plot_decision_boundary(model_or_fn, X, y=None, ax=None, *, output="logits", resolution=200,
                           padding=0.5, title="Decision boundary", class_names=None):
    """Colour the plane by what a classifier predicts and draw the data on top; returns the ``Axes``.

    ``model_or_fn`` is a ``torch.nn.Module`` or any function taking a float
    tensor of shape ``[M, 2]``. A module is evaluated in eval mode under
    ``torch.no_grad()`` on its own device, and its train/eval mode is restored.
    ``output`` says what it returns:

    - ``"logits"`` (default): one column (binary, sigmoid applied) or one column per class (softmax applied);
    - ``"probs"``: probabilities, one column or one per class;
    - ``"labels"``: class numbers 0, 1, 2, ...

    Binary problems show the probability of class 1 as shading with the 0.5
    contour as the boundary; more classes show one colour per predicted class.
    """
    if output not in ("logits", "probs", "labels"):
        raise ValueError(f"output must be 'logits', 'probs' or 'labels', not {output!r}")
    X = _to_numpy(X).astype(float)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape [N, 2] (2-D inputs), got {list(X.shape)}")
    y = None if y is None else _to_numpy(y).reshape(-1).astype(int)
    ax = _axes(ax, panel_size=(4.6, 4.0))

    (x0, y0), (x1, y1) = X.min(axis=0) - padding, X.max(axis=0) + padding
    xx, yy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    grid = torch.as_tensor(np.c_[xx.ravel(), yy.ravel()], dtype=torch.float32)
    out = _grid_outputs(model_or_fn, grid)

    if output == "labels":
        pred = np.rint(out.reshape(-1)).astype(int)
        n_classes = int(max(pred.max(), -1 if y is None else y.max())) + 1
        p1 = pred.astype(float) if n_classes <= 2 else None
    elif out.ndim == 1 or out.shape[1] == 1:
        p1 = out.reshape(-1)
        if output == "logits":
            p1 = 1.0 / (1.0 + np.exp(-p1))
        n_classes = 2
    else:
        probs = out
        if output == "logits":
            probs = np.exp(out - out.max(axis=1, keepdims=True))
            probs /= probs.sum(axis=1, keepdims=True)
        n_classes = out.shape[1]
        pred = probs.argmax(axis=1)
        p1 = probs[:, 1] if n_classes == 2 else None

    if p1 is not None:  # binary: shade by P(class 1), draw the 0.5 line
        P = p1.reshape(xx.shape)
        ax.contourf(xx, yy, P, levels=np.linspace(0, 1, 11), cmap=BINARY_CMAP, alpha=0.75, vmin=0, vmax=1)
        if P.min() < 0.5 < P.max() and P.max() - P.min() > 0.02:  # skip a "boundary" made of rounding noise
            ax.contour(xx, yy, P, levels=[0.5], colors="0.15", linewidths=1.5)
    else:  # several classes: one colour per predicted class
        Z = pred.reshape(xx.shape)
        colors = [PALETTE[k % len(PALETTE)] for k in range(n_classes)]
        ax.contourf(xx, yy, Z, levels=np.arange(n_classes + 1) - 0.5, colors=colors, alpha=0.3)
        ax.contour(xx, yy, Z, levels=np.arange(n_classes) + 0.5, colors="0.15", linewidths=1.0)

    size = 18 if len(X) > 50 else 60
    if y is None:
        ax.scatter(X[:, 0], X[:, 1], s=size, color="0.3", edgecolor="white", linewidth=0.5)
    else:
        for k in np.unique(y):
            name = class_names[k] if class_names is not None else f"class {k}"
            pts = X[y == k]
            ax.scatter(pts[:, 0], pts[:, 1], s=size, color=PALETTE[k % len(PALETTE)], edgecolor="0.1",
                       linewidth=0.5, label=name)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    style_axes(ax, title=title, xlabel="$x_1$", ylabel="$x_2$", grid=False, legend=False)
    if y is not None:  # below the panel, where it hides no data
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=min(len(np.unique(y)), 4),
                  frameon=False, fontsize=STYLE["legend.fontsize"], handletextpad=0.2, columnspacing=1.0)
    return ax


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


# --------------------------------------------------------------------------- images and tables


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
    t = _to_numpy(y_true).reshape(-1).astype(int)
    p = _to_numpy(y_pred).reshape(-1).astype(int)
    k = len(class_names) if class_names is not None else int(max(t.max(), p.max())) + 1
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


__all__ = [
    "PALETTE",
    "STYLE",
    "use_style",
    "new_figure",
    "style_axes",
    "plot_lines",
    "plot_activations",
    "plot_lr_schedules",
    "plot_history",
    "LiveHistory",
    "plot_decision_boundary",
    "plot_loss_surface_paths",
    "plot_image_grid",
    "plot_confusion_matrix",
]
