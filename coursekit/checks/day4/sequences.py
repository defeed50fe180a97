"""Checks of solutions/day4/02_sequences.ipynb: windows of a series, sampling with temperature, a mixture NLL.

- ``day4.sliding_windows``: the expected windows come from indexing written out here; the usual
  wrong ones (a target one step early, which is the last input itself, or one step late, the last
  window missing, a horizon ignored) are made too, so the feedback names them.
- ``day4.sample_with_temperature``: sampling is random, so the check draws many samples with a
  seeded generator and compares how often each index comes up with softmax(logits / T), within
  a tolerance of several standard errors; it also asks for argmax at a tiny temperature, finite
  work on huge logits, the generator actually used, and a ValueError for T <= 0.
- ``day4.mixture_nll``: the reference is computed here in float64 with logsumexp (not with
  coursekit.mdn); extreme cases make the naive log(sum(pi * N)) underflow to log(0) or overflow.
  ``torch.distributions.MixtureSameFamily``, the mixture ready-made, is refused while it runs.
"""

from __future__ import annotations

import math

import torch

from ..cases import Case, exercise, input_seed
from ..compare import compare, describe
from ..day0 import _random
from ..mistakes import has_nan, is_value_error, judged, matches, raises_value_error
from ..refuse import refusing

# ----------------------------------------------------------------------------- 1. windows


def _windows(series, length, horizon, target_shift=0, drop_last=False, inputs_shift=0):
    """Inputs [N, length] and targets [N]; the keywords make the usual mistakes on purpose."""
    n = len(series) - length - horizon + 1 - (1 if drop_last else 0)
    starts = torch.arange(n)
    inputs = series[(starts[:, None] + torch.arange(length) + inputs_shift).clamp(0, len(series) - 1)]
    targets = series[(starts + length + horizon - 1 + target_shift).clamp(0, len(series) - 1)]
    return inputs, targets


def _window_mistakes(series, length, horizon):
    mistakes = [
        (_windows(series, length, horizon, target_shift=-1),
         "each target is one step too early" + (": it is the last input itself, so the model would see the answer "
                                                 "(leakage)" if horizon == 1 else "")),
        (_windows(series, length, horizon, target_shift=+1), "each target is one step too late: with horizon=1 the "
                                                             "target is the value right after the last input"),
        (_windows(series, length, horizon, target_shift=+1, drop_last=True), "each target is one step too late: with "
                                                                             "horizon=1 the target is the value right "
                                                                             "after the last input"),
        (_windows(series, length, horizon, drop_last=True), "the last window is missing: the last target may be the "
                                                             "series' last value"),
        (_windows(series, length, 1), "the horizon is ignored: the target lies horizon steps after the last input"),
    ]
    if len(series) - length - horizon >= 1:
        mistakes.append(((lambda got: isinstance(got, tuple) and len(got) == 2 and isinstance(got[0], torch.Tensor)
                          and len(got[0]) == len(series) - length - horizon),
                         "one window too few: count the windows on paper for a short series"))
    return mistakes


def _windows_case(series, length, horizon, what, hint=""):
    expected = _windows(series, length, horizon)
    given = f"{what}: series = {describe(series)}, length={length}, horizon={horizon}"
    return Case(given, args=(series, length, horizon), hint=hint,
                test=judged(expected, _window_mistakes(series, length, horizon)))


@exercise("day4.sliding_windows", expects="function", answer="sliding_windows",
          hint="Work out the first window and the last one on paper for a series 0, 1, ..., 9, length 3, horizon 1: "
               "which indices does each use, and how many windows are there?")
