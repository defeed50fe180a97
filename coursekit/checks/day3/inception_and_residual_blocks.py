"""Checks of solutions/day3/01_inception_and_residual_blocks.ipynb: bottleneck savings, an Inception
module, a basic residual block.

The right answers come from reference modules built here: the Inception module of the GoogLeNet
paper (1x1, 1x1 then 3x3, 1x1 then 5x5, 3x3 max pooling then 1x1; convolutions with biases, each
followed by a ReLU) and the basic block of the ResNet paper with torchvision's names (``conv1``,
``bn1``, ``conv2``, ``bn2``, ``downsample``). The learner's module is compared by its output shapes,
its number of parameters, and its outputs once the reference's weights are copied into it, branch by
branch or name by name. When the learner's forward pass fails, the check looks at the parts (the
four branches' shapes, the two paths of the block) to say which one is wrong.
"""

from __future__ import annotations

import itertools
import numbers

import torch
from torch import nn

from ..cases import Case, exercise, input_seed
from ..compare import describe
from ..day0 import _random
from .shared import built, count

# ----------------------------------------------------------------------------- 1. what a bottleneck saves


def _bottleneck_test(in_channels, reduce_channels, out_channels, kernel_size):
    k2 = kernel_size * kernel_size
    direct = in_channels * out_channels * k2
    reduced = in_channels * reduce_channels + reduce_channels * out_channels * k2
    mistakes = [
        ((direct, reduce_channels * out_channels * k2), "the bottleneck's own 1x1 convolution has weights too: "
                                                         "in_channels x reduce_channels of them"),
        ((in_channels * out_channels * kernel_size, in_channels * reduce_channels
          + reduce_channels * out_channels * kernel_size), "a k x k kernel has k * k taps, not k"),
        ((reduced, direct), "the two numbers are swapped: first without the bottleneck, then with it"),
    ]

    def test(got):
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            return f"return a pair (weights without the bottleneck, weights with it), not {describe(got)}"
        if any(isinstance(n, bool) or not isinstance(n, numbers.Integral) for n in got):
            return f"counts of weights are whole numbers (ints), got {got!r}"
        if tuple(got) == (direct, reduced):
            return None
        why = next((why for wrong, why in mistakes if tuple(got) == wrong), "")
        return (f"got ({got[0]:,}, {got[1]:,}), but the layers have ({direct:,}, {reduced:,}) weights"
                + (f": {why}" if why else ""))
    return test


@exercise("day3.bottleneck_weights", expects="function", answer="bottleneck_weights",
          hint="Count each convolution's weights on its own (input channels x output channels x taps of the "
               "kernel), then add up the layers of each path.",
          forbids=(torch.empty, torch.numel, torch.Tensor.numel, torch.Tensor.nelement),
          forbid_hint="Work the counts out with arithmetic on the four numbers; building the layers and counting "
                      "their parameters is what the check does.")
def bottleneck_weights_cases():
    settings = [((192, 16, 32, 5), "GoogLeNet's inception (3a), its 5x5 branch"),
                ((192, 96, 128, 3), "inception (3a), its 3x3 branch"),
                ((480, 96, 208, 3), "inception (4a), its 3x3 branch"),
                ((8, 8, 8, 3), "a bottleneck that reduces nothing: it costs extra"),
                ((64, 1, 1, 1), "a single channel and a 1x1 kernel")]
    for args, what in settings:
        yield Case(f"{what}: bottleneck_weights{args}", args=args, test=_bottleneck_test(*args))


# ----------------------------------------------------------------------------- 2. an Inception module

BRANCHES = ("branch1", "branch2", "branch3", "branch4")


def reference_inception(in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj) -> nn.Module:
    """The paper's Inception module: four branches, each ending in a ReLU, joined on the channel axis."""
    def conv(c_in, c_out, k):
        return [nn.Conv2d(c_in, c_out, k, padding=k // 2), nn.ReLU()]

    module = nn.Module()
    module.branch1 = nn.Sequential(*conv(in_channels, ch1x1, 1))
    module.branch2 = nn.Sequential(*conv(in_channels, ch3x3red, 1), *conv(ch3x3red, ch3x3, 3))
    module.branch3 = nn.Sequential(*conv(in_channels, ch5x5red, 1), *conv(ch5x5red, ch5x5, 5))
    module.branch4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), *conv(in_channels, pool_proj, 1))
    module.forward = lambda x: torch.cat([getattr(module, b)(x) for b in BRANCHES], dim=1)
    return module


