"""What the comparison reports besides the metric: the spread over seeds and seconds per step.

:func:`spread` summarises one configuration's runs (mean, sample standard deviation, min, max).
:func:`seconds_per_step` times training updates of several models in interleaved rounds and keeps
each model's fastest round. On a machine that other programs share, a slow moment then hits
every model in turn instead of the one that happened to run, and the fastest round is the one
least disturbed: it estimates what the update costs, not how busy the machine was.

Book: "Gated recurrent units", section "The comparison".
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Mapping, Sequence

import torch


def spread(values: Sequence[float]) -> dict:
    """Mean, sample standard deviation (n − 1; 0 for one value), min, max and n of numbers.

    Raises:
        ValueError: no values, or one that is not a finite number.
    """
    values = list(values)
    if not values:
        raise ValueError("spread: values must not be empty")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ValueError(f"spread: values must be finite numbers, got {v!r}")
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return {"mean": statistics.fmean(values), "std": std, "min": min(values),
            "max": max(values), "n": len(values)}  # fmt: skip


def seconds_per_step(
    steppers: Mapping[str, Callable[[], None]], *, rounds: int = 5, steps: int = 10
) -> dict[str, float]:
    """Seconds per call of each stepper: the fastest of ``rounds`` interleaved rounds.

    Every stepper runs twice untimed (allocations, first-call overheads); then each round times
    ``steps`` calls of every stepper in turn, on one torch thread.

    Args:
        steppers: name -> function doing one training update (e.g. ``compare.char_lm_stepper``)
        rounds:   interleaved rounds, >= 1
        steps:    calls per stepper and round, >= 1

    Returns:
        dict name -> seconds per update (the fastest round's mean), in the steppers' order
    """
    for name, value in (("rounds", rounds), ("steps", steps)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"seconds_per_step: {name} must be an int >= 1, got {value!r}")
    if not steppers:
        raise ValueError("seconds_per_step: steppers must not be empty")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for step in steppers.values():
            step()
            step()
        best = dict.fromkeys(steppers, math.inf)
        for _ in range(rounds):
            for name, step in steppers.items():
                start = time.perf_counter()
                for _ in range(steps):
                    step()
                best[name] = min(best[name], (time.perf_counter() - start) / steps)
    finally:
        torch.set_num_threads(threads)
    return best
