"""Checks of solutions/day1/01_activations_and_losses.ipynb: sigmoid and its slope, leaky ReLU, softmax, losses.

Every expected value is computed by PyTorch itself (``torch.sigmoid``, ``F.softmax``,
``F.binary_cross_entropy``, ...), which the answers may not call. Beside ordinary inputs, each
check has the ones naive answers get wrong: infinities, huge logits, probabilities of exactly
0 or 1, square and 3-D batches, float16 and float64; a known mistake is named in the feedback.

Two decisions the notebook states: a binary cross-entropy must stay finite for p = 0 or 1, and
does it as PyTorch does, each log clamped at -100; ``mse`` refuses a prediction and a target of
different shapes (a ValueError) rather than broadcasting [N, 1] against [N] into [N, N].
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..cases import Case, exercise
from ..compare import describe
from ..day0 import _random
from ..forbid import AUTOGRAD, SIGMOID, SOFTMAX
from ..mistakes import has_nan, judged, matches

LEAKY_RELU = (F.leaky_relu, F.leaky_relu_, F.prelu, torch.prelu, F.rrelu, torch.rrelu)
MSE = (F.mse_loss,)
BCE = (F.binary_cross_entropy, F.binary_cross_entropy_with_logits, torch.binary_cross_entropy_with_logits)
CROSS_ENTROPY = (F.cross_entropy, F.nll_loss) + SOFTMAX
BY_HAND = ("Write it with tensor operations (torch.exp, torch.log, arithmetic): this exercise is about what the "
           "built-in does.")


def _keeps_dtype(x):
    """The known mistake of a result whose dtype is not the input's."""
    return (lambda got: isinstance(got, torch.Tensor) and got.dtype != x.dtype,
            f"the input is {x.dtype} but the result is not: a tensor made without dtype= is float32, and mixing "
            "it in changes the dtype. Compute from x itself (Python numbers keep x's dtype).")


# ----------------------------------------------------------------------------- activations


@exercise("day1.sigmoid", expects="function", answer="sigmoid", forbids=SIGMOID, forbid_hint=BY_HAND,
          hint="Write σ(x) entry by entry with torch.exp; then ask what your formula does when x is ±1000.")
