"""Formal-language tasks for length generalisation: parity, modular sums, balanced brackets.

Each task draws token strings of an exact length T and labels them exactly (the label is a
function of the string, computed here, never learnt), so a model can be trained on short strings
and tested on long ones. Inputs are token ids, time-major ``(T, B)`` int64; targets are ``(T, B)``
int64 with a ``(T, B)`` bool mask that says which steps are scored:

- :func:`parity_task`: bits; the target at step t is the parity of the first t bits (every step
  scored). Chance 1/2. A regular language: a two-state automaton decides it.
- :func:`modular_sum`: digits in [0, m); the target at step t is their running sum mod m (every
  step scored). Chance 1/m. Regular too (m states).
- :func:`dyck`: brackets ``(`` = 0 and ``)`` = 1, T even; half the strings are balanced (a
  random Dyck word), half are a balanced word with one bracket flipped, which is never balanced
  (the final depth becomes ±2). Only the last step is scored: 1 = balanced. Chance 1/2. Dyck-1 is
  context-free, not regular: deciding it needs a counter that grows with T.

Book: chapter "Length generalisation and the recurrent comeback", section "'Memorise but don't
generalise', examined". Reference: Delétang et al. (2023), "Neural networks and the Chomsky
hierarchy" (parity and modular arithmetic among their regular tasks).
"""

import numpy as np

from course_rnn.data._checks import check_int, check_rng
from course_rnn.data.batching import TaskBatch

#: task name -> (vocabulary size V, number of classes C) with the default modulus
FORMAL_SIZES = {"parity": (2, 2), "modular_sum": (5, 5), "dyck": (2, 2)}


def parity_task(T: int, batch_size: int, *, rng: np.random.Generator) -> TaskBatch:
    """Running parity of a bit string, as tokens.

    Args:
        T:          length, >= 1
        batch_size: B
        rng:        np.random.Generator

    Returns:
        TaskBatch with
            inputs:  (T, B) int64 bits in {0, 1}
            targets: (T, B) int64, the parity of inputs[: t + 1] at row t
            mask:    (T, B) bool, all True
    """
    return modular_sum(T, batch_size, rng=rng, modulus=2)


def modular_sum(
    T: int, batch_size: int, *, rng: np.random.Generator, modulus: int = 5
) -> TaskBatch:
    """Running sum of digits modulo ``modulus``.

    Args:
        T:          length, >= 1
        batch_size: B
        rng:        np.random.Generator
        modulus:    m >= 2; digits and classes are 0 … m - 1 (V = C = m)

    Returns:
        TaskBatch with
            inputs:  (T, B) int64 digits in [0, m)
            targets: (T, B) int64, sum(inputs[: t + 1]) % m at row t
            mask:    (T, B) bool, all True
    """
    where = "modular_sum" if modulus != 2 else "parity_task"
    T = check_int(where, "T", T)
    B = check_int(where, "batch_size", batch_size)
    m = check_int(where, "modulus", modulus, minimum=2)
    rng = check_rng(where, rng)
    digits = rng.integers(0, m, size=(T, B))  # (T, B)
    targets = np.cumsum(digits, axis=0) % m  # (T, B)
    return TaskBatch(digits.astype(np.int64), targets.astype(np.int64), np.ones((T, B), bool))


def is_balanced(brackets: np.ndarray) -> np.ndarray:
    """Whether each column is a balanced bracket string (0 = open, 1 = close).

    Args:
        brackets: (T, B) int in {0, 1}

    Returns:
        (B,) bool: every prefix has depth >= 0 and the whole string has depth 0.
    """
    depth = np.cumsum(np.where(brackets == 0, 1, -1), axis=0)  # (T, B)
    return (depth.min(axis=0) >= 0) & (depth[-1] == 0)


def dyck(T: int, batch_size: int, *, rng: np.random.Generator) -> TaskBatch:
    """Is this bracket string balanced? Half the strings are, half miss by one flipped bracket.

    A balanced word is drawn step by step: forced open at depth 0, forced close when the depth
    equals the steps left, otherwise open or close with probability 1/2 each. A negative is such a
    word with one uniformly chosen bracket flipped, so both classes have the same length and
    almost the same statistics; the label is recomputed by :func:`is_balanced`.

    Args:
        T:          length, even, >= 2
        batch_size: B
        rng:        np.random.Generator

    Returns:
        TaskBatch with
            inputs:  (T, B) int64, 0 = "(" and 1 = ")"
            targets: (T, B) int64, row T - 1 holds 1 = balanced, 0 = not; other rows 0
            mask:    (T, B) bool, True on the last row only
    """
    where = "dyck"
    T = check_int(where, "T", T, minimum=2)
    if T % 2:
        raise ValueError(f"dyck: T must be even (a balanced string has even length), got {T}")
    B = check_int(where, "batch_size", batch_size)
    rng = check_rng(where, rng)
    coins = rng.random((T, B))  # (T, B)
    brackets = np.empty((T, B), dtype=np.int64)  # (T, B)
    depth = np.zeros(B, dtype=np.int64)  # (B,)
    for t in range(T):
        left = T - t  # steps still to draw, this one included
        close = np.where(depth == 0, False, np.where(depth >= left, True, coins[t] < 0.5))
        brackets[t] = close
        depth += np.where(close, -1, 1)
    negative = rng.random(B) < 0.5  # (B,)
    flip_at = rng.integers(0, T, size=B)  # (B,)
    cols = np.flatnonzero(negative)
    brackets[flip_at[cols], cols] = 1 - brackets[flip_at[cols], cols]
    targets = np.zeros((T, B), dtype=np.int64)  # (T, B)
    targets[-1] = is_balanced(brackets)
    mask = np.zeros((T, B), dtype=bool)  # (T, B)
    mask[-1] = True
    return TaskBatch(brackets, targets, mask)


#: task name -> generator (T, batch_size, *, rng) -> TaskBatch
FORMAL_TASKS = {"parity": parity_task, "modular_sum": modular_sum, "dyck": dyck}
