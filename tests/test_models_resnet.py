"""Tests for coursekit.models.resnet: published counts, torchvision's state-dict keys, CIFAR nets, shortcuts."""

import io

import pytest
import torch

from coursekit.models import count_parameters
from coursekit.models import resnet as rn

# torchvision's documented counts (1000 classes) and the CIFAR counts of He et al. (2015), option A
IMAGENET_COUNTS = {rn.resnet18: 11_689_512, rn.resnet34: 21_797_672, rn.resnet50: 25_557_032}
CIFAR_COUNTS = {rn.resnet20: 269_722, rn.resnet56: 853_018}
BN_KEYS = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")


def on_meta(constructor, *args, **kwargs):
    """Build without memory or initialization time: enough to count and name parameters."""
    with torch.device("meta"):
        return constructor(*args, **kwargs)


@pytest.mark.parametrize("constructor", IMAGENET_COUNTS, ids=lambda f: f.__name__)
def test_imagenet_resnets_have_the_published_parameter_counts(constructor):
    assert count_parameters(on_meta(constructor)) == IMAGENET_COUNTS[constructor]


@pytest.mark.parametrize("constructor", CIFAR_COUNTS, ids=lambda f: f.__name__)
def test_cifar_resnets_have_the_paper_counts(constructor):
    assert count_parameters(constructor()) == CIFAR_COUNTS[constructor]


def expected_resnet18_keys():
    """torchvision's resnet18 state-dict keys, written out from its naming rules (not from our model)."""
    keys = ["conv1.weight"] + [f"bn1.{k}" for k in BN_KEYS]
    for stage in (1, 2, 3, 4):
        for block in (0, 1):
            prefix = f"layer{stage}.{block}"
            for i in (1, 2):
                keys += [f"{prefix}.conv{i}.weight"] + [f"{prefix}.bn{i}.{k}" for k in BN_KEYS]
            if stage > 1 and block == 0:  # the first block of stages 2-4 halves the size: a projection
                keys += [f"{prefix}.downsample.0.weight"] + [f"{prefix}.downsample.1.{k}" for k in BN_KEYS]
    return keys + ["fc.weight", "fc.bias"]


def test_resnet18_state_dict_keys_are_torchvision_names():
    keys = list(on_meta(rn.resnet18).state_dict())
    # 6 (stem) + 8 blocks x 12 + 3 projections x 6 + 2 (fc) = 122, buffers included
    assert len(keys) == 122
    assert keys == expected_resnet18_keys()


def test_spot_checked_keys_and_shapes():
    r18 = on_meta(rn.resnet18).state_dict()
    assert r18["layer2.0.downsample.0.weight"].shape == (128, 64, 1, 1)
    assert r18["layer4.1.conv2.weight"].shape == (512, 512, 3, 3)
    assert r18["fc.weight"].shape == (1000, 512)
    assert "layer1.0.downsample.0.weight" not in r18
    r50 = on_meta(rn.resnet50)
    sd = r50.state_dict()
    assert len(sd) == 320
    assert sd["layer1.0.downsample.0.weight"].shape == (256, 64, 1, 1)  # 64 -> 256 channels, stride 1
    assert sd["layer3.5.conv3.weight"].shape == (1024, 256, 1, 1)
    assert sd["fc.weight"].shape == (1000, 2048)
    assert r50.layer2[0].conv2.stride == (2, 2) and r50.layer2[0].conv1.stride == (1, 1)  # v1.5: stride on 3x3
    assert len(on_meta(rn.resnet34).state_dict()) == 218