def _branch_shapes(module, x) -> list | str:
    """The four branches' output shapes, or why they cannot be run one by one."""
    shapes = []
    for name in BRANCHES:
        branch = getattr(module, name, None)
        if not isinstance(branch, nn.Module):
            return f"the module has no {name} (an nn.Module), so the check cannot look inside"
        try:
            shapes.append(tuple(branch(x).shape))
        except Exception as error:
            return f"{name} fails on its own: {type(error).__name__}: {error}"
    return shapes


def _inception_output(Inception, x, *config):
    """The module's output, or (when its forward pass fails) what went wrong, found branch by branch."""
    module = Inception(*config)
    try:
        return module(x)
    except RuntimeError as error:
        shapes = _branch_shapes(module, x)
        if isinstance(shapes, str):
            return f"the forward pass failed ({error}); {shapes}"
        listed = ", ".join(f"{name} {list(shape)}" for name, shape in zip(BRANCHES, shapes))
        wrong = [name for name, shape in zip(BRANCHES, shapes) if shape[2:] != tuple(x.shape[2:])]
        if wrong:
            pool = " (a max pooling keeps the size only with stride 1 and padding 1)" if "branch4" in wrong else ""
            return (f"the branches cannot be joined: {listed}. {', '.join(wrong)} changes the height or width of "
                    f"the {x.shape[2]}x{x.shape[3]} input{pool}: every branch must keep them")
        return (f"every branch has the right size ({listed}), but joining them failed ({error}): join them along "
                "the channel axis, dim=1")


def _shape_test(expected: tuple):
    def test(got):
        if isinstance(got, str):
            return got
        if not isinstance(got, torch.Tensor):
            return f"the module returned {describe(got)}, not a tensor"
        shape = tuple(got.shape)
        if shape == expected:
            return None
        if shape[0] != expected[0]:
            return (f"the output has shape {shape}, not {expected}: the branches were joined along the batch axis "
                    "(dim 0): join them along the channel axis, dim=1")
        if shape[2:] != expected[2:]:
            return (f"the output has shape {shape}, not {expected}: joined along dim 2 or 3? Join along the channel "
                    "axis, dim=1, and keep the height and width")
        return (f"the output has shape {shape}, not {expected}: the output channels are the sum of the four "
                "branches' widths")
    return test


def _parameter_count(Inception, *config):
    return count(Inception(*config))


def _copy_branches(source: nn.Module, target: nn.Module):
    """Give ``target``'s branches ``source``'s weights, in order within each branch; a problem in words."""
    for name in BRANCHES:
        mine = list(getattr(target, name).parameters()) if isinstance(getattr(target, name, None), nn.Module) else []
        theirs = list(getattr(source, name).parameters())
        if [p.shape for p in mine] != [p.shape for p in theirs]:
            return (f"{name}'s parameters have shapes {[tuple(p.shape) for p in mine]}, the check's "
                    f"{[tuple(p.shape) for p in theirs]}: build each branch as an nn.Sequential in the order of "
                    "the table (1x1 reduction first)")
        with torch.no_grad():
            for p, q in zip(mine, theirs):
                p.copy_(q)
    return None


def _filled(module: nn.Module, salt: int) -> nn.Module:
    generator = torch.Generator().manual_seed(salt + input_seed())
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=generator) * 0.2)
    return module


def _inception_values(Inception, x, *config):
    module = Inception(*config).to(x.device)
    problem = _copy_branches(_filled(reference_inception(*config), 700).to(x.device), module)
    return problem if problem else module(x)


def _values_test(expected, widths):
    close = dict(atol=1e-5, rtol=1e-4)
    ends = [sum(widths[:i]) for i in range(5)]
    parts = [expected[:, a:b] for a, b in zip(ends, ends[1:])]

    def test(got):
        if isinstance(got, str):
            return got
        if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
            return f"the output is {describe(got)}, expected the shape {tuple(expected.shape)}"
        if torch.allclose(got, expected, **close):
            return None
        if (got < 0).any() and torch.allclose(got.clamp(min=0), expected, **close):
            return "negative values came out: every branch ends with a ReLU, the pooling branch too"
        for order in itertools.permutations(range(4)):
            joined = torch.cat([parts[i] for i in order], dim=1)
            if order != (0, 1, 2, 3) and torch.allclose(joined, got, **close):
                return "the right branches, joined in another order: join branch1, branch2, branch3, branch4"
        return (f"with the check's weights copied in, the output differs from the reference: got {describe(got)}, "
                f"expected {describe(expected)}")
    return test


INCEPTION_3A = (192, 64, 96, 128, 16, 32, 32)
INCEPTION_SMALL = (3, 4, 2, 3, 1, 2, 5)


@exercise("day3.inception", expects="function", answer="Inception",
          hint="Build the four branches of the table as nn.Sequential attributes branch1 to branch4; forward runs "
               "each on the same input and joins the four results.")
