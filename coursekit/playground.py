"""The Day 1 playground: train a small network on 2-D data and watch it learn.

Change depth, width, activation, learning rate, optimizer and batch size, and
see the loss curves and the decision boundary move, epoch by epoch. In
JupyterLab ``playground()`` shows the controls with Train and Stop buttons
(the widgets live in :mod:`coursekit.playground_widgets`); without a widget
front end (nbval, a script) call ``train(PlaygroundConfig(...))`` and
``plot_run(run)`` directly, which is also what the widgets do underneath, and
``plot_boundaries(runs)`` to compare several runs side by side.
"""

from __future__ import annotations

import math
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "leaky_relu": nn.LeakyReLU, "linear": nn.Identity}
OPTIMIZERS = {
    "sgd": lambda params, lr: torch.optim.SGD(params, lr=lr),
    "momentum": lambda params, lr: torch.optim.SGD(params, lr=lr, momentum=0.9),
    "rmsprop": lambda params, lr: torch.optim.RMSprop(params, lr=lr),
    "adam": lambda params, lr: torch.optim.Adam(params, lr=lr),
}
DATASETS = ("circles", "moons", "xor", "spirals")
_WHOLE_NUMBERS = {"n_samples": 10, "hidden_layers": 0, "width": 1, "batch_size": 1, "epochs": 1, "seed": 0}


@dataclass(frozen=True)
class PlaygroundConfig:
    """Everything that defines one run; change a field with ``dataclasses.replace``."""

    dataset: str = "moons"
    n_samples: int = 400
    noise: float = 0.2
    hidden_layers: int = 2
    width: int = 8
    activation: str = "relu"
    optimizer: str = "adam"
    learning_rate: float = 0.03
    batch_size: int = 32
    epochs: int = 100
    test_fraction: float = 0.3
    seed: int = 0

    def __post_init__(self):
        problems = [_choice_problem(name, getattr(self, name), allowed) for name, allowed in
                    (("dataset", DATASETS), ("activation", ACTIVATIONS), ("optimizer", OPTIMIZERS))]
        problems += [_whole_number_problem(name, getattr(self, name), least) for name, least in _WHOLE_NUMBERS.items()]
        problems += [_number_problem("noise", self.noise, "at least 0", lambda v: v >= 0),
                     _number_problem("learning_rate", self.learning_rate, "above 0 (try 0.001 to 1)", lambda v: v > 0),
                     _number_problem("test_fraction", self.test_fraction, "between 0 and 1 (try 0.3)",
                                     lambda v: 0 < v < 1)]
        problems = [p for p in problems if p]
        if not problems and not 1 <= self.n_train < self.n_samples:
            problems.append(f"test_fraction={self.test_fraction} leaves no training or no test points "
                            f"out of n_samples={self.n_samples}; move it towards 0.3")
        if problems:
            raise ValueError("PlaygroundConfig: " + "; ".join(problems))

    @property
    def n_train(self) -> int:
        """How many of the ``n_samples`` points are used for training (the rest are the test set)."""
        return self.n_samples - int(round(self.test_fraction * self.n_samples))

    @property
    def iterations(self) -> int:
        """How many gradient steps the whole run makes: epochs times batches per epoch."""
        return self.epochs * math.ceil(self.n_train / self.batch_size)


def _choice_problem(name, value, allowed):
    if value not in allowed:
        return f"{name}={value!r} is not known; choose one of {', '.join(allowed)}"


def _whole_number_problem(name, value, least):
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        return f"{name} must be a whole number of at least {least}, not {value!r}"


def _number_problem(name, value, wanted, ok):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not ok(value):
        return f"{name} must be a number {wanted}, not {value!r}"


@dataclass
class Run:
    """The result of ``train``: the model, the data it saw, and its history per finished epoch."""

    config: PlaygroundConfig
    model: nn.Module
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    history: dict[str, list[float]] = field(default_factory=dict)
    iterations: int = 0
    seconds: float = 0.0
    stopped: bool = False  # True when a stop request ended the run early

    def summary(self) -> str:
        h, c = self.history, self.config
        done = len(h["train_loss"])
        epochs = f"stopped after {done} of {c.epochs} epochs" if self.stopped else f"{done} epochs"
        text = f"{epochs} = {self.iterations:,} iterations of batch size {c.batch_size}"
        if not done:
            return text + "; no epoch finished, so nothing measured yet"
        return (text + f"; train loss {h['train_loss'][-1]:.3f}, test loss {h['test_loss'][-1]:.3f}; "
                f"train accuracy {h['train_acc'][-1]:.1%}, test accuracy {h['test_acc'][-1]:.1%}")


def make_model(config: PlaygroundConfig) -> nn.Sequential:
    """An MLP from 2 inputs through ``hidden_layers`` layers of ``width`` units to 1 logit."""
    layers, size = [], 2
    for _ in range(config.hidden_layers):
        layers += [nn.Linear(size, config.width), ACTIVATIONS[config.activation]()]
        size = config.width
    layers.append(nn.Linear(size, 1))  # one logit: the probability of class 1 is its sigmoid
    return nn.Sequential(*layers)


def make_data(config: PlaygroundConfig):
    """The 2-D data set, standardized, split into train and test at random (seeded)."""
    from .data import make_toy_2d

    x, y = make_toy_2d(config.dataset, n_samples=config.n_samples, noise=config.noise, seed=config.seed)
    x = (x - x.mean(0)) / x.std(0)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(config.seed))
    n_test = config.n_samples - config.n_train
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train].float(), x[test], y[test].float()


