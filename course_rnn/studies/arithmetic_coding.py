"""An arithmetic coder: turns a model's next-character distributions into an actual bit string.

The integer coder of Witten, Neal and Cleary (1987) with 32-bit registers. Each step narrows the
interval [low, high] to the coded symbol's share of it, given integer frequencies; every time the
interval falls into one half, the leading bit is settled and written. The file is then at most a
couple of bits longer than the sum of −log2 of the (quantised) probabilities, so a model's code
length in bits per character is a file size one can actually write and read back.

The decoder repeats the encoder's arithmetic and needs the same frequencies at each step; it gets
them from a function of the symbols decoded so far, so a round trip shows that the code uses
nothing the decoder does not have.

Book: chapter "Out-compressing bzip2".
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

PRECISION = 32
TOP = (1 << PRECISION) - 1
HALF = 1 << (PRECISION - 1)
QUARTER = 1 << (PRECISION - 2)
#: probabilities are rounded to integer frequencies summing to about this total
TOTAL = 1 << 16


def quantise(probs: np.ndarray) -> np.ndarray:
    """Integer frequencies from probabilities, each at least 1 (no symbol is impossible).

    Args:
        probs: (N, V) or (V,) float, rows summing to 1

    Returns:
        same shape, int64, rows summing to at most TOTAL
    """
    probs = np.asarray(probs, dtype=np.float64)
    V = probs.shape[-1]
    if V >= TOTAL // 2:
        raise ValueError(f"quantise: V={V} is too large for TOTAL={TOTAL}")
    return np.floor(probs * (TOTAL - V)).astype(np.int64) + 1


def encode(freqs: np.ndarray, symbols) -> list[int]:
    """The bits of ``symbols`` coded with frequency rows ``freqs`` ((N, V) int64); list of 0/1."""
    freqs = np.asarray(freqs)
    symbols = np.asarray(symbols)
    if freqs.ndim != 2 or len(freqs) != len(symbols):
        raise ValueError(
            f"encode: need freqs (N, V) and N symbols, got {freqs.shape} and {symbols.shape}"
        )
    cums = np.cumsum(freqs, axis=1)  # (N, V)
    low, high, pending, bits = 0, TOP, 0, []
    for row, s in zip(cums.tolist(), symbols.tolist(), strict=True):
        span = high - low + 1
        high = low + span * row[s] // row[-1] - 1
        low = low + span * (row[s - 1] if s else 0) // row[-1]
        while True:
            if high < HALF:
                bits += [0] + [1] * pending
                pending = 0
            elif low >= HALF:
                bits += [1] + [0] * pending
                pending = 0
                low, high = low - HALF, high - HALF
            elif low >= QUARTER and high < HALF + QUARTER:
                pending += 1
                low, high = low - QUARTER, high - QUARTER
            else:
                break
            low, high = 2 * low, 2 * high + 1
    pending += 1  # two more bits pick a point inside the final interval
    bits += [0] + [1] * pending if low < QUARTER else [1] + [0] * pending
    return bits


def decode(bits: list[int], n: int, next_freqs: Callable[[list[int]], np.ndarray]) -> list[int]:
    """The n symbols coded in ``bits``; ``next_freqs(decoded)`` gives the row for the next one.

    Args:
        bits:       list of 0/1 from :func:`encode`
        n:          number of symbols to decode
        next_freqs: function of the symbols decoded so far (list of int) -> (V,) int64 frequencies,
                    the same row the encoder used for the next symbol

    Returns:
        list of n int symbols
    """
    stream = iter(bits)
    value = 0
    for _ in range(PRECISION):
        value = 2 * value + next(stream, 0)
    low, high, out = 0, TOP, []
    for _ in range(n):
        row = np.cumsum(next_freqs(out))  # (V,)
        span = high - low + 1
        target = ((value - low + 1) * int(row[-1]) - 1) // span
        s = int(np.searchsorted(row, target, side="right"))
        out.append(s)
        high = low + span * int(row[s]) // int(row[-1]) - 1
        low = low + span * (int(row[s - 1]) if s else 0) // int(row[-1])
        while True:
            if high < HALF:
                pass
            elif low >= HALF:
                low, high, value = low - HALF, high - HALF, value - HALF
            elif low >= QUARTER and high < HALF + QUARTER:
                low, high, value = low - QUARTER, high - QUARTER, value - QUARTER
            else:
                break
            low, high, value = 2 * low, 2 * high + 1, 2 * value + next(stream, 0)
    return out
