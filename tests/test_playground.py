import threading
import time
from dataclasses import replace

import matplotlib
import pytest

matplotlib.use("Agg")

from coursekit import playground_widgets  # noqa: E402
from coursekit.playground import (PlaygroundConfig, make_model, plot_boundaries, plot_run, playground,  # noqa: E402
                                  train)

SMALL = PlaygroundConfig(n_samples=200, epochs=40, batch_size=32)


@pytest.fixture(autouse=True)
def no_training_thread_outlives_its_test():
    yield
    for pg in list(playground_widgets.Playground._training):
        pg.stop()
        assert pg.wait(timeout=10)


def test_depth_and_width_shape_the_model():
    model = make_model(replace(SMALL, hidden_layers=3, width=5))
    linear_layers = [m for m in model if m.__class__.__name__ == "Linear"]
    assert [m.out_features for m in linear_layers] == [5, 5, 5, 1]


def test_a_hidden_layer_solves_xor_and_a_linear_model_cannot():
    deep = train(replace(SMALL, dataset="xor", hidden_layers=2, width=8, noise=0.1))
    linear = train(replace(SMALL, dataset="xor", hidden_layers=0, noise=0.1))
    assert deep.history["test_acc"][-1] >= 0.9
    assert linear.history["test_acc"][-1] <= 0.75


def test_history_has_one_entry_per_epoch_and_counts_iterations():
    config = replace(SMALL, epochs=7, batch_size=50)
    run = train(config)
    assert all(len(values) == 7 for values in run.history.values())
    assert len(run.x_train) == config.n_train == 140
    assert run.iterations == config.iterations == 7 * 3  # 140 points in batches of 50: 50, 50, 40
    assert "7 epochs" in run.summary() and not run.stopped


def test_runs_repeat_exactly_with_the_same_seed():
    assert train(SMALL).history == train(SMALL).history
    assert train(SMALL).history != train(replace(SMALL, seed=1)).history


def test_on_epoch_is_called_every_epoch():
    seen = []
    train(replace(SMALL, epochs=5), on_epoch=lambda run, epoch: seen.append(epoch))
    assert seen == [1, 2, 3, 4, 5]


def test_a_stop_request_ends_training_before_the_next_iteration():
    stop = threading.Event()
    stop.set()
    run = train(SMALL, stop=stop)
    assert run.stopped and run.iterations == 0 and run.history["train_loss"] == []
    assert "stopped after 0 of 40 epochs" in run.summary() and "nothing measured" in run.summary()

    stop.clear()
    run = train(SMALL, stop=stop, on_epoch=lambda run, epoch: epoch == 3 and stop.set())
    assert run.stopped and len(run.history["test_acc"]) == 3
    assert run.iterations == 3 * SMALL.iterations // SMALL.epochs  # no iteration of epoch 4 ran
    assert "stopped after 3 of 40 epochs" in run.summary()


def test_plot_shows_curves_and_boundary():
    fig = plot_run(train(replace(SMALL, epochs=3)))
    curves, boundary = fig.axes[:2]
    assert len(curves.lines) == 2 and "accuracy" in boundary.get_title()


def test_plot_boundaries_draws_one_panel_per_run():
    runs = {"relu": train(replace(SMALL, epochs=2)), "tanh": train(replace(SMALL, epochs=2, activation="tanh"))}
    fig = plot_boundaries(runs)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert len(titles) == 2 and titles[0].startswith("relu: ") and titles[1].endswith("% test")


@pytest.mark.parametrize("bad, words", [
    (dict(dataset="swirl"), "dataset='swirl' is not known; choose one of circles, moons, xor, spirals"),
    (dict(activation="gelu2"), "activation='gelu2' is not known"),
    (dict(optimizer="lbfgs"), "optimizer='lbfgs' is not known"),
    (dict(width=0), "width must be a whole number of at least 1, not 0"),
    (dict(batch_size=0), "batch_size must be a whole number of at least 1, not 0"),
    (dict(batch_size=16.0), "batch_size must be a whole number of at least 1, not 16.0"),
    (dict(epochs=-5), "epochs must be a whole number of at least 1"),
    (dict(learning_rate=0), "learning_rate must be a number above 0"),
    (dict(learning_rate=float("nan")), "learning_rate must be a number above 0"),
    (dict(noise=-0.1), "noise must be a number at least 0"),
    (dict(test_fraction=1.0), "test_fraction must be a number between 0 and 1"),
    (dict(n_samples=10, test_fraction=0.99), "leaves no training or no test points"),
])
def test_bad_settings_are_rejected_with_what_to_do(bad, words):
    with pytest.raises(ValueError) as error:
        replace(SMALL, **bad)
    assert words in str(error.value)


