"""Shared plumbing of the experiment scripts: one thread, fixed seeds, JSON with provenance.

Every script under ``experiments/`` sweeps seeds × models × tasks that are too big for a chapter
notebook (60 s). Each one calls :func:`setup` first and :func:`save` last, so its JSON file records
what produced it: the script, its arguments, the seeds, the package, NumPy, torch and Python
versions, and the wall time. The JSON goes into the package (``course_rnn/results/``), so a chapter
opened on Colab or Binder finds it too: chapters load it with ``course_rnn.results.load(name)``,
plot it and assert their claims on it. The training code the scripts sweep lives in ``course_rnn``,
so a chapter can re-run one configuration live. ``tests/test_experiments_*.py`` re-run one
configuration of each script and compare it with the stored numbers.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent.parent / "course_rnn" / "results"


def setup() -> float:
    """Pin every thread pool to one thread (results reproduce bit for bit); return the start time.

    Call it before the first NumPy or torch computation of the script.
    """
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    import torch

    torch.set_num_threads(1)
    return time.perf_counter()


def provenance(script: str, args: dict, seeds: list[int], started: float) -> dict:
    """What produced a result: script, arguments, seeds, versions and wall time in seconds."""
    import numpy as np
    import torch

    import course_rnn

    return {
        "script": f"experiments/{Path(script).name}",
        "args": args,
        "seeds": list(seeds),
        "course_rnn": course_rnn.__version__,
        "numpy": np.__version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
    }


def save(name: str, results, provenance: dict, directory: Path = RESULTS) -> Path:
    """Write ``{"provenance": ..., "results": ...}`` to ``directory/name.json`` atomically."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"provenance": provenance, "results": results}, indent=1) + "\n")
    tmp.replace(path)
    return path
