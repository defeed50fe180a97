"""Tests for coursekit.plots: each function draws what it promises and returns it."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from torch import nn  # noqa: E402

from coursekit import plots  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def labels_of(ax):
    return [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]


def test_new_figure_and_style_axes_apply_the_course_look():
    fig, axes = plots.new_figure(1, 2)
    assert isinstance(fig, Figure) and len(axes) == 2
    ax = axes[0]
    ax.plot([0, 1], [0, 1], label="a line")
    plots.style_axes(ax, title="T", xlabel="X", ylabel="Y")
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("T", "X", "Y")
    assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()
    assert ax.get_legend() is not None
    # the palette's first colour is the first line colour
    assert matplotlib.colors.same_color(ax.get_lines()[0].get_color(), plots.PALETTE[0])
    # no labelled artist -> no legend
    plots.style_axes(axes[1])
    assert axes[1].get_legend() is None


def test_plot_activations_draws_function_and_autograd_derivative():
    fig = plots.plot_activations({"sigmoid": torch.sigmoid, "relu": nn.ReLU()}, (-4, 4), num=81)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    ax_f, ax_d = fig.axes
    assert labels_of(ax_f) == ["sigmoid", "relu"] == labels_of(ax_d)
    x, y = ax_f.get_lines()[0].get_data()
    assert x[0] == pytest.approx(-4) and x[-1] == pytest.approx(4)
    np.testing.assert_allclose(y, 1 / (1 + np.exp(-x)), atol=1e-6)
    _, dy = ax_d.get_lines()[0].get_data()
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(dy, s * (1 - s), atol=1e-6)
    _, drelu = ax_d.get_lines()[1].get_data()
    assert set(np.unique(drelu)) <= {0.0, 1.0}
    assert "Derivative" in ax_d.get_title()


class _TwoBlobs(nn.Module):
    """Predicts class 1 to the right of x1 = 0; counts how it was called."""

    def __init__(self, outputs=1):
        super().__init__()
        self.lin = nn.Linear(2, outputs)
        self.dropout = nn.Dropout(0.5)
        self.seen_training = None
        self.seen_grad = None
        with torch.no_grad():
            self.lin.weight.zero_()
            self.lin.bias.zero_()
            self.lin.weight[-1, 0] = 5.0

    def forward(self, x):
        self.seen_training = self.training
        self.seen_grad = torch.is_grad_enabled()
        return self.lin(self.dropout(x))


def _blobs():
    X = torch.tensor([[-1.0, 0.0], [-1.5, 0.5], [1.0, 0.0], [1.5, -0.5]])
    y = torch.tensor([0, 0, 1, 1])
    return X, y


def test_decision_boundary_evaluates_model_in_eval_mode_without_grad():
    X, y = _blobs()
    model = _TwoBlobs()
    model.train()
    ax = plots.plot_decision_boundary(model, X, y, resolution=50)
    assert isinstance(ax, Axes)
    assert model.seen_training is False and model.seen_grad is False
    assert model.training is True  # mode restored
    # shading + the 0.5 contour, and one scatter per class with a legend
    assert len(ax.collections) >= 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1"]
    x0, x1 = ax.get_xlim()
    assert x0 == pytest.approx(-2.0) and x1 == pytest.approx(2.0)


def test_decision_boundary_draws_into_given_axes_for_functions_and_multiclass():
    X, y = _blobs()
    fig, axes = plots.new_figure(1, 2)
    out = plots.plot_decision_boundary(lambda g: (g[:, 0] > 0).long(), X, y, ax=axes[0], output="labels",
                                       resolution=40, class_names=["left", "right"])
    assert out is axes[0]
    assert [t.get_text() for t in axes[0].get_legend().get_texts()] == ["left", "right"]
    X3 = torch.cat([X, torch.tensor([[0.0, 2.0]])])
    y3 = torch.cat([y, torch.tensor([2])])
    plots.plot_decision_boundary(nn.Linear(2, 3), X3, y3, ax=axes[1], resolution=40)
    assert len(axes[1].get_legend().get_texts()) == 3
    with pytest.raises(ValueError):
        plots.plot_decision_boundary(nn.Linear(3, 1), torch.zeros(4, 3), y)


def test_loss_surface_paths_draws_each_path_start_and_minimum():
    def loss(p):
        return p[..., 0] ** 2 + 10 * p[..., 1] ** 2

    paths = {"sgd": np.array([[2.0, 1.0], [1.0, 0.5], [0.0, 0.0]]), "adam": torch.tensor([[2.0, 1.0], [1.5, 0.2]])}
    ax = plots.plot_loss_surface_paths(loss, paths, ((-3, 3), (-2, 2)), minimum=(0, 0), resolution=60)
    assert isinstance(ax, Axes)
    assert labels_of(ax) == ["sgd", "adam", "start", "minimum"]
    x, y = ax.get_lines()[0].get_data()
    np.testing.assert_allclose(x, [2, 1, 0])
    assert ax.get_xlim() == (-3, 3) and ax.get_ylim() == (-2, 2)
    with pytest.raises(ValueError):
        plots.plot_loss_surface_paths(lambda p: p.sum(), paths, ((-1, 1), (-1, 1)), resolution=10)


def test_lr_schedules_one_step_line_per_schedule():
    ax = plots.plot_lr_schedules({"step": [0.1, 0.1, 0.01, 0.01], "constant": [0.1] * 4})
    assert labels_of(ax) == ["step", "constant"]
    assert ax.get_lines()[0].get_drawstyle() == "steps-post"
    assert ax.get_ylabel() == "learning rate" and ax.get_xlabel() == "epoch"
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["step", "constant"]
    assert legend.get_bbox_to_anchor().x0 > ax.get_window_extent().x1 - 1  # drawn outside, right of the data
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [0.1, 0.1, 0.01, 0.01])


def test_history_groups_train_and_val_by_metric():
    history = {"train_loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6], "train_acc": [0.5, 0.8, 0.9],
               "val_acc": [0.4, 0.7, 0.8]}
    fig = plots.plot_history(history)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_title() == "loss" and acc_ax.get_title() == "acc"
    assert labels_of(loss_ax) == ["train", "val"]
    np.testing.assert_allclose(loss_ax.get_lines()[1].get_ydata(), [1.1, 0.7, 0.6])
    np.testing.assert_allclose(loss_ax.get_lines()[0].get_xdata(), [1, 2, 3])  # epochs count from 1


def test_history_understands_keras_keys():
    fig = plots.plot_history({"loss": [1, 0.5], "val_loss": [1.2, 0.9], "accuracy": [0.5, 0.7]})
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    assert labels_of(fig.axes[0]) == ["train", "val"]


def test_live_history_redraws_the_same_figure():
    live = plots.LiveHistory()
    fig1 = live.update({"train_loss": [1.0], "val_loss": [1.2]})
    fig2 = live.update({"train_loss": [1.0, 0.5], "val_loss": [1.2, 0.8]})
    assert fig1 is fig2 and len(fig2.axes) == 1
    assert len(fig2.axes[0].get_lines()[0].get_xdata()) == 2


@pytest.mark.parametrize("shape", [(5, 8, 8), (5, 1, 8, 8), (5, 3, 8, 8), (5, 8, 8, 3)])
def test_image_grid_accepts_common_layouts(shape):
    images = torch.randn(shape)
    fig = plots.plot_image_grid(images, labels=[f"#{i}" for i in range(5)], ncols=3)
    assert isinstance(fig, Figure) and len(fig.axes) == 6  # 2 rows x 3 columns
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 5
    assert [ax.get_title() for ax in shown] == [f"#{i}" for i in range(5)]
    data = shown[0].images[0].get_array()
    assert data.min() == pytest.approx(0) and data.max() == pytest.approx(1)
    assert data.shape[:2] == (8, 8)


def test_image_grid_rejects_bad_input():
    with pytest.raises(ValueError):
        plots.plot_image_grid(torch.zeros(4, 2, 8, 8))
    with pytest.raises(ValueError):
        plots.plot_image_grid(torch.zeros(4, 8, 8), labels=[1, 2])


def test_lines_and_log_scale():
    ax = plots.plot_lines({"sigmoid": [1e-8, 1e-4, 1.0], "relu": [1, 1, 1]}, log_y=True, xlabel="layer",
                          ylabel="gradient norm", title="Gradients")
    assert ax.get_yscale() == "log"
    assert labels_of(ax) == ["sigmoid", "relu"]
    assert ax.get_xlabel() == "layer" and ax.get_title() == "Gradients"


def test_confusion_matrix_counts():
    ax = plots.plot_confusion_matrix([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], class_names=["a", "b", "c"])
    cm = ax.images[0].get_array()
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 2, 0], [1, 0, 0]])
    assert [t.get_text() for t in ax.texts][:3] == ["1", "1", "0"]


def test_lines_accept_their_own_x_values():
    ax = plots.plot_lines({"every step": [3, 2, 1, 0.5], "every other step": ([0, 2, 4], [3, 1, 0.2])})
    np.testing.assert_allclose(ax.get_lines()[1].get_xdata(), [0, 2, 4])
    np.testing.assert_allclose(ax.get_lines()[0].get_xdata(), [0, 1, 2, 3])
    assert not matplotlib.colors.same_color(ax.get_lines()[0].get_color(), ax.get_lines()[1].get_color())


def test_confusion_matrix_rejects_bad_input():
    with pytest.raises(ValueError, match="pair up"):
        plots.plot_confusion_matrix([0, 1, 2], [0, 1])
    with pytest.raises(ValueError, match="class names"):
        plots.plot_confusion_matrix([0, 1, 3], [0, 1, 1], class_names=["a", "b"])
    with pytest.raises(ValueError, match="argmax"):
        plots.plot_confusion_matrix([0, 1], torch.tensor([0.3, 0.9]))


@pytest.mark.parametrize("in_channels, colour", [(1, False), (3, True)])
def test_filters_one_panel_per_kernel_in_grey_or_colour(in_channels, colour):
    conv = nn.Conv2d(in_channels, 10, kernel_size=3)
    fig = plots.plot_filters(conv, ncols=4)
    assert isinstance(fig, Figure) and len(fig.axes) == 12  # 3 rows x 4 columns
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 10
    data = shown[2].images[0].get_array()
    assert data.shape == ((3, 3, 3) if colour else (3, 3))
    # kernel 2 itself, stretched to [0, 1]: the pixel order is kept (channels last for colour)
    kernel = conv.weight[2].detach().permute(1, 2, 0).numpy().squeeze()
    expected = (kernel - kernel.min()) / (kernel.max() - kernel.min())
    np.testing.assert_allclose(np.asarray(data), expected, atol=1e-6)


def test_filters_of_a_deeper_layer_need_a_channel():
    conv = nn.Conv2d(16, 8, kernel_size=5)
    with pytest.raises(ValueError, match="channel=k"):
        plots.plot_filters(conv)
    fig = plots.plot_filters(conv.weight, channel=15, max_filters=4)
    assert len([ax for ax in fig.axes if ax.images]) == 4
    with pytest.raises(ValueError, match="16 input channels"):
        plots.plot_filters(conv, channel=16)
    with pytest.raises(ValueError, match="out, in, kH, kW"):
        plots.plot_filters(torch.zeros(8, 5, 5))


def test_feature_maps_of_one_image():
    maps = torch.relu(torch.randn(1, 6, 14, 14))
    fig = plots.plot_feature_maps(maps, ncols=3)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(fig.axes) == 6 and len(shown) == 6
    assert [ax.get_title() for ax in shown][:2] == ["ch 0", "ch 1"]
    assert shown[0].images[0].get_array().shape == (14, 14)
    assert len(plots.plot_feature_maps(torch.randn(40, 4, 4), max_maps=32).axes) == 32
    with pytest.raises(ValueError, match="maps\\[i\\]"):
        plots.plot_feature_maps(torch.randn(2, 6, 14, 14))


def test_misclassified_shows_only_the_mistakes_titled_true_to_predicted():
    images = torch.rand(6, 1, 8, 8)
    fig = plots.plot_misclassified(images, [0, 1, 2, 0, 1, 2], torch.tensor([0, 2, 2, 1, 1, 0]),
                                   class_names=["cat", "dog", "eel"], ncols=4)
    shown = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in shown] == ["dog → eel", "cat → dog", "eel → cat"]
    assert "3 of 6" in fig.get_suptitle()
    # the second image shown is image 3
    expected = images[3, 0].numpy()
    expected = (expected - expected.min()) / (expected.max() - expected.min())
    np.testing.assert_allclose(np.asarray(shown[1].images[0].get_array()), expected, atol=1e-6)
    assert len([ax for ax in plots.plot_misclassified(images, [0] * 6, [1] * 6, max_images=2).axes
                if ax.images]) == 2


def test_misclassified_with_no_mistakes_and_bad_input():
    fig = plots.plot_misclassified(torch.rand(3, 8, 8), [0, 1, 2], [0, 1, 2])
    assert "0 of 3" in fig.get_suptitle() and not fig.axes[0].images
    with pytest.raises(ValueError, match="4 images but 3 labels"):
        plots.plot_misclassified(torch.rand(4, 8, 8), [0, 1, 2], [0, 1, 2])
    with pytest.raises(ValueError, match="pair up"):
        plots.plot_misclassified(torch.rand(3, 8, 8), [0, 1, 2], [0, 1])
