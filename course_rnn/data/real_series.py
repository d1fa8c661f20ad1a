"""Four classic real time series that ship inside statsmodels' wheel, loaded offline.

statsmodels (a dependency of the course) bundles small data sets as CSV files inside its
package. Each loader here reads one of them with ``statsmodels.datasets.<name>.load_pandas()``,
which opens the CSV next to the module and never touches the network (statsmodels' functions
that download, such as ``get_rdataset`` or ``webuse``, are never called). The series:

- ``co2``: atmospheric CO₂ at Mauna Loa, Hawaii, in ppm; statsmodels ships weekly values
  from 1958-03-29 to 2001-12-29 (2,284 weeks, 59 of them missing). Cleaning: the weekly values
  are averaged into calendar months (1958-03 to 2001-12, T = 526); the 5 months without any
  observation (1958-06, 1958-10, 1964-02 to 1964-04) are filled by linear interpolation
  between their neighbours. Trend plus a yearly season, period m = 12. Source: Keeling & Whorf,
  Scripps Institution of Oceanography, via CDIAC; statsmodels: "This is public domain."
- ``sunspots``: yearly mean sunspot number 1700-2008 (T = 309), from the National Geophysical
  Data Center (NOAA); a quasi-cycle of about 11 years whose length and height vary, so there is
  no fixed season (m = 1). No cleaning. These are the numbers of the pre-2015 international
  series (version 1); SILSO's current version 2 (2015) no longer multiplies by the conventional
  Zürich factor 0.6 and corrects other drifts, so its values are larger (the factor alone makes
  them 1/0.6, about 1.67 times, larger). statsmodels: "This data is public domain."
- ``nile``: yearly flow of the Nile at Aswan, 1871-1970 (T = 100), in 10⁸ m³, first analysed
  by Cobb (1978); a level shift around 1898, no season (m = 1). No cleaning. statsmodels:
  "This is public domain."
- ``elnino``: monthly sea-surface temperature in °C of the Niño 1+2 region of the Pacific
  (ERSST.V3B, NOAA's Climate Prediction Center), 1950-2010 as 61 rows × 12 months; flattened
  to one monthly series (T = 732), yearly season m = 12. No missing values. statsmodels: "This
  data is in the public domain."

Book: chapter "Forecasting real series".
"""

import functools
from dataclasses import dataclass

import numpy as np

#: The series this module loads, in the order the book shows them.
NAMES = ("co2", "sunspots", "nile", "elnino")


@dataclass(frozen=True)
class RealSeries:
    """One real series, equally spaced in time, with where it comes from."""

    name: str  # the key in NAMES
    values: np.ndarray  # (T,) float64, read-only, oldest first
    start: float  # time of values[0] in decimal years (1958.167 = March 1958)
    step: float  # years between two values: 1/12 (monthly) or 1 (yearly)
    period: int  # m, the season in steps (12 for a yearly cycle in monthly data), 1 = none
    unit: str  # what a value measures
    source: str  # who measured it, as statsmodels' documentation states
    licence: str  # as statsmodels' documentation states it
    cleaning: str  # what this module changed, "none" if nothing

    @property
    def times(self) -> np.ndarray:
        """(T,) float64, the time of every value in decimal years."""
        return self.start + self.step * np.arange(len(self.values))


def _frozen(values) -> np.ndarray:
    out = np.array(values, dtype=np.float64)  # (T,) a private copy
    out.setflags(write=False)
    return out


def _co2() -> RealSeries:
    from statsmodels.datasets import co2

    weekly = co2.load_pandas().data["co2"]  # 2,284 weeks, NaN where missing
    monthly = weekly.resample("MS").mean()  # calendar months, NaN where no week was observed
    filled = monthly.interpolate(method="linear")  # the 5 empty months
    first = monthly.index[0]
    return RealSeries(
        "co2", _frozen(filled.to_numpy()), first.year + (first.month - 1) / 12, 1 / 12, 12,
        "ppm (parts per million) of CO₂ in dry air",
        "Keeling & Whorf (2004), Scripps Institution of Oceanography, Mauna Loa, via CDIAC",
        "public domain",
        "weekly values averaged into calendar months; the 5 months without any observation "
        "filled by linear interpolation",
    )  # fmt: skip


def _sunspots() -> RealSeries:
    from statsmodels.datasets import sunspots

    data = sunspots.load_pandas().data
    return RealSeries(
        "sunspots", _frozen(data["SUNACTIVITY"]), float(data["YEAR"].iloc[0]), 1.0, 1,
        "yearly mean sunspot number",
        "National Geophysical Data Center (NOAA)", "public domain", "none",
    )  # fmt: skip


def _nile() -> RealSeries:
    from statsmodels.datasets import nile

    data = nile.load_pandas().data
    return RealSeries(
        "nile", _frozen(data["volume"]), float(data["year"].iloc[0]), 1.0, 1,
        "yearly flow at Aswan, 10⁸ m³", "Cobb (1978)", "public domain", "none",
    )  # fmt: skip


def _elnino() -> RealSeries:
    from statsmodels.datasets import elnino

    data = elnino.load_pandas().data
    months = data.drop(columns="YEAR").to_numpy()  # (61, 12): one row per year, JAN..DEC
    return RealSeries(
        "elnino", _frozen(months.reshape(-1)), float(data["YEAR"].iloc[0]), 1 / 12, 12,
        "sea-surface temperature of the Niño 1+2 region, °C",
        "NOAA Climate Prediction Center, ERSST.V3B", "public domain",
        "61 years × 12 months flattened into one monthly series",
    )  # fmt: skip


_LOADERS = {"co2": _co2, "sunspots": _sunspots, "nile": _nile, "elnino": _elnino}


@functools.cache
def load_series(name: str) -> RealSeries:
    """One of the bundled real series, read from statsmodels' wheel (never downloaded).

    Args:
        name: one of :data:`NAMES`: ``"co2"``, ``"sunspots"``, ``"nile"``, ``"elnino"``

    Returns:
        RealSeries with ``values`` (T,) float64 (read-only), its time axis, season and sources
    """
    if not isinstance(name, str) or name not in _LOADERS:
        raise ValueError(f"load_series: unknown series {name!r}; expected one of {list(NAMES)}")
    series = _LOADERS[name]()
    if not np.all(np.isfinite(series.values)):  # internal invariant: the cleaning filled every gap
        raise AssertionError(f"load_series: {name} still holds NaN after cleaning")
    return series


def split_tail(series: np.ndarray, test_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Split a series into its training part and a held-out tail of ``test_size`` values.

    Args:
        series:    (T,) float
        test_size: int, 1 <= test_size < T

    Returns:
        train (T - test_size,) float64, test (test_size,) float64
    """
    y = np.asarray(series, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError(f"split_tail: series must be 1-D (T,), got shape {y.shape}")
    if isinstance(test_size, bool) or not isinstance(test_size, int | np.integer):
        raise ValueError(f"split_tail: test_size must be an int, got {test_size!r}")
    if not 1 <= test_size < len(y):
        raise ValueError(
            f"split_tail: test_size must be in [1, T - 1] = [1, {len(y) - 1}], got {test_size}"
        )
    return y[:-test_size].copy(), y[-test_size:].copy()
