"""Day 2 checks: right answers pass, typical mistakes fail with feedback that points at them;
the quiz's numeric answers are computed here with PyTorch, so the quiz cannot drift."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from coursekit import quiz
from coursekit.checks import run_check
from coursekit.checks.day2 import PARAMETER_BUDGET, cifar_threshold
from coursekit.checks.day2.parameters_and_vgg_blocks import _module

# ----------------------------------------------------------------------------- reference answers


def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def conv2d(x, weight, bias, stride, padding, flip=False, bias_shape=(1, -1, 1, 1)):
    """By unfolding; ``flip`` and ``bias_shape`` make the usual mistakes on purpose."""
    n, _, height, width = x.shape
    out_channels, _, kh, kw = weight.shape
    out_h, out_w = (height + 2 * padding - kh) // stride + 1, (width + 2 * padding - kw) // stride + 1
    if flip:
        weight = weight.flip(-1, -2)
    columns = F.unfold(x, (kh, kw), padding=padding, stride=stride)
    out = (weight.reshape(out_channels, -1) @ columns).reshape(n, out_channels, out_h, out_w)
    return out if bias is None else out + bias.reshape(bias_shape)


def conv2d_by_loops(x, weight, bias, stride, padding):
    x = F.pad(x, [padding] * 4)
    out_channels, _, kh, kw = weight.shape
    out_h, out_w = (x.shape[2] - kh) // stride + 1, (x.shape[3] - kw) // stride + 1
    rows = []
    for i in range(out_h):
        row = []
        for j in range(out_w):
            patch = x[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
            row.append(torch.einsum("nchw,ochw->no", patch, weight))
        rows.append(torch.stack(row, dim=-1))
    out = torch.stack(rows, dim=-2)
    return out if bias is None else out + bias.reshape(1, -1, 1, 1)


def max_pool2d(x, kernel_size, stride=None, padding=0, fill=-math.inf):
    stride = stride or kernel_size
    x = F.pad(x, [padding] * 4, value=fill)
    return x.unfold(2, kernel_size, stride).unfold(3, kernel_size, stride).amax(dim=(-2, -1))


def parameters_per_layer(layers, batchnorm_per_channel=2, bias_per="out", read_bias=True):
    counts = []
    for kind, *settings in layers:
        if kind == "conv":
            c_in, c_out, kernel, bias = settings
            bias = bias or not read_bias
            kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
            counts.append(c_in * c_out * kh * kw + ({"out": c_out, "in": c_in}[bias_per] if bias else 0))
        elif kind == "linear":
            f_in, f_out, bias = settings
            counts.append(f_in * f_out + (f_out if bias else 0))
        elif kind == "batchnorm":
            counts.append(batchnorm_per_channel * settings[0])
        else:
            counts.append(0)
    return counts


def vgg_block(in_channels, out_channels, num_convs, batch_norm=False, *, padding=1, bias=True, relu_first=False,
              pool_each=False, same_input=False):
    """The block; each keyword makes one of the usual mistakes."""
    layers = []
    for i in range(num_convs):
        c_in = in_channels if i == 0 or same_input else out_channels
        conv = nn.Conv2d(c_in, out_channels, 3, padding=padding, bias=bias)
        norm = [nn.BatchNorm2d(out_channels)] if batch_norm else []
        layers += [conv, nn.ReLU(inplace=True), *norm] if relu_first else [conv, *norm, nn.ReLU(inplace=True)]
        if pool_each:
            layers.append(nn.MaxPool2d(2))
    if not pool_each:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


@pytest.mark.parametrize("id, answer", [
    ("day2.conv_output_size", conv_output_size),
    ("day2.conv_output_size", lambda size, kernel, stride=1, padding=0, dilation=1:
        math.floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1),
    ("day2.conv2d", conv2d),
    ("day2.conv2d", conv2d_by_loops),
    ("day2.max_pool2d", max_pool2d),
    ("day2.parameters_per_layer", parameters_per_layer),
    ("day2.vgg_block", vgg_block),
    ("day2.vgg_block", lambda *args: nn.Sequential(vgg_block(*args))),  # nested: the same layers
])
def test_right_answers_pass(id, answer):
    result = run_check(id, answer)
    assert result.passed, result.message


# ----------------------------------------------------------------------------- typical mistakes


MISTAKES = [
    # (what, id, answer, words the feedback must contain)
    ("output size without the +1", "day2.conv_output_size",
     lambda s, k, st=1, p=0, d=1: (s + 2 * p - d * (k - 1) - 1) // st, "got 23, but F.conv2d gives an output 24"),
    ("output size padded on one side", "day2.conv_output_size",
     lambda s, k, st=1, p=0, d=1: (s + p - d * (k - 1) - 1) // st + 1, "Padding adds pixels on both sides"),
    ("output size that ignores dilation", "day2.conv_output_size",
     lambda s, k, st=1, p=0, d=1: (s + 2 * p - k) // st + 1, "how many pixels does the whole kernel span?"),
    ("output size with dilation * kernel", "day2.conv_output_size",
     lambda s, k, st=1, p=0, d=1: (s + 2 * p - d * k) // st + 1, "got 5, but F.conv2d gives an output 6"),
    ("output size rounded up", "day2.conv_output_size",
     lambda s, k, st=1, p=0, d=1: math.ceil((s + 2 * p - d * (k - 1) - 1) / st) + 1, "round down, never up"),
    ("output size as a float", "day2.conv_output_size",
     lambda s, k, st=1, p=0, d=1: (s + 2 * p - d * (k - 1) - 1) / st + 1, "return a whole number of pixels"),
    ("output size read from F.conv2d", "day2.conv_output_size",
     lambda s, k, st=1, p=0, d=1: F.conv2d(torch.zeros(1, 1, s, s), torch.zeros(1, 1, k, k), None, st, p, d).shape[-1],
     "uses torch.nn.functional.conv2d"),
    ("conv2d by F.conv2d", "day2.conv2d", lambda x, w, b, s, p: F.conv2d(x, w, b, s, p),
     "uses torch.nn.functional.conv2d"),
    ("conv2d by nn.Conv2d", "day2.conv2d", lambda x, w, b, s, p: nn.Conv2d(x.shape[1], w.shape[0], w.shape[2:])(x),
     "asks you to do without"),
    ("conv2d by torch.convolution", "day2.conv2d",
     lambda x, w, b, s, p: torch.convolution(x, w, b, [s, s], [p, p], [1, 1], False, [0, 0], 1), "torch.convolution"),
    ("conv2d without the bias", "day2.conv2d", lambda x, w, b, s, p: conv2d(x, w, None, s, p),
     "the right values without the bias"),
    ("conv2d with a flipped kernel (a true convolution)", "day2.conv2d",
     lambda x, w, b, s, p: conv2d(x, w, b, s, p, flip=True), "with the kernel flipped"),
    ("conv2d that always adds the bias", "day2.conv2d",
     lambda x, w, b, s, p: conv2d(x, w, None, s, p) + b.reshape(1, -1, 1, 1), "bias may be None"),
    ("conv2d with output channels and positions mixed up", "day2.conv2d",
     lambda x, w, b, s, p: conv2d(x, w, b, s, p).permute(0, 2, 3, 1).reshape(-1).reshape(
         conv2d(x, w, b, s, p).shape), "output channels and positions are mixed up"),
    ("conv2d that makes its output in float32", "day2.conv2d",
     lambda x, w, b, s, p: conv2d(x, w, b, s, p).float(), "the dtype is torch.float32 but should be torch.float64"),
    ("max pool by F.max_pool2d", "day2.max_pool2d", lambda x, k, s=None, p=0: F.max_pool2d(x, k, s, p),
     "uses torch.nn.functional.max_pool2d"),
    ("max pool by nn.MaxPool2d", "day2.max_pool2d", lambda x, k, s=None, p=0: nn.MaxPool2d(k, s, p)(x),
     "asks you to do without"),
    ("max pool padded with zeros", "day2.max_pool2d", lambda x, k, s=None, p=0: max_pool2d(x, k, s, p, fill=0.0),
     "the zeros of your padding won the maximum"),
    ("max pool that starts its maximum at zero", "day2.max_pool2d",
     lambda x, k, s=None, p=0: max_pool2d(x, k, s, p).clamp(min=0), "negative maxima came out as 0"),
    ("max pool without overlapping windows", "day2.max_pool2d", lambda x, k, s=None, p=0: max_pool2d(x, k, k, p),
     "the windows overlap"),
    ("max pool without a default stride", "day2.max_pool2d", lambda x, k, s, p=0: max_pool2d(x, k, s, p),
     "stride=None means"),
    ("batch norm with its running statistics", "day2.parameters_per_layer",
     lambda layers: parameters_per_layer(layers, batchnorm_per_channel=4), "got 128, but PyTorch's layer has 64"),
    ("a bias per input channel", "day2.parameters_per_layer",
     lambda layers: parameters_per_layer(layers, bias_per="in"), "got 435, but PyTorch's layer has 448"),
    ("biases counted for a layer without them", "day2.parameters_per_layer",
     lambda layers: parameters_per_layer(layers, read_bias=False), "this layer has bias=False"),
    ("the total instead of a list", "day2.parameters_per_layer", lambda layers: sum(parameters_per_layer(layers)),
     "return a list with one number per layer"),
    ("counts by building the layers", "day2.parameters_per_layer",
     lambda layers: [sum(p.numel() for p in _module(spec).parameters()) for spec in layers], "uses torch.empty"),
    ("a pool after every convolution", "day2.vgg_block", lambda *a: vgg_block(*a, pool_each=True),
     "layer 3 is MaxPool2d(kernel_size=(2, 2), stride=(2, 2)), but should be Conv2d(32, 32"),
    ("every convolution from in_channels", "day2.vgg_block", lambda *a: vgg_block(*a, same_input=True),
     "layer 3 is Conv2d(16, 32"),
    ("convolutions without padding", "day2.vgg_block", lambda *a: vgg_block(*a, padding=0), "padding=(0, 0)"),
    ("ReLU before batch norm", "day2.vgg_block", lambda *a: vgg_block(*a, relu_first=True),
     "layer 2 is ReLU, but should be BatchNorm2d(12)"),
    ("convolutions without bias", "day2.vgg_block", lambda *a: vgg_block(*a, bias=False), "bias=False"),
    ("a list of layers", "day2.vgg_block", lambda *a: list(vgg_block(*a)), "return nn.Sequential"),
]


@pytest.mark.parametrize("what, id, answer, words", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_typical_mistakes_fail_with_feedback_that_points_at_them(what, id, answer, words, fails_naming):
    fails_naming(id, answer, words, what)


def test_a_vgg_block_with_the_right_layers_but_other_values_fails():
    class Doubled(nn.Sequential):
        def forward(self, x):
            return 2 * super().forward(x)

    result = run_check("day2.vgg_block", lambda *args: Doubled(*vgg_block(*args)))
    assert not result and "with fixed weights" in result.message and "values differ" in result.message


# ----------------------------------------------------------------------------- the CIFAR-10 design


@pytest.fixture
def cifar_in_fast_mode(real_data, monkeypatch):
    monkeypatch.setenv("COURSEKIT_DATA", str(real_data))
    monkeypatch.setenv("COURSEKIT_MODE", "fast")


def test_a_model_over_the_budget_is_told_so(cifar_in_fast_mode):
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 100), nn.ReLU(), nn.Linear(100, 10))
    assert sum(p.numel() for p in model.parameters()) > PARAMETER_BUDGET
    result = run_check("day2.cifar_model", model)
    assert not result and "over the budget of 300,000" in result.message


def test_a_model_with_the_wrong_output_is_told_so(cifar_in_fast_mode):
    result = run_check("day2.cifar_model", nn.Sequential(nn.Conv2d(3, 10, 3), nn.ReLU()))
    assert not result and "10 class scores" in result.message


def test_an_untrained_model_is_below_the_threshold(cifar_in_fast_mode):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10))
    result = run_check("day2.cifar_model", model)
    assert not result and "below the 20%" in result.message and "10,000 training images" in result.message


def test_the_threshold_depends_on_the_mode_and_in_full_mode_on_the_data(monkeypatch):
    thresholds = {}
    for mode in ("fast", "laptop", "full"):
        monkeypatch.setenv("COURSEKIT_MODE", mode)
        thresholds[mode] = cifar_threshold(50_000)
    assert thresholds["fast"] < thresholds["laptop"] < thresholds["full"]
    assert cifar_threshold(10_000) == thresholds["laptop"]  # full mode on the 10,000-image subset


# ----------------------------------------------------------------------------- the quiz, recomputed


def _question(words: str) -> quiz.Question:
    (question,) = [q for q in quiz.load("day2").questions if words in q.text]
    return question


def _answer(words: str) -> str:
    (answer,) = _question(words).answers
    return answer


def _output_size(size, kernel, **settings) -> int:
    return F.conv2d(torch.zeros(1, 1, size, size), torch.zeros(1, 1, kernel, kernel), **settings).shape[-1]


def _parameters(*layers) -> int:
    return sum(p.numel() for layer in layers for p in layer.parameters())


def _receptive_field(*layers) -> int:
    """Measured: the width of the input region that one output unit's gradient reaches."""
    x = torch.randn(1, 1, 40, 40, requires_grad=True)
    out = nn.Sequential(*layers)(x)
    out[0, 0, out.shape[2] // 2, out.shape[3] // 2].backward()
    columns = x.grad[0, 0].abs().sum(0).nonzero()
    return int(columns.max() - columns.min() + 1)


def _conv(c_in=1, c_out=1, k=3, **settings):
    layer = nn.Conv2d(c_in, c_out, k, **settings)
    with torch.no_grad():  # positive weights: no gradient cancels to an exact zero by chance
        layer.weight.uniform_(0.1, 1.0)
    return layer


def test_quiz_output_sizes():
    assert _answer("AlexNet's first layer") == f"{_output_size(224, 11, stride=4, padding=2)} x 55"
    assert _answer("dilation 2 and no padding") == f"{_output_size(16, 3, dilation=2)} x 12"


def test_quiz_parameter_counts():
    assert _answer("How many parameters does `nn.Conv2d(3, 64") == f"{_parameters(nn.Conv2d(3, 64, 3)):,}"
    with_bn = _parameters(nn.Conv2d(64, 128, 3, bias=False), nn.BatchNorm2d(128))
    assert _answer("followed by `nn.BatchNorm2d(128)`") == f"{with_bn:,}"
    dense = nn.Linear(3 * 32 * 32, 64 * 32 * 32, device="meta")
    assert _answer("A dense layer connects") == f"{dense.weight.numel():,}"
    assert nn.Conv2d(3, 64, 3, padding=1).weight.numel() == 1728  # the number the question compares with
    two_3x3 = _parameters(nn.Conv2d(64, 64, 3, bias=False), nn.Conv2d(64, 64, 3, bias=False))
    one_5x5 = _parameters(nn.Conv2d(64, 64, 5, bias=False))
    assert _answer("two stacked 3x3 convolutions") == f"{two_3x3:,} against {one_5x5:,}"


def test_quiz_receptive_fields_are_measured():
    three = _receptive_field(_conv(), nn.ReLU(), _conv(), nn.ReLU(), _conv())
    assert _answer("Three 3x3 convolutions") == f"{three} x {three}"
    # Average pooling has max pooling's windows; its gradient reaches every pixel of a window, not only the largest.
    pooled = _receptive_field(_conv(), nn.AvgPool2d(2), _conv())
    assert _answer("then 2x2 pooling with stride 2") == f"{pooled} x {pooled}"


def test_quiz_multiply_adds():
    layer, x = nn.Conv2d(64, 64, 3, padding=1, bias=False), torch.zeros(1, 64, 56, 56)
    with FlopCounterMode(display=False) as counter:
        layer(x)
    assert _answer("multiply-adds") == f"{counter.get_total_flops() // 2:,}"


def test_quiz_what_changes_the_output_size():
    base = dict(stride=1, padding=0, dilation=1)
    changed = {"The stride": dict(base, stride=2), "The padding": dict(base, padding=1),
               "The dilation": dict(base, dilation=2)}
    size = _output_size(12, 3, **base)
    right = {name for name, settings in changed.items() if _output_size(12, 3, **settings) != size}
    x = torch.zeros(1, 3, 12, 12)
    assert nn.Conv2d(3, 7, 3)(x).shape[-2:] == nn.Conv2d(3, 5, 3, bias=False)(x).shape[-2:]  # channels, bias: no
    assert set(_question("Which of these change the height and width").answers) == right


def test_quiz_batch_norm_cancels_a_convolutions_bias():
    torch.manual_seed(0)
    conv, norm, x = nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), torch.randn(8, 3, 10, 10)
    with_bias = norm(conv(x))
    with torch.no_grad():
        conv.bias.zero_()
    assert torch.allclose(with_bias, norm(conv(x)), atol=1e-5)
    assert "subtracts each channel's mean" in _answer("why is the convolution's bias not needed")
