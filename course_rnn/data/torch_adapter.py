"""``torch.utils.data`` compatibility: a Dataset of sequences and a time-major collate function.

The generators of ``course_rnn.data`` return NumPy arrays (so the package imports without torch).
This module, the only one in ``course_rnn.data`` that imports torch, lets a chapter hand them to a
``DataLoader``::

    ds = SequenceDataset(inputs=[data.encode(i) for i in range(len(data))], targets=data.labels)
    loader = DataLoader(ds, batch_size=32, shuffle=True, collate_fn=TimeMajorCollate())
    for x, y, mask, lengths in loader:  # x (T, B), y (B,), mask (T, B), lengths (B,)
        ...

Items are NumPy arrays; the collate function pads them time-major (``pad_sequences``) and returns
torch tensors, so the default ``batch_first=False`` layout of ``torch.nn.RNN`` comes out directly.
Book: chapter "Sequences and recurrent models", section "Batches of sequences: padding and masks".
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset

from course_rnn.data.batching import pad_sequences
from course_rnn.shapes import ShapeError


class SequenceDataset(Dataset):
    """Pairs (x_i, y_i) of a sequence and its target, as NumPy arrays.

    Args:
        inputs:  N sequences, item i of shape (T_i,) int ids or (T_i, D) float features
        targets: N targets: scalars (many-to-one), (T_i, ...) per-step arrays, or fixed-shape arrays
    """

    def __init__(self, inputs: Sequence[np.ndarray], targets: Sequence | np.ndarray):
        if len(inputs) != len(targets):
            raise ValueError(
                f"SequenceDataset: expected as many targets as inputs, got {len(targets)} targets "
                f"and {len(inputs)} inputs"
            )
        self.inputs, self.targets = inputs, targets

    @classmethod
    def from_time_major(
        cls, inputs: np.ndarray, targets: np.ndarray, *, per_step_targets: bool
    ) -> "SequenceDataset":
        """Split a time-major batch (e.g. a ``TaskBatch``) into N items along axis 1.

        Args:
            inputs:           (T, N, ...) array
            targets:          (N, ...) when not ``per_step_targets``, else (T', N, ...) time-major
            per_step_targets: whether ``targets`` has a leading time axis

        Returns:
            SequenceDataset, item i = (inputs[:, i], targets[i]) or (inputs[:, i], targets[:, i])
        """
        inputs, targets = np.asarray(inputs), np.asarray(targets)
        if inputs.ndim < 2:
            raise ShapeError(
                f"SequenceDataset.from_time_major: inputs expected (T, N, ...), got {inputs.shape}"
            )
        N = inputs.shape[1]
        axis = 1 if per_step_targets else 0
        if targets.ndim <= axis or targets.shape[axis] != N:
            expected = "(T', N, ...)" if per_step_targets else "(N, ...)"
            raise ShapeError(
                f"SequenceDataset.from_time_major: targets expected {expected} with N={N}, got "
                f"{targets.shape}"
            )
        xs = list(np.moveaxis(inputs, 1, 0))  # N items (T, ...)
        ys = list(np.moveaxis(targets, axis, 0))  # N items
        return cls(xs, ys)

    def __len__(self) -> int:
        return len(self.inputs)

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self.inputs[i]), np.asarray(self.targets[i])


@dataclass(frozen=True)
class TimeMajorCollate:
    """Collate function for a ``DataLoader``: pads a list of (x, y) items time-major.

    Call it on ``[(x_1, y_1), ..., (x_B, y_B)]`` (what a DataLoader passes).

    Returns:
        x:       (T, B) int64 or (T, B, D) float tensor, padded with ``pad_value``
        y:       (B, ...) stacked targets, or (T', B, ...) padded with ``target_pad_value`` when
                 ``per_step_targets``
        mask:    (T, B) bool tensor, True on real input steps
        lengths: (B,) int64 tensor of input lengths (for ``pack_padded_sequence``)
    """

    per_step_targets: bool = False  # targets have a leading time axis: pad them time-major too
    pad_value: float = 0  # written into padded input steps (0 = <pad> of the course's vocabs)
    target_pad_value: float = -100  # written into padded target steps (cross-entropy ignore_index)

    def __call__(self, batch: Sequence[tuple[np.ndarray, np.ndarray]]):
        if len(batch) == 0:
            raise ValueError("TimeMajorCollate: got an empty batch")
        xs = [np.asarray(x) for x, _ in batch]
        ys = [np.asarray(y) for _, y in batch]
        x, mask, lengths = pad_sequences(xs, pad_value=self.pad_value)  # (T, B, ...), (T, B), (B,)
        if self.per_step_targets:
            y, _, _ = pad_sequences(ys, pad_value=self.target_pad_value)  # (T', B, ...)
        else:
            y = np.stack(ys)  # (B, ...)
        return (
            torch.from_numpy(_torch_friendly(x)),
            torch.from_numpy(_torch_friendly(y)),
            torch.from_numpy(mask),
            torch.from_numpy(lengths),
        )


def _torch_friendly(a: np.ndarray) -> np.ndarray:
    """int arrays become int64 (what embeddings and cross-entropy take); float arrays stay."""
    if np.issubdtype(a.dtype, np.integer):
        return a.astype(np.int64, copy=False)
    return np.ascontiguousarray(a)
