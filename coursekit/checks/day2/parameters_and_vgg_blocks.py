"""Checks of solutions/day2/02_parameters_and_vgg_blocks.ipynb: parameters per layer, a VGG block.

The right counts come from building the ``nn`` layers a description names and counting their
parameters; building and counting is forbidden to the learner's function, which must work the
counts out with arithmetic. The VGG block is checked layer by layer against a reference block,
by its number of parameters, and by its output when both blocks get the same weights.
"""

from __future__ import annotations

import numbers

import torch
from torch import nn

from ..cases import Case, exercise, input_seed
from ..day0 import _random
from .convolution_by_hand import _seeded

# Building a layer allocates its weights with torch.empty; counting them needs numel.
BUILD_AND_COUNT = (torch.empty, torch.numel, torch.Tensor.numel, torch.Tensor.nelement)


# ----------------------------------------------------------------------------- 1. parameters per layer

LAYER_KINDS = ("conv", "linear", "batchnorm", "maxpool", "relu", "flatten", "dropout")


def _module(spec) -> nn.Module:
    """The nn layer a specification describes (the check builds it to count its parameters)."""
    kind, *rest = spec
    if kind == "conv":
        in_channels, out_channels, kernel_size, bias = rest
        return nn.Conv2d(in_channels, out_channels, kernel_size, bias=bias)
    if kind == "linear":
        in_features, out_features, bias = rest
        return nn.Linear(in_features, out_features, bias=bias)
    if kind == "batchnorm":
        return nn.BatchNorm2d(*rest)
    return {"maxpool": nn.MaxPool2d, "relu": nn.ReLU, "flatten": nn.Flatten, "dropout": nn.Dropout}[kind](*rest)


def _counts(layers) -> list[int]:
    return [sum(p.numel() for p in _module(spec).parameters()) for spec in layers]


def _count_mistakes(spec) -> list[tuple[int, str]]:
    """(what a usual mistake gives for this layer, what the mistake is)."""
    kind, *settings = spec
    if kind == "batchnorm":
        return [(4 * settings[0], "that counts the running mean and variance too; they are buffers, estimated "
                                  "from the data, not learned")]
    if kind not in ("conv", "linear"):
        return []
    n_in, n_out, *size, bias = settings
    taps = 1
    for side in ((size[0], size[0]) if size and isinstance(size[0], int) else tuple(size[0]) if size else ()):
        taps *= side
    weights = n_in * n_out * taps
    if bias:
        return [(weights, "the biases are missing"),
                (weights + n_in, "that gives a bias to every input channel; a layer has one per output")]
    return [(weights + n_out, "this layer has bias=False: no biases to count")]


def _counts_match(layers, expected):
    def test(got):
        if not isinstance(got, (list, tuple)):
            return f"return a list with one number per layer, not {type(got).__name__}"
        if len(got) != len(expected):
            return f"there are {len(expected)} layers, so the list should have {len(expected)} numbers, not {len(got)}"
        for number, (spec, mine, right) in enumerate(zip(layers, got, expected), 1):
            if isinstance(mine, bool) or not isinstance(mine, numbers.Integral):
                return f"layer {number}, {spec}: got {mine!r}; a count is a whole number (an int)"
            if mine != right:
                why = next((why for wrong, why in _count_mistakes(spec) if mine == wrong), "")
                return (f"layer {number}, {spec}: got {mine:,}, but PyTorch's layer has {right:,} parameters"
                        + (f": {why}" if why else ""))
        return None
    return test


_LAYER_SETS = [
    ("a 3x3 convolution", [("conv", 3, 16, 3, True)],
     "How many kernels does a convolution learn: one per input channel, one per output channel, or one per pair "
     "of them? And how many biases?"),
    ("the same convolution without its bias", [("conv", 3, 16, 3, False)], "bias=False: the layer has no bias."),
    ("a convolution into a single channel", [("conv", 8, 1, 3, True)],
     "How many biases does a convolution have: one per input channel or one per output channel?"),
    ("a non-square kernel", [("conv", 16, 32, (1, 5), True)],
     "kernel_size may be a pair (height, width): the kernel then has height * width taps."),
    ("layers that learn nothing", [("maxpool", 2), ("relu",), ("flatten",), ("dropout", 0.5)],
     "Pooling, ReLU, flattening and dropout compute with fixed rules: what is there to learn?"),
    ("batch normalization", [("batchnorm", 32)],
     "Which of batch norm's numbers does the optimizer update? model.named_parameters() and "
     "model.named_buffers() tell them apart."),
    ("a dense layer", [("linear", 512, 10, True), ("linear", 64, 64, False)], ""),
    ("AlexNet's first layer", [("conv", 3, 64, 11, True)], ""),
    ("a small VGG-style network for 32x32 images", [
        ("conv", 3, 32, 3, False), ("batchnorm", 32), ("relu",), ("maxpool", 2),
        ("conv", 32, 64, 3, False), ("batchnorm", 64), ("relu",), ("maxpool", 2),
        ("flatten",), ("dropout", 0.3), ("linear", 64 * 8 * 8, 10, True)], ""),
]


@exercise("day2.parameters_per_layer", expects="function", answer="parameters_per_layer",
          hint="Count what each kind of layer learns: the weights, then the biases; a layer that only computes "
               "a fixed rule learns nothing.",
          forbids=BUILD_AND_COUNT,
          forbid_hint="Work each count out with arithmetic on the numbers in the specification: no layers, no "
                      "tensors. Building the layers and counting their parameters is what the check does.")
