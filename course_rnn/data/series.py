"""Synthetic time series for forecasting: a noisy sine and a multi-scale signal, and windowing.

A forecaster reads an input window of W steps and predicts the next H steps (the horizon).
:func:`make_windows` cuts any series into such pairs, time-major; :func:`forecast_batch` draws
fresh series for each batch, which is what a training loop wants. Values are float32 (what the
torch models eat). Two baselines frame every result: the noise floor ``noise_std ** 2`` (no
forecaster beats the noise that is added to the targets) and :func:`persistence_mse`, repeating the
last seen value (what a model must beat to have learnt anything).

Book: chapter "Forecasting real series" (its study cuts the real series into windows with
:func:`make_windows`).
"""

from collections.abc import Sequence

import numpy as np

from course_rnn.data._checks import check_fraction, check_int, check_rng
from course_rnn.data.batching import TaskBatch
from course_rnn.shapes import ShapeError


def noisy_sine(
    T: int,
    batch_size: int,
    *,
    rng: np.random.Generator,
    period: float = 25.0,
    amplitude: float = 1.0,
    noise_std: float = 0.1,
) -> np.ndarray:
    """B sine waves of one period with random phases, plus Gaussian noise.

    x_b(t) = amplitude · sin(2π t / period + φ_b) + ε, φ_b ~ U(0, 2π), ε ~ N(0, noise_std²).

    Args:
        T:          number of steps
        batch_size: B, the number of independent series
        rng:        np.random.Generator
        period:     steps per cycle, > 0
        amplitude:  peak value of the clean signal
        noise_std:  standard deviation of the added noise, >= 0

    Returns:
        series: (T, B) float32
    """
    return _sum_of_sines("noisy_sine", T, batch_size, rng, (period,), (amplitude,), noise_std)


def multiscale_signal(
    T: int,
    batch_size: int,
    *,
    rng: np.random.Generator,
    periods: Sequence[float] = (100.0, 20.0, 5.0),
    amplitudes: Sequence[float] = (1.0, 0.5, 0.25),
    noise_std: float = 0.05,
) -> np.ndarray:
    """A sum of sines with very different periods, each with its own random phase, plus noise.

    x_b(t) = Σ_k a_k sin(2π t / P_k + φ_bk) + ε. The slow component (P = 100 by default) is only
    predictable from a window that covers a good part of its cycle.

    Args:
        T:          number of steps
        batch_size: B
        rng:        np.random.Generator
        periods:    (K,) steps per cycle of each component, all > 0
        amplitudes: (K,) amplitude of each component
        noise_std:  standard deviation of the added Gaussian noise, >= 0

    Returns:
        series: (T, B) float32
    """
    return _sum_of_sines("multiscale_signal", T, batch_size, rng, periods, amplitudes, noise_std)


def _sum_of_sines(where, T, batch_size, rng, periods, amplitudes, noise_std) -> np.ndarray:
    """The shared body of noisy_sine and multiscale_signal; ``where`` names the caller."""
    T = check_int(where, "T", T)
    B = check_int(where, "batch_size", batch_size)
    rng = check_rng(where, rng)
    periods = np.asarray(periods, dtype=np.float64)  # (K,)
    amplitudes = np.asarray(amplitudes, dtype=np.float64)  # (K,)
    if periods.ndim != 1 or periods.shape != amplitudes.shape or periods.size == 0:
        raise ShapeError(
            f"{where}: periods and amplitudes expected the same shape (K,), got "
            f"{periods.shape} and {amplitudes.shape}"
        )
    if np.any(periods <= 0):
        raise ValueError(f"{where}: every period must be > 0, got {periods.tolist()}")
    noise_std = check_fraction(where, "noise_std", noise_std, high=np.inf)
    K = periods.size
    phases = rng.uniform(0.0, 2 * np.pi, size=(1, B, K))  # (1, B, K)
    t = np.arange(T, dtype=np.float64)[:, None, None]  # (T, 1, 1)
    clean = (amplitudes * np.sin(2 * np.pi * t / periods + phases)).sum(axis=-1)  # (T, B)
    noise = noise_std * rng.standard_normal((T, B))  # (T, B)
    return (clean + noise).astype(np.float32)


