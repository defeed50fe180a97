"""Tests for coursekit.models: published parameter counts, torchvision's names, output shapes."""

import pytest
import torch
from torch import nn

from coursekit import models

# Published parameter counts (torchvision's documentation, 1000 classes).
IMAGENET_COUNTS = {
    models.alexnet: 61_100_840,
    models.vgg11: 132_863_336,
    models.vgg16: 138_357_544,
    models.vgg16_bn: 138_365_992,
    models.vgg11_bn: 132_868_840,
    models.vgg13: 133_047_848,
    models.vgg19: 143_667_240,
}


def on_meta(constructor, **kwargs):
    """Build without memory or initialization time: enough to count and name parameters."""
    with torch.device("meta"):
        return constructor(**kwargs)


@pytest.mark.parametrize("constructor", IMAGENET_COUNTS, ids=lambda f: f.__name__)
def test_imagenet_models_have_the_published_parameter_counts(constructor):
    assert models.count_parameters(on_meta(constructor)) == IMAGENET_COUNTS[constructor]


def test_num_classes_changes_only_the_last_layer():
    # the last layer: 4096 inputs, so 1000 classes cost 4096*1000 + 1000 and 10 classes 4096*10 + 10
    for constructor in (models.alexnet, models.vgg16):
        diff = models.count_parameters(on_meta(constructor)) - models.count_parameters(
            on_meta(constructor, num_classes=10))
        assert diff == 4097 * 990
        assert on_meta(constructor, num_classes=10).classifier[-1].out_features == 10


def test_state_dict_keys_are_torchvision_names():
    alex = on_meta(models.alexnet).state_dict()
    conv_at = [0, 3, 6, 8, 10]
    assert [k for k in alex if k.startswith("features")] == [f"features.{i}.{p}" for i in conv_at
                                                             for p in ("weight", "bias")]
    assert [k for k in alex if k.startswith("classifier")] == [f"classifier.{i}.{p}" for i in (1, 4, 6)
                                                               for p in ("weight", "bias")]
    vgg = on_meta(models.vgg16).state_dict()
    assert [k for k in vgg if k.startswith("classifier")] == [f"classifier.{i}.{p}" for i in (0, 3, 6)
                                                              for p in ("weight", "bias")]
    convs = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]  # ReLU after each conv, pools in between
    assert [k for k in vgg if k.startswith("features")] == [f"features.{i}.{p}" for i in convs
                                                            for p in ("weight", "bias")]
    bn = on_meta(models.vgg16_bn).state_dict()
    assert list(bn)[:7] == ["features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias",
                            "features.1.running_mean", "features.1.running_var", "features.1.num_batches_tracked"]
    assert "features.41.weight" in bn and "features.44.weight" not in bn  # 13 convs, 13 BNs, 13 ReLUs, 5 pools


def test_a_state_dict_loads_across_instances_with_strict_names():
    # what loading official weights needs: same names and shapes (checked on small copies)
    small = models.vgg_cifar("vgg16", width=0.125)
    models.vgg_cifar("vgg16", width=0.125).load_state_dict(small.state_dict(), strict=True)


@pytest.mark.parametrize("constructor", [models.alexnet, models.vgg11, models.vgg16_bn], ids=lambda f: f.__name__)
def test_imagenet_forward_shape(constructor):
    torch.manual_seed(0)
    model = constructor(num_classes=7).eval()
    with torch.no_grad():
        out = model(torch.randn(1, 3, 224, 224))
    assert out.shape == (1, 7) and torch.isfinite(out).all()


@pytest.mark.parametrize("model, shape, params", [
    (models.lenet5(), (4, 1, 28, 28), 61_706),
    (models.alexnet_cifar(), (4, 3, 32, 32), None),
    (models.vgg_cifar("vgg11"), (4, 3, 32, 32), None),
    (models.vgg_cifar([8, "M", 16, "M"], width=1, batch_norm=False), (4, 3, 32, 32), None),
], ids=["lenet5", "alexnet_cifar", "vgg_cifar", "vgg_cifar_list"])
def test_small_models_forward_and_backward(model, shape, params):
    out = model(torch.randn(shape))
    assert out.shape == (shape[0], 10)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    if params is not None:
        assert models.count_parameters(model) == params


def test_vgg_cifar_width_scales_channels_and_batch_norm_is_optional():
    narrow = models.vgg_cifar("vgg11", width=0.125)
    convs = [m.out_channels for m in narrow.features if isinstance(m, nn.Conv2d)]
    assert convs == [8, 16, 32, 32, 64, 64, 64, 64]
    assert any(isinstance(m, nn.BatchNorm2d) for m in narrow.features)
    plain = models.vgg_cifar("vgg11", width=0.125, batch_norm=False)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in plain.features)
    # batch norm adds a scale and a shift per channel
    assert models.count_parameters(narrow) - models.count_parameters(plain) == 2 * sum(convs)


def test_vgg_features_from_a_list_and_clear_errors():
    features = models.make_vgg_features([4, "M", 6])
    assert features(torch.randn(1, 3, 8, 8)).shape == (1, 6, 4, 4)
    with pytest.raises(ValueError, match="vgg11"):
        models.vgg_cifar("vgg12")
    with pytest.raises(ValueError, match="positive channel counts"):
        models.make_vgg_features([64, "pool", 128])
    with pytest.raises(ValueError, match="width"):
        models.vgg_cifar("vgg11", width=0)
    with pytest.raises(ValueError, match="width"):
        models.alexnet_cifar(width=-1)
    with pytest.raises(TypeError, match="nn.Module"):
        models.count_parameters([torch.zeros(3)])


def test_count_parameters_trainable_only():
    model = models.lenet5()
    for p in model[0].parameters():
        p.requires_grad_(False)
    assert models.count_parameters(model) - models.count_parameters(model, trainable_only=True) == 6 * 25 + 6
