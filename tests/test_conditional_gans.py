"""coursekit.models.conditional_gans: shapes, parameter counts, the label really conditions, bad input is refused."""

from __future__ import annotations

import pytest
import torch

from coursekit.models import count_parameters
from coursekit.models.conditional_gans import acgan_discriminator, conditional_discriminator, conditional_generator


def test_parameter_counts_match_the_docstrings():
    assert count_parameters(conditional_generator()) == 271_681
    assert count_parameters(conditional_discriminator()) == 41_633
    assert count_parameters(acgan_discriminator()) == 67_883
    # the 10 label channels cost the conditional discriminator's first convolution 10 * 32 * 4 * 4 weights
    assert count_parameters(conditional_discriminator()) - count_parameters(conditional_discriminator(n_classes=0)) \
        == 10 * 32 * 4 * 4


def test_shapes_and_ranges():
    torch.manual_seed(0)
    gen, disc, acgan = conditional_generator(), conditional_discriminator(), acgan_discriminator()
    labels = torch.arange(10).repeat(2)
    images = gen(torch.randn(20, 64), labels)
    assert images.shape == (20, 1, 28, 28)
    assert images.min() >= -1 and images.max() <= 1  # tanh
    assert disc(images, labels).shape == (20,)
    realness, class_logits = acgan(images)
    assert realness.shape == (20,) and class_logits.shape == (20, 10)
    gen.eval()
    sampled = gen.sample(labels, generator=torch.Generator().manual_seed(0))
    assert sampled.shape == (20, 1, 28, 28) and sampled.min() >= 0 and sampled.max() <= 1


def test_the_label_changes_what_the_generator_draws():
    torch.manual_seed(0)
    gen = conditional_generator().eval()
    z = torch.randn(4, 64).repeat(10, 1)  # the same four noise vectors for every digit
    with torch.no_grad():
        images = gen(z, torch.arange(10).repeat_interleave(4))
    per_digit = images.view(10, 4, -1)
    assert not torch.allclose(per_digit[0], per_digit[1])
    # same noise, same label: same image (no hidden randomness in eval mode)
    with torch.no_grad():
        assert torch.equal(gen(z[:4], torch.zeros(4, dtype=torch.long)), per_digit[0].view(4, 1, 28, 28))


def test_the_label_channels_are_constant_maps_seen_by_the_first_convolution():
    torch.manual_seed(0)
    disc = conditional_discriminator().eval()
    images = torch.rand(6, 1, 28, 28) * 2 - 1
    with torch.no_grad():
        as_three, as_seven = disc(images, torch.full((6,), 3)), disc(images, torch.full((6,), 7))
        # zeroing the weights that read the label channels makes the label irrelevant
        disc.features[0].weight[:, 1:] = 0
        assert torch.allclose(disc(images, torch.full((6,), 3)), disc(images, torch.full((6,), 7)))
    assert not torch.allclose(as_three, as_seven)


def test_gradients_reach_every_parameter():
    torch.manual_seed(0)
    gen, disc, acgan = conditional_generator(), conditional_discriminator(), acgan_discriminator()
    labels = torch.randint(0, 10, (8,))
    realness, class_logits = acgan(gen(torch.randn(8, 64), labels))
    (disc(gen(torch.randn(8, 64), labels), labels).sum() + realness.sum() + class_logits.sum()).backward()
    for model in (gen, disc, acgan):
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


def test_bad_labels_and_images_get_clear_errors():
    gen, disc, acgan = conditional_generator(), conditional_discriminator(), acgan_discriminator()
    z = torch.randn(3, 64)
    with pytest.raises(ValueError, match=r"0\.\.9"):
        gen(z, torch.tensor([0, 5, 10]))
    with pytest.raises(ValueError, match=r"shape \[3\]"):
        gen(z, torch.tensor([0, 1]))
    with pytest.raises(TypeError, match="whole numbers"):
        gen(z, torch.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"z must be a tensor \[N, 64\]"):
        gen(torch.randn(3, 32), torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match=r"\[N, 1, 28, 28\]"):
        disc(torch.randn(3, 28, 28), torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match=r"\[N, 1, 28, 28\]"):
        acgan(torch.randn(3, 3, 32, 32))
