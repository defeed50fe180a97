"""Real time series (airline passengers, Melbourne temperatures, sunspots) as float tensors."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .prepare import ensure, read_file
from .sources import SERIES, get_dataset

SERIES_NAMES = tuple(SERIES)


@dataclass(repr=False)
class TimeSeries:
    """One series: ``dates`` numpy datetime64 [T] and ``values`` float32 tensor [T], in time order."""

    name: str
    dates: np.ndarray
    values: torch.Tensor
    unit: str
    description: str

    @property
    def frequency(self) -> str:
        """"monthly" or "daily"."""
        return {"M": "monthly", "D": "daily"}[np.datetime_data(self.dates.dtype)[0]]

    def __len__(self) -> int:
        return len(self.values)

    def __repr__(self) -> str:
        return (f"TimeSeries({self.name!r}: {len(self)} {self.frequency} values of {self.unit}, "
                f"{self.dates[0]} to {self.dates[-1]})")


def load_timeseries(name: str, root=None, *, mirror: str | None = None) -> TimeSeries:
    """One of "airline-passengers", "daily-min-temperatures" or "monthly-sunspots" (_ works for - too)."""
    key = name.strip().lower().replace("_", "-")
    if key not in SERIES:
        raise ValueError(f"There is no time series called {name!r}. Choose one of: {', '.join(SERIES)}.")
    info = SERIES[key]
    dataset = get_dataset("timeseries")
    path = ensure(dataset, files=[info.file], root=root, mirror=mirror)[info.file]
    dates, values = read_file(dataset, dataset.file(info.file), path)
    return TimeSeries(key, dates, torch.from_numpy(values), info.unit, info.description)
