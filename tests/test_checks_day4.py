"""Day 4 checks: right answers pass, typical mistakes fail with feedback that points at them, the
built-ins an exercise asks you to write are caught, and the forecaster design is scored on 1990."""

import math

import pytest
import torch
from torch import nn

from coursekit.checks import run_check
from coursekit.checks.day4 import INPUT_DAYS, PARAMETER_BUDGET, forecaster_margin, held_out_windows

# ----------------------------------------------------------------------------- reference answers


def rnn_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh, squash=torch.tanh, transpose=True):
    if not transpose:
        return squash(x @ weight_ih + bias_ih + h @ weight_hh + bias_hh)
    return squash(x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh)


def tanh_by_exp(a):
    return (a.exp() - (-a).exp()) / (a.exp() + (-a).exp())


def lstm_cell(x, state, weight_ih, weight_hh, bias_ih, bias_hh, order="ifgo", new_h="tanh", candidate=torch.tanh):
    h, c = state
    gates = dict(zip(order, (x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh).chunk(4, dim=1)))
    c_next = torch.sigmoid(gates["f"]) * c + torch.sigmoid(gates["i"]) * candidate(gates["g"])
    o = torch.sigmoid(gates["o"])
    h_next = {"tanh": o * torch.tanh(c_next), "none": o * c_next, "old": o * torch.tanh(c)}[new_h]
    return h_next, c_next


def lstm_cell_by_loop(x, state, weight_ih, weight_hh, bias_ih, bias_hh):
    """Gate by gate, with the weights sliced: the same cell written another way."""
    h, c = state
    hidden = h.shape[1]
    block = [x @ weight_ih[k * hidden:(k + 1) * hidden].T + bias_ih[k * hidden:(k + 1) * hidden]
             + h @ weight_hh[k * hidden:(k + 1) * hidden].T + bias_hh[k * hidden:(k + 1) * hidden] for k in range(4)]
    c_next = torch.sigmoid(block[1]) * c + torch.sigmoid(block[0]) * torch.tanh(block[2])
    return torch.sigmoid(block[3]) * torch.tanh(c_next), c_next


def sliding_windows(series, length, horizon=1, shift=0, drop_last=False, raise_error=True):
    count = len(series) - length - horizon + 1
    if count < 1 and raise_error:
        raise ValueError(f"the series of {len(series)} values is too short for one window")
    count = max(count - (1 if drop_last else 0), 0)
    inputs = torch.stack([series[i:i + length] for i in range(count)]) if count else series[:0].reshape(0, length)
    targets = series[length + horizon - 1 + shift:][:count] if shift >= 0 else series[length + horizon - 2:][:count]
    return inputs, targets


def sample_with_temperature(logits, temperature, generator=None, scale="divide", use_generator=True):
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    scaled = {"divide": logits / temperature, "multiply": logits * temperature, "ignore": logits}[scale]
    rows = torch.softmax(scaled, dim=-1).reshape(-1, logits.shape[-1])
    draws = torch.multinomial(rows, 1, generator=generator if use_generator else None)
    return draws.reshape(logits.shape[:-1])


def sample_by_inverse_cdf(logits, temperature, generator=None):
    """Another right answer: a uniform number against the cumulative probabilities, exp made safe by hand."""
    if temperature <= 0:
        raise ValueError("the temperature must be positive")
    scaled = logits / temperature
    weights = (scaled - scaled.amax(dim=-1, keepdim=True)).exp()
    cumulative = (weights / weights.sum(dim=-1, keepdim=True)).cumsum(dim=-1)
    u = torch.rand(cumulative.shape[:-1] + (1,), generator=generator, dtype=cumulative.dtype)
    return (cumulative < u).sum(dim=-1).clamp(max=logits.shape[-1] - 1)


def naive_sampling(logits, temperature, generator=None):
    if temperature <= 0:
        raise ValueError("the temperature must be positive")
    weights = (logits / temperature).exp()  # overflows for large logits
    rows = (weights / weights.sum(dim=-1, keepdim=True)).reshape(-1, logits.shape[-1])
    return torch.multinomial(rows, 1, generator=generator).reshape(logits.shape[:-1])


def mixture_nll(pi_logits, mu, log_sigma, target, constant=True, normalize=True, reduce="mean", variance=False):
    if variance:  # exp(log_sigma) taken as the variance
        log_sigma = log_sigma / 2
    z = (target[:, None] - mu) / log_sigma.exp()
    log_density = -0.5 * z**2 - log_sigma - (0.5 * math.log(2 * math.pi) if constant else 0.0)
    log_pi = torch.log_softmax(pi_logits, dim=-1) if normalize else pi_logits
    per_target = -torch.logsumexp(log_pi + log_density, dim=-1)
    return per_target.mean() if reduce == "mean" else per_target.sum()