def test_the_widgets_start_from_any_valid_config():
    unusual = replace(SMALL, batch_size=16, width=100, hidden_layers=8, epochs=15, learning_rate=3.0, noise=0.7)
    pg = playground(unusual)
    assert pg.config() == unusual  # no control clipped or refused a value
    assert 16 in pg.controls["batch_size"].options
    with pytest.raises(TypeError, match="takes a PlaygroundConfig"):
        playground({"batch_size": 16})
    with pytest.raises(ValueError, match="batch_size must be"):
        playground(replace(SMALL, batch_size=0))


def test_without_a_widget_front_end_the_playground_says_so_in_text():
    bundle = playground(SMALL)._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "train(config)" in bundle["text/plain"]


def test_train_button_trains_in_the_background_and_shows_the_result():
    pg = playground(replace(SMALL, epochs=10))
    pg.train_button.click()
    assert pg.wait(timeout=60)
    assert "10 epochs" in pg.status.value and "test accuracy" in pg.status.value
    assert pg.run.history["test_acc"] and pg.image.value[:4] == b"\x89PNG"
    assert not pg.train_button.disabled and pg.stop_button.disabled


def test_stop_button_ends_a_long_run_and_train_never_blocks_the_kernel():
    pg = playground(replace(SMALL, batch_size=1, epochs=500), seconds_between_redraws=60)
    planned = pg.config().iterations
    assert planned == 500 * 140
    started = time.perf_counter()
    pg.train_button.click()
    assert time.perf_counter() - started < 1.0  # the callback only starts a thread: other clicks get through
    assert pg.train_button.disabled and not pg.stop_button.disabled
    assert "A long run" in pg.status.value
    pg.train_button.click()  # a second click while training starts nothing
    deadline = time.perf_counter() + 30
    while "epoch <b>" not in pg.status.value and time.perf_counter() < deadline:
        time.sleep(0.05)
    pg.stop_button.click()
    assert pg.wait(timeout=10), "the training thread did not end after Stop"
    assert pg.run.stopped and 0 < pg.run.iterations < planned
    assert "stopped after" in pg.status.value
    assert not pg.train_button.disabled and pg.stop_button.disabled


def test_starting_a_playground_stops_the_one_still_training():
    first = playground(replace(SMALL, batch_size=1, epochs=500))
    second = playground(replace(SMALL, epochs=3))
    first.train_button.click()
    second.train_button.click()
    assert first.wait(timeout=10) and first.run.stopped
    assert second.wait(timeout=60) and not second.run.stopped


def test_runs_too_large_for_one_click_are_refused_with_advice():
    pg = playground(replace(SMALL, batch_size=1, epochs=500), max_iterations=10_000)
    pg.train_button.click()
    assert pg.thread is None and "70,000 iterations" in pg.status.value
    assert "fewer epochs or a larger batch size" in pg.status.value


def test_bad_control_values_and_errors_in_the_thread_show_in_the_status(monkeypatch):
    pg = playground(SMALL)
    monkeypatch.setattr(pg, "config", lambda: replace(SMALL, learning_rate=0))  # the sliders cannot go there
    pg.train_button.click()
    assert pg.thread is None and "learning_rate must be a number above 0" in pg.status.value
    monkeypatch.undo()

    def broken(*args, **kwargs):
        raise RuntimeError("out of luck")

    monkeypatch.setattr(playground_widgets, "train", broken)
    pg.train_button.click()
    assert pg.wait(timeout=10)
    assert "RuntimeError: out of luck" in pg.status.value and not pg.train_button.disabled