def inception_cases():
    x = _random(2, 192, 28, 28, seed=700)
    yield Case("Inception(192, 64, 96, 128, 16, 32, 32), GoogLeNet's inception (3a), on x of shape [2, 192, 28, 28]",
               args=(x, *INCEPTION_3A), use=_inception_output, test=_shape_test((2, 256, 28, 28)),
               hint="The output has as many channels as the four branches together.")
    for shape, config, hint in (
            ((1, 3, 7, 9), INCEPTION_SMALL, "An odd, non-square input: every branch must keep its height and width."),
            ((3, 3, 5, 5), INCEPTION_SMALL, "A 5x5 kernel keeps a 5x5 input 5x5 only with enough padding."),
            ((1, 16, 1, 1), (16, 8, 4, 8, 2, 4, 8), "Even a 1x1 input stays 1x1.")):
        x = _random(*shape, seed=710)
        channels = config[1] + config[3] + config[5] + config[6]
        yield Case(f"Inception{config} on x of shape {list(shape)}", args=(x, *config), use=_inception_output,
                   test=_shape_test((shape[0], channels, *shape[2:])), hint=hint)
    for config in (INCEPTION_3A, INCEPTION_SMALL):
        yield Case(f"the number of parameters of Inception{config}", args=config, use=_parameter_count,
                   expected=count(reference_inception(*config)),
                   hint="Each convolution keeps its bias; the max pooling learns nothing.")
    for shape, config in (((2, 3, 6, 7), INCEPTION_SMALL), ((1, 192, 9, 9), INCEPTION_3A)):
        x = _random(*shape, seed=720)
        expected = _filled(reference_inception(*config), 700)(x).detach()
        yield Case(f"Inception{config} with the check's weights copied into branch1 to branch4, on x of shape "
                   f"{list(shape)}", args=(x, *config), use=_inception_values,
                   test=_values_test(expected, (config[1], config[3], config[5], config[6])),
                   hint="If the shape is right but the values are not: is every convolution followed by a ReLU, "
                        "and does the pooling branch pool before its 1x1 convolution?")


# ----------------------------------------------------------------------------- 3. a basic residual block


class ReferenceBlock(nn.Module):
    """The ResNet paper's basic block, torchvision's names; ``mistake`` makes one of the usual ones."""

    def __init__(self, in_channels, out_channels, stride=1, mistake=None):
        super().__init__()
        self.mistake = mistake
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.downsample = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                                            nn.BatchNorm2d(out_channels))

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.mistake == "relu before add":
            out = torch.relu(out)
        shortcut = x if self.downsample is None else self.downsample(x)
        out = out + shortcut
        return out if self.mistake in ("relu before add", "no relu") else torch.relu(out)


def _block_shape(BasicBlock, x, *config):
    block = BasicBlock(*config)
    try:
        return block(x)
    except RuntimeError as error:
        if "must match the size" in str(error) or "size of tensor" in str(error):
            return (f"the forward pass failed ({error}): the shortcut and the main path have different shapes, "
                    "so they cannot be added. When the stride is 2 or the width changes, the shortcut needs a "
                    "projection")
        raise


def _block_shape_test(expected: tuple):
    def test(got):
        if isinstance(got, str):
            return got
        if not isinstance(got, torch.Tensor):
            return f"the block returned {describe(got)}, not a tensor"
        if tuple(got.shape) != expected:
            return f"the output has shape {tuple(got.shape)}, not {expected}"
        return None
    return test


def _block_count_test(config):
    in_channels, out_channels, *rest = config
    stride = rest[0] if rest else 1
    expected = count(ReferenceBlock(*config))
    projection = in_channels * out_channels + 2 * out_channels
    identity = stride == 1 and in_channels == out_channels
    convs = 9 * in_channels * out_channels + 9 * out_channels * out_channels

    def test(got):
        if got == expected:
            return None
        why = ""
        if identity and got == expected + projection:
            why = (": the extra ones are a projection (1x1 convolution and batch norm) where the shapes already "
                   "match; the identity shortcut needs no parameters")
        elif not identity and got == expected - 2 * out_channels:
            why = ": the projection's batch norm is missing (a 1x1 convolution, then BatchNorm2d)"
        elif not identity and got == expected - projection:
            why = ": the projection shortcut is missing"
        elif got in (expected + 2 * out_channels, expected + 3 * out_channels):
            why = ": the convolutions have biases; a convolution followed by batch norm needs none (bias=False)"
        elif got == expected - convs + convs // 9:
            why = ": the two main convolutions are 3x3"
        return f"got {got:,} parameters, but the block has {expected:,}{why}"
    return test


