"""Stored results of the experiment scripts (``experiments/*.py``), shipped with the package.

Each ``<name>.json`` holds ``{"provenance": {...}, "results": ...}``: what produced it (script,
arguments, seeds, versions, wall time) and the numbers. ``make experiments`` regenerates them.
Book: chapter "Long short-term memory".
"""

import json
from importlib import resources


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
