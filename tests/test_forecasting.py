"""coursekit.forecasting: windows without off-by-one or leakage, time-ordered splits, baselines with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from coursekit import data
from coursekit.forecasting import (LinearAutoregression, Scaler, direct_forecast, mae, make_windows, naive_forecast,
                                   recursive_forecast, rmse, seasonal_naive_forecast, time_split)

# --------------------------------------------------------------------------- windows


def test_windows_of_the_time_index_have_no_off_by_one():
    x, y = make_windows(torch.arange(10.0), lookback=3, horizon=2)
    assert x.shape == (10 - 3 - 2 + 1, 3) and y.shape == (6, 2)
    assert x[0].tolist() == [0, 1, 2] and y[0].tolist() == [3, 4]
    assert x[-1].tolist() == [5, 6, 7] and y[-1].tolist() == [8, 9]
    assert torch.equal(y[:, 0], x[:, -1] + 1)  # the target starts right after the input: no overlap, no gap


def test_start_and_stop_select_targets_and_inputs_reach_back():
    x, y = make_windows(torch.arange(100.0), lookback=5, horizon=3, start=40, stop=60)
    assert y.min() == 40 and y.max() == 59 and len(y) == 60 - 40 - 3 + 1
    assert x[0].tolist() == [35, 36, 37, 38, 39]  # the inputs of the first window come from before start


def test_a_time_split_with_windows_does_not_leak():
    split = time_split(200, test=0.2, val=0.1)
    index = torch.arange(200)
    _, y_train = make_windows(index, 12, 4, stop=split.val_start)
    _, y_val = make_windows(index, 12, 4, start=split.val_start, stop=split.test_start)
    x_test, y_test = make_windows(index, 12, 4, start=split.test_start)
    assert y_train.max() < split.val_start <= y_val.min() and y_val.max() < split.test_start <= y_test.min()
    assert y_test.max() == 199 and x_test.max() < y_test.max()
    assert not set(y_train.flatten().tolist()) & set(y_test.flatten().tolist())


def test_windows_are_copies_not_views_of_the_series():
    series = torch.arange(10.0)
    x, _ = make_windows(series, 3)
    x[0, 0] = 100.0
    assert series[0] == 0.0


@pytest.mark.parametrize("kwargs, message", [
    (dict(lookback=0), "at least 1"),
    (dict(lookback=3, horizon=0), "at least 1"),
    (dict(lookback=5, start=2), "fewer than lookback=5"),
    (dict(lookback=3, stop=11), "No window fits"),
    (dict(lookback=3, horizon=4, start=5, stop=8), "No window fits"),
])
def test_windows_reject_impossible_requests(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_windows(torch.arange(10.0), **kwargs)


def test_windows_need_one_series():
    with pytest.raises(ValueError, match=r"shape \[T\]"):
        make_windows(torch.zeros(10, 2), 3)
    x, _ = make_windows(np.arange(6), 2)  # arrays and integer series become float tensors
    assert x.dtype == torch.float32


# --------------------------------------------------------------------------- splits and scaling


def test_time_split_keeps_time_order_and_counts():
    split = time_split(2820, test=0.2, val=0.1)
    assert (split.val_start, split.test_start, split.n) == (1974, 2256, 2820)
    assert split.train == slice(0, 1974) and split.val == slice(1974, 2256) and split.test == slice(2256, 2820)
    assert time_split(144, test=12) == (132, 132, 144)  # no validation part: it is empty


@pytest.mark.parametrize("test, val", [(0, 0), (100, 0), (60, 40), (1.5, 0), (True, 0), (-3, 0), (10, "2")])
def test_time_split_rejects_sizes_that_leave_nothing(test, val):
    with pytest.raises(ValueError):
        time_split(100, test=test, val=val)


def test_scaler_uses_only_the_values_it_was_fitted_on():
    series = torch.arange(100.0)  # a trend: the test part lies above the training part
    split = time_split(100, test=20)
    scaler = Scaler().fit(series[split.train])
    assert scaler.mean_ == pytest.approx(series[:80].mean().item())
    assert scaler.mean_ != pytest.approx(series.mean().item())
    scaled = scaler.transform(series)
    assert scaled[:80].mean().abs() < 1e-5 and scaled[:80].std(correction=0) == pytest.approx(1.0, abs=1e-5)
    assert scaled[80:].min() > scaled[:80].max()  # the future stays outside the training range
    assert torch.allclose(scaler.inverse_transform(scaled), series, atol=1e-4)


def test_scaler_errors():
    with pytest.raises(RuntimeError, match="fit"):
        Scaler().transform(torch.ones(3))
    with pytest.raises(ValueError, match="constant"):
        Scaler().fit(torch.full((5,), 2.0))
    assert "not fitted" in repr(Scaler())


# --------------------------------------------------------------------------- baselines with known answers


def test_naive_repeats_the_last_value():
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 7.0]])
    assert naive_forecast(x).tolist() == [[3.0], [7.0]]
    assert naive_forecast(x, horizon=3).tolist() == [[3.0] * 3, [7.0] * 3]


def test_seasonal_naive_is_exact_on_a_periodic_series_and_wraps_around():
    period = torch.tensor([5.0, -1.0, 2.0, 0.5])
    series = period.repeat(10)
    x, y = make_windows(series, lookback=6, horizon=9)
    assert rmse(seasonal_naive_forecast(x, season=4, horizon=9), y) == 0.0  # steps 5..9 reuse the same season
    assert rmse(naive_forecast(x, 9), y) > 1.0
    with pytest.raises(ValueError, match="lookback of at least 7"):
        seasonal_naive_forecast(x, season=7)


def test_linear_autoregression_recovers_a_known_process():
    # y_t = 1 + sin(w t) obeys y_t = 2cos(w) y_{t-1} - y_{t-2} + (2 - 2cos(w)) exactly
    w = 2 * math.pi / 25
    y = 1.0 + torch.sin(w * torch.arange(300, dtype=torch.float64))
    ar = LinearAutoregression().fit(*make_windows(y, lookback=2, stop=200))
    assert ar.coef_[:, 0].tolist() == pytest.approx([-1.0, 2 * math.cos(w)], abs=1e-6)  # oldest input first
    assert ar.intercept_.item() == pytest.approx(2 - 2 * math.cos(w), abs=1e-6)
    x_test, y_test = make_windows(y, lookback=2, start=200)
    assert rmse(ar(x_test), y_test) < 1e-6


def test_linear_autoregression_extrapolates_a_trend_and_fits_several_outputs():
    line = 3.0 + 0.5 * torch.arange(50.0)
    x, y = make_windows(line, lookback=4, horizon=3)
    ar = LinearAutoregression().fit(x[:20], y[:20])
    assert ar.coef_.shape == (4, 3) and ar.intercept_.shape == (3,)
    assert torch.allclose(ar(x[20:]), y[20:], atol=1e-3)  # beyond the training values
    assert ar(x).dtype == torch.float32


def test_linear_autoregression_errors():
    with pytest.raises(RuntimeError, match="fit"):
        LinearAutoregression().predict(torch.zeros(2, 3))
    ar = LinearAutoregression().fit(torch.randn(10, 3), torch.randn(10, 1))
    with pytest.raises(ValueError, match="lookback of 3"):
        ar(torch.zeros(2, 4))
    with pytest.raises(ValueError, match="N = 10"):
        LinearAutoregression().fit(torch.randn(10, 3), torch.randn(9, 1))


# --------------------------------------------------------------------------- errors


def test_rmse_and_mae_known_values():
    assert rmse([0.0, 0.0], [3.0, 4.0]) == pytest.approx(math.sqrt(12.5))
    assert mae([0.0, 0.0], [3.0, -4.0]) == pytest.approx(3.5)
    assert rmse(torch.ones(5, 2), torch.ones(5, 2)) == 0.0


def test_errors_refuse_shapes_that_would_broadcast():
    with pytest.raises(ValueError, match="same shape"):
        rmse(torch.zeros(4, 1), torch.zeros(4))
    with pytest.raises(ValueError, match="same shape"):
        mae(torch.zeros(4), torch.zeros(3))


# --------------------------------------------------------------------------- multi-step


def test_recursive_forecast_feeds_back_its_own_forecasts():
    def next_is_sum_of_last_two(window):
        return window[:, -2:].sum(dim=1, keepdim=True)

    forecast = recursive_forecast(next_is_sum_of_last_two, torch.tensor([[0.0, 1.0, 1.0]]), horizon=5)
    assert forecast.tolist() == [[2.0, 3.0, 5.0, 8.0, 13.0]]  # Fibonacci: each step read the previous guess


def test_recursive_and_direct_agree_on_a_noise_free_linear_series():
    series = 10 * 0.9 ** torch.arange(60, dtype=torch.float64)
    one_step = LinearAutoregression().fit(*make_windows(series, 3, stop=40))
    five_steps = LinearAutoregression().fit(*make_windows(series, 3, 5, stop=40))
    x, y = make_windows(series, 3, 5, start=40)
    assert torch.allclose(recursive_forecast(one_step, x, 5), y, atol=1e-8)
    assert torch.allclose(direct_forecast(five_steps, x, 5), y, atol=1e-8)


def test_multi_step_helpers_check_the_model_they_get():
    x = torch.zeros(4, 3)
    with pytest.raises(ValueError, match="one-step model"):
        recursive_forecast(lambda w: torch.zeros(len(w), 2), x, 3)
    with pytest.raises(ValueError, match=r"must return \[N, 3\]"):
        direct_forecast(lambda w: torch.zeros(len(w), 1), x, 3)
    assert recursive_forecast(lambda w: w[:, -1], x, 2).shape == (4, 2)  # [N] is accepted for one step


# --------------------------------------------------------------------------- the reference figures, real data


def test_reference_figures_on_the_real_series(real_data):
    temps = data.load_timeseries("daily-min-temperatures", real_data)
    split = time_split(len(temps), test=int((temps.dates >= np.datetime64("1990-01-01")).sum()))
    assert split.n - split.test_start == 365 and str(temps.dates[split.test_start]) == "1990-01-01"
    x, y = make_windows(temps.values, 1, start=split.test_start)
    assert rmse(naive_forecast(x), y) == pytest.approx(2.58, abs=0.005)

    airline = data.load_timeseries("airline-passengers", real_data)
    x, y = make_windows(airline.values, 12, start=time_split(len(airline), test=12).test_start)
    assert rmse(seasonal_naive_forecast(x, 12), y) == pytest.approx(50.7, abs=0.05)

    sunspots = data.load_timeseries("monthly-sunspots", real_data)
    split = time_split(len(sunspots), test=0.2)
    x, y = make_windows(sunspots.values, 1, start=split.test_start)
    assert len(y) == 564 and rmse(naive_forecast(x), y) == pytest.approx(20.1, abs=0.05)
