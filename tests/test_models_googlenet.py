"""Tests for coursekit.models.googlenet: published counts, torchvision's names, Inception channels, aux outputs."""

import pytest
import torch
from torch import nn

from coursekit import models
from coursekit.models.googlenet import INCEPTION_CONFIGS, GoogLeNetOutputs, Inception, googlenet, googlenet_cifar


def on_meta(**kwargs):
    """Build without memory or initialization time: enough to count, name and trace shapes."""
    with torch.device("meta"):
        return googlenet(**kwargs)


def test_imagenet_parameter_counts_are_torchvisions():
    assert models.count_parameters(on_meta()) == 6_624_904
    assert models.count_parameters(on_meta(aux_logits=True)) == 13_004_888


def test_the_papers_5x5_branch_adds_16_weights_per_reduce_output_pair():
    # a 5x5 kernel has 25 weights per (input, output) channel pair, a 3x3 has 9: 16 more for each pair
    extra = sum(16 * ch5x5red * ch5x5 for _, _, _, _, ch5x5red, ch5x5, _ in INCEPTION_CONFIGS.values())
    paper = on_meta(branch3_kernel=5)
    assert models.count_parameters(paper) == 6_624_904 + extra == 7_005_832
    assert paper.inception3a.branch3[1].conv.weight.shape == (32, 16, 5, 5)


def test_state_dict_keys_are_torchvisions():
    keys = on_meta(aux_logits=True).state_dict()
    expected_shapes = {
        "conv1.conv.weight": (64, 3, 7, 7),
        "conv2.conv.weight": (64, 64, 1, 1),
        "conv3.conv.weight": (192, 64, 3, 3),
        "inception3a.branch1.conv.weight": (64, 192, 1, 1),
        "inception3a.branch2.0.conv.weight": (96, 192, 1, 1),
        "inception3a.branch2.1.conv.weight": (128, 96, 3, 3),
        "inception3a.branch3.0.conv.weight": (16, 192, 1, 1),
        "inception3a.branch3.1.conv.weight": (32, 16, 3, 3),  # torchvision's 3x3 where the paper has 5x5
        "inception3a.branch4.1.conv.weight": (32, 192, 1, 1),
        "inception4e.branch2.1.bn.running_mean": (320,),
        "inception5b.branch4.1.bn.bias": (128,),
        "aux1.conv.conv.weight": (128, 512, 1, 1),
        "aux2.conv.conv.weight": (128, 528, 1, 1),
        "aux1.fc1.weight": (1024, 2048),
        "aux2.fc2.bias": (1000,),
        "fc.weight": (1000, 1024),
        "fc.bias": (1000,),
    }
    for key, shape in expected_shapes.items():
        assert tuple(keys[key].shape) == shape, key
    assert "conv1.bn.num_batches_tracked" in keys
    assert not any(k.startswith(("maxpool", "avgpool", "dropout")) or ".branch4.0." in k for k in keys)
    # 3 stem convs + 9 modules x 6 = 57 BasicConv2d, each conv.weight + 5 batch-norm entries
    # (weight, bias, running_mean, running_var, num_batches_tracked); plus fc.weight, fc.bias
    assert len(on_meta().state_dict()) == 57 * 6 + 2 == 344
    # each auxiliary classifier: one BasicConv2d (6) + fc1 and fc2 (2 each)
    assert len(keys) == 344 + 2 * (6 + 2 + 2)