def naive_mixture_nll(pi_logits, mu, log_sigma, target):
    sigma = log_sigma.exp()
    density = torch.exp(-0.5 * ((target[:, None] - mu) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
    return -torch.log((torch.softmax(pi_logits, dim=-1) * density).sum(dim=-1)).mean()


def mixture_by_distributions(pi_logits, mu, log_sigma, target):
    mixture = torch.distributions.MixtureSameFamily(torch.distributions.Categorical(logits=pi_logits),
                                                    torch.distributions.Normal(mu, log_sigma.exp()))
    return -mixture.log_prob(target).mean()


@pytest.mark.parametrize("id, answer", [
    ("day4.rnn_cell", rnn_cell),
    ("day4.lstm_cell", lstm_cell),
    ("day4.lstm_cell", lstm_cell_by_loop),
    ("day4.sliding_windows", sliding_windows),
    ("day4.sliding_windows", lambda s, length, horizon=1: (s.unfold(0, length, 1)[:len(s) - length - horizon + 1],
                                                           s[length + horizon - 1:]) if len(s) >= length + horizon
     else (_ for _ in ()).throw(ValueError("series too short for one window"))),
    ("day4.sample_with_temperature", sample_with_temperature),
    ("day4.sample_with_temperature", sample_by_inverse_cdf),
    ("day4.mixture_nll", mixture_nll),
])
def test_right_answers_pass(id, answer):
    result = run_check(id, answer)
    assert result.passed, result.message


# ----------------------------------------------------------------------------- typical mistakes


def _without(name):
    """An RNN cell that forgets one of its arguments."""
    def cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
        biases = {"bias_ih": bias_ih, "bias_hh": bias_hh}
        biases[name] = 0
        return torch.tanh(x @ weight_ih.T + biases["bias_ih"] + h @ weight_hh.T + biases["bias_hh"])
    return cell


MISTAKES = [
    # (what, id, answer, words the feedback must contain)
    ("RNN cell without bias_hh", "day4.rnn_cell", _without("bias_hh"), "bias_hh is missing"),
    ("RNN cell without bias_ih", "day4.rnn_cell", _without("bias_ih"), "bias_ih is missing"),
    ("RNN cell with sigmoid", "day4.rnn_cell", lambda *a: rnn_cell(*a, squash=torch.sigmoid), "that is a sigmoid"),
    ("RNN cell with untransposed weights", "day4.rnn_cell", lambda *a: rnn_cell(*a, transpose=False),
     "which product gives [N, hidden]"),
    ("RNN cell with untransposed weights, square", "day4.rnn_cell",
     lambda x, h, wi, wh, bi, bh: rnn_cell(x, h, wi, wh, bi, bh, transpose=wi.shape[0] != wi.shape[1]),
     "the weights are used untransposed"),
    ("RNN cell with tanh by exp", "day4.rnn_cell", lambda *a: rnn_cell(*a, squash=tanh_by_exp),
     "does your tanh compute exp"),
    ("RNN cell in float32", "day4.rnn_cell", lambda *a: rnn_cell(*(t.float() for t in a)),
     "the dtype is torch.float32 but should be torch.float64"),
    ("RNN cell by nn.RNNCell", "day4.rnn_cell",
     lambda x, h, wi, wh, bi, bh: torch.rnn_tanh_cell(x, h, wi, wh, bi, bh), "uses torch.rnn_tanh_cell"),
    ("RNN cell by nn.RNN", "day4.rnn_cell",
     lambda x, h, *w: nn.RNN(x.shape[1], h.shape[1]).to(x.dtype)(x[None], h[None])[0][0], "uses torch.rnn_tanh"),
    ("LSTM gates in the order i, f, o, g", "day4.lstm_cell", lambda *a: lstm_cell(*a, order="ifog"),
     "the gates are read in the wrong order"),
    ("LSTM gates with i and f swapped", "day4.lstm_cell", lambda *a: lstm_cell(*a, order="figo"),
     "the input and forget gates are swapped"),
    ("LSTM h' = o * c'", "day4.lstm_cell", lambda *a: lstm_cell(*a, new_h="none"), "h' is missing a tanh"),
    ("LSTM h' from the old cell state", "day4.lstm_cell", lambda *a: lstm_cell(*a, new_h="old"),
     "h' uses the tanh of the old cell state"),
    ("LSTM candidate with a sigmoid", "day4.lstm_cell", lambda *a: lstm_cell(*a, candidate=torch.sigmoid),
     "the candidate g is squashed with a sigmoid"),
    ("LSTM returning only h", "day4.lstm_cell", lambda *a: lstm_cell(*a)[0], "expected a tuple of 2 items"),
    ("LSTM by nn.LSTMCell", "day4.lstm_cell",
     lambda x, s, wi, wh, bi, bh: torch.lstm_cell(x, s, wi, wh, bi, bh), "uses torch.lstm_cell"),
    ("LSTM by nn.LSTM", "day4.lstm_cell",
     lambda x, s, *w: nn.LSTM(x.shape[1], s[0].shape[1]).to(x.dtype)(x[None]), "asks you to do without"),
    ("windows whose target is the last input", "day4.sliding_windows", lambda *a: sliding_windows(*a, shift=-1),
     "it is the last input itself"),
    ("windows whose target is one step late (so one window fewer)", "day4.sliding_windows",
     lambda *a: sliding_windows(*a, shift=1, drop_last=True), "one step too late"),
    ("windows without the last one", "day4.sliding_windows", lambda *a: sliding_windows(*a, drop_last=True),
     "the last window is missing"),
    ("windows that ignore the horizon", "day4.sliding_windows", lambda s, length, horizon=1: sliding_windows(s, length),
     "the horizon is ignored"),
    ("windows as float32", "day4.sliding_windows", lambda s, *a: sliding_windows(s.float(), *a),
     "the dtype is torch.float32 but should be torch.float64"),
    ("windows with [N, 1] targets (make_windows)", "day4.sliding_windows",
     lambda s, length, horizon=1: (lambda x, y: (x, y[:, None]))(*sliding_windows(s, length, horizon)),
     "the shape is (7, 1) but should be (7,)"),
    ("windows that return nothing when none fits", "day4.sliding_windows",
     lambda *a: sliding_windows(*a, raise_error=False), "expected a ValueError"),
    ("temperature multiplied", "day4.sample_with_temperature",
     lambda *a: sample_with_temperature(*a, scale="multiply"), "you multiplied the logits by the temperature"),
    ("temperature ignored", "day4.sample_with_temperature", lambda *a: sample_with_temperature(*a, scale="ignore"),
     "the temperature is ignored"),
    ("argmax instead of sampling", "day4.sample_with_temperature", lambda logits, t, g=None: logits.argmax(dim=-1),
     "that is argmax, not sampling"),
    ("sampling that ignores the generator", "day4.sample_with_temperature",
     lambda *a: sample_with_temperature(*a, use_generator=False), "pass the generator"),
    ("sampling with exp that overflows", "day4.sample_with_temperature", naive_sampling,
     "exp of them overflows unless the largest is subtracted first"),
    ("indices as floats", "day4.sample_with_temperature", lambda *a: sample_with_temperature(*a).float(),
     "return indices as int64"),
    ("a [1] index for one row", "day4.sample_with_temperature",
     lambda logits, t, g=None: sample_with_temperature(logits.reshape(-1, logits.shape[-1]), t, g).reshape(-1),
     "return indices of shape []"),
    ("no error for temperature 0", "day4.sample_with_temperature",
     lambda logits, t, g=None: sample_with_temperature(logits, max(t, 1e-3), g), "the temperature must be positive"),
    ("naive mixture NLL", "day4.mixture_nll", naive_mixture_nll, "combine them with torch.logsumexp"),
    ("mixture NLL without the constant", "day4.mixture_nll", lambda *a: mixture_nll(*a, constant=False),
     "the Gaussian density's constant is missing"),
    ("mixture NLL with unnormalized weights", "day4.mixture_nll", lambda *a: mixture_nll(*a, normalize=False),
     "the mixing weights are not normalized"),
    ("mixture NLL summed", "day4.mixture_nll", lambda *a: mixture_nll(*a, reduce="sum"), "return the mean"),
    ("mixture NLL with sigma as the variance", "day4.mixture_nll", lambda *a: mixture_nll(*a, variance=True),
     "taken as the variance"),
    ("mixture NLL by MixtureSameFamily", "day4.mixture_nll", mixture_by_distributions,
     "uses torch.distributions.MixtureSameFamily"),
]


@pytest.mark.parametrize("what, id, answer, words", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_typical_mistakes_fail_with_feedback_that_points_at_them(what, id, answer, words, fails_naming):
    fails_naming(id, answer, words, what)


def test_unattempted_answers_are_not_attempted():
    for id in ("day4.rnn_cell", "day4.lstm_cell", "day4.sliding_windows", "day4.sample_with_temperature",
               "day4.mixture_nll"):
        assert run_check(id, lambda *a: ...).status == "not attempted", id


# ----------------------------------------------------------------------------- the forecaster design


@pytest.fixture
def temperatures_in_fast_mode(real_data, monkeypatch):
    monkeypatch.setenv("COURSEKIT_DATA", str(real_data))
    monkeypatch.setenv("COURSEKIT_MODE", "fast")


class LastValue(nn.Module):
    """The naive forecast as a model: what the check compares with, so it cannot pass."""

    def __init__(self, device="cpu"):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1, device=device))

    def forward(self, windows):
        type(self).last_seen = str(windows.device)  # the check runs a copy: note it on the class
        return windows[:, -1] + self.weight


def _linear_autoregression():
    """nn.Linear(30, 1) fitted by least squares on the days before 1990: the lecture's linear AR as a model."""
    from coursekit.data import load_timeseries
    from coursekit.forecasting import LinearAutoregression, make_windows

    temperatures = load_timeseries("daily-min-temperatures")
    first_test_day = len(temperatures) - len(held_out_windows(temperatures)[1])
    ar = LinearAutoregression().fit(*make_windows(temperatures.values.float(), INPUT_DAYS, stop=first_test_day))
    layer = nn.Linear(INPUT_DAYS, 1)
    with torch.no_grad():
        layer.weight.copy_(ar.coef_.T)
        layer.bias.copy_(ar.intercept_)
    return layer


def test_a_linear_autoregression_passes_and_the_naive_forecast_does_not(temperatures_in_fast_mode, monkeypatch):
    result = run_check("day4.forecaster", _linear_autoregression())
    assert result, result.message
    monkeypatch.setenv("COURSEKIT_MODE", "laptop")
    assert run_check("day4.forecaster", _linear_autoregression())  # about 12% below naive: above the 11% asked
    result = run_check("day4.forecaster", LastValue())
    assert not result and "5% below the naive forecast's 2.582" not in result.message
    assert "11% below the naive forecast's 2.582 °C" in result.message


def test_the_design_model_gets_its_inputs_on_its_own_device(temperatures_in_fast_mode):
    for device in ("cpu", "meta"):
        LastValue.last_seen = None
        result = run_check("day4.forecaster", LastValue(device))
        assert not result and "check itself failed" not in result.message
        assert LastValue.last_seen == device
        if device == "cpu":
            assert "at most 2.453 °C, 5% below the naive forecast's 2.582 °C" in result.message


def test_a_model_over_the_budget_is_told_so(temperatures_in_fast_mode):
    model = nn.LSTM(1, 40)
    assert sum(p.numel() for p in model.parameters()) > PARAMETER_BUDGET
    result = run_check("day4.forecaster", model)
    assert not result and f"over the budget of {PARAMETER_BUDGET:,}" in result.message


def test_a_model_with_the_wrong_output_is_told_so(temperatures_in_fast_mode):
    result = run_check("day4.forecaster", nn.Linear(INPUT_DAYS, 7))
    assert not result and "should return 8 forecasts, shape [8] or [8, 1]" in result.message


def test_the_held_out_windows_are_1990_with_inputs_from_the_days_before(temperatures_in_fast_mode):
    from coursekit.data import load_timeseries

    temperatures = load_timeseries("daily-min-temperatures")
    inputs, targets = held_out_windows(temperatures)
    assert len(targets) == 365 and inputs.shape == (365, INPUT_DAYS)
    first = len(temperatures) - 365
    assert str(temperatures.dates[first])[:10] == "1990-01-01"
    assert torch.equal(inputs[0], temperatures.values[first - INPUT_DAYS:first].float())
    assert torch.equal(inputs[1:, -1], targets[:-1])  # each input ends the day before its target
    naive = (inputs[:, -1] - targets).pow(2).mean().sqrt().item()
    assert round(naive, 2) == 2.58  # the lecture's reference figure


def test_the_margin_depends_on_the_mode(monkeypatch):
    margins = {}
    for mode in ("fast", "laptop", "full"):
        monkeypatch.setenv("COURSEKIT_MODE", mode)
        margins[mode] = forecaster_margin()
    assert 0 < margins["fast"] < margins["laptop"] < margins["full"] < 0.136  # the lecture's LSTM: 13.6% below naive

