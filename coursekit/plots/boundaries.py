"""Decision boundaries: what a classifier of 2-D points predicts everywhere in the plane."""

from __future__ import annotations

import numpy as np
import torch

from .style import BINARY_CMAP, PALETTE, STYLE, _axes, _to_numpy, style_axes


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

