"""Forecasting baselines and error metrics: naive, seasonal naive, sMAPE, MASE, recursive rollout.

A forecast of a series ``y_1..y_n`` (the history) for the next H steps ``y_{n+1}..y_{n+H}`` (the
horizon) is judged against baselines that cost nothing: the naive forecast repeats the last value,
the seasonal naive forecast repeats the last full season of period m. Two scale-free errors are
the ones the M-competitions report (Makridakis et al. 2020): sMAPE, a percentage in [0, 200], and
MASE, the mean absolute error divided by the in-sample mean absolute error of the seasonal naive
forecast; MASE < 1 beats that baseline on the history. Hyndman & Koehler (2006) proposed MASE
with the plain naive scale (m = 1); the seasonal scale with period m is the form of the M4
competition and of Hyndman & Athanasopoulos (2021). A one-step model becomes a multi-step
forecaster by ``recursive_forecast``, which feeds each prediction back as the newest input.

Maths indexes time 1..n; arrays are 0-based (``history[0]`` is y_1, ``forecast[k-1]`` is
ŷ_{n+k}). Inputs are 1-D real arrays (float32 or float64); results are float64.
Book: chapter "Forecasting real series".
"""

import math
from collections.abc import Callable

import numpy as np

from course_rnn.shapes import ShapeError


def _series(x, name: str, where: str) -> np.ndarray:
    """``x`` as a finite, non-empty, 1-D float64 array; errors name ``where`` and ``name``."""
    arr = np.asarray(x)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{where}: {name} must hold real numbers; got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ShapeError(f"{where}: {name} must be 1-D (N,); got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{where}: {name} is empty")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise ValueError(f"{where}: {name} holds NaN or inf (first at index {bad}: {arr[bad]})")
    return arr


