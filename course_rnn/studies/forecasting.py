"""Forecasting real series: baselines, ARIMA chosen by AIC, and a GRU three ways, scored alike.

Every series (``course_rnn.data.real_series``) is split into a training part and a held-out
tail of H values (:data:`TEST_SIZE`); every forecast starts at the end of the training part and
is scored on the tail with MASE (scale: the training part's seasonal naive, period m) and sMAPE
(``course_rnn.training.forecasting``). Two horizon settings:

- ``one_step``: each of the H values is predicted from the true values before it (the model
  reads the real history: teacher forcing, as in training);
- ``multi_step``: all H values are predicted at once from the end of the training part.

Methods: ``naive`` and ``seasonal_naive`` (m > 1 only); ``arima``: a (seasonal) ARIMA fitted on
the training part, its order chosen by AIC over :data:`P_GRID` × :data:`Q_GRID` with d chosen
by a KPSS test and, for m > 1, a seasonal part (0, 1, 1)_m; its multi-step forecast is its
h-step forecast, its one-step forecasts use the fitted parameters on the true history.
``gru``: a GRU trained for one step ahead (teacher forcing), run ``one_step`` on the true
history and ``multi_step`` *recursively* (free running: it reads its own predictions);
``gru_direct``: a GRU whose head outputs all H values at once (multi-step only).

The GRU recipe (:data:`RECIPE`) was fixed once and is the same for every series: windows of W
steps; each window is expressed relative to its last value and divided by the training part's
scale (the standard deviation of its one-step differences), so a trending series and a stationary
one look alike to the network; GRU of 32 units, Adam, batches of 32, at most 150 passes, keeping
the weights with the lowest error on a validation slice (the last H values of the training part;
the model never trains on windows that reach into it). Everything random comes from ``seed``.

Warnings: statsmodels warns when its optimiser stops before convergence or when starting values
are non-stationary/non-invertible, and KPSS warns when its p-value lies outside its table; those
known warnings, and only those, are silenced (:func:`quiet_statsmodels`).

Book: chapter "Forecasting real series".
References: Box & Jenkins (1970) for ARIMA; Hyndman & Koehler (2006) for MASE;
Makridakis et al. (2020) for sMAPE (M4); Hyndman & Athanasopoulos (2021).
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import warnings

import numpy as np
import torch

from course_rnn.data.real_series import load_series, split_tail
from course_rnn.data.series import make_windows
from course_rnn.torch_nn.models import EncoderConfig, Forecaster
from course_rnn.training.forecasting import (
    mase,
    naive_forecast,
    recursive_forecast,
    seasonal_naive_forecast,
    smape,
)

#: The series of the chapter and the length of each held-out tail (= the horizon H).
TEST_SIZE = {"co2": 24, "sunspots": 20, "elnino": 24}
#: ARIMA's order grid: AR order p and MA order q (d by KPSS; seasonal part (0, 1, 1)_m if m > 1).
P_GRID, Q_GRID = (0, 1, 2, 3), (0, 1, 2)
#: The one GRU recipe, the same for every series.
RECIPE = {"window": 24, "hidden_size": 32, "lr": 3e-3, "batch_size": 32, "max_epochs": 150}


@contextlib.contextmanager
def quiet_statsmodels():
    """Silence statsmodels' known optimiser and table warnings (and nothing else)."""
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, InterpolationWarning

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        warnings.filterwarnings("ignore", category=InterpolationWarning)
        for start in ("Non-stationary starting", "Non-invertible starting"):
            warnings.filterwarnings("ignore", message=start, category=UserWarning)
        yield


def scores(actual, forecast, train, period: int) -> dict:
    """MASE (scale: the training part's seasonal naive of period m) and sMAPE of one forecast."""
    return {"mase": mase(actual, forecast, train, period), "smape": smape(actual, forecast)}


# ---------------------------------------------------------------------------------- baselines
def baseline_forecasts(train: np.ndarray, test: np.ndarray, period: int) -> dict:
    """Naive and (for m > 1) seasonal naive forecasts, one-step and multi-step.

    Returns:
        {method: {"one_step": (H,) list, "multi_step": (H,) list}}
    """
    H = len(test)
    full = np.concatenate([train, test])  # (n + H,)
    n = len(train)
    out = {"naive": {"one_step": full[n - 1 : n + H - 1], "multi_step": naive_forecast(train, H)}}
    if period > 1:
        out["seasonal_naive"] = {
            "one_step": full[n - period : n + H - period],
            "multi_step": seasonal_naive_forecast(train, H, period),
        }
    return {k: {s: np.asarray(v).tolist() for s, v in d.items()} for k, d in out.items()}