def test_a_resnet18_state_dict_loads_strictly_into_another():
    buffer = io.BytesIO()
    torch.manual_seed(0)
    torch.save(rn.resnet18(num_classes=10).state_dict(), buffer)
    buffer.seek(0)
    torch.manual_seed(1)
    other = rn.resnet18(num_classes=10)
    result = other.load_state_dict(torch.load(buffer, weights_only=True), strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    buffer.seek(0)
    assert torch.equal(other.fc.weight, torch.load(buffer, weights_only=True)["fc.weight"])


def test_forward_shapes():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 64, 64)  # small input: the ImageNet nets pool globally, any size >= 32 works
    assert rn.resnet18(num_classes=7)(x).shape == (2, 7)
    with torch.device("meta"):
        assert rn.resnet50()(torch.randn(2, 3, 224, 224)).shape == (2, 1000)
    x = torch.randn(2, 3, 32, 32)
    for model in (rn.resnet20(), rn.resnet_cifar(8, width=4, shortcut="B"), rn.plain_cifar(8, num_classes=3)):
        out = model(x)
        assert out.shape == (2, model.fc.out_features) and torch.isfinite(out).all()
    stages = [rn.resnet20().layer1, rn.resnet20().layer2, rn.resnet20().layer3]
    assert [len(s) for s in stages] == [3, 3, 3]


def test_option_a_has_no_shortcut_parameters_and_option_b_has_projections():
    a, b = rn.resnet_cifar(20, shortcut="A"), rn.resnet_cifar(20, shortcut="B")
    assert not [name for name, _ in a.named_parameters() if "downsample" in name]
    # option B: two projections, 16 -> 32 and 32 -> 64 channels, each a 1x1 conv plus batch norm (2 per channel)
    assert count_parameters(b) - count_parameters(a) == (16 * 32 + 2 * 32) + (32 * 64 + 2 * 64)
    assert isinstance(a.layer2[0].downsample, rn.ZeroPadShortcut)


def test_zero_pad_shortcut_subsamples_and_pads_with_zeros():
    x = torch.randn(2, 4, 8, 8)
    out = rn.ZeroPadShortcut(4, 8, stride=2)(x)
    assert out.shape == (2, 8, 4, 4)
    assert torch.equal(out[:, :4], x[:, :, ::2, ::2]) and torch.all(out[:, 4:] == 0)


def test_plain_and_residual_have_the_same_parameters_but_differ_in_output():
    torch.manual_seed(0)
    plain = rn.plain_cifar(20)
    residual = rn.resnet_cifar(20)
    assert count_parameters(plain) == count_parameters(residual) == 269_722
    residual.load_state_dict(plain.state_dict())  # same names and shapes: the only difference is the +x
    x = torch.randn(2, 3, 32, 32)
    assert not torch.allclose(plain.eval()(x), residual.eval()(x))


def test_a_block_with_its_residual_branch_zeroed_is_the_identity():
    block = rn.BasicBlock(8, 8).eval()
    torch.nn.init.zeros_(block.bn2.weight)  # F(x) = 0, so the block computes relu(x)
    x = torch.randn(2, 8, 5, 5).relu()
    assert torch.allclose(block(x), x)


@pytest.mark.parametrize("depth", [19, 6, 2, 20.0, "20", True])
def test_bad_depth_is_a_clear_error(depth):
    with pytest.raises(ValueError, match="6n"):
        rn.resnet_cifar(depth)


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="shortcut"):
        rn.resnet_cifar(20, shortcut="C")
    with pytest.raises(ValueError, match="width"):
        rn.plain_cifar(20, width=0)
    with pytest.raises(ValueError, match="weights"):
        rn.resnet18(weights="imagenet1k")
    with pytest.raises(ValueError, match="1000 classes"):
        rn.resnet18(weights="imagenet", num_classes=10)


def test_cifar_resnet_accepts_smaller_images_and_pools_them_globally():
    # notebook 03 trains its first epochs on 16x16 images: the same weights must run on both sizes
    torch.manual_seed(0)
    model = rn.resnet20().eval()
    small, large = torch.randn(2, 3, 16, 16), torch.randn(2, 3, 32, 32)
    out_small, out_large = model(small), model(large)
    assert out_small.shape == out_large.shape == (2, 10)
    assert torch.isfinite(out_small).all() and not torch.allclose(out_small, out_large)
