"""The playground's widgets: controls, Train and Stop buttons, a status line and a live plot.

``coursekit.playground.playground(config)`` makes one. A widget callback runs on the kernel's main
thread, and while it runs the kernel handles no other widget event: a training loop inside the Train
callback could not be stopped. So the Train callback only starts a background thread, and the Stop
callback sets an Event that the training loop checks before every iteration. The thread shows its
progress by setting widget values (an HTML status line and a PNG image), never through an Output
widget's context manager, which captures whatever the main thread prints at the time.
"""

from __future__ import annotations

import io
import math
import threading
import time
from dataclasses import replace

from .playground import ACTIVATIONS, DATASETS, OPTIMIZERS, PlaygroundConfig, Run, plot_run, train

#: Runs longer than this many iterations get a warning; longer than ``max_iterations`` are refused.
LONG_RUN = 20_000
MAX_ITERATIONS = 300_000


class Playground:
    """Controls, Train and Stop buttons, a status line and a live plot; see ``playground()``."""

    _training: set = set()  # playgrounds whose thread is running; one trains at a time

    def __init__(self, config: PlaygroundConfig, *, seconds_between_redraws: float = 1.0,
                 max_iterations: int = MAX_ITERATIONS):
        import ipywidgets as w

        if not isinstance(config, PlaygroundConfig):
            raise TypeError(f"playground() takes a PlaygroundConfig, not {type(config).__name__}; "
                            "for example playground(PlaygroundConfig(dataset='xor'))")
        self.base, self.seconds_between_redraws, self.max_iterations = config, seconds_between_redraws, max_iterations
        self.controls = _controls(config)
        self.train_button = w.Button(description="Train", button_style="primary", icon="play")
        self.stop_button = w.Button(description="Stop", button_style="danger", icon="stop", disabled=True)
        self.train_button.on_click(self.start)
        self.stop_button.on_click(self.stop)
        self.status = w.HTML()
        self.image = w.Image(format="png", layout=w.Layout(display="none"))
        self.stop_event, self.thread, self.run = threading.Event(), None, None
        names = list(self.controls)
        left = w.VBox([self.controls[n] for n in names[:5]])
        right = w.VBox([self.controls[n] for n in names[5:]] + [w.HBox([self.train_button, self.stop_button])])
        self.box = w.VBox([w.HBox([left, right]), self.status, self.image])

    def config(self) -> PlaygroundConfig:
        """The run the controls describe now (fields without a control come from the starting config)."""
        return replace(self.base, **{name: control.value for name, control in self.controls.items()})

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def start(self, _button=None):
        """What Train does: check the settings, then train in a background thread."""
        if self.running:
            return
        try:
            chosen = self.config()
        except ValueError as error:
            self._say(f"<span style='color:#cf222e'>{error}</span>")
            return
        if chosen.iterations > self.max_iterations:
            self._say(f"<span style='color:#cf222e'>This run would make {chosen.iterations:,} iterations "
                      f"({chosen.epochs} epochs of {chosen.iterations // chosen.epochs:,}), more than the "
                      f"{self.max_iterations:,} one click may start: use fewer epochs or a larger batch size.</span>")
            return
        for other in list(Playground._training):
            other.stop()
        self.stop_event.clear()
        self.train_button.disabled, self.stop_button.disabled = True, False
        long_run = " <b>A long run:</b> press Stop to end it early." if chosen.iterations > LONG_RUN else ""
        self._say(f"Starting: {chosen.iterations:,} iterations.{long_run}")
        self.thread = threading.Thread(target=self._train, args=(chosen,), name="playground-training", daemon=True)
        Playground._training.add(self)
        self.thread.start()

    def stop(self, _button=None):
        """What Stop does: ask the training thread to end after its current iteration."""
        self.stop_event.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the training thread to end; True when it has (or none was running)."""
        if self.thread is not None:
            self.thread.join(timeout)
        return not self.running

    def _train(self, chosen: PlaygroundConfig):
        fig = _widget_figure()
        first_epoch, last_drawn = None, 0.0  # (time, iterations) after epoch 1: the speed is measured from there

        def progress(run, epoch):
            nonlocal first_epoch, last_drawn
            now = time.perf_counter()
            if first_epoch is None:
                first_epoch = (now, run.iterations)
            done_since = run.iterations - first_epoch[1]
            left = (now - first_epoch[0]) / done_since * (chosen.iterations - run.iterations) if done_since else None
            self._say(_progress_text(chosen, run, epoch, left))
            if now - last_drawn >= self.seconds_between_redraws:
                self._draw(run, fig)
                last_drawn = time.perf_counter()

        try:
            self.run = train(chosen, on_epoch=progress, stop=self.stop_event)
            self._draw(self.run, fig)
            self._say(self.run.summary() + f" ({self.run.seconds:.1f} s)")
        except Exception as error:  # shown in the widget: an error in a thread would otherwise vanish
            self._say(f"<span style='color:#cf222e'>{type(error).__name__}: {error}</span>")
        finally:
            Playground._training.discard(self)
            self.train_button.disabled, self.stop_button.disabled = False, True

    def _draw(self, run: Run, fig):
        buffer = io.BytesIO()
        plot_run(run, fig).savefig(buffer, format="png", dpi=80)
        self.image.value = buffer.getvalue()
        self.image.layout.display = None

    def _say(self, html: str):
        self.status.value = html

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.box._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = ("Playground: interactive controls that need a widget front end such as JupyterLab. "
                                "Without one, train(config) and plot_run(run) do the same work as code.")
        return bundle


def _controls(config: PlaygroundConfig) -> dict:
    """One control per setting, each starting at the config's value (ranges stretch to include it)."""
    import ipywidgets as w

    c = config
    batch_sizes = sorted({1, 8, 16, 32, 64, 128, 1024, c.batch_size})
    log_lr = math.log10(c.learning_rate)
    controls = {
        "dataset": w.Dropdown(options=DATASETS, value=c.dataset, description="data"),
        "noise": w.FloatSlider(value=c.noise, min=0, max=max(0.5, c.noise), step=0.05, description="noise"),
        "hidden_layers": w.IntSlider(value=c.hidden_layers, min=0, max=max(6, c.hidden_layers),
                                     description="hidden layers"),
        "width": w.IntSlider(value=c.width, min=1, max=max(64, c.width), description="width"),
        "activation": w.Dropdown(options=list(ACTIVATIONS), value=c.activation, description="activation"),
        "optimizer": w.Dropdown(options=list(OPTIMIZERS), value=c.optimizer, description="optimizer"),
        "learning_rate": w.FloatLogSlider(value=c.learning_rate, base=10, min=min(-4, math.floor(log_lr)),
                                          max=max(0, math.ceil(log_lr)), description="learning rate"),
        "batch_size": w.Dropdown(options=batch_sizes, value=c.batch_size, description="batch size"),
        "epochs": w.IntSlider(value=c.epochs, min=min(10, c.epochs), max=max(500, c.epochs), step=10,
                              description="epochs"),
    }
    for control in controls.values():
        control.style.description_width = "110px"
    return controls


def _widget_figure():
    """A figure made without pyplot: safe to draw from the training thread, never shown twice."""
    from matplotlib.figure import Figure

    return Figure(figsize=(9.2, 3.4), layout="constrained")


def _progress_text(config: PlaygroundConfig, run: Run, epoch: int, seconds_left: float | None) -> str:
    per_epoch = math.ceil(config.n_train / config.batch_size)
    text = (f"epoch <b>{epoch}</b>/{config.epochs}, iteration <b>{run.iterations:,}</b> of {config.iterations:,} "
            f"(batch size {config.batch_size}: {per_epoch:,} iterations per epoch)")
    if seconds_left is not None:
        text += f", about {seconds_left:.0f} s left"
    if config.iterations > LONG_RUN:
        text += ". <b>A long run:</b> press Stop to end it early"
    return text
