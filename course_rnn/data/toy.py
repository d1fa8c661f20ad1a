"""Toy tasks with long-range dependencies: the adding problem, parity and counting.

Small, exactly specified tasks whose difficulty is set by the sequence length T alone, so a chapter
can plot "solved or not" against T. Every generator takes its sizes explicitly and a keyword-only
``rng`` (a ``np.random.Generator``); the same generator state gives the same batch. Returns are a
:class:`~course_rnn.data.batching.TaskBatch` ``(inputs, targets, mask)``, time-major.

Book: chapter "Backpropagation through time", section "The adding problem: where a tanh RNN
stops" (a tanh RNN stays at the 1/6 plateau at T = 100), then chapter "Long short-term memory"
(where gated cells solve it); chapter "The hidden state" (parity, the first thing a recurrent
state must remember).

References: Hochreiter & Schmidhuber (1997), "Long short-term memory", experiment 4 (adding);
Le, Jaitly & Hinton (2015), "A simple way to initialize recurrent networks of rectified linear
units" (the variant used here: one marker in each half of the sequence).
"""

import math

import numpy as np

from course_rnn.data._checks import check_fraction, check_int, check_rng
from course_rnn.data.batching import TaskBatch

#: Mean squared error of always predicting 1 on the adding problem: the target is a sum of two
#: independent U(0, 1) numbers, whose mean is 1 and whose variance is 2 · 1/12 = 1/6.
ADDING_BASELINE_MSE = 1.0 / 6.0


def adding_problem(T: int, batch_size: int, *, rng: np.random.Generator) -> TaskBatch:
    """The adding problem: add the two numbers that carry a marker.

    Channel 0 holds numbers drawn from U(0, 1); channel 1 holds exactly two markers (1.0), one at a
    uniform step of the first half and one in the second half. The target is the sum of the two
    marked numbers, in [0, 2]. Always predicting 1 (the mean) gives MSE 1/6
    (:data:`ADDING_BASELINE_MSE`); a model has learnt something only below that plateau.

    Args:
        T:          sequence length, >= 2
        batch_size: B, the number of sequences
        rng:        np.random.Generator

    Returns:
        TaskBatch with
            inputs:  (T, B, 2) float32, channel 0 values, channel 1 markers
            targets: (B,) float32, the sum of the two marked values
            mask:    None (one target per sequence, read after the last step)
    """
    where = "adding_problem"
    T = check_int(where, "T", T, minimum=2)
    B = check_int(where, "batch_size", batch_size)
    rng = check_rng(where, rng)
    values = rng.random((T, B))  # (T, B) in [0, 1)
    half = T // 2
    first = rng.integers(0, half, size=B)  # (B,) a step in [0, T/2)
    second = rng.integers(half, T, size=B)  # (B,) a step in [T/2, T)
    markers = np.zeros((T, B))  # (T, B)
    cols = np.arange(B)
    markers[first, cols] = 1.0
    markers[second, cols] = 1.0
    inputs = np.stack([values, markers], axis=-1).astype(np.float32)  # (T, B, 2)
    targets = (values[first, cols] + values[second, cols]).astype(np.float32)  # (B,)
    return TaskBatch(inputs, targets, None)


def parity(
    T: int, batch_size: int, *, rng: np.random.Generator, running: bool = False
) -> TaskBatch:
    """Parity of a bit string: is the number of ones odd?

    The hardest case for a model without a state: flipping any single bit flips the answer, so no
    step can be ignored. Chance accuracy is 1/2.

    Args:
        T:          sequence length, >= 1
        batch_size: B
        rng:        np.random.Generator
        running:    if True, the target at step t is the parity of the first t + 1 bits

    Returns:
        TaskBatch with
            inputs:  (T, B, 1) float32 bits in {0, 1}
            targets: (B,) int64 parity of the whole sequence in {0, 1}, or (T, B) int64 when
                     ``running``
            mask:    None (every target is scored)
    """
    where = "parity"
    T = check_int(where, "T", T)
    B = check_int(where, "batch_size", batch_size)
    rng = check_rng(where, rng)
    bits = rng.integers(0, 2, size=(T, B))  # (T, B)
    prefix_parity = np.cumsum(bits, axis=0) % 2  # (T, B) parity of bits[: t + 1]
    targets = prefix_parity if running else prefix_parity[-1]  # (T, B) or (B,)
    inputs = bits[:, :, None].astype(np.float32)  # (T, B, 1)
    return TaskBatch(inputs, targets.astype(np.int64), None)


def counting(T: int, batch_size: int, *, rng: np.random.Generator, p: float = 0.5) -> TaskBatch:
    """Count the ones in a bit string: a classification over the C = T + 1 possible counts.

    The state has to hold an integer that grows with T, not just one bit as in :func:`parity`.
    Always predicting the most likely count scores :func:`counting_baseline` (about
    sqrt(2 / (π T)) for p = 1/2: 0.18 at T = 20).

    Args:
        T:          sequence length, >= 1
        batch_size: B
        rng:        np.random.Generator
        p:          probability of a one at each step, in [0, 1]

    Returns:
        TaskBatch with
            inputs:  (T, B, 1) float32 bits in {0, 1}
            targets: (B,) int64 number of ones, in [0, T]
            mask:    None
    """
    where = "counting"
    T = check_int(where, "T", T)
    B = check_int(where, "batch_size", batch_size)
    p = check_fraction(where, "p", p)
    rng = check_rng(where, rng)
    bits = (rng.random((T, B)) < p).astype(np.int64)  # (T, B)
    inputs = bits[:, :, None].astype(np.float32)  # (T, B, 1)
    return TaskBatch(inputs, bits.sum(axis=0), None)


def counting_baseline(T: int, p: float = 0.5) -> float:
    """Accuracy of always predicting the most likely count: max_k C(T, k) p^k (1 - p)^(T - k).

    Args:
        T: sequence length, >= 1
        p: probability of a one, in [0, 1]

    Returns:
        float, the majority-class accuracy of :func:`counting`.
    """
    T = check_int("counting_baseline", "T", T)
    p = check_fraction("counting_baseline", "p", p)
    return max(math.comb(T, k) * p**k * (1 - p) ** (T - k) for k in range(T + 1))
