"""Argument checks shared by the data generators; each error names the function and argument."""

import numpy as np


def check_int(where: str, name: str, value, *, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise ValueError if it is not an int >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{where}: {name} must be an int >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{where}: {name} must be an int >= {minimum}, got {value}")
    return int(value)


def check_rng(where: str, rng) -> np.random.Generator:
    """Raise TypeError unless ``rng`` is a ``np.random.Generator`` (the library never seeds)."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{where}: rng must be a np.random.Generator, e.g. np.random.default_rng(0); "
            f"got {type(rng).__name__}"
        )
    return rng


def check_fraction(where: str, name: str, value, *, low: float = 0.0, high: float = 1.0) -> float:
    """Return ``value`` as a float, or raise ValueError if it is outside ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise ValueError(f"{where}: {name} must be a number in [{low}, {high}], got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{where}: {name} must be in [{low}, {high}], got {value}")
    return float(value)