def _evaluate(model, x, y, loss_fn):
    with torch.no_grad():
        logits = model(x).squeeze(1)
        return loss_fn(logits, y).item(), ((logits > 0).float() == y).float().mean().item()


_threads_lock = threading.Lock()
_threads_users = 0
_threads_before = 1


@contextmanager
def _one_thread():
    """Matrices of a few hundred numbers: handing work to other threads costs more than it saves.

    The setting is for the whole process, and a playground trains in a background thread
    while cells may train too: the first run in sets it, the last one out restores it.
    """
    global _threads_users, _threads_before
    with _threads_lock:
        if _threads_users == 0:
            _threads_before = torch.get_num_threads()
            torch.set_num_threads(1)
        _threads_users += 1
    try:
        yield
    finally:
        with _threads_lock:
            _threads_users -= 1
            if _threads_users == 0:
                torch.set_num_threads(_threads_before)


def train(config: PlaygroundConfig = PlaygroundConfig(), on_epoch=None, stop: threading.Event | None = None) -> Run:
    """Train a model as ``config`` says; ``on_epoch(run, epoch)`` is called after each epoch.

    ``stop`` (a ``threading.Event``) is checked before every iteration: once it is set, training
    ends there and the run comes back with ``stopped=True`` and the epochs finished so far.
    """
    with _one_thread():
        return _train(config, on_epoch, stop)


def _train(config: PlaygroundConfig, on_epoch, stop) -> Run:
    torch.manual_seed(config.seed)
    x_train, y_train, x_test, y_test = make_data(config)
    model = make_model(config)
    optimizer = OPTIMIZERS[config.optimizer](model.parameters(), config.learning_rate)
    loss_fn = nn.BCEWithLogitsLoss()
    run = Run(config, model, x_train, y_train, x_test, y_test,
              history={"train_loss": [], "test_loss": [], "train_acc": [], "test_acc": []})
    shuffle = torch.Generator().manual_seed(config.seed + 1)
    start = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        model.train()
        order = torch.randperm(len(x_train), generator=shuffle)
        for batch in order.split(config.batch_size):  # one iteration = one batch = one update
            if stop is not None and stop.is_set():
                run.stopped = True
                break
            loss = loss_fn(model(x_train[batch]).squeeze(1), y_train[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            run.iterations += 1
        if run.stopped:  # an unfinished epoch is not measured as if it were one
            break
        model.eval()
        for split, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
            loss_value, accuracy = _evaluate(model, x, y, loss_fn)
            run.history[f"{split}_loss"].append(loss_value)
            run.history[f"{split}_acc"].append(accuracy)
        if on_epoch is not None:
            on_epoch(run, epoch)
    run.seconds = time.perf_counter() - start
    return run


def _accuracy(model, x, y) -> float:
    return _evaluate(model, x, y, nn.BCEWithLogitsLoss())[1]


def _draw_boundary(run: Run, ax, title: str, test_points: bool = True):
    from . import plots

    plots.plot_decision_boundary(run.model, run.x_train, run.y_train.long(), ax=ax, title=title)
    if test_points:
        ax.scatter(run.x_test[:, 0], run.x_test[:, 1], c="black", marker="x", s=20, linewidths=1,
                   label="test points")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, frameon=False)


def plot_run(run: Run, fig=None):
    """Loss curves (left) and the decision boundary with train (dots) and test (crosses) points (right)."""
    from . import plots

    if fig is None:
        fig, _ = plots.new_figure(1, 2)
    fig.clear()
    curves, boundary = fig.subplots(1, 2)
    epochs = np.arange(1, len(run.history["train_loss"]) + 1)
    plots.plot_lines({"train loss": (epochs, run.history["train_loss"]),
                      "test loss": (epochs, run.history["test_loss"])},
                     ax=curves, title="Loss", xlabel="epoch", ylabel="binary cross-entropy")
    curves.legend()
    accuracy = _accuracy(run.model, run.x_test, run.y_test)  # of the model as it is, even if stopped mid-epoch
    _draw_boundary(run, boundary, f"Decision boundary, test accuracy {accuracy:.0%}")
    return fig


def plot_boundaries(runs: dict[str, Run], ncols: int = 3):
    """The decision boundaries of several runs side by side, each titled with its name and test accuracy."""
    from . import plots

    ncols = min(ncols, len(runs))
    fig, axes = plots.new_figure(math.ceil(len(runs) / ncols), ncols, panel_size=(3.6, 3.4), squeeze=False)
    for ax, (name, run) in zip(axes.flat, runs.items()):
        _draw_boundary(run, ax, f"{name}: {_accuracy(run.model, run.x_test, run.y_test):.0%} test", test_points=False)
        ax.get_legend().remove()  # the colours are the same in every panel: blue class 0, orange class 1
    for ax in axes.flat[len(runs):]:
        ax.set_axis_off()
    return fig


def playground(config: PlaygroundConfig = PlaygroundConfig(), **options) -> "Playground":
    """The interactive playground, starting from ``config``; Train runs in the background, Stop ends it.

    ``options``: ``seconds_between_redraws`` (1.0) and ``max_iterations`` (300,000, the most one click starts).
    """
    from .playground_widgets import Playground

    return Playground(config, **options)