def sliding_windows_cases():
    yield _windows_case(torch.arange(10.0), 3, 1, "the series 0..9, one step ahead",
                        hint="The target of the first window is series[3]: the value right after its inputs.")
    yield _windows_case(torch.arange(12.0), 4, 3, "three steps ahead",
                        hint="With horizon 3 the target is three steps after the last input, so 2 values are skipped.")
    yield _windows_case(torch.arange(5.0) * 10, 3, 2, "exactly one window fits",
                        hint="length + horizon values make exactly one window.")
    yield _windows_case(torch.arange(6.0), 1, 1, "windows of one value")
    yield _windows_case(_random(40, seed=300 + input_seed(), dtype=torch.float64), 7, 2, "a random float64 series",
                        hint="Index the series itself, so the windows keep its dtype.")
    yield Case("a series of 4 values, length=3, horizon=2: no window fits", args=(torch.arange(4.0), 3, 2),
               use=raises_value_error, test=is_value_error("the series is too short for one window"),
               hint="When no window fits, raise ValueError with a message that says so (an empty result hides the "
                    "problem).")


# ----------------------------------------------------------------------------- 2. sampling with temperature


DRAWS = 40_000


def _draw(answer, logits, temperature, seed):
    return answer(logits, temperature, torch.Generator().manual_seed(seed))


def _frequencies(got, size):
    return torch.bincount(got.reshape(-1), minlength=size).double() / got.numel()


def _is_index_tensor(got, shape, size):
    if not isinstance(got, torch.Tensor):
        return f"return a tensor of indices, got {describe(got)}"
    if got.dtype != torch.int64:
        return f"return indices as int64 (torch.long), like torch.multinomial and argmax; got {got.dtype}"
    if tuple(got.shape) != shape:
        return (f"for logits of shape {list(shape) + [size]} return indices of shape {list(shape)}, "
                f"got {list(got.shape)}")
    if got.numel() and (got.min() < 0 or got.max() >= size):
        return f"indices must lie in 0..{size - 1}, got one at {int(got.max() if got.max() >= size else got.min())}"
    return None


def _follows(logits, temperature, draws):
    """A test: the frequencies of the draws match softmax(logits / T), with named wrong distributions."""
    size = logits.shape[-1]
    expected = torch.softmax(logits.double() / temperature, dim=-1)
    tolerance = 5 * math.sqrt(0.25 / draws) + 1e-3  # five standard errors of a frequency, at worst
    wrong = [(torch.softmax(logits.double() * temperature, dim=-1), "you multiplied the logits by the temperature; "
                                                                    "divide them by it"),
             (torch.softmax(logits.double(), dim=-1), "the temperature is ignored: this is softmax(logits)"),
             (torch.full((size,), 1.0 / size, dtype=torch.float64), "the draws are uniform: the logits are ignored")]

    def test(got):
        problem = _is_index_tensor(got, (draws,), size)
        if problem:
            return problem
        frequencies = _frequencies(got, size)
        if (frequencies - expected).abs().max() <= tolerance:
            return None
        for distribution, why in wrong:
            if (frequencies - distribution).abs().max() <= tolerance:
                return why
        if frequencies.max() == 1.0:
            return "every draw gave the same index: that is argmax, not sampling"
        return (f"over {draws:,} draws the indices came up with frequencies {describe(frequencies.float())}, "
                f"but softmax(logits / T) is {describe(expected.float())} (tolerance {tolerance:.3f})")
    return test


def _argmax_everywhere(expected):
    def test(got):
        problem = _is_index_tensor(got, tuple(expected.shape), 10**9)
        return problem or compare(got, expected)
    return test


def _same_draws_twice(answer, logits, temperature, seed):
    first, second = _draw(answer, logits, temperature, seed), _draw(answer, logits, temperature, seed)
    return first, second


def _reproducible(got):
    first, second = got
    if isinstance(first, torch.Tensor) and isinstance(second, torch.Tensor) and torch.equal(first, second):
        return None
    return ("two calls with generators seeded alike gave different draws: pass the generator to the sampling "
            "function (generator=generator)")


@exercise("day4.sample_with_temperature", expects="function", answer="sample_with_temperature", time_limit=10.0,
          hint="Turn the logits into probabilities that depend on the temperature, then draw one index per row "
               "with the generator you are given; check the frequencies over many draws yourself.")
