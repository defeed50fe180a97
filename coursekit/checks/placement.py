"""Where a check runs the learner's code: on the answer's own device, compared on the CPU.

A learner with a GPU trains on it, so the model handed to a check lives there; feeding it CPU
tensors would fail with a device error that is not the learner's mistake. So every check

- asks ``device_of(answer)`` where the answer lives (a model: where its parameters are; a
  function or a tensor: the CPU, where the check's inputs are made),
- moves the case's inputs there with ``to_device`` before calling the answer, and
- brings what comes back to the CPU with ``to_cpu``, where the expected values are.

A ``meta`` tensor has a shape but no values: it goes where it is sent, comes back as it is,
and the comparison then says that it holds no data.
"""

from __future__ import annotations

import torch

CPU = torch.device("cpu")


def device_of(answer) -> torch.device:
    """The device the answer computes on: its first parameter's (or buffer's) for a model, else the CPU."""
    if isinstance(answer, torch.nn.Module):
        for tensor in _parameters_and_buffers(answer):
            return tensor.device
    return CPU


def devices_of(model: torch.nn.Module) -> list[str]:
    """Every device the model's parameters and buffers are on, sorted ("cpu", "cuda:0", "meta")."""
    return sorted({str(tensor.device) for tensor in _parameters_and_buffers(model)})


def to_device(obj, device: torch.device):
    """``obj`` with every tensor inside (tuples, lists, dicts) moved to ``device``; the rest as it is."""
    if device == CPU:
        return obj
    if isinstance(obj, torch.Tensor):
        moved = obj.detach().to(device)
        return moved.requires_grad_(obj.requires_grad) if moved.is_floating_point() else moved
    if type(obj) in (tuple, list):
        return type(obj)(to_device(item, device) for item in obj)
    if type(obj) is dict:
        return {key: to_device(value, device) for key, value in obj.items()}
    return obj


def to_cpu(obj):
    """``obj`` with every tensor inside brought to the CPU (meta tensors stay: they have nothing to copy)."""
    if isinstance(obj, torch.Tensor):
        if obj.device.type in ("cpu", "meta"):
            return obj
        return obj.detach().cpu().requires_grad_(obj.requires_grad) if obj.is_floating_point() else obj.cpu()
    if type(obj) in (tuple, list):
        return type(obj)(to_cpu(item) for item in obj)
    if type(obj) is dict:
        return {key: to_cpu(value) for key, value in obj.items()}
    return obj


def _parameters_and_buffers(model: torch.nn.Module):
    yield from model.parameters()
    yield from model.buffers()
