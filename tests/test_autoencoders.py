"""Tests for the autoencoders (coursekit.models.autoencoders) and the latent-space plots (coursekit.plots.latent)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from coursekit.models import count_parameters  # noqa: E402
from coursekit.models.autoencoders import conv_autoencoder, dense_autoencoder  # noqa: E402
from coursekit.plots.latent import DIGIT_COLORS, plot_image_rows, plot_latent_grid, plot_latent_space  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# ---------------------------------------------------------------- models

@pytest.mark.parametrize("make, latent_dim, total, encoder, decoder", [
    (dense_autoencoder, 2, 936_466, 467_842, 468_624),
    (dense_autoencoder, 16, 940_064, None, None),
    (conv_autoencoder, 16, 65_025, 29_904, 35_121),
    (conv_autoencoder, 2, 21_107, None, None),
])
def test_autoencoders_have_the_documented_shapes_and_parameter_counts(make, latent_dim, total, encoder, decoder):
    torch.manual_seed(0)
    model = make(latent_dim=latent_dim)
    assert count_parameters(model) == total
    if encoder is not None:
        assert (count_parameters(model.encoder), count_parameters(model.decoder)) == (encoder, decoder)
    x = torch.rand(5, 1, 28, 28)
    z = model.encoder(x)
    assert z.shape == (5, latent_dim)
    assert isinstance(model.encoder[-1], torch.nn.Linear), "no activation after the code: it can take any value"
    out = model.decoder(z)
    assert out.shape == (5, 1, 28, 28)
    assert out.min() >= 0 and out.max() <= 1, "the decoder outputs images in [0, 1]"
    torch.testing.assert_close(model(x), out)


@pytest.mark.parametrize("make, sizes", [(dense_autoencoder, {"hidden": (64,)}),
                                         (conv_autoencoder, {"channels": (8, 16)})])
def test_autoencoders_learn_to_reconstruct_a_few_images(make, sizes):
    torch.manual_seed(0)
    x = (torch.rand(8, 1, 28, 28) > 0.7).float()  # 8 random binary images: only memorising them helps
    model = make(latent_dim=8, **sizes)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = F.binary_cross_entropy(model(x), x).item()
    for _ in range(150):
        loss = F.binary_cross_entropy(model(x), x)
        opt.zero_grad()
        loss.backward()
        opt.step()
    # the best constant image (every pixel 0.3) still scores 0.61 against a start near 0.69
    assert loss.item() < 0.5 * first


@pytest.mark.parametrize("make, kwargs", [
    (dense_autoencoder, {"latent_dim": 0}),
    (dense_autoencoder, {"hidden": (512, -1)}),
    (conv_autoencoder, {"latent_dim": 2.5}),
])
def test_autoencoders_reject_bad_sizes(make, kwargs):
    with pytest.raises(ValueError, match="positive integers"):
        make(**kwargs)


# ---------------------------------------------------------------- plots

def test_plot_latent_space_colours_each_digit_and_labels_the_legend():
    z = torch.randn(200, 2)
    labels = torch.arange(200) % 10
    ax = plot_latent_space(z, labels, title="codes")
    assert isinstance(ax, Axes) and ax.get_title() == "codes"
    assert len(ax.collections) == 10
    for k, points in enumerate(ax.collections):
        np.testing.assert_allclose(points.get_offsets(), z[labels == k].numpy(), rtol=1e-6)
        assert matplotlib.colors.same_color(points.get_facecolor()[0][:3], DIGIT_COLORS[k])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [str(k) for k in range(10)]


def test_plot_latent_space_draws_into_a_given_axes_and_names_classes():
    _, ax = plt.subplots()
    out = plot_latent_space(np.zeros((4, 2)), [0, 1, 1, 0], ax=ax, class_names=["zero", "one"])
    assert out is ax
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["zero", "one"]


@pytest.mark.parametrize("z, labels, message", [
    (torch.zeros(10, 3), torch.zeros(10, dtype=torch.long), r"\[N, 2\]"),
    (torch.zeros(10, 2), torch.zeros(9, dtype=torch.long), "pair up"),
    (torch.zeros(2, 2), torch.tensor([0, 10]), "0 to 9"),
])
def test_plot_latent_space_rejects_bad_input(z, labels, message):
    with pytest.raises(ValueError, match=message):
        plot_latent_space(z, labels)


@pytest.mark.parametrize("as_list", [False, True])
def test_plot_image_rows_lays_out_rows_and_columns_with_labels(as_list):
    rows = torch.rand(3, 5, 1, 28, 28)
    rows[1, 2] = 2.0  # out of range: clipped, not stretched
    given = [list(r) for r in rows] if as_list else rows
    fig = plot_image_rows(given, row_labels=["a", "b", "c"], col_labels=list("12345"), title="T")
    assert isinstance(fig, Figure) and len(fig.axes) == 15
    axes = np.array(fig.axes).reshape(3, 5)
    np.testing.assert_allclose(axes[0, 3].get_images()[0].get_array(), rows[0, 3, 0].numpy(), rtol=1e-6)
    assert axes[1, 2].get_images()[0].get_array().max() == 1.0
    assert axes[0, 0].get_images()[0].get_clim() == (0.0, 1.0)
    assert [ax.get_ylabel() for ax in axes[:, 0]] == ["a", "b", "c"]
    assert [ax.get_title() for ax in axes[0]] == list("12345")
    assert fig._suptitle.get_text() == "T"


@pytest.mark.parametrize("rows, kwargs, message", [
    (torch.rand(2, 3, 3, 28, 28), {}, "grey"),
    ([[torch.rand(28, 28)], [torch.rand(28, 28), torch.rand(28, 28)]], {}, "same number"),
    (torch.rand(2, 3, 28, 28), {"row_labels": ["x"]}, "row labels"),
    (torch.rand(2, 3, 28, 28), {"col_labels": ["x"]}, "column labels"),
])
def test_plot_image_rows_rejects_bad_input(rows, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plot_image_rows(rows, **kwargs)


def test_plot_latent_grid_decodes_a_lattice_laid_out_like_the_scatter_plot():
    seen = []

    def decode(z):  # a picture whose brightness says where its code was: left half z1, right half z2
        seen.append(z)
        img = torch.zeros(len(z), 1, 28, 28)
        img[:, :, :, :14] = ((z[:, 0] + 3) / 6)[:, None, None, None]
        img[:, :, :, 14:] = ((z[:, 1] + 3) / 6)[:, None, None, None]
        return img

    ax = plot_latent_grid(decode, extent=(-3, 3), n=4, title="lattice")
    assert isinstance(ax, Axes) and ax.get_title() == "lattice"
    assert len(seen) == 1 and seen[0].shape == (16, 2)
    picture = ax.get_images()[0].get_array()
    assert picture.shape == (4 * 28, 4 * 28)
    # z1 grows to the right: tile columns get brighter on their left halves
    np.testing.assert_allclose(picture[5, [2, 30, 58, 86]], [0, 1 / 3, 2 / 3, 1], atol=1e-6)
    # z2 grows upwards: the top row of tiles is brightest on their right halves
    np.testing.assert_allclose(picture[[5, 33, 61, 89], 20], [1, 2 / 3, 1 / 3, 0], atol=1e-6)
    left, right, bottom, top = ax.get_images()[0].get_extent()
    assert (left, right, bottom, top) == pytest.approx((-4, 4, -4, 4))  # codes at the tile centres


def test_plot_latent_grid_uses_a_decoder_module_and_checks_its_output():
    torch.manual_seed(0)
    model = dense_autoencoder(latent_dim=2, hidden=(8,))
    ax = plot_latent_grid(model.decoder, extent=(-1, 1, -2, 2), n=3)
    assert ax.get_images()[0].get_array().shape == (84, 84)
    with pytest.raises(ValueError, match="images of 28x28"):
        plot_latent_grid(lambda z: torch.zeros(len(z), 10), n=3)
    with pytest.raises(ValueError, match="low < high"):
        plot_latent_grid(model.decoder, extent=(2, -2))
