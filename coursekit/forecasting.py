"""Forecasting one time series: windows, time-ordered splits, scaling, baselines, errors, multi-step forecasts.

    split = time_split(len(values), test=365, val=365)          # train | val | test, in time order
    scaler = Scaler().fit(values[split.train])                   # statistics of the training part only
    x_train, y_train = make_windows(values, lookback=30, stop=split.val_start)
    x_test, y_test = make_windows(values, lookback=30, start=split.test_start)
    rmse(naive_forecast(x_test), y_test)                         # the number any model must beat

A *window* is ``lookback`` consecutive values (the input) and the ``horizon`` values that follow
(the target). Windows are chosen by where their **targets** lie: every target of
``make_windows(..., start=s, stop=e)`` is in ``values[s:e]``, while its inputs may reach back
before ``s``. The past may be read; the future of a period may never be a training target.

Every forecaster here maps inputs ``[N, lookback]`` to forecasts ``[N, horizon]``, so baselines
and networks are scored by the same two functions, :func:`rmse` and :func:`mae`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch

# --------------------------------------------------------------------------- windows and splits


def _as_series(values) -> torch.Tensor:
    """A 1-D float tensor from a tensor, array or list; a clear error for anything else."""
    series = torch.as_tensor(np.asarray(values) if not isinstance(values, torch.Tensor) else values)
    if series.ndim != 1:
        raise ValueError(f"Expected one series of shape [T], got shape {tuple(series.shape)}; "
                         "pass series.values (or one column) rather than a table.")
    return series if series.is_floating_point() else series.float()


def make_windows(values, lookback: int, horizon: int = 1, *, start: int | None = None,
                 stop: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs ``[N, lookback]`` and targets ``[N, horizon]`` whose targets all lie in ``values[start:stop]``.

    Window ``i`` has target ``values[start + i : start + i + horizon]`` and input the ``lookback``
    values just before it. ``start`` defaults to ``lookback`` (the first target with a full input),
    ``stop`` to the end of the series.
    """
    series = _as_series(values)
    if lookback < 1 or horizon < 1:
        raise ValueError(f"lookback and horizon must be at least 1, got lookback={lookback}, horizon={horizon}")
    start = lookback if start is None else start
    stop = len(series) if stop is None else stop
    if start < lookback:
        raise ValueError(f"The first target at index {start} has only {start} values before it, fewer than "
                         f"lookback={lookback}; use start >= {lookback} or a shorter lookback.")
    if stop > len(series) or stop - start < horizon:
        raise ValueError(f"No window fits: targets must lie in [{start}, {stop}) of a series of "
                         f"{len(series)} values, and each window needs {horizon} of them.")
    windows = series[start - lookback:stop].unfold(0, lookback + horizon, 1)  # [N, lookback + horizon]
    return windows[:, :lookback].clone(), windows[:, lookback:].clone()


class TimeSplit(NamedTuple):
    """Where the parts begin and end: train ``[0, val_start)``, validation ``[val_start, test_start)``,
    test ``[test_start, n)``."""

    val_start: int
    test_start: int
    n: int

    @property
    def train(self) -> slice:
        return slice(0, self.val_start)

    @property
    def val(self) -> slice:
        return slice(self.val_start, self.test_start)

    @property
    def test(self) -> slice:
        return slice(self.test_start, self.n)


def _count(size, n: int, name: str) -> int:
    """A number of values from a count (365) or a fraction of the series (0.2)."""
    if isinstance(size, float) and 0 <= size < 1:
        return int(round(size * n))
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool) and size >= 0:
        return int(size)
    raise ValueError(f"{name} must be a number of values (e.g. 365) or a fraction below 1 (e.g. 0.2), got {size!r}")


def time_split(n: int, *, test, val=0) -> TimeSplit:
    """Split ``n`` time steps into train, validation and test, in that order: the test period is the last.

    ``test`` and ``val`` are counts or fractions of ``n``. Never shuffle a series before splitting:
    a random split puts tomorrow in the training set and yesterday in the test set.
    """
    n_test, n_val = _count(test, n, "test"), _count(val, n, "val")
    if n_test < 1 or n_test + n_val >= n:
        raise ValueError(f"test={test!r} and val={val!r} leave no training data (or no test data) "
                         f"in a series of {n} values.")
    return TimeSplit(val_start=n - n_test - n_val, test_start=n - n_test, n=n)


# --------------------------------------------------------------------------- scaling


class Scaler:
    """Standardize with the mean and standard deviation of the values given to :meth:`fit`.

    Fit it on the training part only: the test period is the future, and its level and spread
    are not known when the forecast is made.
    """

    def __init__(self):
        self.mean_ = self.scale_ = None

    def fit(self, values) -> Scaler:
        series = _as_series(values).double()
        self.mean_, self.scale_ = series.mean().item(), series.std(correction=0).item()
        if not np.isfinite(self.mean_) or self.scale_ == 0:
            raise ValueError("Cannot scale by these values: they are constant or not finite.")
        return self

    def _check_fitted(self):
        if self.mean_ is None:
            raise RuntimeError("This Scaler is not fitted yet; call scaler.fit(training_values) first.")

    def transform(self, values) -> torch.Tensor:
        self._check_fitted()
        return (torch.as_tensor(values) - self.mean_) / self.scale_

    def inverse_transform(self, values) -> torch.Tensor:
        self._check_fitted()
        return torch.as_tensor(values) * self.scale_ + self.mean_

    def __repr__(self) -> str:
        if self.mean_ is None:
            return "Scaler(not fitted)"
        return f"Scaler(mean_={self.mean_:.4g}, scale_={self.scale_:.4g})"


