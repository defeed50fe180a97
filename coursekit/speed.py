"""Faster training steps: mixed precision and channels-last memory, as ``fit`` uses them.

Neither changes what a network computes, only how:

- **Mixed precision** runs the big matrix products and convolutions in a 16-bit number
  format (``torch.autocast``) and keeps the weights and the sensitive sums in 32 bits.
  On a CUDA GPU the format is float16, whose small range lets tiny gradients round to
  zero; a :class:`torch.amp.GradScaler` multiplies the loss by a large factor before
  ``backward`` and divides the gradients by it again before the step. On a CPU the format
  is bfloat16, which has float32's range, so no scaling is needed. Only hardware with
  16-bit units (tensor cores, or CPUs with AMX / AVX-512 BF16) gets faster; elsewhere it is
  slower. Measure it.
- **Channels-last** stores an image batch as [N, H, W, C] in memory while the tensor keeps
  its shape [N, C, H, W]: the colour values of a pixel sit side by side, the layout that
  fast convolution kernels (cuDNN on tensor cores, oneDNN on CPUs) prefer.

    dtype = amp_dtype("cuda", True)                  # torch.float16
    scaler = grad_scaler("cuda", dtype)
    with autocast("cuda", dtype):
        loss = loss_fn(model(to_channels_last(x)), y)
    scaler.scale(loss).backward(); scaler.step(optimizer); scaler.update()
"""

from __future__ import annotations

import torch

_NAMES = {"float16": torch.float16, "fp16": torch.float16, "bfloat16": torch.bfloat16, "bf16": torch.bfloat16}


def amp_dtype(device, mixed_precision) -> torch.dtype | None:
    """The 16-bit format for ``mixed_precision`` on ``device``; ``None`` means full float32.

    ``False``: off. ``True``: float16 on CUDA, bfloat16 elsewhere (the CPU).
    ``"float16"``/``"bfloat16"`` (or the torch dtype): that format.
    """
    device = torch.device(device)
    if mixed_precision is False or mixed_precision is None:
        return None
    if mixed_precision is True:
        dtype = torch.float16 if device.type == "cuda" else torch.bfloat16
    elif isinstance(mixed_precision, torch.dtype) and mixed_precision in _NAMES.values():
        dtype = mixed_precision
    elif isinstance(mixed_precision, str) and mixed_precision in _NAMES:
        dtype = _NAMES[mixed_precision]
    else:
        raise ValueError(f"mixed_precision must be True, False, 'float16' or 'bfloat16', got {mixed_precision!r}")
    if not torch.amp.is_autocast_available(device.type):
        raise ValueError(f"mixed precision (torch.autocast) is not available on device {device.type!r}; "
                         "train with mixed_precision=False there")
    return dtype


def autocast(device, dtype: torch.dtype | None):
    """A ``with`` block that computes in ``dtype`` where it is safe (does nothing when ``dtype`` is None)."""
    return torch.autocast(torch.device(device).type, dtype=dtype, enabled=dtype is not None)


def grad_scaler(device, dtype: torch.dtype | None) -> torch.amp.GradScaler:
    """Loss scaling, switched on for float16 only; when off, its calls are plain ``backward`` and ``step``."""
    return torch.amp.GradScaler(torch.device(device).type, enabled=dtype == torch.float16)


def to_channels_last(x: torch.Tensor) -> torch.Tensor:
    """An image batch [N, C, H, W] re-laid out as channels-last in memory; other tensors unchanged."""
    return x.contiguous(memory_format=torch.channels_last) if x.ndim == 4 else x


__all__ = ["amp_dtype", "autocast", "grad_scaler", "to_channels_last"]
