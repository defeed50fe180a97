"""The Day 1 playground: train a small network on 2-D data and watch it learn.

Change depth, width, activation, learning rate, optimizer and batch size, and
see the loss curves and the decision boundary move, epoch by epoch. In
JupyterLab ``playground()`` shows sliders and a Train button; without a widget
front end (nbval, a script) call ``train(PlaygroundConfig(...))`` and
``plot_run(run)`` directly, which is also what the widgets do underneath.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

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
        for name, allowed in (("dataset", DATASETS), ("activation", ACTIVATIONS), ("optimizer", OPTIMIZERS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name}={getattr(self, name)!r} is not known; choose one of {', '.join(allowed)}")
        if self.hidden_layers < 0 or self.width < 1 or self.batch_size < 1 or self.epochs < 1:
            raise ValueError("hidden_layers must be >= 0 and width, batch_size and epochs >= 1")


@dataclass
class Run:
    """The result of ``train``: the model, the data it saw, and its history per epoch."""

    config: PlaygroundConfig
    model: nn.Module
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    history: dict[str, list[float]] = field(default_factory=dict)
    iterations: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        h = self.history
        return (f"{self.config.epochs} epochs = {self.iterations} iterations of batch size {self.config.batch_size}; "
                f"train loss {h['train_loss'][-1]:.3f}, test loss {h['test_loss'][-1]:.3f}; "
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
    n_test = int(round(config.test_fraction * len(x)))
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train].float(), x[test], y[test].float()


def _evaluate(model, x, y, loss_fn):
    with torch.no_grad():
        logits = model(x).squeeze(1)
        return loss_fn(logits, y).item(), ((logits > 0).float() == y).float().mean().item()


@contextmanager
def _one_thread():
    """Matrices of a few hundred numbers: handing work to other threads costs more than it saves."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def train(config: PlaygroundConfig = PlaygroundConfig(), on_epoch=None) -> Run:
    """Train a model as ``config`` says; ``on_epoch(run, epoch)`` is called after each epoch."""
    with _one_thread():
        return _train(config, on_epoch)


def _train(config: PlaygroundConfig, on_epoch) -> Run:
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
            loss = loss_fn(model(x_train[batch]).squeeze(1), y_train[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            run.iterations += 1
        model.eval()
        for split, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
            loss_value, accuracy = _evaluate(model, x, y, loss_fn)
            run.history[f"{split}_loss"].append(loss_value)
            run.history[f"{split}_acc"].append(accuracy)
        if on_epoch is not None:
            on_epoch(run, epoch)
    run.seconds = time.perf_counter() - start
    return run


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
    plots.plot_decision_boundary(run.model, run.x_train, run.y_train.long(), ax=boundary,
                                 title=f"Decision boundary, test accuracy {run.history['test_acc'][-1]:.0%}")
    boundary.scatter(run.x_test[:, 0], run.x_test[:, 1], c="black", marker="x", s=20, linewidths=1,
                     label="test points")
    boundary.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, frameon=False)
    return fig


def playground(config: PlaygroundConfig = PlaygroundConfig(), redraw_every: int = 5):
    """Sliders and a Train button in JupyterLab; returns the widget box."""
    import ipywidgets as w
    import matplotlib.pyplot as plt
    from IPython.display import display

    from . import plots

    controls = {
        "dataset": w.Dropdown(options=DATASETS, value=config.dataset, description="data"),
        "noise": w.FloatSlider(value=config.noise, min=0, max=0.5, step=0.05, description="noise"),
        "hidden_layers": w.IntSlider(value=config.hidden_layers, min=0, max=6, description="hidden layers"),
        "width": w.IntSlider(value=config.width, min=1, max=64, description="width"),
        "activation": w.Dropdown(options=list(ACTIVATIONS), value=config.activation, description="activation"),
        "optimizer": w.Dropdown(options=list(OPTIMIZERS), value=config.optimizer, description="optimizer"),
        "learning_rate": w.FloatLogSlider(value=config.learning_rate, base=10, min=-4, max=0, description="learning rate"),
        "batch_size": w.Dropdown(options=[1, 8, 32, 128, 1024], value=config.batch_size, description="batch size"),
        "epochs": w.IntSlider(value=config.epochs, min=10, max=500, step=10, description="epochs"),
    }
    for control in controls.values():
        control.style.description_width = "110px"
    button = w.Button(description="Train", button_style="primary", icon="play")
    status = w.HTML()
    output = w.Output()

    def on_click(_):
        button.disabled = True
        try:
            chosen = replace(config, **{name: c.value for name, c in controls.items()})
            fig, _ = plots.new_figure(1, 2)
            plt.close(fig)  # drawn only into the output widget, never twice

            def redraw(run, epoch):
                status.value = (f"epoch <b>{epoch}</b>/{chosen.epochs}, iteration <b>{run.iterations}</b> "
                                f"(batch size {chosen.batch_size}, "
                                f"{-(-len(run.x_train) // chosen.batch_size)} iterations per epoch)")
                if epoch % redraw_every == 0 or epoch == chosen.epochs:
                    with output:
                        output.clear_output(wait=True)
                        display(plot_run(run, fig))

            run = train(chosen, on_epoch=redraw)
            status.value += f"<br>{run.summary()}"
        except Exception as error:  # show it in the widget rather than losing it in a callback
            status.value = f"<span style='color:#cf222e'>{type(error).__name__}: {error}</span>"
        finally:
            button.disabled = False

    button.on_click(on_click)
    left = w.VBox(list(controls.values())[:5])
    right = w.VBox(list(controls.values())[5:] + [button])
    return w.VBox([w.HBox([left, right]), status, output])

