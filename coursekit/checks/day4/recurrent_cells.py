"""Checks of solutions/day4/01_recurrent_cells.ipynb: an RNN cell and an LSTM cell written by hand.

The right answers come from ``nn.RNNCell`` and ``nn.LSTMCell`` loaded with the case's weights. The
usual wrong answers (a bias forgotten, the weights used untransposed, sigmoid where tanh belongs,
the gates read in another order, the cell state's tanh left out or put on the wrong thing) are
computed too, so the feedback names the mistake. PyTorch's fused cell functions, which the
``nn`` cells and layers call inside, are forbidden while the learner's function runs.
"""

from __future__ import annotations

import torch
from torch import nn

from ..cases import Case, exercise
from ..day0 import _random
from ..mistakes import has_nan, judged

RNN_BUILTINS = (torch.rnn_tanh_cell, torch.rnn_relu_cell, torch.rnn_tanh, torch.rnn_relu)
LSTM_BUILTINS = (torch.lstm_cell, torch.lstm, torch.gru_cell, torch.gru)
_TOLERANCE = {"atol": 1e-5, "rtol": 1e-4}


def _weights(features, hidden, gates, seed, dtype=torch.float32, scale=0.5):
    """(weight_ih [gates*H, F], weight_hh [gates*H, H], bias_ih, bias_hh), the layout of PyTorch's cells."""
    return (scale * _random(gates * hidden, features, seed=seed, dtype=dtype),
            scale * _random(gates * hidden, hidden, seed=seed + 1, dtype=dtype),
            scale * _random(gates * hidden, seed=seed + 2, dtype=dtype),
            scale * _random(gates * hidden, seed=seed + 3, dtype=dtype))


def _load(cell, weights):
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    cell.load_state_dict(dict(zip(names, weights)))
    return cell


def _given(what, x, h, weights):
    dtype = "" if x.dtype == torch.float32 else f", {str(x.dtype).removeprefix('torch.')}"
    return (f"{what}: x of shape {list(x.shape)}, h of shape {list(h.shape)}, weight_ih {list(weights[0].shape)}, "
            f"weight_hh {list(weights[1].shape)}, bias_ih and bias_hh {list(weights[2].shape)}{dtype}")


# ----------------------------------------------------------------------------- 1. the RNN cell


def _rnn_mistakes(x, h, w_ih, w_hh, b_ih, b_hh):
    """(what a usual mistake gives, what the mistake is)."""
    mistakes = [
        (torch.tanh(x @ w_ih.T + h @ w_hh.T + b_ih), "bias_hh is missing: the cell adds both biases, bias_ih and "
                                                    "bias_hh (PyTorch keeps two, one per matrix product)"),
        (torch.tanh(x @ w_ih.T + h @ w_hh.T + b_hh), "bias_ih is missing: the cell adds both biases"),
        (torch.sigmoid(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh), "that is a sigmoid; nn.RNNCell squashes with tanh "
                                                              "(its outputs lie in (-1, 1), not (0, 1))"),
        (torch.relu(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh), "that is a ReLU; nn.RNNCell squashes with tanh"),
        (x @ w_ih.T + b_ih + h @ w_hh.T + b_hh, "the pre-activation without the squashing: apply tanh"),
        (has_nan, "NaN or infinity: does your tanh compute exp of a large number? torch.tanh does not overflow"),
    ]
    if w_ih.shape[0] == w_ih.shape[1]:  # square weights: the untransposed product runs and gives other numbers
        mistakes.insert(0, (torch.tanh(x @ w_ih + b_ih + h @ w_hh + b_hh),
                            "the weights are used untransposed: weight_ih is [hidden, features], so a batch of "
                            "rows x [N, features] needs x @ weight_ih.T"))
    return mistakes


def _rnn_case(n, features, hidden, seed, what, hint="", dtype=torch.float32, x_scale=1.0, zero_state=False):
    x = x_scale * _random(n, features, seed=seed, dtype=dtype)
    h = torch.zeros(n, hidden, dtype=dtype) if zero_state else _random(n, hidden, seed=seed + 10, dtype=dtype)
    weights = _weights(features, hidden, 1, seed + 20, dtype)
    cell = _load(nn.RNNCell(features, hidden).to(dtype), weights)
    with torch.no_grad():
        expected = cell(x, h)
    tolerance = _TOLERANCE if dtype == torch.float32 else {}
    return Case(_given(what, x, h, weights), args=(x, h, *weights), hint=hint,
                test=judged(expected, _rnn_mistakes(x, h, *weights), **tolerance))


@exercise("day4.rnn_cell", expects="function", answer="rnn_cell",
          hint="Compute the new state for one row of the batch first, then the whole batch at once; compare with "
               "nn.RNNCell after copying your weights into it (load_state_dict).",
          forbids=RNN_BUILTINS,
          forbid_hint="Build it from matrix products, additions and torch.tanh; nn.RNNCell and nn.RNN are what the "
                      "check compares you with.")
