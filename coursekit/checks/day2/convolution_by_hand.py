"""Checks of solutions/day2/01_convolution_by_hand.ipynb: output size, convolution, max pooling.

The right answers come from PyTorch: the output size from running ``F.conv2d`` on zeros, the
values from ``F.conv2d`` and ``F.max_pool2d``. The usual wrong answers (a size one short, a
kernel flipped, the bias forgotten, a zero border that wins the maximum) are computed too, so
the feedback can name the mistake (``day1.mistakes.judged``). The built-ins being written are
forbidden while the learner's function runs; unfolding stays allowed, as the lecture uses it.
"""

from __future__ import annotations

import math
import numbers
import random

import torch
import torch.nn.functional as F

from ..cases import Case, exercise, input_seed
from ..compare import describe
from ..day0 import _random
from ..mistakes import judged

# Every spelling of "let PyTorch do the convolution" and "let PyTorch do the max pooling".
# nn.Conv2d and nn.MaxPool2d call these inside, so the layers are caught too.
_aten = torch.ops.aten
CONVOLUTIONS = (
    torch.conv1d, torch.conv2d, torch.conv3d, F.conv1d, F.conv2d, F.conv3d, torch.convolution, torch._convolution,
    torch.conv_tbc, torch.conv_transpose1d, torch.conv_transpose2d, torch.conv_transpose3d,
    F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d, torch.nn.grad.conv2d_input,
    torch.nn.grad.conv2d_weight, _aten.conv2d, _aten.conv2d.default, _aten.convolution, _aten.convolution.default,
    _aten._convolution, _aten._convolution.default,
)
MAX_POOLS = (
    F.max_pool1d, F.max_pool2d, F.max_pool3d, F.max_pool1d_with_indices, F.max_pool2d_with_indices,
    F.max_pool3d_with_indices, torch.max_pool1d, torch.max_pool2d, torch.max_pool3d,
    torch.max_pool1d_with_indices, F.adaptive_max_pool1d, F.adaptive_max_pool2d, F.adaptive_max_pool3d,
    F.adaptive_max_pool2d_with_indices, F.fractional_max_pool2d, F.fractional_max_pool2d_with_indices,
    F.lp_pool1d, F.lp_pool2d, _aten.max_pool2d, _aten.max_pool2d.default, _aten.max_pool2d_with_indices,
    _aten.max_pool2d_with_indices.default,
)


def _seeded(salt: int) -> random.Random:
    """Python's random numbers for drawing settings: the same in every notebook run, others for the grader."""
    return random.Random(salt + 1_000_003 * input_seed())


# ----------------------------------------------------------------------------- 1. output size


def _pytorch_output_size(size, kernel, stride, padding, dilation) -> int:
    """What F.conv2d actually produces along one dimension: the check's reference."""
    x, w = torch.zeros(1, 1, size, 1), torch.zeros(1, 1, kernel, 1)
    return F.conv2d(x, w, stride=(stride, 1), padding=(padding, 0), dilation=(dilation, 1)).shape[2]


