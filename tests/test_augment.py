"""coursekit.augment: batched crop, flip and normalization, checked image by image."""

import pytest
import torch
import torch.nn.functional as F

from coursekit.augment import channel_stats, flip_and_crop, normalize, random_crop, random_flip


def numbered_images(n=64, c=3, h=8, w=8):
    """Every pixel of every image holds a different number, so any mix-up would show."""
    return torch.arange(n * c * h * w, dtype=torch.float32).reshape(n, c, h, w)


def crop_offset(original, cropped, padding):
    """Find by brute force which window of the zero-padded image the crop is: (top, left), or None."""
    h, w = original.shape[-2:]
    padded = F.pad(original, [padding] * 4)
    for top in range(2 * padding + 1):
        for left in range(2 * padding + 1):
            if torch.equal(padded[:, top:top + h, left:left + w], cropped):
                return top, left
    return None


# --------------------------------------------------------------------------- flip


def test_flip_mirrors_some_images_and_leaves_the_others_untouched():
    x = numbered_images(200)
    out = random_flip(x, p=0.5, generator=torch.Generator().manual_seed(0))
    assert out.shape == x.shape and out.dtype == x.dtype
    flipped = [torch.equal(o, img.flip(-1)) for o, img in zip(out, x)]
    kept = [torch.equal(o, img) for o, img in zip(out, x)]
    assert all(f != k for f, k in zip(flipped, kept))  # each image is exactly one of the two
    assert 70 < sum(flipped) < 130  # per image: about half, not all or none of the batch


def test_flip_with_p_zero_and_one():
    x = numbered_images(16)
    assert torch.equal(random_flip(x, p=0.0), x)
    assert torch.equal(random_flip(x, p=1.0), x.flip(-1))


def test_flip_probability_is_respected():
    x = numbered_images(4000, c=1, h=2, w=2)
    out = random_flip(x, p=0.2, generator=torch.Generator().manual_seed(1))
    rate = (out[:, 0, 0, 0] != x[:, 0, 0, 0]).float().mean().item()
    assert rate == pytest.approx(0.2, abs=0.03)


# --------------------------------------------------------------------------- crop


def test_crop_keeps_the_shape_and_each_image_is_a_shifted_window_of_itself():
    x = numbered_images(100)
    out = random_crop(x, padding=2, generator=torch.Generator().manual_seed(0))
    assert out.shape == x.shape and out.dtype == x.dtype
    offsets = [crop_offset(img, o, padding=2) for img, o in zip(x, out)]
    assert None not in offsets  # every output is a window of its own image, never of another


def test_crop_offsets_differ_per_image_and_cover_every_position():
    padding = 2
    x = numbered_images(600, c=1, h=6, w=6)
    out = random_crop(x, padding=padding, generator=torch.Generator().manual_seed(0))
    offsets = [crop_offset(img, o, padding) for img, o in zip(x, out)]
    all_positions = {(t, l) for t in range(2 * padding + 1) for l in range(2 * padding + 1)}
    assert set(offsets) == all_positions  # 25 offsets, each seen, including the extremes 0 and 2p
    counts = torch.tensor([offsets.count(p) for p in sorted(all_positions)], dtype=torch.float32)
    assert counts.min() > 0.4 * counts.mean()  # roughly uniform


def test_crop_with_padding_zero_is_the_identity_and_returns_a_copy():
    x = numbered_images(8)
    out = random_crop(x, padding=0)
    assert torch.equal(out, x)
    out[0, 0, 0, 0] = -1
    assert x[0, 0, 0, 0] == 0  # a copy, not the input itself


def test_crop_border_is_zero_or_reflected():
    x = torch.ones(1, 1, 4, 4)
    shifted = random_crop(x, padding=1, generator=torch.Generator().manual_seed(3))
    if crop_offset(x[0], shifted[0], 1) != (1, 1):
        assert shifted.min() == 0  # a shift brings in zeros from the constant border
    reflected = random_crop(x, padding=2, mode="reflect")
    assert torch.equal(reflected, x)  # the mirror image of a constant image is the same constant