def test_batch_norm_is_torchvisions():
    norms = [m for m in on_meta().modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(norms) == 57 and all(m.eps == 0.001 for m in norms)
    assert all(m.bias is None for m in on_meta().modules() if isinstance(m, nn.Conv2d))


def test_inception_output_channels_are_the_sum_of_its_branches():
    torch.manual_seed(0)
    module = Inception(8, 4, 3, 5, 2, 6, 7).eval()
    x = torch.randn(2, 8, 5, 7)
    out = module(x)
    assert out.shape == (2, 4 + 5 + 6 + 7, 5, 7) and module.out_channels == 22
    # concatenated in order: branch1, branch2, branch3, branch4
    parts = [module.branch1(x), module.branch2(x), module.branch3(x), module.branch4(x)]
    assert [p.shape[1] for p in parts] == [4, 5, 6, 7]
    torch.testing.assert_close(out, torch.cat(parts, dim=1))
    with pytest.raises(ValueError, match="branch3_kernel"):
        Inception(8, 4, 3, 5, 2, 6, 7, branch3_kernel=7)


def test_every_imagenet_module_gets_the_channels_it_was_built_for():
    model = on_meta()
    x = torch.empty(1, 3, 224, 224, device="meta")
    x = model.maxpool2(model.conv3(model.conv2(model.maxpool1(model.conv1(x)))))
    assert x.shape == (1, 192, 28, 28)
    for name in INCEPTION_CONFIGS:
        x = getattr(model, name)(x)
        if name in ("inception3b", "inception4e"):
            x = getattr(model, {"inception3b": "maxpool3", "inception4e": "maxpool4"}[name])(x)
    assert x.shape == (1, 1024, 7, 7)


def test_train_mode_returns_aux_outputs_and_eval_mode_only_the_logits():
    model = on_meta(num_classes=7, aux_logits=True)
    x = torch.empty(2, 3, 224, 224, device="meta")
    out = model.train()(x)
    assert isinstance(out, GoogLeNetOutputs)
    assert out.logits.shape == out.aux1.shape == out.aux2.shape == (2, 7)
    single = model.eval()(x)
    assert isinstance(single, torch.Tensor) and not isinstance(single, tuple) and single.shape == (2, 7)
    # without auxiliary classifiers, training mode gives a plain tensor too
    assert on_meta(num_classes=7).train()(x).shape == (2, 7)


def test_aux_losses_reach_their_own_weights(one_thread):
    # real numbers on a small input: 64x64 still leaves 4x4 maps at inception4a
    torch.manual_seed(0)
    model = googlenet(num_classes=3, aux_logits=True).train()
    out = model(torch.randn(2, 3, 64, 64))
    y = torch.tensor([0, 2])
    loss_fn = nn.CrossEntropyLoss()
    loss = loss_fn(out.logits, y) + 0.3 * (loss_fn(out.aux1, y) + loss_fn(out.aux2, y))
    loss.backward()
    assert torch.isfinite(loss)
    assert model.aux1.fc2.weight.grad.abs().sum() > 0 and model.aux2.fc1.weight.grad.abs().sum() > 0
    assert model.inception5b.branch1.conv.weight.grad.abs().sum() > 0


def test_transform_input_maps_imagenet_normalized_grey_to_zero():
    mean, std = torch.tensor([0.485, 0.456, 0.406]), torch.tensor([0.229, 0.224, 0.225])
    grey = ((0.5 - mean) / std).view(1, 3, 1, 1).expand(1, 3, 2, 2)
    model = on_meta(transform_input=True)
    torch.testing.assert_close(model._transform_input(grey), torch.zeros(1, 3, 2, 2))


def test_googlenet_cifar_forward_and_backward():
    torch.manual_seed(0)
    model = googlenet_cifar()
    out = model(torch.randn(4, 3, 32, 32))
    assert out.shape == (4, 10)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    assert models.count_parameters(model) == 259_130
    assert model.fc.in_features == 288 and isinstance(model.avgpool, nn.AdaptiveAvgPool2d)


def test_googlenet_cifar_options_and_clear_errors():
    small = googlenet_cifar(num_classes=5, width=0.5, stages=[[(8, 8, 8, 2, 4, 4)]])
    assert small(torch.randn(2, 3, 32, 32)).shape == (2, 5)
    assert small.stage1[0].out_channels == 4 + 4 + 2 + 2 and small.stem[-1].conv.out_channels == 16
    with pytest.raises(ValueError, match="width"):
        googlenet_cifar(width=0)
    with pytest.raises(ValueError, match="ch1x1"):
        googlenet_cifar(stages=[[(8, 8, 8)]])
    with pytest.raises(ValueError, match="stages"):
        googlenet_cifar(stages=[])
    with pytest.raises(ValueError, match="stem"):
        googlenet_cifar(stem=(32, 0))
    assert len(googlenet_cifar(stem=16).stem) == 1
