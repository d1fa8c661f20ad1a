"""course_rnn.studies.forecasting: baselines, the ARIMA grid, the GRU's scaling and recursion."""

import warnings

import numpy as np
import pytest

from course_rnn.studies import forecasting as study


def test_baselines_one_step_read_the_true_history():
    train, test = np.arange(1.0, 25.0), np.array([30.0, 31.0, 32.0])
    out = study.baseline_forecasts(train, test, 12)
    assert out["naive"]["one_step"] == [24.0, 30.0, 31.0]
    assert out["naive"]["multi_step"] == [24.0, 24.0, 24.0]
    assert out["seasonal_naive"]["one_step"] == [13.0, 14.0, 15.0]
    assert out["seasonal_naive"]["multi_step"] == [13.0, 14.0, 15.0]
    assert "seasonal_naive" not in study.baseline_forecasts(train, test, 1)


def test_choose_d_on_a_random_walk_and_on_noise():
    rng = np.random.default_rng(0)
    assert study.choose_d(np.cumsum(rng.standard_normal(300)), 1) == 1
    assert study.choose_d(rng.standard_normal(300), 1) == 0


def test_select_arima_takes_the_lowest_aic_of_the_whole_grid():
    rng = np.random.default_rng(1)
    y = np.zeros(150)
    for t in range(1, 150):  # AR(1), phi = 0.8
        y[t] = 0.8 * y[t - 1] + rng.standard_normal()
    chosen = study.select_arima(y, 1)
    grid = chosen["grid"]
    assert [(p, q) for p, q, _ in grid] == [(p, q) for p in study.P_GRID for q in study.Q_GRID]
    assert chosen["aic"] == min(aic for _, _, aic in grid)
    assert chosen["order"][1] == 0
    assert chosen["order"][0] >= 1  # some autoregression is found
    forecasts = study.arima_forecasts(y[:-5], y[-5:], 1, chosen["order"])
    assert len(forecasts["one_step"]) == len(forecasts["multi_step"]) == 5


def test_quiet_statsmodels_silences_only_the_known_warnings():
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with study.quiet_statsmodels():
            warnings.warn("did not converge", ConvergenceWarning, stacklevel=1)
            warnings.warn("Non-stationary starting autoregressive parameters", stacklevel=1)
            with pytest.raises(UserWarning, match="something else"):
                warnings.warn("something else", UserWarning, stacklevel=1)


@pytest.fixture
def short_recipe(monkeypatch):
    monkeypatch.setitem(study.RECIPE, "max_epochs", 2)
    monkeypatch.setitem(study.RECIPE, "window", 6)


def test_gru_forecasts_shift_with_the_series_and_start_from_the_same_window(short_recipe):
    rng = np.random.default_rng(2)
    y = np.sin(np.arange(80) / 3) + 0.1 * rng.standard_normal(80)
    model, scale, info = study.fit_gru(y, 1, 8, seed=0)
    assert 1 <= info["best_epoch"] <= 2
    windows = np.stack([y[:6], y[10:16]])  # (2, W)
    pred = study.predict(model, windows, scale)
    assert pred.shape == (2, 1)
    # windows are read relative to their last value: shifting the series shifts the forecast
    np.testing.assert_allclose(study.predict(model, windows + 100.0, scale), pred + 100.0,
                               rtol=0, atol=1e-4)  # fmt: skip
    out = study.gru_forecasts(y[:-4], y[-4:], seed=0)
    # the first recursive step reads only true values, like the first one-step forecast
    assert out["gru"]["multi_step"][0] == pytest.approx(out["gru"]["one_step"][0])
    assert out["gru"]["multi_step"][1:] != pytest.approx(out["gru"]["one_step"][1:])
    assert len(out["gru_direct"]["multi_step"]) == 4
    again = study.gru_forecasts(y[:-4], y[-4:], seed=0)
    assert again == out  # deterministic given the seed


def test_errors_name_what_is_wrong():
    with pytest.raises(ValueError, match="fit_gru: seed must be an int >= 0"):
        study.fit_gru(np.zeros(50), 1, 5, seed=-1)
    with pytest.raises(ValueError, match="series_setup: unknown series 'nile'"):
        study.series_setup("nile")