def sigmoid_cases():
    extremes = torch.tensor([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    nan = (has_nan, "NaN or inf where |x| is large: e^x overflows to inf for large x, and inf / inf is NaN. "
                    "Arrange the formula so that a huge exponential can only end up alone in a denominator.")
    for x in (_random(6, seed=10), _random(3, 4, seed=11, dtype=torch.float64), extremes):
        yield Case(f"x = {describe(x)}", args=(x,), test=judged(torch.sigmoid(x), [nan, _keeps_dtype(x)]))
    x = (4 * _random(2, 3, 4, seed=12)).half()
    yield Case(f"a 3-D batch in float16, x = {describe(x)}", args=(x,),
               test=judged(torch.sigmoid(x), [_keeps_dtype(x)], atol=1e-3, rtol=1e-3))


def _autograd_slope(f, x):
    x = x.detach().requires_grad_()
    (slope,) = torch.autograd.grad(f(x).sum(), x)
    return slope


@exercise("day1.sigmoid_derivative", expects="function", answer="sigmoid_derivative",
          forbids=SIGMOID + AUTOGRAD, forbid_hint="Use your own sigmoid and the derivative you worked out; the "
          "check compares it with autograd, so autograd cannot be the answer.",
          hint="Differentiate (1 + e^(-x))^(-1) with the chain rule, then look for σ(x) and 1 - σ(x) in the result.")
def sigmoid_derivative_cases():
    for x in (torch.linspace(-6, 6, 13), _random(2, 5, seed=13, dtype=torch.float64)):
        yield Case(f"x = {describe(x)}", args=(x,), test=judged(_autograd_slope(torch.sigmoid, x)))
    x = torch.tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    yield Case(f"x = {describe(x)}", args=(x,), test=judged(_autograd_slope(torch.sigmoid, x), [
        (has_nan, "NaN where |x| is large: e^(-x) overflows to inf at x = -1000, and inf / inf is NaN. Written "
                  "with σ(x), whose values stay in [0, 1], the slope has nothing to overflow.")]))


@exercise("day1.leaky_relu", expects="function", answer="leaky_relu", forbids=LEAKY_RELU, forbid_hint=BY_HAND,
          hint="The definition picks one of two values for each entry by the sign of x: which PyTorch function "
               "chooses between two tensors entry by entry?")
def leaky_relu_cases():
    for x, slope in ((torch.linspace(-3, 3, 7), 0.01), (_random(4, 3, seed=14, dtype=torch.float64), 0.2),
                     (torch.tensor([-2.0, -0.0, 0.0, 3.0]), 0.0)):
        yield Case(f"x = {describe(x)}, slope = {slope}", args=(x, slope), expected=F.leaky_relu(x, slope))
    x, slope = torch.tensor([-float("inf"), -1.0, 0.0, 1.0, float("inf")]), 0.1
    yield Case(f"x = {describe(x)}, slope = {slope}", args=(x, slope), test=judged(F.leaky_relu(x, slope), [
        (has_nan, "NaN at an infinite x: multiplying by a 0/1 mask computes inf * 0 = NaN. Choose between the "
                  "two values instead of multiplying by masks.")]))
    x, slope = _random(6, seed=15), 1.5
    yield Case(f"x = {describe(x)}, slope = {slope} (PReLU learns its slope, and nothing keeps it below 1)",
               args=(x, slope), test=judged(F.leaky_relu(x, slope), [
                   (torch.maximum(x, slope * x), "max(x, slope * x) is the leaky ReLU only while slope <= 1; "
                                                 "follow the definition, which goes by the sign of x.")]))


def _softmax_mistakes(z):
    """What a softmax over the wrong dimension, or a max/sum without keepdim=True, gives."""
    wrong_dims = [(torch.softmax(z, dim=d), f"that is the softmax over dimension {d}; the classes are along the "
                   "last dimension, whatever the number of dimensions (dim=-1)") for d in range(z.dim() - 1)]
    if z.dim() == 2 and z.shape[0] == z.shape[1]:
        e = torch.exp(z - z.max(dim=-1).values)
        wrong_dims += [(e / e.sum(dim=-1, keepdim=True), "the row maxima (shape [4]) were subtracted along the "
                        "columns: without keepdim=True a per-row result lines up with the last dimension"),
                       (torch.exp(z) / torch.exp(z).sum(dim=-1), "each column was divided by a row's sum: without "
                        "keepdim=True the row sums (shape [4]) line up with the columns")]
    return wrong_dims


@exercise("day1.softmax", expects="function", answer="softmax", forbids=SOFTMAX + (torch.nn.functional.softmin,),
          forbid_hint=BY_HAND,
          hint="Mathematically, softmax(z) = softmax(z - c) for any constant c in a row: which c keeps every "
               "exponent from overflowing (and from all underflowing to 0)?")
def softmax_cases():
    for z in (_random(4, seed=16), _random(3, 5, seed=17, dtype=torch.float64)):
        yield Case(f"logits z = {describe(z)}", args=(z,), expected=torch.softmax(z, dim=-1))
    z = torch.tensor([[1000.0, 1001.0, 1002.0, 1000.0], [-1002.0, -1001.0, -1000.0, -1003.0], [-5.0, 0.0, 5.0, 1.0]])
    # float32 keeps about 7 digits of 1000, so z - 1000 carries an error near 1e-4: a looser relative tolerance
    yield Case(f"large logits z = {describe(z)}", args=(z,), test=judged(torch.softmax(z, dim=-1), [
        (has_nan, "NaN: e^1000 overflows to inf (inf / inf is NaN) and e^-1000 underflows to 0 (0 / 0 is NaN). "
                  "Shift each row before exponentiating.")], rtol=1e-4))
    for z in (_random(4, 4, seed=18), _random(2, 3, 4, seed=19)):
        yield Case(f"a {'square batch' if z.dim() == 2 else '3-D batch'}, z = {describe(z)}", args=(z,),
                   test=judged(torch.softmax(z, dim=-1), _softmax_mistakes(z)))


# ----------------------------------------------------------------------------- losses


def _outcome(answer, *args):
    """What calling the answer did, as plain data: ("returned", value) or ("raised", type, message)."""
    try:
        return ("returned", answer(*args))
    except Exception as error:  # the case is about whether it raises
        return ("raised", type(error).__name__, str(error))


def _refuses_shapes(broadcast):
    def test(outcome):
        if outcome[0] == "raised":
            if outcome[1] != "ValueError":
                return f"it raised {outcome[1]}; raise a ValueError, the error for a bad argument"
            return None if outcome[2].strip() else "the ValueError says nothing: name both shapes"
        value = outcome[1]
        if matches(value, broadcast):
            return (f"it returned {describe(value)}, the mean over a [5, 5] grid of every prediction against "
                    "every target (broadcasting). Shapes that differ are the caller's bug: raise a ValueError "
                    "that names both shapes, so the bug is found at once.")
        return f"it returned {describe(value)}; a prediction and a target of different shapes should raise a ValueError"
    return test


def _gradient_through(answer, prediction, target):
    """The gradient of the answer's loss with respect to the prediction, or why there is none."""
    prediction = prediction.detach().requires_grad_()
    loss = answer(prediction, target)
    if not isinstance(loss, torch.Tensor) or loss.grad_fn is None:
        return "no gradient: the loss is not a tensor computed from the prediction"
    loss.backward()
    return prediction.grad


@exercise("day1.mse", expects="function", answer="mse", forbids=MSE, forbid_hint=BY_HAND,
          hint="Average over every entry, whatever the shape; and compare the two shapes before anything else.")
def mse_cases():
    for seed, shape, dtype in ((20, (8,), torch.float32), (21, (4, 3), torch.float32), (22, (2, 3, 2), torch.float64)):
        prediction, target = _random(*shape, seed=seed, dtype=dtype), _random(*shape, seed=seed + 100, dtype=dtype)
        m = prediction.numel()
        yield Case(f"prediction = {describe(prediction)}, target = {describe(target)}", args=(prediction, target),
                   test=judged(F.mse_loss(prediction, target), [
                       (F.mse_loss(prediction, target) * m / len(prediction),
                        f"that divides by the {len(prediction)} rows; the mean is over all {m} entries")]))
    prediction, target = _random(6, seed=23), _random(6, seed=24)
    yield Case("loss = mse(prediction, target), then loss.backward(): the gradient reaching the prediction",
               args=(prediction, target), use=_gradient_through,
               test=judged(2 * (prediction - target) / 6, [
                   (lambda got: isinstance(got, str), "the loss must stay a tensor computed from the prediction "
                                                      "(no .item(), no NumPy), or no gradient can flow back")]))
    prediction, target = _random(5, 1, seed=25), _random(5, seed=26)
    yield Case(f"prediction of shape [5, 1] = {describe(prediction)}, target of shape [5] = {describe(target)}",
               args=(prediction, target), use=_outcome, test=_refuses_shapes(((prediction - target) ** 2).mean()))


def _bce_mistakes(p, y):
    return [(has_nan, "NaN or inf where p is exactly 0 or 1: log(0) = -inf, and 0 * (-inf) is NaN even where that "
                      "term should vanish. Clamp each log at -100 first, as PyTorch does."),
            (lambda got: isinstance(got, torch.Tensor) and got.shape != (), "the loss should be one number (shape "
                                                                             "()), the mean over every entry")]


@exercise("day1.binary_cross_entropy", expects="function", answer="binary_cross_entropy", forbids=BCE,
          forbid_hint=BY_HAND,
          hint="One term per entry, chosen by its label, then the mean over all entries. Then try p = 0 and p = 1: "
               "what is log(0), and what is 0 times that?")
def binary_cross_entropy_cases():
    p, y = torch.tensor([0.9, 0.2, 0.6, 0.5]), torch.tensor([1.0, 0.0, 0.0, 1.0])
    yield Case(f"probabilities p = {describe(p)}, labels y = {describe(y)}", args=(p, y),
               expected=F.binary_cross_entropy(p, y))
    p = torch.sigmoid(_random(10, seed=27, dtype=torch.float64))
    y = (_random(10, seed=28, dtype=torch.float64) > 0).double()
    yield Case(f"p = {describe(p)}, y = {describe(y)}", args=(p, y), expected=F.binary_cross_entropy(p, y))
    p = torch.sigmoid(torch.tensor([-200.0, -20.0, 20.0, 200.0, 0.0, 20.0]))  # float32 rounds most of them to 0 or 1
    y = torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0, 0.0])
    yield Case(f"p from a sigmoid of large logits, exactly 0 or 1 in float32: p = {describe(p)}, y = {describe(y)}",
               args=(p, y), test=judged(F.binary_cross_entropy(p, y), _bce_mistakes(p, y)),
               hint="A certain right answer costs 0 and a certain wrong one 100 (log clamped at -100, PyTorch's "
                    "rule); clamping p itself to [eps, 1 - eps] gives other values.")
    p, y = torch.sigmoid(_random(6, 1, seed=29)), (_random(6, 1, seed=30) > 0).float()
    yield Case(f"a batch of shape [6, 1]: p = {describe(p)}, y = {describe(y)}", args=(p, y),
               test=judged(F.binary_cross_entropy(p, y), _bce_mistakes(p, y)))