# --------------------------------------------------------------------------- baselines


def _check_inputs(inputs: torch.Tensor, horizon: int) -> None:
    if inputs.ndim != 2:
        raise ValueError(f"Expected inputs of shape [N, lookback], got {tuple(inputs.shape)}.")
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1, got {horizon}")


def naive_forecast(inputs: torch.Tensor, horizon: int = 1) -> torch.Tensor:
    """Tomorrow is like today: the last input value, repeated for every step ``[N, horizon]``."""
    _check_inputs(inputs, horizon)
    return inputs[:, -1:].repeat(1, horizon)


def seasonal_naive_forecast(inputs: torch.Tensor, season: int, horizon: int = 1) -> torch.Tensor:
    """This month is like the same month last year: each step repeats the value one ``season`` earlier."""
    _check_inputs(inputs, horizon)
    lookback = inputs.shape[1]
    if not 1 <= season <= lookback:
        raise ValueError(f"A season of {season} needs a lookback of at least {season}, got {lookback}.")
    steps = [lookback - season + (h % season) for h in range(horizon)]  # step h+1 copies the same phase
    return inputs[:, steps]


class LinearAutoregression:
    """Each forecast step a weighted sum of the inputs plus a constant, fitted by least squares.

    ``fit(inputs [N, L], targets [N, H])`` solves for ``coef_ [L, H]`` and ``intercept_ [H]``
    (in float64, so the solution does not depend on float32 rounding); ``predict`` applies them.
    """

    def __init__(self):
        self.coef_ = self.intercept_ = None

    def fit(self, inputs: torch.Tensor, targets: torch.Tensor) -> LinearAutoregression:
        _check_inputs(inputs, 1)
        if targets.ndim != 2 or len(targets) != len(inputs):
            raise ValueError(f"Targets must be [N, horizon] with N = {len(inputs)}, got {tuple(targets.shape)}.")
        design = torch.cat([inputs.double(), torch.ones(len(inputs), 1, dtype=torch.float64)], dim=1)
        solution = torch.linalg.lstsq(design, targets.double(), driver="gelsd").solution  # [L + 1, H]
        self.coef_, self.intercept_ = solution[:-1], solution[-1]
        return self

    def predict(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.coef_ is None:
            raise RuntimeError("Call fit(inputs, targets) before predict.")
        _check_inputs(inputs, 1)
        if inputs.shape[1] != len(self.coef_):
            raise ValueError(f"Fitted on a lookback of {len(self.coef_)}, got inputs {tuple(inputs.shape)}.")
        return (inputs.double() @ self.coef_ + self.intercept_).to(inputs.dtype)

    __call__ = predict


# --------------------------------------------------------------------------- errors


def _check_pair(forecasts, targets) -> tuple[torch.Tensor, torch.Tensor]:
    forecasts, targets = torch.as_tensor(forecasts).double(), torch.as_tensor(targets).double()
    if forecasts.shape != targets.shape:  # [N, 1] against [N] would broadcast to [N, N] without a word
        raise ValueError(f"Forecasts {tuple(forecasts.shape)} and targets {tuple(targets.shape)} "
                         "must have the same shape.")
    return forecasts, targets


def rmse(forecasts, targets) -> float:
    """Root mean squared error, in the unit of the series; large misses count more."""
    forecasts, targets = _check_pair(forecasts, targets)
    return (forecasts - targets).pow(2).mean().sqrt().item()


def mae(forecasts, targets) -> float:
    """Mean absolute error, in the unit of the series: the typical size of a miss."""
    forecasts, targets = _check_pair(forecasts, targets)
    return (forecasts - targets).abs().mean().item()


# --------------------------------------------------------------------------- multi-step


def recursive_forecast(predict: Callable, inputs: torch.Tensor, horizon: int) -> torch.Tensor:
    """Forecast ``horizon`` steps with a one-step model by feeding each forecast back as the newest input.

    ``predict`` maps ``[N, L]`` to ``[N, 1]`` (or ``[N]``); returns ``[N, horizon]``. Errors compound:
    from the second step on, the model reads its own guesses.
    """
    _check_inputs(inputs, horizon)
    window, steps = inputs, []
    with torch.no_grad():
        for _ in range(horizon):
            step = predict(window).reshape(len(window), -1)
            if step.shape[1] != 1:
                raise ValueError(f"A recursive forecast needs a one-step model; this one returned "
                                 f"{step.shape[1]} values per window.")
            steps.append(step)
            window = torch.cat([window[:, 1:], step.to(window.dtype)], dim=1)  # drop the oldest, add the guess
    return torch.cat(steps, dim=1)


def direct_forecast(predict: Callable, inputs: torch.Tensor, horizon: int) -> torch.Tensor:
    """Forecast ``horizon`` steps at once with a model trained on targets ``[N, horizon]`` (no feedback)."""
    _check_inputs(inputs, horizon)
    with torch.no_grad():
        forecasts = predict(inputs)
    if tuple(forecasts.shape) != (len(inputs), horizon):
        raise ValueError(f"A direct {horizon}-step model must return [N, {horizon}], got {tuple(forecasts.shape)}; "
                         f"train it on make_windows(..., horizon={horizon}).")
    return forecasts


__all__ = ["make_windows", "TimeSplit", "time_split", "Scaler", "naive_forecast", "seasonal_naive_forecast",
           "LinearAutoregression", "rmse", "mae", "recursive_forecast", "direct_forecast"]