def rnn_cell_cases():
    yield _rnn_case(4, 3, 5, seed=100, what="a batch of 4, 3 features, 5 hidden units",
                    hint="weight_ih is [hidden, features] and x is [N, features]: which product gives [N, hidden]?")
    yield _rnn_case(3, 4, 4, seed=110, what="as many features as hidden units (square weights)",
                    hint="With square weights a forgotten transpose still runs: weight_ih is [hidden, features].")
    yield _rnn_case(1, 6, 3, seed=120, what="a batch of one")
    yield _rnn_case(5, 3, 4, seed=130, zero_state=True, what="the zero state (the first step of a sequence)",
                    hint="With h = 0 the state's product vanishes, but its bias does not.")
    yield _rnn_case(4, 3, 5, seed=140, x_scale=200.0, what="large inputs that saturate tanh",
                    hint="tanh of a large number is 1; a tanh written with exp overflows first.")
    yield _rnn_case(3, 2, 6, seed=150, dtype=torch.float64, what="double precision",
                    hint="Tensors you create should have the input's dtype, so float64 stays float64.")


# ----------------------------------------------------------------------------- 2. the LSTM cell


def _lstm_by_hand(x, h, c, w_ih, w_hh, b_ih, b_hh, order="ifgo", candidate=torch.tanh, new_h="o*tanh(c')"):
    """The LSTM step, with ``order``, ``candidate`` and ``new_h`` able to make the usual mistakes."""
    gates = dict(zip(order, (x @ w_ih.T + b_ih + h @ w_hh.T + b_hh).chunk(4, dim=1)))
    i, f, o = torch.sigmoid(gates["i"]), torch.sigmoid(gates["f"]), torch.sigmoid(gates["o"])
    c_next = f * c + i * candidate(gates["g"])
    h_next = {"o*tanh(c')": o * torch.tanh(c_next), "o*c'": o * c_next, "o*tanh(c)": o * torch.tanh(c)}[new_h]
    return h_next, c_next


def _lstm_mistakes(x, h, c, *weights):
    args = (x, h, c, *weights)
    return [
        (_lstm_by_hand(*args, order="ifog"), "the gates are read in the wrong order: PyTorch stacks them as input, "
                                             "forget, candidate (g), output"),
        (_lstm_by_hand(*args, order="igfo"), "the gates are read in the wrong order: PyTorch stacks them as input, "
                                             "forget, candidate (g), output"),
        (_lstm_by_hand(*args, order="figo"), "the input and forget gates are swapped: the first block is the input "
                                             "gate, the second the forget gate"),
        (_lstm_by_hand(*args, new_h="o*c'"), "h' is missing a tanh: the output gate scales tanh of the new cell "
                                             "state, not the cell state itself"),
        (_lstm_by_hand(*args, new_h="o*tanh(c)"), "h' uses the tanh of the old cell state: compute c' first, then "
                                                  "h' from tanh(c')"),
        (_lstm_by_hand(*args, candidate=torch.sigmoid), "the candidate g is squashed with a sigmoid: it takes tanh, "
                                                        "so it can add and subtract"),
        (_lstm_by_hand(*args, candidate=lambda g: g), "the candidate g is used without its tanh"),
        (has_nan, "NaN or infinity: does your code compute exp of a large number? torch.sigmoid and torch.tanh "
                  "do not overflow"),
    ]


def _lstm_case(n, features, hidden, seed, what, hint="", dtype=torch.float32, x_scale=1.0, zero_state=False):
    x = x_scale * _random(n, features, seed=seed, dtype=dtype)
    if zero_state:
        h = c = torch.zeros(n, hidden, dtype=dtype)
    else:
        h, c = _random(n, hidden, seed=seed + 10, dtype=dtype), 2 * _random(n, hidden, seed=seed + 11, dtype=dtype)
    weights = _weights(features, hidden, 4, seed + 20, dtype)
    cell = _load(nn.LSTMCell(features, hidden).to(dtype), weights)
    with torch.no_grad():
        expected = cell(x, (h, c))
    tolerance = _TOLERANCE if dtype == torch.float32 else {}
    return Case(_given(what, x, h, weights).replace("h of shape", "state (h, c), each of shape"),
                args=(x, (h, c), *weights), hint=hint,
                test=judged(expected, _lstm_mistakes(x, h, c, *weights), **tolerance))


@exercise("day4.lstm_cell", expects="function", answer="lstm_cell",
          hint="One product of x and one of h give all four gates at once, [N, 4 * hidden]; split it into the "
               "four blocks in PyTorch's order, then update the cell state before the hidden state.",
          forbids=LSTM_BUILTINS,
          forbid_hint="Build it from matrix products, torch.sigmoid and torch.tanh; nn.LSTMCell and nn.LSTM are "
                      "what the check compares you with.")
def lstm_cell_cases():
    yield _lstm_case(4, 3, 5, seed=200, what="a batch of 4, 3 features, 5 hidden units",
                     hint="Return a tuple (h, c), like nn.LSTMCell.")
    yield _lstm_case(1, 2, 3, seed=210, what="a batch of one")
    yield _lstm_case(3, 4, 2, seed=220, zero_state=True, what="the zero state (the first step of a sequence)")
    yield _lstm_case(4, 3, 5, seed=230, x_scale=200.0, what="large inputs that saturate every gate",
                     hint="Gates near 0 or 1 and a candidate near -1 or 1 are fine; NaN or inf are not.")
    yield _lstm_case(3, 2, 6, seed=240, dtype=torch.float64, what="double precision",
                     hint="Tensors you create should have the input's dtype, so float64 stays float64.")
