"""Public spec of the exercise "forecasting": baselines, the field's errors, multi-step forecasts.

Five tasks on 1-D series (time 1..n in the maths, 0-based arrays: ``history[0]`` is y_1): the
seasonal naive forecast, sMAPE, MASE (which must refuse a history whose scale is 0), the
recursive multi-step forecast of a one-step model, and the (window, horizon) training pairs of
a direct multi-output model. W is the window, H the horizon, m the period, n the history's
length, N the number of training pairs (the letters of ``course_rnn/data/series.py``).

Every task runs through a harness (``harness_forecasting.py``): none may change the arrays it is
given, sMAPE must not divide 0 by 0, MASE must refuse a scale of 0 with a ValueError that says
why, and the recursive forecast's model is built from data.

Book: chapter "Forecasting real series". The references are the package's functions in
``course_rnn/training/forecasting.py``, called in the trusted process (or in the student's own,
for self-checks); the training pairs' reference is written here.
"""

import numpy as np

from course_rnn.grading.harness_forecasting import (
    forecast_harness,
    mase_harness,
    recursive_harness,
)
from course_rnn.grading.tasks import Edge, Output, Task


def _f32(array, f32):
    return array.astype(np.float32) if f32 else array


def seasonal_series(fill, n, m):
    """(n,) float64: a rising trend plus a season of period m (from ``fill``, like every input).

    The trend rises by steps in [0, 0.1], the season spans up to 4: the seasonal differences
    y_t - y_{t-m} are small and the one-step differences are not, as in a real seasonal series.
    """
    trend = np.cumsum(fill((n,), 0.0, 0.1))  # (n,) non-decreasing
    season = fill((m,), -2.0, 2.0)  # (m,)
    return trend + season[np.arange(n) % m]


SEASONAL_PARAMS = ("history", "horizon", "period")
SMAPE_PARAMS = ("actual", "forecast")
DIRECT_PARAMS = ("series", "window", "horizon")


def _seasonal_inputs(fill, n, H, m, f32=0):
    """(names, history, horizon, period) for seasonal_naive_forecast (through forecast_harness)."""
    n, H, m = int(n), int(H), int(m)
    return SEASONAL_PARAMS, _f32(seasonal_series(fill, n, m), f32), H, m


def _seasonal_reference(names, history, horizon, period):
    from course_rnn.training.forecasting import seasonal_naive_forecast

    return (seasonal_naive_forecast(history, horizon, period),)


def _smape_inputs(fill, H, zeros=0, neg=0, f32=0):
    """(names, actual, forecast); ``zeros`` puts 0 in both at every third step and in
    ``actual`` at step 1; ``neg`` draws values of both signs."""
    H = int(H)
    actual = fill((H,), -3.0, 2.0) if neg else fill((H,), 0.5, 4.0)
    forecast = fill((H,), 1.5, -2.5) if neg else fill((H,), 3.0, 0.8)
    if zeros:  # H >= 2
        actual[0::3], forecast[0::3] = 0.0, 0.0  # 0/0: a perfect forecast of 0
        actual[1] = 0.0  # y = 0 with ŷ ≠ 0: the largest term, 200
    return SMAPE_PARAMS, _f32(actual, f32), _f32(forecast, f32)


def _smape_reference(names, actual, forecast):
    from course_rnn.training.forecasting import smape

    return (smape(actual, forecast),)


def _mase_inputs(fill, n, H, m, refuse=0, f32=0):
    """(refuse, actual, forecast, history, period); ``refuse`` 1: a constant history, 2: a pure
    season that repeats exactly every m steps (both have scale 0)."""
    n, H, m = int(n), int(H), int(m)
    if refuse == 1:
        history = np.full(n, fill((2,), 1.0, 3.0)[1])
    elif refuse == 2:
        history = fill((m,), -1.0, 1.5)[np.arange(n) % m]
    else:
        history = seasonal_series(fill, n, m) + fill((n,), 0.0, 0.5) ** 2  # a bent trend
    actual = fill((H,), 1.8, 3.1)
    forecast = fill((H,), 2.6, 1.9)
    return int(refuse), _f32(actual, f32), _f32(forecast, f32), _f32(history, f32), m


def _mase_reference(refuse, actual, forecast, history, period):
    from course_rnn.training.forecasting import mase

    if refuse:
        try:
            mase(actual, forecast, history, period)
        except ValueError:
            return (0.0,)  # what mase_harness returns for the refusal
        raise AssertionError("the reference mase accepted a history whose scale is 0")
    return (mase(actual, forecast, history, period),)


def _recursive_inputs(fill, W, H, f32=0):
    """(coef, bias, window, horizon): the one-step model tanh(w · coef + bias) and its start."""
    W, H = int(W), int(H)
    coef = fill((W,), -0.5, 0.9)  # (W,) coef[-1] weighs the newest value
    bias = float(fill((2,), -0.2, 0.3)[1])
    window = fill((W,), -1.0, 1.2)  # (W,)
    return coef, bias, _f32(window, f32), H


def _recursive_reference(coef, bias, window, horizon):
    from course_rnn.training.forecasting import recursive_forecast

    def step(w):
        return float(np.tanh(w @ coef + bias))

    return (recursive_forecast(step, window, horizon),)


