"""course_rnn.data.real_series: the four series load offline, with their sizes and cleaning."""

import socket
import urllib.request

import numpy as np
import pytest

from course_rnn.data import DATASETS
from course_rnn.data.real_series import NAMES, load_series, split_tail

SIZES = {"co2": (526, 12, 1958 + 2 / 12), "sunspots": (309, 1, 1700.0), "nile": (100, 1, 1871.0),
         "elnino": (732, 12, 1950.0)}  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_each_series_has_its_documented_size(name):
    series = load_series(name)
    T, period, start = SIZES[name]
    assert series.values.shape == (T,)
    assert series.values.dtype == np.float64
    assert np.all(np.isfinite(series.values))
    assert series.period == period
    assert series.start == pytest.approx(start)
    assert series.times[-1] == pytest.approx(start + (T - 1) * series.step)
    assert series.licence == "public domain"
    assert f"T = {T}" in DATASETS[name].size
    assert f"m = {period}" in DATASETS[name].size
    with pytest.raises(ValueError, match="read-only"):
        series.values[0] = 0.0


def test_known_values():
    assert load_series("sunspots").values[:3].tolist() == [5.0, 11.0, 16.0]
    assert load_series("nile").values[[0, -1]].tolist() == [1120.0, 740.0]
    elnino = load_series("elnino").values
    assert elnino[[0, 11, 12, -1]].tolist() == [23.11, 21.80, 24.19, 22.07]  # row-major months


def test_co2_is_the_monthly_mean_of_the_weekly_values_with_five_months_interpolated():
    from statsmodels.datasets import co2

    weekly = co2.load_pandas().data["co2"]
    monthly = load_series("co2").values
    assert weekly.isna().sum() == 59
    march_1958 = weekly["1958-03"].mean()
    january_1990 = weekly["1990-01"].mean()
    assert monthly[0] == pytest.approx(march_1958)
    assert monthly[(1990 - 1958) * 12 - 2] == pytest.approx(january_1990)
    means = weekly.resample("MS").mean()
    empty = np.flatnonzero(means.isna().to_numpy())
    assert [str(means.index[i])[:7] for i in empty] == [
        "1958-06", "1958-10", "1964-02", "1964-03", "1964-04"]  # fmt: skip
    i = empty[0]  # 1958-06 lies between two observed months
    assert monthly[i] == pytest.approx((monthly[i - 1] + monthly[i + 1]) / 2)


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to resolve a name or open a socket raises."""

    def refuse(*args, **kwargs):
        raise OSError("network blocked by the test")

    class NoSocket(socket.socket):  # a class, so that modules subclassing socket still import
        def __init__(self, *args, **kwargs):
            refuse()

    monkeypatch.setattr(socket, "socket", NoSocket)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_loading_works_with_the_network_blocked(no_network):
    with pytest.raises(OSError, match="network blocked"):  # the block is real
        urllib.request.urlopen("http://example.com", timeout=1)
    load_series.cache_clear()
    for name in NAMES:
        assert len(load_series(name).values) == SIZES[name][0]


def test_unknown_series():
    with pytest.raises(ValueError, match="load_series: unknown series 'airline'"):
        load_series("airline")


def test_split_tail():
    train, test = split_tail(np.arange(10.0), 3)
    assert train.tolist() == list(range(7))
    assert test.tolist() == [7.0, 8.0, 9.0]
    with pytest.raises(ValueError, match=r"split_tail: test_size must be in \[1, T - 1\]"):
        split_tail(np.arange(10.0), 10)
    with pytest.raises(ValueError, match="split_tail: series must be 1-D"):
        split_tail(np.zeros((4, 2)), 1)
    with pytest.raises(ValueError, match="split_tail: test_size must be an int"):
        split_tail(np.arange(10.0), 2.0)
