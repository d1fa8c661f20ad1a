import numpy as np
import pytest

from course_rnn.data import (
    forecast_batch,
    make_windows,
    multiscale_signal,
    noisy_sine,
    persistence_mse,
)
from course_rnn.shapes import ShapeError


def test_noisy_sine_without_noise_is_a_sine_of_the_period(rng):
    x = noisy_sine(100, 3, rng=rng, period=25.0, noise_std=0.0)
    assert x.shape == (100, 3)
    assert x.dtype == np.float32
    np.testing.assert_allclose(x[25:], x[:-25], atol=1e-5)  # periodic
    np.testing.assert_allclose(np.abs(x).max(axis=0), 1.0, atol=1e-2)


def test_noise_has_the_requested_std(rng):
    clean_rng, noisy_rng = np.random.default_rng(5), np.random.default_rng(5)
    clean = noisy_sine(20_000, 2, rng=clean_rng, noise_std=0.0)
    noisy = noisy_sine(20_000, 2, rng=noisy_rng, noise_std=0.3)
    assert np.std(noisy - clean) == pytest.approx(0.3, rel=0.02)


def test_multiscale_signal_is_the_sum_of_its_components(rng):
    x = multiscale_signal(200, 4, rng=rng, noise_std=0.0)
    assert x.shape == (200, 4)
    np.testing.assert_allclose(x[100:], x[:-100], atol=1e-5)  # common period 100
    assert not np.allclose(x[20:], x[:-20], atol=1e-2)  # the slow part breaks period 20


def test_make_windows_pairs_are_contiguous():
    series = np.arange(10, dtype=np.float64)
    inputs, targets = make_windows(series, window=4, horizon=2, stride=2)
    assert inputs.shape == (4, 3, 1)
    assert targets.shape == (2, 3, 1)
    assert inputs.dtype == np.float32
    np.testing.assert_array_equal(inputs[:, 1, 0], [2, 3, 4, 5])
    np.testing.assert_array_equal(targets[:, 1, 0], [6, 7])


def test_make_windows_of_several_series_index_start_major():
    series = np.stack([np.arange(8), 100 + np.arange(8)], axis=1)  # (T, S) = (8, 2)
    inputs, targets = make_windows(series, window=3, horizon=1)
    assert inputs.shape == (3, 2 * 5, 1)
    np.testing.assert_array_equal(inputs[:, 3, 0], [101, 102, 103])  # n = k·S + s = 1·2 + 1
    np.testing.assert_array_equal(targets[0, 3, 0], 104)


def test_forecast_batch_and_baselines(rng):
    x, y, mask = forecast_batch("sine", 30, 5, 4000, rng=rng, noise_std=0.1)
    assert x.shape == (30, 4000, 1)
    assert y.shape == (5, 4000, 1)
    assert mask is None
    persistence = persistence_mse(x, y)
    # repeating the last value is worse than the noise floor, which no forecaster beats
    assert persistence > 2 * 0.1**2
    x2, y2, _ = forecast_batch("multiscale", 30, 5, 10, rng=rng)
    assert x2.shape == (30, 10, 1)
    assert y2.shape == (5, 10, 1)


def test_series_are_deterministic_given_the_seed():
    a, b, c = (noisy_sine(50, 3, rng=np.random.default_rng(s)) for s in (1, 1, 2))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda r: make_windows(np.arange(5.0), window=4, horizon=2),
            ValueError,
            "shorter than window",
        ),
        (lambda r: make_windows(np.zeros((2, 2, 2)), window=1, horizon=1), ShapeError, "series"),
        (lambda r: forecast_batch("cosine", 5, 2, 3, rng=r), ValueError, "unknown signal 'cosine'"),
        (
            lambda r: multiscale_signal(5, 2, rng=r, periods=(1.0, 2.0), amplitudes=(1.0,)),
            ShapeError,
            "multiscale_signal: periods and amplitudes",
        ),
        (lambda r: noisy_sine(5, 2, rng=r, period=0.0), ValueError, "noisy_sine: every period"),
        (lambda r: noisy_sine(5, 2, rng=r, noise_std=-1), ValueError, "noise_std must be in"),
        (lambda r: persistence_mse(np.zeros((3, 2)), np.zeros((1, 2))), ShapeError, "persistence"),
    ],
)
def test_series_errors(rng, call, error, match):
    with pytest.raises(error, match=match):
        call(rng)