def test_crop_and_flip_work_on_channels_last_and_integer_images():
    x = numbered_images(10).contiguous(memory_format=torch.channels_last)
    out = random_crop(x, 2, generator=torch.Generator().manual_seed(0))
    assert [crop_offset(img, o, 2) is not None for img, o in zip(x, out)] == [True] * 10
    pixels = torch.randint(0, 256, (5, 3, 8, 8), dtype=torch.uint8)
    assert random_flip(random_crop(pixels, 2)).dtype == torch.uint8


# --------------------------------------------------------------------------- reproducibility


def test_the_same_generator_seed_gives_the_same_batch_and_another_seed_another():
    x = numbered_images(32)
    augment = [flip_and_crop(4, generator=torch.Generator().manual_seed(s)) for s in (5, 5, 6)]
    a, b, c = (f(x) for f in augment)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_without_a_generator_the_global_seed_decides():
    x = numbered_images(32)
    torch.manual_seed(0)
    a = random_flip(random_crop(x, 3))
    torch.manual_seed(0)
    b = random_flip(random_crop(x, 3))
    assert torch.equal(a, b)


def test_identity_when_nothing_is_random():
    x = numbered_images(8)
    assert torch.equal(flip_and_crop(padding=0, p=0.0)(x), x)


# --------------------------------------------------------------------------- normalize


def test_normalize_gives_each_channel_mean_zero_and_std_one():
    torch.manual_seed(0)
    x = torch.rand(50, 3, 8, 8) * torch.tensor([1.0, 0.5, 0.2]).view(1, 3, 1, 1) + torch.tensor([0.0, 0.3, 0.7]).view(
        1, 3, 1, 1)
    mean, std = channel_stats(x)
    assert mean.shape == std.shape == (3,)
    assert torch.allclose(mean, x.permute(1, 0, 2, 3).reshape(3, -1).mean(1))
    z = normalize(x, mean, std)
    z_mean, z_std = channel_stats(z)
    assert torch.allclose(z_mean, torch.zeros(3), atol=1e-5)
    assert torch.allclose(z_std, torch.ones(3), atol=1e-5)
    assert torch.allclose(normalize(x, mean.tolist(), tuple(std.tolist())), z)  # lists work too


def test_normalize_uses_the_channel_order():
    x = torch.ones(2, 2, 3, 3)
    out = normalize(x, mean=[1.0, 0.0], std=[1.0, 2.0])
    assert torch.all(out[:, 0] == 0) and torch.all(out[:, 1] == 0.5)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("function", [random_flip, random_crop, lambda x: normalize(x, [0.5] * 3, [0.2] * 3)])
def test_a_single_image_gets_a_clear_error(function):
    with pytest.raises(ValueError, match=r"\[N, C, H, W\].*unsqueeze\(0\)"):
        function(torch.rand(3, 8, 8))
    with pytest.raises(TypeError, match="torch.Tensor"):
        function([[1.0, 2.0]])


def test_bad_arguments_are_explained():
    x = torch.rand(4, 3, 8, 8)
    with pytest.raises(ValueError, match="probability"):
        random_flip(x, p=1.5)
    with pytest.raises(ValueError, match="padding"):
        random_crop(x, padding=-1)
    with pytest.raises(ValueError, match="padding"):
        random_crop(x, padding=1.5)
    with pytest.raises(ValueError, match="reflect"):
        random_crop(x, padding=8, mode="reflect")
    with pytest.raises(ValueError, match="mode"):
        random_crop(x, padding=2, mode="wrap")
    with pytest.raises(ValueError, match="3 channels"):
        normalize(x, [0.5, 0.5], [0.2, 0.2, 0.2])
    with pytest.raises(ValueError, match="positive"):
        normalize(x, [0.5] * 3, [0.2, 0.0, 0.2])
    with pytest.raises(TypeError, match="float"):
        normalize(torch.zeros(4, 3, 8, 8, dtype=torch.uint8), [0.5] * 3, [0.2] * 3)
