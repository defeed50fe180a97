"""Time a first (uncached) load against a cached load, for MNIST, CIFAR-10 and Tiny Shakespeare.

    COURSEKIT_DATA=../shared/data .venv/bin/python benchmarks/bench_data.py [--root DIR] [--repeat 3]

Each round starts with a fresh, empty cache folder: the first load parses the raw
files and writes the cache, the second load reads the cache. The raw files are
read from the data root (``--root``, else $COURSEKIT_DATA) and are never written.
Figures are medians over the rounds; the raw files sit in the OS page cache after
the first round, so this measures parsing, not the disk.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time

import torch

from coursekit.data import data_root, load_cifar10, load_mnist, load_tiny_shakespeare

LOADERS = {"mnist": load_mnist, "cifar10": load_cifar10, "tiny_shakespeare": load_tiny_shakespeare}


def seconds(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def measure(load, root, repeat: int) -> tuple[float, float]:
    """Median seconds of (first load into an empty cache, load from that cache)."""
    first, cached = [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="coursekit-bench-") as cache:
            os.environ["COURSEKIT_CACHE"] = cache
            first.append(seconds(lambda: load(root)))
            cached.append(seconds(lambda: load(root)))
    return statistics.median(first), statistics.median(cached)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", help="data root (default: $COURSEKIT_DATA or the user cache)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per data set (default 3)")
    args = parser.parse_args()
    root = data_root(args.root)
    print(f"data root {root}; {platform.processor() or platform.machine()}, {os.cpu_count()} CPU(s), "
          f"torch {torch.__version__} with {torch.get_num_threads()} thread(s); median of {args.repeat} rounds\n")
    print(f"{'data set':<18}{'first load':>12}{'cached load':>13}{'speed-up':>10}")
    for name, load in LOADERS.items():
        first, cached = measure(load, root, args.repeat)
        print(f"{name:<18}{first:>11.3f}s{cached:>12.3f}s{first / cached:>9.1f}x", flush=True)


if __name__ == "__main__":
    main()
