"""Checks of solutions/day4/03_design_a_forecaster.ipynb: a forecaster of daily minimum temperatures.

The model keeps a parameter budget, maps windows of the last ``INPUT_DAYS`` temperatures in °C
``[N, 30]`` to the next day's temperature ``[N]`` (or ``[N, 1]``), and must beat the naive
forecast (tomorrow = today) on 1990, a year the notebook never trains on, by a margin that
depends on the run mode (``forecaster_threshold``). The check makes the 1990 windows and scores
both the model and the naive forecast itself; the windows reach the model through the case's
arguments, so a model on a GPU gets them there.
"""

from __future__ import annotations

import numpy as np
import torch

from ..cases import Case, exercise
from ..compare import describe
from ..design import parameter_count

PARAMETER_BUDGET = 5_000
INPUT_DAYS = 30
TEST_YEAR = 1990


def forecaster_margin() -> float:
    """How much lower than the naive forecast's the model's RMSE on 1990 must be, in this run mode (0.05 = 5%)."""
    from ...modes import run_mode

    return run_mode().pick(fast=0.05, laptop=0.11, full=0.12)


def held_out_windows(temperatures) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs [N, 30] and targets [N] whose targets are every day of 1990 (inputs may reach into 1989)."""
    start = int((temperatures.dates < np.datetime64(f"{TEST_YEAR}-01-01")).sum())
    values = temperatures.values.float()
    days = torch.arange(start, len(values))
    inputs = values[days[:, None] - INPUT_DAYS + torch.arange(INPUT_DAYS)]
    return inputs, values[days]


def _within_budget(count):
    if count > PARAMETER_BUDGET:
        return (f"the model has {count:,} parameters, over the budget of {PARAMETER_BUDGET:,}: fewer hidden units "
                "(an LSTM layer has 4 (F + H + 2) H of them), or a GRU")
    return None


def _forecast(model, inputs):
    model.eval()
    with torch.no_grad():
        return model(inputs)


def _one_per_window(n):
    def test(out):
        if not isinstance(out, torch.Tensor) or tuple(out.shape) not in ((n,), (n, 1)):
            return (f"for {n} windows of {INPUT_DAYS} days the model should return {n} forecasts, shape [{n}] or "
                    f"[{n}, 1], got {describe(out)}")
        if not bool(out.isfinite().all()):
            return "the forecasts contain NaN or infinity"
        return None
    return test


def _rmse(model, inputs, targets):
    forecasts = _forecast(model, inputs)
    if not isinstance(forecasts, torch.Tensor) or forecasts.numel() != len(targets):
        return None
    return (forecasts.detach().double().reshape(-1).cpu() - targets.double().cpu()).pow(2).mean().sqrt().item()


def _beats_naive(naive, margin):
    def test(error):
        if not isinstance(error, float) or not np.isfinite(error):
            return "the model's forecasts could not be scored"
        if error > naive * (1 - margin):
            return (f"RMSE {error:.3f} °C on {TEST_YEAR}, but this run mode asks for at most "
                    f"{naive * (1 - margin):.3f} °C, {margin:.0%} below the naive forecast's {naive:.3f} °C: does "
                    "the model read windows in °C as the check gives them (scale inside the model), and did training "
                    "converge?")
        return None
    return test


@exercise("day4.forecaster", expects="module", answer="model", time_limit=60.0, points=3.0,
          hint="Train it first (the cells above the check). It takes windows [N, 30] of temperatures in °C, as the "
               "check gives them (scale inside the model), and returns the next day's temperature [N] in °C.")
def forecaster_cases():
    from ...data import load_timeseries

    yield Case("the model itself: how many parameters does it learn?", use=parameter_count, test=_within_budget)
    temperatures = load_timeseries("daily-min-temperatures")
    inputs, targets = held_out_windows(temperatures)
    yield Case(f"8 windows of {INPUT_DAYS} temperatures, shape [8, {INPUT_DAYS}]", args=(inputs[:8],), use=_forecast,
               test=_one_per_window(8))
    naive = (inputs[:, -1].double() - targets.double()).pow(2).mean().sqrt().item()
    yield Case(f"every day of {TEST_YEAR} ({len(targets)} windows), never used for training", use=_rmse,
               args=(inputs, targets), test=_beats_naive(naive, forecaster_margin()))