def make_windows(
    series: np.ndarray, *, window: int, horizon: int, stride: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Cut series into (input window, target horizon) pairs, time-major.

    Window n starts at step ``k · stride`` of series s, where ``n = k · S + s``; its input is the W
    steps from there and its target the H steps that follow.

    Args:
        series:  (T,) or (T, S) float, one or S series of the same length
        window:  W, input steps, >= 1
        horizon: H, target steps, >= 1
        stride:  steps between the starts of consecutive windows, >= 1

    Returns:
        inputs:  (W, N, 1) float32
        targets: (H, N, 1) float32, with N = S · (1 + (T - W - H) // stride)
    """
    where = "make_windows"
    W = check_int(where, "window", window)
    H = check_int(where, "horizon", horizon)
    stride = check_int(where, "stride", stride)
    series = np.asarray(series)
    if series.ndim == 1:
        series = series[:, None]  # (T, 1)
    if series.ndim != 2:
        raise ShapeError(f"{where}: series expected (T,) or (T, S), got {series.shape}")
    T, S = series.shape
    if T < W + H:
        raise ValueError(
            f"{where}: series of length T={T} is shorter than window + horizon = {W + H}"
        )
    starts = np.arange(0, T - W - H + 1, stride)  # (K,)
    steps = starts[None, :] + np.arange(W + H)[:, None]  # (W + H, K)
    pieces = series[steps]  # (W + H, K, S)
    pieces = pieces.reshape(W + H, len(starts) * S, 1).astype(np.float32)  # (W + H, N, 1)
    return pieces[:W], pieces[W:]


def forecast_batch(
    signal: str,
    window: int,
    horizon: int,
    batch_size: int,
    *,
    rng: np.random.Generator,
    noise_std: float = 0.1,
) -> TaskBatch:
    """A batch of fresh forecasting pairs: B new series of length W + H, split in two.

    Args:
        signal:     ``"sine"`` (:func:`noisy_sine`, period 25) or ``"multiscale"``
                    (:func:`multiscale_signal`, periods 100, 20, 5)
        window:     W, input steps
        horizon:    H, target steps
        batch_size: B
        rng:        np.random.Generator
        noise_std:  the noise added to every value (inputs and targets)

    Returns:
        TaskBatch with
            inputs:  (W, B, 1) float32
            targets: (H, B, 1) float32
            mask:    None
    """
    where = "forecast_batch"
    W = check_int(where, "window", window)
    H = check_int(where, "horizon", horizon)
    B = check_int(where, "batch_size", batch_size)
    if signal == "sine":
        series = noisy_sine(W + H, B, rng=rng, noise_std=noise_std)  # (W + H, B)
    elif signal == "multiscale":
        series = multiscale_signal(W + H, B, rng=rng, noise_std=noise_std)  # (W + H, B)
    else:
        raise ValueError(f'{where}: unknown signal {signal!r}; expected "sine" or "multiscale"')
    inputs, targets = series[:W, :, None], series[W:, :, None]  # (W, B, 1), (H, B, 1)
    return TaskBatch(inputs, targets, None)


def persistence_mse(inputs: np.ndarray, targets: np.ndarray) -> float:
    """MSE of the naive forecast that repeats the last input value over the whole horizon.

    Args:
        inputs:  (W, N, 1) float
        targets: (H, N, 1) float

    Returns:
        float, mean over H, N of (targets - inputs[-1]) ** 2.
    """
    if inputs.ndim != 3 or targets.ndim != 3 or inputs.shape[1:] != targets.shape[1:]:
        raise ShapeError(
            f"persistence_mse: expected inputs (W, N, 1) and targets (H, N, 1), got "
            f"{inputs.shape} and {targets.shape}"
        )
    last = inputs[-1:].astype(np.float64)  # (1, N, 1)
    return float(np.mean((targets.astype(np.float64) - last) ** 2))