def sample_with_temperature_cases():
    logits = torch.tensor([2.0, 1.0, 0.0, -1.0, 0.5])
    seed = 7 + input_seed()
    settings = ((1.0, "temperature 1"), (0.5, "temperature 0.5: sharper"), (2.0, "temperature 2: flatter"))
    for temperature, what in settings:
        yield Case(f"{what}: logits = {describe(logits)} repeated in {DRAWS:,} rows [N, V]",
                   args=(logits.expand(DRAWS, -1).clone(), temperature, seed), use=_draw,
                   test=_follows(logits, temperature, DRAWS),
                   hint="Over many draws, index k should come up about as often as softmax(logits / T)[k] says.")
    yield Case(f"one row of logits [V] = {describe(logits)}, temperature 1", args=(logits, 1.0, seed), use=_draw,
               test=lambda got: _is_index_tensor(got, (), 5),
               hint="For logits [V] return one index, a tensor of shape [] (index a [1] result with [0]).")
    rows = _random(6, 20, seed=500) * 3
    yield Case("temperature 1e-4: practically no randomness left", args=(rows, 1e-4, seed), use=_draw,
               test=_argmax_everywhere(rows.argmax(dim=-1)),
               hint="As T goes to 0, the largest logit takes all the probability: sampling becomes argmax. Logits "
                    "divided by a tiny T are huge: exp of them overflows unless the largest is subtracted first.")
    huge = torch.tensor([1000.0, 999.0, -1000.0, 998.0])
    yield Case(f"huge logits {describe(huge)} repeated in {DRAWS:,} rows, temperature 0.5",
               args=(huge.expand(DRAWS, -1).clone(), 0.5, seed), use=_draw, test=_follows(huge, 0.5, DRAWS),
               hint="exp(2000) overflows to inf. Subtracting the largest logit of each row first changes nothing "
                    "in softmax, and keeps every exp at most 1.")
    yield Case("the same logits, twice, each time with a generator seeded with the same number",
               args=(logits.expand(100, -1).clone(), 1.0, seed), use=_same_draws_twice, test=_reproducible)
    for temperature in (0.0, -1.0):
        yield Case(f"temperature {temperature}", args=(logits, temperature, seed), use=_draw_or_error,
                   test=is_value_error("the temperature must be positive"),
                   hint="Dividing by 0 or by a negative number gives inf or reversed preferences without a word: "
                        "raise ValueError with a message instead.")


def _draw_or_error(answer, logits, temperature, seed):
    return raises_value_error(_draw, answer, logits, temperature, seed)


# ----------------------------------------------------------------------------- 3. a mixture NLL


def mixture_nll_reference(pi_logits, mu, log_sigma, target, *, log_weights=None, normalizer=True, sigma=None):
    """Mean over the batch of -log sum_k pi_k N(target | mu_k, sigma_k^2), in float64 by logsumexp.

    ``log_weights``, ``normalizer`` and ``sigma`` make the usual mistakes on purpose.
    """
    pi_logits, mu, log_sigma, target = (t.double() for t in (pi_logits, mu, log_sigma, target))
    log_pi = torch.log_softmax(pi_logits, dim=-1) if log_weights is None else log_weights(pi_logits)
    if sigma is not None:
        log_sigma = sigma(log_sigma)
    z = (target[:, None] - mu) / log_sigma.exp()
    log_normal = -0.5 * z**2 - log_sigma - (0.5 * math.log(2 * math.pi) if normalizer else 0.0)
    return -torch.logsumexp(log_pi + log_normal, dim=-1).mean()