def parameters_per_layer_cases():
    for what, layers, hint in _LAYER_SETS:
        yield Case(f"{what}: {layers}", args=(layers,), test=_counts_match(layers, _counts(layers)), hint=hint)
    draw = _seeded(500)
    channels = [draw.choice([1, 3, 5, 12, 24, 48]) for _ in range(4)]
    layers = []
    for c_in, c_out in zip(channels, channels[1:]):
        kernel = (draw.randint(1, 5), draw.randint(1, 5))
        layers += [("conv", c_in, c_out, kernel, draw.random() < 0.5), ("batchnorm", c_out), ("relu",)]
    layers += [("flatten",), ("linear", channels[-1] * 4, draw.randint(2, 20), True)]
    yield Case(f"a random stack: {layers}", args=(layers,), test=_counts_match(layers, _counts(layers)))


# ----------------------------------------------------------------------------- 2. a VGG block


def _reference_block(in_channels, out_channels, num_convs, batch_norm=False) -> nn.Sequential:
    layers, channels = [], in_channels
    for _ in range(num_convs):
        layers.append(nn.Conv2d(channels, out_channels, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(out_channels))
        layers.append(nn.ReLU())
        channels = out_channels
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


def _layer_name(layer: nn.Module) -> str:
    """A layer in words, with only the settings that matter here (ReLU(inplace=True) is a ReLU)."""
    def pair(value):
        return tuple(value) if isinstance(value, (tuple, list)) else (value, value)

    if isinstance(layer, nn.Conv2d):
        return (f"Conv2d({layer.in_channels}, {layer.out_channels}, kernel_size={pair(layer.kernel_size)}, "
                f"stride={pair(layer.stride)}, padding={pair(layer.padding)}, bias={layer.bias is not None})")
    if isinstance(layer, nn.BatchNorm2d):
        return f"BatchNorm2d({layer.num_features})"
    if isinstance(layer, nn.MaxPool2d):
        return f"MaxPool2d(kernel_size={pair(layer.kernel_size)}, stride={pair(layer.stride or layer.kernel_size)})"
    return type(layer).__name__


def _layer_names(block) -> list[str] | str:
    if not isinstance(block, nn.Module):
        return f"vgg_block returned {type(block).__name__}, not a model"
    return [_layer_name(m) for m in block.modules() if not list(m.children())]


def _built_layers(vgg_block, *args):
    return _layer_names(vgg_block(*args))


def _same_layers(expected: list[str]):
    def test(got):
        if isinstance(got, str):
            return got + ": return nn.Sequential(...) of the layers"
        for number, (mine, right) in enumerate(zip(got, expected), 1):
            if mine != right:
                return f"layer {number} is {mine}, but should be {right}"
        if len(got) != len(expected):
            which = "is missing" if len(got) < len(expected) else "should not be there"
            layer = expected[len(got)] if len(got) < len(expected) else got[len(expected)]
            return f"the block has {len(got)} layers, not {len(expected)}: {layer} {which}"
        return None
    return test


def _built_parameters(vgg_block, *args):
    return sum(p.numel() for p in vgg_block(*args).parameters())


def _fill(block: nn.Module) -> nn.Module:
    """Give the parameters fixed values, in order, so two blocks with the same layers compute the same thing."""
    generator = torch.Generator().manual_seed(600 + input_seed())
    with torch.no_grad():
        for p in block.parameters():
            p.copy_(torch.randn(p.shape, generator=generator) * 0.3)
    return block


def _built_output(vgg_block, x, *args):
    return _fill(vgg_block(*args))(x)


@exercise("day2.vgg_block", expects="function", answer="vgg_block",
          hint="Collect the layers in a Python list as you loop over the convolutions, then hand the list to "
               "nn.Sequential; compare it with the description above, layer by layer.")
def vgg_block_cases():
    structure_hints = ("The defaults: batch_norm=False.",
                       "How many channels come into the second convolution: in_channels or out_channels?",
                       "With batch_norm=True, which two layers does each batch norm sit between?")
    for args, hint in zip(((3, 16, 1), (16, 32, 2, False), (8, 12, 3, True)), structure_hints):
        yield Case(f"the layers of vgg_block{args}", args=args, use=_built_layers,
                   test=_same_layers(_layer_names(_reference_block(*args))), hint=hint)
    for args in ((3, 64, 2, False), (64, 128, 2, True)):
        expected = sum(p.numel() for p in _reference_block(*args).parameters())
        yield Case(f"the number of parameters of vgg_block{args}", args=args, use=_built_parameters,
                   expected=expected,
                   hint="Each convolution keeps its bias (bias=True, the default), as in the VGG paper.")
    for shape, args in (((2, 3, 12, 10), (3, 8, 2, False)), ((1, 4, 7, 9), (4, 6, 1, True))):
        x = _random(*shape, seed=610)
        reference = _fill(_reference_block(*args))(x).detach()
        yield Case(f"vgg_block{args} with fixed weights (the same in your block and the check's), applied to x "
                   f"of shape {list(shape)}", args=(x, *args), use=_built_output, expected=reference,
                   atol=1e-5, rtol=1e-4,
                   hint="If the shape is right but the values are not, compare the order of your layers and the "
                        "padding of the convolutions with the description above.")