def _size_mistakes(size, kernel, stride, padding, dilation):
    """(what a usual mistake gives, what the mistake is)."""
    span = dilation * (kernel - 1) + 1
    return [
        ((size + 2 * padding - span) // stride, "one place short (is the kernel's first place, at the very start "
                                                "of the padded input, counted?)"),
        ((size + padding - span) // stride + 1, "that is the size with padding on one side only"),
        ((size + 2 * padding - kernel) // stride + 1, "that ignores the dilation: a dilated kernel spans more "
                                                      "pixels than it has taps"),
        (math.ceil((size + 2 * padding - span) / stride) + 1, "that counts a place where the kernel would stick "
                                                              "out of the padded input: round down"),
    ]


def _is_size(size, kernel, stride, padding, dilation):
    expected = _pytorch_output_size(size, kernel, stride, padding, dilation)

    def test(got):
        if isinstance(got, bool) or not isinstance(got, numbers.Integral):
            return (f"return a whole number of pixels (an int), not a {type(got).__name__} ({got!r}); "
                    "integer division // keeps a number whole")
        if got == expected:
            return None
        why = "; or ".join(dict.fromkeys(why for wrong, why in _size_mistakes(size, kernel, stride, padding, dilation)
                                         if got == wrong))  # several mistakes can give the same number
        return f"got {got}, but F.conv2d gives an output {expected} pixels wide" + (f": {why}" if why else "")
    return test


_SIZE_SETTINGS = [
    # (size, kernel, stride, padding, dilation, what it tries, a hint for it)
    (28, 5, 1, 0, 1, "no padding: the output shrinks", ""),
    (32, 3, 1, 1, 1, "'same' padding for a 3x3 kernel", "Padding adds pixels on both sides of the input."),
    (7, 3, 2, 0, 1, "stride 2", "With a stride, count the steps the kernel can take, then the place it starts from."),
    (8, 3, 2, 0, 1, "stride 2 where the last step does not fit",
     "A window that would stick out of the (padded) input does not count: round down, never up."),
    (10, 3, 3, 1, 1, "stride 3 with padding, rounding down", "The last partial step does not count: round down."),
    (224, 11, 4, 2, 1, "AlexNet's first layer", ""),
    (10, 3, 1, 0, 2, "dilation 2",
     "With dilation d the kernel's taps are d pixels apart: how many pixels does the whole kernel span?"),
    (17, 5, 2, 3, 3, "dilation, stride and padding together", ""),
    (5, 5, 1, 0, 1, "a kernel as large as the input", "A kernel exactly as large as the input fits in one place."),
    (1, 1, 1, 0, 1, "a single pixel and a 1x1 kernel", ""),
    (3, 3, 1, 1, 2, "a dilated kernel that spans exactly the padded input", ""),
]


@exercise("day2.conv_output_size", expects="function", answer="conv_output_size",
          hint="Count the places where the whole kernel fits inside the padded input, moving stride pixels "
               "at a time; try it on paper for a 5-pixel input and a 3-pixel kernel first.",
          forbids=CONVOLUTIONS + MAX_POOLS,
          forbid_hint="Work the size out with arithmetic on the numbers you are given; running a layer to read "
                      "its output shape is what the check does to grade you.")
def conv_output_size_cases():
    yield Case("conv_output_size(28, 5), stride, padding and dilation left at their defaults", args=(28, 5),
               test=_is_size(28, 5, 1, 0, 1), hint="The defaults are stride=1, padding=0, dilation=1.")
    for size, kernel, stride, padding, dilation, what, hint in _SIZE_SETTINGS:
        yield Case(f"{what}: conv_output_size(size={size}, kernel={kernel}, stride={stride}, padding={padding}, "
                   f"dilation={dilation})", args=(size, kernel, stride, padding, dilation),
                   test=_is_size(size, kernel, stride, padding, dilation), hint=hint)
    draw, grid = _seeded(200), []
    while len(grid) < 12:  # random settings where the kernel fits
        size, kernel, stride = draw.randint(1, 40), draw.randint(1, 7), draw.randint(1, 4)
        padding, dilation = draw.randint(0, 3), draw.randint(1, 3)
        if size + 2 * padding >= dilation * (kernel - 1) + 1:
            grid.append((size, kernel, stride, padding, dilation))
    for settings in grid:
        yield Case("conv_output_size(size={}, kernel={}, stride={}, padding={}, dilation={})".format(*settings),
                   args=settings, test=_is_size(*settings))


# ----------------------------------------------------------------------------- 2. a convolution by hand


def _conv_mistakes(x, weight, bias, stride, padding, expected):
    """(what a usual mistake gives, what the mistake is)."""
    mistakes = [(F.conv2d(x, weight.flip(-2, -1), bias, stride, padding),
                 "that is a convolution with the kernel flipped; F.conv2d slides the kernel as it is "
                 "(a cross-correlation)")]
    if bias is not None:
        mistakes.append((F.conv2d(x, weight, None, stride, padding),
                         "those are the right values without the bias: each output channel adds its own bias"))
    shuffled = expected.permute(0, 2, 3, 1).reshape(expected.shape)  # [N, H, W, O] read as [N, O, H, W]
    mistakes.append((shuffled, "the right numbers in the wrong places: output channels and positions are mixed "
                               "up. reshape keeps the order of the values in memory; it does not move a dimension"))
    return mistakes


def _conv_case(n, c, h, w, out, kh, kw, stride, padding, seed, bias=True, dtype=torch.float32, what="", hint=""):
    x = _random(n, c, h, w, seed=seed, dtype=dtype)
    weight = _random(out, c, kh, kw, seed=seed + 1, dtype=dtype)
    b = _random(out, seed=seed + 2, dtype=dtype) if bias else None
    expected = F.conv2d(x, weight, b, stride=stride, padding=padding)
    tolerance = {"atol": 1e-5, "rtol": 1e-4} if dtype == torch.float32 else {}
    given = (f"{what}: x of shape {list(x.shape)}, weight {list(weight.shape)}, "
             f"bias {'of shape ' + str([out]) if bias else 'None'}, stride={stride}, padding={padding}"
             f"{', ' + str(dtype).removeprefix('torch.') if dtype != torch.float32 else ''}")
    return Case(given, args=(x, weight, b, stride, padding), hint=hint,
                test=judged(expected, _conv_mistakes(x, weight, b, stride, padding, expected), **tolerance))


@exercise("day2.conv2d", expects="function", answer="conv2d", time_limit=10.0,
          hint="Get one output value right first: out[n, o, i, j] combines output channel o's kernel with the "
               "patch of the (padded) input under it, across every input channel. Compare it with F.conv2d.",
          forbids=CONVOLUTIONS,
          forbid_hint="Build it from slicing (or F.unfold) and multiplication; F.conv2d and nn.Conv2d are what "
                      "the check compares you with.")
def conv2d_cases():
    yield _conv_case(2, 3, 7, 9, 4, 3, 3, 1, 0, seed=300, what="a 3x3 kernel, no stride, no padding")
    yield _conv_case(1, 2, 6, 5, 5, 3, 3, 1, 1, seed=310, what="padding 1",
                     hint="Padding surrounds the input with zeros on all four sides before the kernel slides.")
    yield _conv_case(2, 3, 8, 11, 4, 3, 2, 2, 0, seed=320, what="a non-square kernel with stride 2",
                     hint="The kernel moves stride pixels at a time in both directions; height and width "
                          "follow the kernel's own height and width.")
    yield _conv_case(2, 2, 9, 7, 3, 2, 4, 3, 2, seed=330, what="stride 3 and padding 2 on a non-square input",
                     hint="Output size: the same arithmetic as in exercise 1, for height and width separately.")
    yield _conv_case(1, 1, 5, 5, 1, 5, 5, 1, 0, seed=340, what="a batch of one, a kernel as large as the input")
    yield _conv_case(3, 4, 5, 6, 2, 1, 1, 1, 0, seed=350, what="a 1x1 kernel: mixing channels only",
                     hint="The weight is [out_channels, in_channels, kh, kw]: its first index picks the output "
                          "channel, its second the input channel.")
    yield _conv_case(2, 3, 6, 7, 4, 3, 3, 2, 1, seed=360, bias=False, what="no bias",
                     hint="bias may be None: then there is nothing to add.")
    yield _conv_case(2, 2, 6, 8, 3, 3, 3, 1, 1, seed=370, dtype=torch.float64, what="double precision",
                     hint="Tensors you create should have the input's dtype (dtype=x.dtype), so float64 stays "
                          "float64.")


# ----------------------------------------------------------------------------- 3. max pooling by hand


def _pool_mistakes(x, kernel, stride, padding, expected):
    """(what a usual mistake gives, what the mistake is)."""
    mistakes = [(expected.clamp(min=0), "negative maxima came out as 0: does your maximum start from 0?")]
    if padding:
        zero_border = F.max_pool2d(F.pad(x, [padding] * 4), kernel, stride)
        mistakes.append((zero_border, "the zeros of your padding won the maximum where every real value is "
                                      "negative"))
    return mistakes


def _pool_case(x, kernel, stride, padding, what, hint="", default_stride=False):
    expected = F.max_pool2d(x, kernel, stride, padding)
    test = judged(expected, _pool_mistakes(x, kernel, stride, padding, expected))
    if default_stride:
        return Case(f"{what}: x = {describe(x)}, max_pool2d(x, {kernel})", args=(x, kernel), test=test, hint=hint)
    return Case(f"{what}: x of shape {list(x.shape)}, kernel_size={kernel}, stride={stride}, padding={padding}",
                args=(x, kernel, stride, padding), test=test, hint=hint)


@exercise("day2.max_pool2d", expects="function", answer="max_pool2d", time_limit=10.0,
          hint="Get one output value right first: out[n, c, i, j] is the largest entry of the window that starts "
               "at row i * stride, column j * stride, in channel c of image n.",
          forbids=MAX_POOLS,
          forbid_hint="Build it from slicing (or unfold) and a maximum such as amax; F.max_pool2d and "
                      "nn.MaxPool2d are what the check compares you with.")
def max_pool2d_cases():
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    yield _pool_case(x, 2, None, 0, "2x2 windows, stride left out", default_stride=True,
                     hint="stride=None means the stride equals the kernel size, as in PyTorch.")
    yield _pool_case(_random(2, 3, 6, 8, seed=400), 2, 2, 0, "random values, two images, three channels")
    yield _pool_case(-1 - _random(2, 2, 4, 6, seed=410).abs(), 2, 2, 0, "only negative values",
                     hint="Every value here is below zero: does your maximum start from 0 somewhere?")
    yield _pool_case(_random(1, 2, 7, 7, seed=420), 3, 2, 0, "overlapping windows (kernel 3, stride 2)",
                     hint="With stride < kernel_size the windows overlap: each starts stride pixels after the last.")
    yield _pool_case(_random(2, 1, 5, 7, seed=430), 2, 2, 0, "sizes that do not divide by the stride",
                     hint="A window that would stick out of the input is dropped: the output size rounds down.")
    yield _pool_case(_random(1, 3, 9, 8, seed=440), 2, 3, 0, "stride larger than the kernel")
    yield _pool_case(-1 - _random(2, 2, 5, 6, seed=450).abs(), 3, 2, 1, "padding 1 around negative values",
                     hint="The padded border must never be the maximum: which value loses against every number?")
    yield _pool_case(_random(1, 1, 1, 1, seed=460), 1, 1, 0, "a single pixel, kernel 1")
    yield _pool_case(_random(2, 2, 6, 6, seed=470, dtype=torch.float64), 2, 2, 1, "double precision, padding 1",
                     hint="Tensors you create should have the input's dtype (dtype=x.dtype).")
