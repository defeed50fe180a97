"""Checks run the learner's model on its own device and compare on the CPU.

No GPU here: the ``meta`` device stands in for "another device" (the CPU build has it). A model
that records where its inputs arrive shows that the check sends them to the model's device.
"""

from __future__ import annotations

import torch
from torch import nn

from coursekit.checks import run_check
from coursekit.checks.cases import Case


class RecordsInputDevice(nn.Module):
    """A model whose parameters are on ``device`` and which notes the device of every input it gets."""

    def __init__(self, device):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(4, 3, device=device))

    def forward(self, x):
        type(self).last_seen = str(x.device)  # the check runs a copy: note it on the class
        return torch.zeros(x.shape[0], 3)  # real values, whatever the device, so the shape case can pass


def _shape_is(shape):
    return lambda out: None if tuple(out.shape) == shape else f"shape {tuple(out.shape)}, expected {shape}"


def test_a_model_gets_its_inputs_on_its_own_device(temporary_exercises):
    @temporary_exercises("test.device_model", expects="module", hint="")
    def device_model_cases():
        yield Case("a batch of 5", args=(torch.randn(5, 4),), test=_shape_is((5, 3)))

    for device in ("cpu", "meta"):
        RecordsInputDevice.last_seen = None
        result = run_check("test.device_model", RecordsInputDevice(device))
        assert result, result.message
        assert RecordsInputDevice.last_seen == device  # on today's main: always "cpu"


def test_inputs_inside_tuples_lists_and_dicts_move_and_keep_their_flags():
    from coursekit.checks.placement import to_device

    x = torch.randn(3, requires_grad=True)
    moved = to_device((x, [torch.arange(3)], {"y": torch.ones(2)}, 7, "text"), torch.device("meta"))
    assert moved[0].device.type == "meta" and moved[0].requires_grad and moved[0].is_leaf
    assert moved[1][0].device.type == "meta" and moved[1][0].dtype == torch.int64
    assert moved[2]["y"].device.type == "meta" and moved[3:] == (7, "text")
    assert to_device(x, torch.device("cpu")) is x  # nothing to move, nothing copied


def test_results_come_back_to_the_cpu_but_meta_stays_meta():
    from coursekit.checks.placement import to_cpu

    back = to_cpu((torch.ones(2), [torch.empty(2, device="meta")]))
    assert back[0].device.type == "cpu" and back[1][0].device.type == "meta"


def test_device_of_a_model_a_function_and_a_model_without_parameters():
    from coursekit.checks.placement import device_of, devices_of

    assert device_of(nn.Linear(2, 2).to("meta")).type == "meta"
    assert device_of(nn.ReLU()).type == "cpu"
    assert device_of(torch.sigmoid).type == "cpu"
    mixed = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2).to("meta"))
    assert devices_of(mixed) == ["cpu", "meta"]


def test_a_model_on_meta_gets_clear_feedback_not_a_crash():
    result = run_check("day0.model", nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)).to("meta"))
    assert not result and "check itself failed" not in result.message
    assert "meta" in result.message and "no values" in result.message


def test_a_meta_model_in_a_value_comparison_says_it_holds_no_data(temporary_exercises):
    @temporary_exercises("test.values", expects="module", hint="")
    def values_cases():
        x = torch.randn(2, 4)
        yield Case("x", args=(x,), expected=torch.zeros(2, 3))

    result = run_check("test.values", nn.Linear(4, 3).to("meta"))
    assert not result and "check itself failed" not in result.message
    assert "has a shape but no values" in result.message
