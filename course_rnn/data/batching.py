"""Padding variable-length sequences into time-major batches, with masks and lengths.

Every data set of the course that has sequences of different lengths (sentiment, tagging) goes
through :func:`pad_sequences`: a list of B sequences becomes one ``(T, B, ...)`` array, a
``(T, B)`` boolean mask that is True on real steps, and the ``(B,)`` lengths. The mask is what a
masked loss or ``pack_padded_sequence`` needs. Book: chapter "Backpropagation through time",
section "Masks and padded batches". NumPy only: torch lives in ``torch_adapter``.
"""

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from course_rnn.shapes import ShapeError


class TaskBatch(NamedTuple):
    """What every synthetic task returns: unpack it as ``x, y, mask = task(...)``.

    Fields:
        inputs:  (T, B, D) float32 features, or (T, B) int64 token ids
        targets: (B, ...) one target per sequence (many-to-one), or (T, B, ...) one per step
        mask:    (T, B) bool or None. With per-step targets: True where a target is scored (the
                 copy tasks). With one target per padded sequence: True on the real, non-padding
                 steps (sentiment). None when there is nothing to mask.
    """

    inputs: np.ndarray
    targets: np.ndarray
    mask: np.ndarray | None


def lengths_to_mask(lengths: Sequence[int] | np.ndarray, T: int | None = None) -> np.ndarray:
    """Time-major mask of real steps from sequence lengths.

    Args:
        lengths: (B,) int, each in ``[0, T]``
        T:       the padded length; ``max(lengths)`` when None

    Returns:
        mask: (T, B) bool, ``mask[t, b] = t < lengths[b]``.
    """
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or (lengths.size and not np.issubdtype(lengths.dtype, np.integer)):
        raise ShapeError(
            f"lengths_to_mask: lengths expected a (B,) int array, got shape {lengths.shape} "
            f"and dtype {lengths.dtype}"
        )
    if np.any(lengths < 0):
        raise ValueError(f"lengths_to_mask: lengths must be >= 0, got min {lengths.min()}")
    T_max = int(lengths.max()) if lengths.size else 0
    if T is None:
        T = T_max
    elif T < T_max:
        raise ValueError(f"lengths_to_mask: T={T} is shorter than the longest length {T_max}")
    return np.arange(T)[:, None] < lengths[None, :]  # (T, 1) < (1, B) -> (T, B)


def pad_sequences(
    sequences: Sequence[np.ndarray | Sequence],
    *,
    pad_value: float = 0,
    dtype: np.dtype | type | None = None,
    T: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stack B sequences of different lengths time-major, padding at the end.

    Args:
        sequences: B sequences, item b of shape (T_b,) (token ids) or (T_b, ...) (features); the
                   trailing shape must be the same for every item
        pad_value: the value written in padded steps (0 = ``<pad>`` for the course's vocabularies;
                   use -100 for targets, torch's ``ignore_index``)
        dtype:     the output dtype; the items' common dtype when None
        T:         the padded length; the longest item when None

    Returns:
        padded:  (T, B, ...) the items, time-major, ``pad_value`` after each item's end
        mask:    (T, B) bool, True on real steps
        lengths: (B,) int64, the item lengths

    Example: ``pad_sequences([[5, 6, 7], [8]])`` gives ``padded = [[5, 8], [6, 0], [7, 0]]``.
    """
    if isinstance(sequences, np.ndarray) and sequences.dtype != object:
        sequences = list(sequences)
    if len(sequences) == 0:
        raise ValueError("pad_sequences: sequences is empty; expected at least one sequence")
    items = [np.asarray(s) for s in sequences]
    for b, item in enumerate(items):
        if item.ndim == 0:
            raise ShapeError(f"pad_sequences: sequences[{b}] expected (T_b, ...), got a scalar")
        if item.shape[1:] != items[0].shape[1:]:
            raise ShapeError(
                f"pad_sequences: sequences[{b}] has trailing shape {item.shape[1:]}, expected "
                f"{items[0].shape[1:]} like sequences[0]"
            )
    lengths = np.array([len(item) for item in items], dtype=np.int64)  # (B,)
    mask = lengths_to_mask(lengths, T)  # (T, B); checks T >= max length
    T = mask.shape[0]
    if dtype is None:
        dtype = np.result_type(*items)
    B, trailing = len(items), items[0].shape[1:]
    padded = np.full((T, B, *trailing), pad_value, dtype=dtype)  # (T, B, ...)
    for b, item in enumerate(items):
        padded[: len(item), b] = item
    return padded, mask, lengths
