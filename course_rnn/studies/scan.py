"""Time a minGRU layer run by a Python loop and by a parallel scan, against torch.nn.GRU.

One training step's worth of work (forward and backward of the summed outputs) on one CPU thread,
for each sequence length T. Timings are per-thread CPU time (``time.thread_time_ns``), so other
processes on a busy machine hurt them least; each is repeated and both the minimum (the number to
use) and the median are kept. :func:`scan_rounds` and :func:`scan_work` count what the two
minGRU variants do: the loop runs T dependent rounds of one multiply-add per state entry, the
Hillis–Steele scan ⌈log2 T⌉ rounds but Σ_d (T - d) ≈ T log2 T multiply-adds per entry.

Book: chapter "Length generalisation and the recurrent comeback", section "The recurrent
comeback".
"""

from __future__ import annotations

import math
import statistics
import time

import torch
from torch import nn

from course_rnn.studies.measure import graph_depth
from course_rnn.torch_nn.mingru import MinGRU

METHODS = ("loop", "scan", "nn.GRU")
__all__ = ["METHODS", "graph_depth", "scan_rounds", "scan_work", "time_layers"]


def scan_rounds(T: int) -> int:
    """Dependent rounds of the Hillis–Steele scan over T steps: ⌈log2 T⌉ (0 for T = 1)."""
    return math.ceil(math.log2(T)) if T > 1 else 0


def scan_work(T: int) -> int:
    """Step combinations the Hillis–Steele scan performs: Σ over d = 1, 2, 4, … < T of (T - d)."""
    work, d = 0, 1
    while d < T:
        work += T - d
        d *= 2
    return work


def _step_seconds(run, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.thread_time_ns()
        run()
        times.append((time.thread_time_ns() - start) / 1e9)
    return times


def time_layers(
    lengths: tuple[int, ...] = (16, 64, 256, 1024, 4096),
    *,
    batch_size: int = 8,
    input_size: int = 64,
    hidden_size: int = 64,
    repeats: int = 5,
    seed: int = 0,
) -> list[dict]:
    """Forward + backward CPU time of the three layers at each T.

    Returns:
        list of dicts, one per (T, method): T, batch_size, method, min_seconds, median_seconds,
        repeats.
    """
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        mingru = MinGRU(input_size, hidden_size)
        gru = nn.GRU(input_size, hidden_size)
        x_all = torch.randn(max(lengths), batch_size, input_size)  # (T_max, B, D)
    runs = {
        "loop": lambda x: mingru(x, mode="loop")[0],
        "scan": lambda x: mingru(x, mode="scan")[0],
        "nn.GRU": lambda x: gru(x)[0],
    }
    rows = []
    for T in lengths:
        x = x_all[:T]  # (T, B, D)
        for method in METHODS:

            def step(method=method, x=x):
                runs[method](x).sum().backward()

            step()  # warm-up: allocations and autograd graph set-up
            times = _step_seconds(step, repeats)
            rows.append({
                "T": T, "batch_size": batch_size, "method": method, "repeats": repeats,
                "min_seconds": min(times), "median_seconds": statistics.median(times),
            })  # fmt: skip
    return rows