@exercise("day1.cross_entropy", expects="function", answer="cross_entropy", forbids=CROSS_ENTROPY,
          forbid_hint="Build it from torch.logsumexp and indexing: this exercise is about what cross-entropy computes.",
          hint="Write -log softmax(z)_c with the definition of softmax and simplify the log of the quotient; "
               "one of the two terms is a log-sum-exp.")
def cross_entropy_cases():
    def mistakes(z, labels):
        n = len(labels)
        known = [(has_nan, "inf or NaN: the softmax of large logits rounds the true class's probability to 0, and "
                          "log(0) = -inf. Never form the probabilities: simplify log(softmax) first."),
                (F.cross_entropy(z, labels, reduction="sum"), f"that is the sum over the {n} samples; the loss is "
                                                              "their mean")]
        return known if n > 1 else known[:1]

    z, labels = _random(5, 4, seed=31), torch.tensor([0, 3, 1, 1, 2])
    large = torch.tensor([[500.0, 0.0, -500.0], [0.0, 800.0, 0.0]]), torch.tensor([0, 2])
    single = _random(1, 3, seed=32), torch.tensor([2])
    square = _random(3, 3, seed=33, dtype=torch.float64), torch.tensor([1, 1, 0])
    for words, (z, labels) in (("logits", (z, labels)), ("large logits", large), ("a batch of one: logits", single),
                               ("float64 logits", square)):
        yield Case(f"{words} = {describe(z)}, labels = {describe(labels)}", args=(z, labels),
                   test=judged(F.cross_entropy(z, labels), mistakes(z, labels)))
