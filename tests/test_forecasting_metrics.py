"""course_rnn.training.forecasting: baselines and metrics against values computed by hand."""

import numpy as np
import pytest

from course_rnn.shapes import ShapeError
from course_rnn.training import (
    mase,
    naive_forecast,
    recursive_forecast,
    seasonal_naive_forecast,
    smape,
)

HISTORY = np.array([1.0, 2.0, 4.0, 8.0, 5.0])  # y_1..y_5


def test_naive_repeats_the_last_value():
    np.testing.assert_array_equal(naive_forecast(HISTORY, 3), [5.0, 5.0, 5.0])
    np.testing.assert_array_equal(naive_forecast([7.0], 1), [7.0])


def test_seasonal_naive_period_shorter_than_horizon():
    # m = 2: last season (8, 5); H = 5 is not a multiple of m
    np.testing.assert_array_equal(seasonal_naive_forecast(HISTORY, 5, 2), [8, 5, 8, 5, 8])
    # m = 3: last season (4, 8, 5)
    np.testing.assert_array_equal(seasonal_naive_forecast(HISTORY, 4, 3), [4, 8, 5, 4])


def test_seasonal_naive_period_longer_than_horizon():
    # m = 4: last season (2, 4, 8, 5); H = 2 uses its first two values
    np.testing.assert_array_equal(seasonal_naive_forecast(HISTORY, 2, 4), [2.0, 4.0])
    # the whole history is one season
    np.testing.assert_array_equal(seasonal_naive_forecast(HISTORY, 6, 5), [1, 2, 4, 8, 5, 1])


def test_seasonal_naive_period_one_is_naive():
    np.testing.assert_array_equal(
        seasonal_naive_forecast(HISTORY, 4, 1), naive_forecast(HISTORY, 4)
    )


