"""Stored results of the experiment scripts (``experiments/*.py``), shipped with the package.

Each ``<name>.json`` holds ``{"provenance": {...}, "results": ...}``: what produced it (script,
arguments, seeds, versions, wall time) and the numbers; a ``<name>.npz`` next to it holds arrays
(trained weights), read with :func:`load_arrays`. ``make experiments`` regenerates them.
Book: chapter "Long short-term memory".
"""

import json
from importlib import resources

import numpy as np


def names() -> list[str]:
    """The names of the stored results, sorted."""
    files = resources.files(__name__).iterdir()
    return sorted(f.name.removesuffix(".json") for f in files if f.name.endswith(".json"))


def load(name: str) -> dict:
    """The stored ``{"provenance": ..., "results": ...}`` of one experiment, by name.

    Raises:
        FileNotFoundError: no result of that name is stored (the message lists the ones that are).
    """
    path = resources.files(__name__) / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"no stored result named {name!r}; stored: {', '.join(names()) or 'none'} "
            "(run `make experiments` to regenerate them)"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def load_arrays(name: str) -> dict[str, np.ndarray]:
    """The arrays of ``<name>.npz`` (e.g. trained weights), by key.

    Raises:
        FileNotFoundError: no arrays of that name are stored.
    """
    path = resources.files(__name__) / f"{name}.npz"
    if not path.is_file():
        raise FileNotFoundError(
            f"no stored arrays named {name!r} (run `make experiments` to regenerate them)"
        )
    with path.open("rb") as file, np.load(file, allow_pickle=False) as stored:
        return {key: stored[key] for key in stored.files}
