"""Compare what the learner's code returned with what was expected, and say what differs in words.

``compare(got, expected)`` returns ``None`` when the two agree and otherwise one sentence
("the shape is (3,) but should be (2, 3)"). It looks at tensors in the order a learner
would debug them: type, device, shape, dtype, NaNs, then the values within a tolerance.
``describe(obj)`` writes any value on one short line for the feedback.
"""

from __future__ import annotations

import math
import re

import numpy as np
import torch

ATOL = 1e-6
RTOL = 1e-5
WIDTH = 100  # characters a value may take in the feedback


def type_name(obj) -> str:
    """'a tensor', 'a function', 'None', 'an int': how the feedback names the type of ``obj``."""
    if obj is None or obj is Ellipsis:
        return repr(obj)
    if isinstance(obj, type):
        return f"the class {obj.__name__} itself (not an object made from it)"
    if isinstance(obj, torch.Tensor):
        return "a tensor"
    if isinstance(obj, torch.nn.Module):
        return f"a model ({type(obj).__name__})"
    if callable(obj) and hasattr(obj, "__code__"):
        return "a function"
    name = type(obj).__name__
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def describe(obj) -> str:
    """One line for the feedback: the values (shortened) and, for a tensor, its shape, dtype and device."""
    if isinstance(obj, torch.Tensor):
        where = "" if obj.device.type == "cpu" else f", on {obj.device}"
        kind = f"shape {tuple(obj.shape)}, {str(obj.dtype).removeprefix('torch.')}{where}"
        if obj.device.type == "meta":
            return f"a tensor without data ({kind})"
        values = obj.detach().cpu()
        if values.dtype in (torch.bfloat16, torch.float16):
            values = values.float()
        text = np.array2string(values.numpy(), precision=4, threshold=12, edgeitems=2, separator=", ")
        return f"{_shorten(text)}  ({kind})"
    if isinstance(obj, (tuple, list)) and any(isinstance(item, torch.Tensor) for item in obj):
        inside = ", ".join(describe(item) for item in obj)
        return _shorten(f"{type(obj).__name__} of {len(obj)}: {inside}")
    if isinstance(obj, torch.nn.Module):
        return _shorten(" ".join(repr(obj).split()))
    return _shorten(repr(obj))


def _shorten(text: str) -> str:
    text = re.sub(r"\s+", " ", text).replace(" ,", ",").replace("[ ", "[").replace(" ]", "]")
    return text if len(text) <= WIDTH else text[: WIDTH - 3] + "..."


def compare(got, expected, atol: float = ATOL, rtol: float = RTOL) -> str | None:
    """``None`` when ``got`` matches ``expected`` (within the tolerance), else what is wrong, in words."""
    if isinstance(expected, torch.Tensor):
        return _compare_tensors(got, expected, atol, rtol)
    if isinstance(expected, bool) or expected is None:
        return None if got is expected else f"got {describe(got)}, expected {expected!r}"
    if isinstance(expected, (int, float)):
        return _compare_numbers(got, expected, atol, rtol)
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return f"expected a {type(expected).__name__} of {len(expected)} items, got {type_name(got)}"
        if len(got) != len(expected):
            return f"expected {len(expected)} items, got {len(got)}"
        for i, (g, e) in enumerate(zip(got, expected)):
            problem = compare(g, e, atol, rtol)
            if problem:
                return f"item {i}: {problem}"
        return None
    return None if got == expected else f"got {describe(got)}, expected {describe(expected)}"


def _compare_numbers(got, expected, atol, rtol) -> str | None:
    if isinstance(got, torch.Tensor) and got.numel() == 1 and got.device.type != "meta":
        got = got.item()
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        return f"expected a number, got {type_name(got)}"
    if math.isnan(got) and not math.isnan(expected):
        return f"got NaN, expected {expected!r}"
    if isinstance(expected, int) and not isinstance(expected, bool):
        return None if got == expected else f"got {got!r}, expected {expected!r}"
    if math.isclose(got, expected, rel_tol=rtol, abs_tol=atol):
        return None
    return f"got {got!r}, expected {expected!r} (tolerance: {_tolerance(atol, rtol)})"


def _compare_tensors(got, expected: torch.Tensor, atol, rtol) -> str | None:
    if not isinstance(got, torch.Tensor):
        return f"expected a tensor, got {type_name(got)}"
    if got.device != expected.device:
        why = " (a meta tensor has a shape but no values)" if got.device.type == "meta" else ""
        return f"the tensor is on {got.device}{why}, but should be on {expected.device}"
    if got.shape != expected.shape:
        return f"the shape is {tuple(got.shape)} but should be {tuple(expected.shape)}"
    if got.dtype != expected.dtype:
        return f"the dtype is {got.dtype} but should be {expected.dtype}"
    with torch.no_grad():
        if not (expected.is_floating_point() or expected.is_complex()):
            wrong = got != expected
            tolerance = "exact"
        else:
            nan = got.isnan() & ~expected.isnan()
            if nan.any():
                count, first = int(nan.sum()), _first(nan)
                return f"{count} value(s) are NaN where numbers were expected, the first at index {first}"
            wrong = ~torch.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
            tolerance = _tolerance(atol, rtol)
        if not wrong.any():
            return None
        index = _first(wrong)
        at = index if got.dim() else ()
        return (
            f"{int(wrong.sum())} of {got.numel()} values differ; at index {index} got "
            f"{got[at].item():.6g}, expected {expected[at].item():.6g} (tolerance: {tolerance})"
        )


def _first(mask: torch.Tensor) -> tuple[int, ...]:
    return tuple(int(i) for i in mask.nonzero()[0]) if mask.dim() else ()


def _tolerance(atol: float, rtol: float) -> str:
    return f"|got - expected| <= {atol:g} + {rtol:g} * |expected|"
