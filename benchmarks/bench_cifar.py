"""Time the pieces of a CIFAR-10 training step: augmentation, and one step in each number format and layout.

    .venv/bin/python benchmarks/bench_cifar.py [--threads 2] [--repeat 5] [--batch 128]

1. Augmentation of one batch of 32x32 colour images: ``coursekit.augment`` (batched tensor
   operations) against a Python loop over the images (slicing one crop at a time).
2. One training step (forward, backward, SGD update) of the Day 2 ablation network,
   ``cifar_cnn(batch_norm=True)``, in float32 or mixed precision (bfloat16 on a CPU, float16
   on a GPU), with the batch in the usual [N, C, H, W] layout or channels-last.

Figures are medians over ``--repeat`` rounds (20 times as many for the cheap augmentation),
in milliseconds per batch, after one warm-up round (libraries choose and prepare their
kernels on the first call). Random images are used: the time of these operations does not
depend on the pixel values. On a machine shared with other work the numbers move; the load
average printed before and after says how busy it was.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import torch
import torch.nn.functional as F

from coursekit.augment import random_crop, random_flip
from coursekit.environment import get_device
from coursekit.models.cifar_cnn import cifar_cnn


def crop_and_flip_loop(images: torch.Tensor, padding: int = 4) -> torch.Tensor:
    """The same augmentation written one image at a time, for comparison."""
    n, _, h, w = images.shape
    padded = F.pad(images, [padding] * 4)
    top, left = torch.randint(0, 2 * padding + 1, (2, n))
    out = []
    for i in range(n):
        crop = padded[i, :, top[i]:top[i] + h, left[i]:left[i] + w]
        out.append(crop.flip(-1) if torch.rand(()) < 0.5 else crop)
    return torch.stack(out)


def median_ms(function, repeat: int, device: torch.device) -> float:
    """Median milliseconds of ``function()`` over ``repeat`` calls, after one warm-up call."""
    function()
    times = []
    for _ in range(repeat):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        function()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times)


def training_step(device: torch.device, batch: int, channels_last: bool, half: bool):
    """A function doing one training step of the ablation network with these settings."""
    torch.manual_seed(0)
    model = cifar_cnn(batch_norm=True).to(device)
    x, y = torch.randn(batch, 3, 32, 32, device=device), torch.randint(0, 10, (batch,), device=device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    dtype = torch.float16 if device.type == "cuda" else torch.bfloat16
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    scaler = torch.amp.GradScaler(device.type, enabled=half and dtype == torch.float16)

    def step():
        with torch.autocast(device.type, dtype=dtype, enabled=half):
            loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    return step


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = get_device()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"{args.threads} threads, device {device}, batch {args.batch}, load {os.getloadavg()[0]:.1f}")

    images = torch.rand(args.batch, 3, 32, 32)
    cpu, cheap = torch.device("cpu"), 20 * args.repeat  # milliseconds each: more rounds, a steadier median
    batched = median_ms(lambda: random_flip(random_crop(images, 4)), cheap, cpu)
    loop = median_ms(lambda: crop_and_flip_loop(images, 4), cheap, cpu)
    print(f"\naugmentation (crop with padding 4 + flip) of {args.batch} images, on the CPU")
    print(f"  batched tensor operations {batched:8.2f} ms")
    print(f"  Python loop over images   {loop:8.2f} ms   ({loop / batched:.1f}x slower)")

    half_name = "float16" if device.type == "cuda" else "bfloat16"
    print(f"\none training step of cifar_cnn(batch_norm=True) on {device}")
    base = None
    for channels_last in (False, True):
        for half in (False, True):
            ms = median_ms(training_step(device, args.batch, channels_last, half), args.repeat, device)
            base = base or ms
            print(f"  {'channels-last' if channels_last else 'NCHW':13} {half_name if half else 'float32':9} "
                  f"{ms:8.1f} ms   ({base / ms:.2f}x the speed of NCHW float32)")
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