# -------------------------------------------------------------------------------------- ARIMA
def choose_d(train: np.ndarray, period: int) -> int:
    """d in {0, 1}: 1 if KPSS rejects level stationarity at 5 % (after the seasonal difference)."""
    from statsmodels.tsa.stattools import kpss

    y = train[period:] - train[:-period] if period > 1 else train
    with quiet_statsmodels():
        p_value = kpss(y, regression="c", nlags="auto", result_object=False)[1]
    return int(p_value < 0.05)


def _sarimax(train: np.ndarray, order: tuple, period: int):
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    seasonal = (0, 1, 1, period) if period > 1 else (0, 0, 0, 0)
    integrated = order[1] > 0 or period > 1
    return SARIMAX(train, order=order, seasonal_order=seasonal, trend="n" if integrated else "c")


def select_arima(train: np.ndarray, period: int) -> dict:
    """The (seasonal) ARIMA order with the lowest AIC on the training part, over the fixed grid.

    Returns:
        dict: ``order`` [p, d, q], ``seasonal_order`` [P, D, Q, m], ``aic`` of the chosen model,
        ``grid``: [[p, q, aic], ...] for every candidate (d fixed by :func:`choose_d`)
    """
    d = choose_d(train, period)
    grid = []
    with quiet_statsmodels():
        for p, q in itertools.product(P_GRID, Q_GRID):
            aic = float(_sarimax(train, (p, d, q), period).fit(disp=False).aic)
            grid.append([p, q, aic])
    p, q, aic = min(grid, key=lambda row: row[2])
    seasonal = [0, 1, 1, period] if period > 1 else [0, 0, 0, 0]
    return {"order": [p, d, q], "seasonal_order": seasonal, "aic": aic, "grid": grid}


def arima_forecasts(train: np.ndarray, test: np.ndarray, period: int, order) -> dict:
    """Fit ARIMA of ``order`` on the training part; its h-step and its one-step forecasts.

    Returns:
        {"one_step": (H,) list, "multi_step": (H,) list}: the one-step forecasts keep the
        parameters fitted on the training part and read the true values of the tail
    """
    H, n = len(test), len(train)
    with quiet_statsmodels():
        fitted = _sarimax(train, tuple(order), period).fit(disp=False)
        multi = fitted.forecast(H)  # (H,)
        extended = fitted.append(test)  # same parameters, the true tail appended
        one = extended.predict(start=n, end=n + H - 1)  # (H,) one-step-ahead
    return {"one_step": np.asarray(one).tolist(), "multi_step": np.asarray(multi).tolist()}


# ---------------------------------------------------------------------------------------- GRU
def _relative(windows: np.ndarray, scale: float) -> np.ndarray:
    """(W, N, 1) raw windows -> relative to each window's last value, divided by the scale."""
    return (windows - windows[-1:]) / scale


