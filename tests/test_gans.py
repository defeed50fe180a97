"""coursekit.gan and coursekit.models.dcgan: the losses against their formulas, stable at extreme logits,
the right gradients; the networks' shapes and sizes; a short training run that moves the game."""

from __future__ import annotations

import math

import pytest
import torch

from coursekit.gan import (discriminator_loss, gan_step, generate, generator_loss, saturating_generator_loss,
                           to_tanh_range, to_unit_range, train_gan)
from coursekit.models import count_parameters
from coursekit.models.dcgan import dcgan_discriminator, dcgan_generator


pytestmark = pytest.mark.usefixtures("one_thread")  # see tests/conftest.py


def test_losses_match_their_formulas_on_probabilities():
    torch.manual_seed(0)
    real_logits, fake_logits = torch.randn(16, 1, dtype=torch.float64), torch.randn(12, 1, dtype=torch.float64)
    d_real, d_fake = torch.sigmoid(real_logits), torch.sigmoid(fake_logits)
    expected_d = -torch.log(d_real).mean() - torch.log(1 - d_fake).mean()
    assert torch.allclose(discriminator_loss(real_logits, fake_logits), expected_d)
    assert torch.allclose(generator_loss(fake_logits), -torch.log(d_fake).mean())
    assert torch.allclose(saturating_generator_loss(fake_logits), torch.log(1 - d_fake).mean())


def test_a_discriminator_that_cannot_tell_scores_two_ln_two():
    loss = discriminator_loss(torch.zeros(8), torch.zeros(8))
    assert loss.ndim == 0 and loss.item() == pytest.approx(2 * math.log(2))
    assert generator_loss(torch.zeros(8)).item() == pytest.approx(math.log(2))


def test_shapes_n_and_n_by_1_agree_and_batches_may_differ_in_size():
    real, fake = torch.randn(10), torch.randn(6)
    assert torch.equal(discriminator_loss(real, fake), discriminator_loss(real[:, None], fake[:, None]))
    assert torch.equal(generator_loss(fake), generator_loss(fake[:, None]))


def test_extreme_logits_stay_finite_and_exact():
    # log(sigmoid(-200)) is -inf in float32 when computed naively; the loss must be about 200
    confident = torch.tensor([200.0, -200.0])
    assert generator_loss(torch.tensor([-200.0])).item() == pytest.approx(200.0)
    assert saturating_generator_loss(torch.tensor([200.0])).item() == pytest.approx(-200.0)
    assert discriminator_loss(torch.tensor([-200.0]), torch.tensor([200.0])).item() == pytest.approx(400.0)
    assert discriminator_loss(confident[:1], confident[1:]).item() == pytest.approx(0.0, abs=1e-6)
    for loss in (discriminator_loss(confident, confident), generator_loss(confident)):
        assert torch.isfinite(loss)


def test_gradients_saturate_for_minimax_but_not_for_the_non_saturating_loss():
    # a rejected fake (D(G(z)) = sigmoid(-8), about 3e-4): dL/dlogit = -D for minimax, D - 1 for non-saturating
    logit = torch.tensor([-8.0], requires_grad=True)
    (grad_minimax,) = torch.autograd.grad(saturating_generator_loss(logit), logit)
    (grad_ns,) = torch.autograd.grad(generator_loss(logit), logit)
    d = torch.sigmoid(torch.tensor(-8.0))
    assert grad_minimax.item() == pytest.approx(-d.item(), rel=1e-4)
    assert grad_ns.item() == pytest.approx(d.item() - 1, rel=1e-4)
    assert abs(grad_ns.item()) > 1000 * abs(grad_minimax.item())


@pytest.mark.parametrize("bad, match", [
    ([0.1, 0.2], "torch.Tensor"),
    (torch.tensor([1, 0]), "floating point"),
    (torch.zeros(0), "empty"),
    (torch.zeros(4, 2), "one logit per image"),
])
def test_bad_inputs_get_clear_errors(bad, match):
    with pytest.raises((TypeError, ValueError), match=match):
        generator_loss(bad)
    with pytest.raises((TypeError, ValueError), match=match):
        discriminator_loss(torch.zeros(3), bad)


def test_dcgan_shapes_and_parameter_counts():
    generator, discriminator = dcgan_generator(z_dim=64), dcgan_discriminator()
    images = generator(torch.randn(5, 64))
    assert images.shape == (5, 1, 28, 28) and images.min() >= -1 and images.max() <= 1
    assert discriminator(images).shape == (5, 1)
    assert generator.z_dim == 64
    assert count_parameters(generator) == 240_321  # the numbers in the docstrings
    assert count_parameters(discriminator) == 36_513
    assert count_parameters(dcgan_generator(z_dim=64, batch_norm=False)) == 237_153
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in dcgan_generator(batch_norm=False).modules())
    assert not any(isinstance(m, (torch.nn.MaxPool2d, torch.nn.AvgPool2d)) for m in discriminator.modules())
    with pytest.raises(ValueError, match="z_dim"):
        dcgan_generator(z_dim=0)


def test_range_conversions_invert_each_other():
    x = torch.rand(4, 1, 28, 28)
    assert torch.allclose(to_unit_range(to_tanh_range(x)), x)
    assert to_tanh_range(x).min() >= -1


def test_gan_step_updates_both_players_and_reports_the_round():
    torch.manual_seed(0)
    generator, discriminator = dcgan_generator(z_dim=8, width=4), dcgan_discriminator(width=4)
    opt_g = torch.optim.Adam(generator.parameters(), lr=1e-3)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=1e-3)
    g_before = [p.detach().clone() for p in generator.parameters()]
    d_before = [p.detach().clone() for p in discriminator.parameters()]
    record = gan_step(generator, discriminator, torch.rand(16, 1, 28, 28) * 2 - 1, opt_g, opt_d)
    assert set(record) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert 0 < record["d_real"] < 1 and 0 < record["d_fake"] < 1
    assert all(not torch.equal(a, b) for a, b in zip(g_before, generator.parameters()))
    assert all(not torch.equal(a, b) for a, b in zip(d_before, discriminator.parameters()))


def test_train_gan_separates_real_from_fake_at_first_and_is_reproducible():
    # real images: bright squares; in 40 steps D learns to tell them from an untrained G's fakes
    images = torch.full((256, 1, 28, 28), -1.0)
    images[:, :, 8:20, 8:20] = 1.0

    def run():
        torch.manual_seed(0)
        generator, discriminator = dcgan_generator(z_dim=8, width=8), dcgan_discriminator(width=8)
        return train_gan(generator, discriminator, images, steps=40, batch_size=32, lr_d=1e-3), generator

    history, generator = run()
    assert all(len(values) == 40 for values in history.values())
    assert history["d_real"][-1] > history["d_fake"][-1] + 0.2  # D tells them apart
    assert history["d_loss"][-1] < history["d_loss"][0]
    assert run()[0] == history  # same seeds, same numbers
    samples = generate(generator, 7, seed=3)
    assert samples.shape == (7, 1, 28, 28) and samples.min() >= 0 and samples.max() <= 1
    assert torch.equal(samples, generate(generator, 7, seed=3))


def test_train_gan_needs_a_generator_with_z_dim():
    with pytest.raises(AttributeError, match="z_dim"):
        train_gan(torch.nn.Linear(2, 2), dcgan_discriminator(), torch.zeros(64, 1, 28, 28), steps=1)