def _nll_mistakes(pi_logits, mu, log_sigma, target, dtype):
    args = (pi_logits, mu, log_sigma, target)

    def as_dtype(value):
        return value.to(dtype)
    sums = len(target) * mixture_nll_reference(*args)
    return [
        (as_dtype(mixture_nll_reference(*args, normalizer=False)), "off by 0.919 = log(sqrt(2 pi)) per target: the "
                                                                   "Gaussian density's constant is missing"),
        (as_dtype(mixture_nll_reference(*args, log_weights=lambda p: p)), "the mixing weights are not normalized: "
                                                                          "turn the logits into probabilities that "
                                                                          "add up to 1"),
        (as_dtype(mixture_nll_reference(*args, sigma=lambda s: s / 2)), "exp(log_sigma) was taken as the variance: "
                                                                        "it is the standard deviation sigma"),
        (as_dtype(sums), "that is the sum over the batch; return the mean"),
        (lambda got: isinstance(got, torch.Tensor) and got.is_floating_point() and got.numel() == 1
         and bool(got.isinf().all()), "inf: a density underflowed to 0 (or overflowed) before the log. Work with "
                                      "log-densities and combine them with torch.logsumexp"),
        (has_nan, "NaN: an exp overflowed (inf - inf or inf / inf). Work with log-densities and torch.logsumexp"),
    ]


def _nll_case(n, k, seed, what, hint="", dtype=torch.float32, mu_scale=1.0, log_sigma_shift=0.0, pi_scale=1.0,
              target=None):
    pi_logits = pi_scale * _random(n, k, seed=seed, dtype=dtype)
    mu = mu_scale * _random(n, k, seed=seed + 1, dtype=dtype)
    log_sigma = 0.3 * _random(n, k, seed=seed + 2, dtype=dtype) + log_sigma_shift
    target = _random(n, seed=seed + 3, dtype=dtype) if target is None else target.to(dtype)
    expected = mixture_nll_reference(pi_logits, mu, log_sigma, target).to(dtype)
    tolerance = {"atol": 1e-4, "rtol": 1e-4} if dtype == torch.float32 else {"atol": 1e-9, "rtol": 1e-9}
    given = (f"{what}: pi_logits, mu, log_sigma of shape {[n, k]}, target of shape {[n]}"
             f"{'' if dtype == torch.float32 else ', ' + str(dtype).removeprefix('torch.')}")
    return Case(given, args=(pi_logits, mu, log_sigma, target), use=_without_mixture, hint=hint,
                test=judged(expected, _nll_mistakes(pi_logits, mu, log_sigma, target, dtype), **tolerance))


def _without_mixture(answer, *args):
    from torch.distributions import MixtureSameFamily

    with refusing(MixtureSameFamily, "__init__", "torch.distributions.MixtureSameFamily"):
        return answer(*args)


@exercise("day4.mixture_nll", expects="function", answer="mixture_nll",
          hint="Write the log of each component's weighted density first, [N, K], without ever taking exp of it; "
               "then combine the K components of each row in a way that stays finite.")
def mixture_nll_cases():
    yield _nll_case(8, 3, seed=600, what="8 targets, 3 components",
                    hint="Return one number: the mean over the batch of each target's negative log-likelihood.")
    yield _nll_case(5, 1, seed=610, what="one component: a single Gaussian",
                    hint="With K = 1 this is the Gaussian negative log-likelihood, constant included.")
    yield _nll_case(1, 4, seed=620, what="a batch of one")
    yield _nll_case(6, 3, seed=630, what="targets 40 standard deviations away from every mean",
                    target=torch.full((6,), 40.0), hint="exp(-800) is 0 in floating point, and log(0) = -inf: "
                                                        "keep everything as a logarithm.")
    yield _nll_case(6, 3, seed=640, log_sigma_shift=-20.0, mu_scale=1e-6, target=torch.zeros(6),
                    what="very narrow components (sigma about 2e-9) and targets about 1e-6 from their means",
                    hint="Each target is hundreds of sigmas from every mean: its densities underflow to 0, their "
                         "logarithms do not.")
    yield _nll_case(6, 3, seed=650, pi_scale=1000.0, what="mixing logits in the thousands",
                    hint="exp(1000) overflows: log_softmax turns logits into log-weights without it.")
    yield _nll_case(7, 5, seed=660, dtype=torch.float64, mu_scale=3.0, what="double precision",
                    hint="Keep the input's dtype: tensors you create should have dtype=mu.dtype.")