def fit_gru(train: np.ndarray, horizon_out: int, validation: int, *, seed: int) -> tuple:
    """Train the recipe's GRU to predict the next ``horizon_out`` values of a window.

    Args:
        train:       (n,) float, the training part
        horizon_out: 1 (one-step model) or H (direct model)
        validation:  V, the last V values of ``train`` are the validation slice
        seed:        int >= 0, initial weights and batch order

    Returns:
        (model in eval mode, scale, info dict: ``best_epoch``, ``val_mse``)
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"fit_gru: seed must be an int >= 0, got {seed!r}")
    W, n = RECIPE["window"], len(train)
    scale = float(np.std(np.diff(train)))
    fit_x, fit_y = make_windows(train[: n - validation], window=W, horizon=horizon_out)
    val_x, val_y = make_windows(train[n - validation - W - horizon_out + 1 :], window=W,
                                horizon=horizon_out)  # fmt: skip
    fit_y, val_y = (fit_y - fit_x[-1:]) / scale, (val_y - val_x[-1:]) / scale  # (Ho, N, 1)
    fit_x, val_x = _relative(fit_x, scale), _relative(val_x, scale)  # (W, N, 1)
    fit_x, fit_y, val_x, val_y = map(torch.from_numpy, (fit_x, fit_y, val_x, val_y))
    config = EncoderConfig(cell="gru", hidden_size=RECIPE["hidden_size"])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Forecaster(1, horizon=horizon_out, config=config)
    rng = np.random.default_rng(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=RECIPE["lr"])
    best = (np.inf, 0, None)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for epoch in range(1, RECIPE["max_epochs"] + 1):
            model.train()
            order = rng.permutation(fit_x.shape[1])
            for start in range(0, len(order), RECIPE["batch_size"]):
                idx = torch.from_numpy(order[start : start + RECIPE["batch_size"]])
                loss = model(fit_x[:, idx], fit_y[:, idx]).loss
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            model.eval()
            with torch.no_grad():
                val = float(model(val_x, val_y).loss)
            if val < best[0]:
                best = (val, epoch, copy.deepcopy(model.state_dict()))
    finally:
        torch.set_num_threads(threads)
    model.load_state_dict(best[2])
    return model.eval(), scale, {"best_epoch": best[1], "val_mse": best[0]}


@torch.no_grad()
def predict(model: Forecaster, windows: np.ndarray, scale: float) -> np.ndarray:
    """Forecasts in the series' units from raw windows.

    Args:
        windows: (N, W) float, each row the W values before the forecast origin

    Returns:
        (N, H_out) float64
    """
    x = np.asarray(windows, dtype=np.float64).T[:, :, None]  # (W, N, 1)
    last = x[-1, :, 0]  # (N,)
    pred = model(torch.from_numpy(_relative(x, scale).astype(np.float32))).logits  # (Ho, N, 1)
    return last[:, None] + scale * pred[:, :, 0].T.double().numpy()  # (N, Ho)


def gru_forecasts(train: np.ndarray, test: np.ndarray, *, seed: int) -> dict:
    """The one-step GRU (one-step and recursive) and the direct GRU, one seed.

    Returns:
        {"gru": {"one_step", "multi_step"}, "gru_direct": {"multi_step"}, "training": {...}}
    """
    W, H, n = RECIPE["window"], len(test), len(train)
    full = np.concatenate([train, test])  # (n + H,)
    one_model, scale, one_info = fit_gru(train, 1, H, seed=seed)
    true_windows = np.stack([full[n + k - W : n + k] for k in range(H)])  # (H, W)
    one_step = predict(one_model, true_windows, scale)[:, 0]  # (H,) teacher forcing
    recursive = recursive_forecast(
        lambda w: predict(one_model, w[None], scale)[0, 0], train[-W:], H
    )  # (H,) free running
    direct_model, _, direct_info = fit_gru(train, H, H, seed=seed)
    direct = predict(direct_model, train[None, -W:], scale)[0]  # (H,)
    return {
        "gru": {"one_step": one_step.tolist(), "multi_step": recursive.tolist()},
        "gru_direct": {"multi_step": direct.tolist()},
        "training": {"one_step_model": one_info, "direct_model": direct_info,
                     "parameters": sum(p.numel() for p in one_model.parameters())},
    }  # fmt: skip


# ----------------------------------------------------------------------------------- together
def series_setup(name: str) -> tuple[np.ndarray, np.ndarray, int]:
    """The training part, the held-out tail and the period m of one of the chapter's series."""
    if name not in TEST_SIZE:
        raise ValueError(f"series_setup: unknown series {name!r}; expected one of "
                         f"{list(TEST_SIZE)}")  # fmt: skip
    series = load_series(name)
    train, test = split_tail(series.values, TEST_SIZE[name])
    return train, test, series.period


def score_all(forecasts: dict, train, test, period: int) -> dict:
    """{method: {setting: {"mase", "smape"}}} for a dict of forecasts shaped like the others."""
    return {
        method: {setting: scores(test, f, train, period) for setting, f in by_setting.items()}
        for method, by_setting in forecasts.items()
        if method != "training"
    }


def classical(name: str) -> dict:
    """Baselines and ARIMA on one series: forecasts, chosen order and scores (no randomness)."""
    train, test, period = series_setup(name)
    chosen = select_arima(train, period)
    forecasts = baseline_forecasts(train, test, period)
    forecasts["arima"] = arima_forecasts(train, test, period, chosen["order"])
    return {"arima_selection": chosen, "forecasts": forecasts,
            "scores": score_all(forecasts, train, test, period)}  # fmt: skip


def neural(name: str, seed: int) -> dict:
    """The GRUs on one series with one seed: forecasts, training facts and scores."""
    train, test, period = series_setup(name)
    forecasts = gru_forecasts(train, test, seed=seed)
    return {"seed": seed, "forecasts": {k: v for k, v in forecasts.items() if k != "training"},
            "training": forecasts["training"],
            "scores": score_all(forecasts, train, test, period)}  # fmt: skip