def _prepared_reference(config, salt):
    """A reference block with random weights and running statistics (so eval mode tells them apart)."""
    reference = ReferenceBlock(*config)
    generator = torch.Generator().manual_seed(salt + input_seed())
    with torch.no_grad():
        for name, tensor in reference.state_dict().items():
            if name.endswith("running_var"):
                tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)
            elif tensor.is_floating_point():
                tensor.copy_(torch.randn(tensor.shape, generator=generator) * 0.3)
    return reference


def _block_values(BasicBlock, x, mode, *config):
    block = BasicBlock(*config)
    reference = _prepared_reference(config, 800)
    mine, theirs = set(block.state_dict()), set(reference.state_dict())
    if mine != theirs:
        missing, extra = sorted(theirs - mine), sorted(mine - theirs)
        return ("the block's state dict has other names than torchvision's"
                + (f"; missing: {', '.join(missing)}" if missing else "")
                + (f"; not expected: {', '.join(extra)}" if extra else "")
                + ". Name the layers conv1, bn1, conv2, bn2 and the projection downsample "
                  "(nn.Sequential of the 1x1 convolution and its batch norm; None when there is none)")
    block.load_state_dict(reference.state_dict())
    block = block.to(x.device).train(mode == "train")
    return block(x)


def _block_values_test(config, x, mode):
    def output(mistake=None):
        reference = _prepared_reference(config, 800)
        wrong = ReferenceBlock(*config, mistake=mistake)
        wrong.load_state_dict(reference.state_dict())
        with torch.no_grad():
            return wrong.train(mode == "train")(x)

    expected = output()
    mistakes = [(output("relu before add"), "the ReLU comes after the addition, not before it: with it before, "
                                            "the block can only add to its input, never subtract"),
                (output("no relu"), "the final ReLU, after the addition, is missing")]

    def test(got):
        if isinstance(got, str):
            return got
        if isinstance(got, torch.Tensor) and got.shape == expected.shape:
            if torch.allclose(got, expected, atol=1e-5, rtol=1e-4):
                return None
            for wrong, why in mistakes:
                if torch.allclose(got, wrong, atol=1e-5, rtol=1e-4):
                    return why
        return (f"with the check's weights loaded, in {mode} mode, the output differs from the reference: got "
                f"{describe(got)}, expected {describe(expected)}")
    return test


BLOCK_CONFIGS = [((16, 16), "the same width, stride 1: an identity shortcut"),
                 ((16, 32, 2), "twice the width, stride 2: a projection shortcut"),
                 ((8, 8, 2), "the same width, stride 2: the size halves, so it needs a projection"),
                 ((8, 12), "a new width, stride 1: it needs a projection")]


@exercise("day3.basic_block", expects="function", answer="BasicBlock",
          hint="Two 3x3 convolutions, each followed by batch norm; the shortcut carries the input around them; "
               "add the two, then apply the ReLU.")
def basic_block_cases():
    for config, what in BLOCK_CONFIGS:
        x = _random(2, config[0], 8, 8, seed=810)
        stride = config[2] if len(config) > 2 else 1
        expected = (2, config[1], 8 // stride, 8 // stride)
        yield Case(f"{what}: BasicBlock{config} on x of shape [2, {config[0]}, 8, 8]", args=(x, *config),
                   use=_block_shape, test=_block_shape_test(expected),
                   hint="With stride 2 the first convolution halves the height and width: so must the shortcut.")
    x = _random(1, 4, 7, 7, seed=815)
    yield Case("an odd size with stride 2: BasicBlock(4, 8, 2) on x of shape [1, 4, 7, 7]", args=(x, 4, 8, 2),
               use=_block_shape, test=_block_shape_test((1, 8, 4, 4)),
               hint="The 3x3 convolution with padding 1 and stride 2 and the 1x1 one with stride 2 give the same "
                    "size only if the 1x1 convolution has no padding.")
    for config, what in BLOCK_CONFIGS:
        yield Case(f"{what}: the number of parameters of BasicBlock{config}", args=config, use=built(count),
                   test=_block_count_test(config))
    for config, what in BLOCK_CONFIGS:
        x = _random(4, config[0], 6, 6, seed=820)
        for mode in ("train", "eval"):
            yield Case(f"{what}: BasicBlock{config} in {mode} mode, with the check's weights and running statistics "
                       f"loaded, on x of shape [4, {config[0]}, 6, 6]", args=(x, mode, *config), use=_block_values,
                       test=_block_values_test(config, x, mode),
                       hint="If only the values differ: where does the last ReLU sit, and does the projection have "
                            "its batch norm?")
