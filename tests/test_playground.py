from dataclasses import replace

import matplotlib
import pytest

matplotlib.use("Agg")

from coursekit.playground import PlaygroundConfig, make_model, plot_run, playground, train  # noqa: E402

SMALL = PlaygroundConfig(n_samples=200, epochs=40, batch_size=32)


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
    run = train(replace(SMALL, epochs=7, batch_size=50))
    assert all(len(values) == 7 for values in run.history.values())
    batches_per_epoch = -(-len(run.x_train) // 50)
    assert run.iterations == 7 * batches_per_epoch
    assert "7 epochs" in run.summary()


def test_runs_repeat_exactly_with_the_same_seed():
    assert train(SMALL).history == train(SMALL).history
    assert train(SMALL).history != train(replace(SMALL, seed=1)).history


def test_on_epoch_is_called_every_epoch():
    seen = []
    train(replace(SMALL, epochs=5), on_epoch=lambda run, epoch: seen.append(epoch))
    assert seen == [1, 2, 3, 4, 5]


def test_plot_shows_curves_and_boundary():
    fig = plot_run(train(replace(SMALL, epochs=3)))
    curves, boundary = fig.axes[:2]
    assert len(curves.lines) == 2 and "accuracy" in boundary.get_title()


@pytest.mark.parametrize("bad", [dict(dataset="swirl"), dict(activation="gelu2"), dict(optimizer="lbfgs"), dict(width=0)])
def test_bad_settings_are_rejected_with_the_choices(bad):
    with pytest.raises(ValueError):
        replace(SMALL, **bad)


def test_widgets_build_and_train_on_click():
    box = playground(replace(SMALL, epochs=10))
    controls, status, _output = box.children
    button = controls.children[1].children[-1]
    button.click()
    assert "iteration" in status.value and "test accuracy" in status.value