def _direct_inputs(fill, T, W, H, N, f32=0):
    """(names, series, window, horizon): a wavy series of T values."""
    T, W, H = int(T), int(W), int(H)
    assert N == T - W - H + 1, "N must be the number of (window, horizon) pairs"
    series = np.sin(3.0 * fill((T,), -1.0, 2.0)) + fill((T,), 0.0, 1.0)  # (T,)
    return DIRECT_PARAMS, _f32(series, f32), W, H


def _direct_reference(names, series, window, horizon):
    pieces = np.lib.stride_tricks.sliding_window_view(series, window + horizon)  # (N, W + H)
    return pieces[:, :window].T.copy(), pieces[:, window:].T.copy()  # (W, N), (H, N)


TASKS = (
    Task(
        name="seasonal_naive_forecast",
        params=("history", "horizon", "period"),
        outputs=(
            Output(
                "forecast",
                "H",
                hint="work questions 1 and 2 of the task for m = 3 and H = 7 on paper: which "
                "stretch of the history do the forecasts repeat, and in which order?",
            ),
        ),
        build=_seasonal_inputs,
        reference=_seasonal_reference,
        harness=forecast_harness,
        public={"n": 10, "H": 7, "m": 3},
        edges=(
            Edge("period m = 1 (no season)", {"n": 6, "H": 4, "m": 1}),
            Edge("a period longer than the horizon (m = 5, H = 3)", {"n": 8, "H": 3, "m": 5}),
            Edge("a horizon of exactly two periods (H = 8, m = 4)", {"n": 9, "H": 8, "m": 4}),
            Edge("a history of one period only (n = m = 4)", {"n": 4, "H": 6, "m": 4}),
            Edge("a float32 history", {"n": 11, "H": 5, "m": 2, "f32": 1}),
        ),
        rtol=1e-5,
    ),
    Task(
        name="smape",
        params=("actual", "forecast"),
        outputs=(
            Output(
                "sMAPE",
                "",
                hint="compare your code with the formula of the task term by term: the factor, "
                "the absolute values, and what a step where y = ŷ = 0 adds (question 2).",
            ),
        ),
        build=_smape_inputs,
        reference=_smape_reference,
        harness=forecast_harness,
        public={"H": 6},
        edges=(
            Edge("zeros: y = ŷ = 0 at some steps, y = 0 alone at another", {"H": 7, "zeros": 1}),
            Edge("values of both signs", {"H": 5, "neg": 1}),
            Edge("H = 1", {"H": 1}),
            Edge("float32 inputs", {"H": 4, "f32": 1}),
        ),
        rtol=1e-5,
    ),
    Task(
        name="mase",
        params=("actual", "forecast", "history", "period"),
        outputs=(
            Output(
                "MASE",
                "",
                hint="the scale is computed on the history alone, with the period m of the call, "
                "and its mean has as many terms as question 1 of the task counts.",
            ),
        ),
        build=_mase_inputs,
        reference=_mase_reference,
        harness=mase_harness,
        public={"n": 14, "H": 5, "m": 4},
        edges=(
            Edge("period m = 1", {"n": 9, "H": 4, "m": 1}),
            Edge("a period longer than the horizon (m = 6, H = 2)", {"n": 13, "H": 2, "m": 6}),
            Edge("a constant history (the scale is 0)", {"n": 8, "H": 3, "m": 2, "refuse": 1}),
            Edge(
                "a history that repeats exactly every m steps (the scale is 0)",
                {"n": 12, "H": 3, "m": 4, "refuse": 2},
            ),
            Edge("float32 inputs", {"n": 10, "H": 4, "m": 3, "f32": 1}),
        ),
        rtol=1e-5,
    ),
    Task(
        name="recursive_forecast",
        params=("step", "window", "horizon"),
        outputs=(
            Output(
                "forecast",
                "H",
                hint="write out on paper which values the window holds after 1, 2 and 3 "
                "predictions (question 1 of the task); which end does each value enter?",
            ),
        ),
        build=_recursive_inputs,
        reference=_recursive_reference,
        harness=recursive_harness,
        public={"W": 4, "H": 6},
        edges=(
            Edge("a window of 1 (W = 1)", {"W": 1, "H": 5}),
            Edge("H = 1", {"W": 3, "H": 1}),
            Edge("a horizon shorter than the window (W = 6, H = 3)", {"W": 6, "H": 3}),
            Edge("a float32 window", {"W": 3, "H": 4, "f32": 1}),
        ),
        rtol=1e-5,
    ),
    Task(
        name="direct_targets",
        params=("series", "window", "horizon"),
        outputs=(
            Output(
                "inputs",
                "W N",
                hint="list the windows of the first and of the last pair for T = 7, W = 4, H = 3 "
                "(questions 1 and 2 of the task).",
            ),
            Output(
                "targets",
                "H N",
                hint="a pair's targets are the values the model must predict after reading its "
                "window: where does the first of them lie?",
            ),
        ),
        build=_direct_inputs,
        reference=_direct_reference,
        harness=forecast_harness,
        public={"T": 12, "W": 4, "H": 3, "N": 6},
        edges=(
            Edge("one pair only (T = W + H)", {"T": 7, "W": 4, "H": 3, "N": 1}),
            Edge("a window of 1 (W = 1)", {"T": 6, "W": 1, "H": 2, "N": 4}),
            Edge("H = 1", {"T": 8, "W": 3, "H": 1, "N": 5}),
            Edge("a float32 series", {"T": 9, "W": 2, "H": 3, "N": 5, "f32": 1}),
        ),
    ),
)