def test_seasonal_naive_follows_the_formula():
    rng = np.random.default_rng(0)
    y = rng.normal(size=17)
    n = y.size
    for m in (1, 2, 3, 5, 7):
        for h in (1, 4, 11):
            expected = [y[n + k - m * -(-k // m) - 1] for k in range(1, h + 1)]  # 1-based formula
            np.testing.assert_array_equal(seasonal_naive_forecast(y, h, m), expected)


def test_smape_by_hand():
    # 200|1-3|/(1+3) = 100, 200|2-2|/4 = 0, 200|4-1|/5 = 120  -> mean 220/3
    assert smape([1.0, 2.0, 4.0], [3.0, 2.0, 1.0]) == pytest.approx(220.0 / 3.0, rel=1e-15)
    # opposite signs hit the 200 bound
    assert smape([1.0], [-1.0]) == pytest.approx(200.0)
    assert smape([0.0], [5.0]) == pytest.approx(200.0)


def test_smape_zero_over_zero_counts_zero():
    # step 1: 0/0 -> 0, step 2: 200*2/4 = 100 -> mean 50
    assert smape([0.0, 1.0], [0.0, 3.0]) == pytest.approx(50.0)
    assert smape(np.zeros(4), np.zeros(4)) == 0.0


def test_mase_by_hand():
    # period 1: |2-1|, |4-2|, |8-4|, |5-8| -> scale 10/4 = 2.5; MAE of (3,3) vs (1,5) = 2
    assert mase([3.0, 3.0], [1.0, 5.0], HISTORY) == pytest.approx(2.0 / 2.5, rel=1e-15)
    # period 2: |4-1|, |8-2|, |5-4| -> scale 10/3; MAE 2
    assert mase([3.0, 3.0], [1.0, 5.0], HISTORY, period=2) == pytest.approx(0.6, rel=1e-15)
    # period 4 (longer than the horizon): |5-1| -> scale 4
    assert mase([3.0], [1.0], HISTORY, period=4) == pytest.approx(0.5, rel=1e-15)


def test_mase_of_the_in_sample_naive_forecast_is_one():
    # the one-step seasonal naive forecasts of the history itself score exactly 1
    y = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0])
    m = 3
    assert mase(y[m:], y[:-m], y, period=m) == pytest.approx(1.0, rel=1e-15)


def test_exact_forecast_scores_zero():
    actual = np.array([0.0, 2.0, -3.0])
    assert smape(actual, actual) == 0.0
    assert mase(actual, actual, HISTORY, period=2) == 0.0


def test_float32_input_gives_float64_results():
    h32 = HISTORY.astype(np.float32)
    for out in (naive_forecast(h32, 2), seasonal_naive_forecast(h32, 3, 2)):
        assert out.dtype == np.float64
    a32, f32 = np.array([1, 2, 4], np.float32), np.array([3, 2, 1], np.float32)
    s = smape(a32, f32)
    assert type(s) is float
    assert s == pytest.approx(220.0 / 3.0, rel=1e-15)
    m = mase(a32[:2], f32[:2], h32)
    assert type(m) is float
    assert m == pytest.approx((2 + 0) / 2 / 2.5, rel=1e-15)
    step_dtypes = []
    recursive_forecast(lambda w: step_dtypes.append(w.dtype) or w[-1], h32, 2)
    assert step_dtypes == [np.float64, np.float64]


def test_recursive_forecast_feeds_back_its_predictions():
    seen = []

    def step(w):
        seen.append(w.copy())
        return w.sum()

    out = recursive_forecast(step, [1.0, 2.0, 3.0], 3)
    # 1+2+3 = 6; 2+3+6 = 11; 3+6+11 = 20
    np.testing.assert_array_equal(out, [6.0, 11.0, 20.0])
    np.testing.assert_array_equal(seen, [[1, 2, 3], [2, 3, 6], [3, 6, 11]])
    assert out.dtype == np.float64


def test_recursive_forecast_window_of_one_and_array_outputs():
    # window of 1: x -> 2x + 1 from 1: 3, 7, 15
    np.testing.assert_array_equal(recursive_forecast(lambda w: 2 * w + 1, [1.0], 3), [3, 7, 15])
    # a step returning a (1,) array or a 0-d array is one number
    np.testing.assert_array_equal(recursive_forecast(lambda w: w[-1:], [4.0, 5.0], 2), [5, 5])


def test_recursive_forecast_step_cannot_corrupt_the_window():
    def step(w):
        nxt = w[-1] + 1.0
        w[:] = -100.0  # a step that scribbles on its input
        return nxt

    np.testing.assert_array_equal(recursive_forecast(step, [0.0, 1.0], 3), [2.0, 3.0, 4.0])


def test_recursive_with_naive_step_equals_naive():
    np.testing.assert_array_equal(
        recursive_forecast(lambda w: w[-1], HISTORY, 4), naive_forecast(HISTORY, 4)
    )


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: naive_forecast(np.ones((2, 3)), 2),
            ShapeError,
            r"naive_forecast: history must be 1-D.*\(2, 3\)",
        ),
        (lambda: naive_forecast([], 2), ValueError, "history is empty"),
        (lambda: naive_forecast([1.0, np.nan], 2), ValueError, "history holds NaN or inf.*index 1"),
        (lambda: naive_forecast([1.0, 2.0], 0), ValueError, "horizon must be >= 1; got 0"),
        (lambda: naive_forecast([1.0, 2.0], 2.0), TypeError, "horizon must be an int"),
        (lambda: naive_forecast(["a"], 2), TypeError, "history must hold real numbers"),
        (lambda: seasonal_naive_forecast(HISTORY, 2, 0), ValueError, "period must be >= 1; got 0"),
        (lambda: seasonal_naive_forecast(HISTORY, 2, True), TypeError, "period must be an int"),
        (lambda: seasonal_naive_forecast(HISTORY, -1, 2), ValueError, "horizon must be >= 1"),
        (lambda: seasonal_naive_forecast(HISTORY, 2, 6), ValueError, "shorter than one period"),
        (lambda: seasonal_naive_forecast(np.ones((5, 1)), 2, 2), ShapeError, "must be 1-D"),
        (lambda: smape([1.0, 2.0], [1.0]), ShapeError, "same length; got 2 and 1"),
        (lambda: smape([1.0, np.inf], [1.0, 2.0]), ValueError, "smape: actual holds NaN or inf"),
        (lambda: smape([1.0], [np.nan]), ValueError, "smape: forecast holds NaN or inf"),
        (lambda: smape(np.ones((1, 2)), np.ones((1, 2))), ShapeError, "actual must be 1-D"),
        (lambda: mase([1.0, 2.0], [1.0], HISTORY), ShapeError, "same length"),
        (lambda: mase([1.0], [1.0], [1.0, np.nan, 2.0]), ValueError, "history holds NaN"),
        (lambda: mase([1.0], [1.0], HISTORY, period=0), ValueError, "period must be >= 1"),
        (lambda: mase([1.0], [1.0], HISTORY, period=5), ValueError, "more than one period"),
        (lambda: mase([1.0], [2.0], np.full(6, 3.0)), ValueError, "the scale is 0.*constant"),
        (lambda: mase([1.0], [2.0], [1.0, 2.0, 1.0, 2.0], 2), ValueError, "the scale is 0"),
        (lambda: recursive_forecast(3, [1.0], 2), TypeError, "step must be callable"),
        (lambda: recursive_forecast(lambda w: w[-1], [1.0], 0), ValueError, "horizon must be >= 1"),
        (
            lambda: recursive_forecast(lambda w: w, [1.0, 2.0], 2),
            ShapeError,
            "one number; got shape \\(2,\\)",
        ),
        (
            lambda: recursive_forecast(lambda w: np.nan, [1.0], 2),
            ValueError,
            "returned nan at step 1",
        ),
        (
            lambda: recursive_forecast(lambda w: w[-1], np.ones((2, 2)), 2),
            ShapeError,
            "window must be 1-D",
        ),
    ],
)
def test_errors_name_what_is_wrong(call, error, match):
    with pytest.raises(error, match=match):
        call()