def _positive_int(value, name: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{where}: {name} must be an int; got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{where}: {name} must be >= 1; got {value}")
    return int(value)


def _same_length(actual: np.ndarray, forecast: np.ndarray, where: str) -> None:
    if actual.shape != forecast.shape:
        raise ShapeError(
            f"{where}: actual and forecast must have the same length; got {actual.shape[0]} "
            f"and {forecast.shape[0]}"
        )


def naive_forecast(history, horizon: int) -> np.ndarray:
    """Repeat the last observed value: ŷ_{n+k} = y_n for k = 1..H.

    Args:
        history: (n,) float, the observed series y_1..y_n
        horizon: H >= 1, the number of future steps

    Returns:
        forecast (H,) float64
    """
    y = _series(history, "history", "naive_forecast")
    h = _positive_int(horizon, "horizon", "naive_forecast")
    return np.full(h, y[-1])


def seasonal_naive_forecast(history, horizon: int, period: int) -> np.ndarray:
    """Repeat the last full season: ŷ_{n+k} = y_{n+k-m*ceil(k/m)} with m = period.

    Step k of the horizon takes the value one, two, ... seasons back, whichever is the latest
    observed one; the last season y_{n-m+1}..y_n is repeated as often as the horizon needs (a
    horizon shorter than m uses its first H values). Period 1 is the naive forecast.

    Args:
        history: (n,) float with n >= period
        horizon: H >= 1
        period:  m >= 1, the season length in steps (12 for monthly data with a yearly cycle)

    Returns:
        forecast (H,) float64
    """
    where = "seasonal_naive_forecast"
    y = _series(history, "history", where)
    h = _positive_int(horizon, "horizon", where)
    m = _positive_int(period, "period", where)
    if y.size < m:
        raise ValueError(f"{where}: history has {y.size} values, shorter than one period ({m})")
    season = y[-m:]  # (m,) y_{n-m+1}..y_n
    return season[np.arange(h) % m]  # step k (0-based k-1) takes season[(k-1) mod m]


def smape(actual, forecast) -> float:
    """Symmetric mean absolute percentage error, in percent (0 to 200).

    sMAPE = (1/H) Σ_k 200 |y_k - ŷ_k| / (|y_k| + |ŷ_k|), the M4 definition. A step where both the
    actual and the forecast are 0 is a perfect forecast and contributes 0 (not 0/0).

    Args:
        actual:   (H,) float, the true future values
        forecast: (H,) float

    Returns:
        sMAPE in percent, float
    """
    y = _series(actual, "actual", "smape")
    f = _series(forecast, "forecast", "smape")
    _same_length(y, f, "smape")
    num = 200.0 * np.abs(y - f)
    den = np.abs(y) + np.abs(f)
    terms = np.divide(num, den, out=np.zeros_like(num), where=den > 0)  # 0/0 counts 0
    return float(terms.mean())


def mase(actual, forecast, history, period: int = 1) -> float:
    """Mean absolute scaled error with a seasonal scale, as in the M4 competition.

    Hyndman & Koehler (2006) proposed MASE with the naive scale (``period=1``); the seasonal
    scale with period m is the form M4 and Hyndman & Athanasopoulos (2021) use.

    MASE = mean_k |y_{n+k} - ŷ_{n+k}| / s,  s = (1/(n-m)) Σ_{t=m+1..n} |y_t - y_{t-m}|:
    the scale s is the in-sample error of the seasonal naive one-step forecast on the history,
    never on the test part. MASE < 1: better on the horizon than that baseline was on the history.

    Args:
        actual:   (H,) float, the true future values
        forecast: (H,) float
        history:  (n,) float with n > period, the series the forecast was made from
        period:   m >= 1 (1 = scale by the naive forecast's error)

    Returns:
        MASE, float

    Raises:
        ValueError: the scale is 0 (the history repeats itself exactly with period m, e.g. it is
            constant), so the ratio is undefined.
    """
    y = _series(actual, "actual", "mase")
    f = _series(forecast, "forecast", "mase")
    _same_length(y, f, "mase")
    hist = _series(history, "history", "mase")
    m = _positive_int(period, "period", "mase")
    if hist.size <= m:
        raise ValueError(
            f"mase: history has {hist.size} values; the scale needs more than one period ({m})"
        )
    scale = np.abs(hist[m:] - hist[:-m]).mean()  # (1/(n-m)) Σ_{t=m+1..n} |y_t - y_{t-m}|
    if scale == 0:
        raise ValueError(
            f"mase: the scale is 0: the history is constant (or repeats exactly with period {m}), "
            "so the seasonal naive forecast has no in-sample error to scale by"
        )
    return float(np.abs(y - f).mean() / scale)


def recursive_forecast(step: Callable, window, horizon: int) -> np.ndarray:
    """Roll a one-step model forward: each prediction becomes the newest input.

    With a window of the W last values, ``step`` predicts the next one; the window then drops its
    oldest value and appends the prediction, and so on for H steps. Only the first prediction sees
    W observed values; from then on the model reads its own outputs (free running).

    Args:
        step:    callable mapping a window (W,) float64 to the next value (a float, or an array
                 holding one number); it receives a copy it may keep or change
        window:  (W,) float, the W last observed values, oldest first
        horizon: H >= 1

    Returns:
        forecast (H,) float64
    """
    where = "recursive_forecast"
    if not callable(step):
        raise TypeError(f"{where}: step must be callable; got {type(step).__name__}")
    win = _series(window, "window", where)
    h = _positive_int(horizon, "horizon", where)
    out = np.empty(h)
    for k in range(h):
        pred = np.asarray(step(win.copy()), dtype=np.float64)
        if pred.size != 1:
            raise ShapeError(f"{where}: step must return one number; got shape {pred.shape}")
        value = float(pred.reshape(()))
        if not math.isfinite(value):
            raise ValueError(f"{where}: step returned {value} at step {k + 1}")
        out[k] = value
        win = np.append(win[1:], value)  # (W,) slide: drop the oldest, append the prediction
    return out
