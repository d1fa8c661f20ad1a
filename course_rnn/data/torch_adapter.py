"""``torch.utils.data`` compatibility: a Dataset of sequences and a time-major collate function.

The generators of ``course_rnn.data`` return NumPy arrays (so the package imports without torch).
This module, the only one in ``course_rnn.data`` that imports torch, lets a chapter hand them to a
``DataLoader``::

    ds = SequenceDataset(inputs=[data.encode(i) for i in range(len(data))], targets=data.labels)
    loader = DataLoader(ds, batch_size=32, shuffle=True, collate_fn=TimeMajorCollate())
    history = fit(model, loader, epochs=3, lr=3e-3)  # course_rnn.train.fit takes it as it is
    for batch in loader:
        x, lengths = batch["inputs"]  # x (T, B) or (T, B, D), lengths (B,) int64
        y = batch["targets"]  # (B, ...) or, per step, (T', B, ...) padded with -100
        mask = batch["mask"]  # (T', B) bool on real target steps (per step), else None

Items are NumPy arrays; the collate function pads them time-major (``pad_sequences``) and returns
torch tensors, so the default ``batch_first=False`` layout of ``torch.nn.RNN`` comes out directly.

The batch convention (that of ``course_rnn.train.fit``): a dict ``{"inputs": Padded(x, lengths),
"targets": y, "mask": mask}``. The inputs carry their lengths, because a model needs them (the
backward direction of a bidirectional RNN starts at each sequence's last real step; attention
must not look at padding); the task models of ``course_rnn.torch_nn.models`` take ``inputs`` as
a tensor or as such an ``(x, lengths)`` pair. ``mask`` has the targets' shape, as ``fit``'s
metrics expect: the real target steps for per-step targets, None for one target per sequence.
Book: chapter "Backpropagation through time", section "Masks and padded batches".
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch.utils.data import Dataset

from course_rnn.data.batching import pad_sequences
from course_rnn.shapes import ShapeError


class Padded(NamedTuple):
    """A padded time-major batch of inputs with the true length of each sequence."""

    x: torch.Tensor  # (T, B) int64 ids or (T, B, D) float features, padding at the end
    lengths: torch.Tensor  # (B,) int64, each in [1, T]


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
        dict, the batch convention of ``course_rnn.train.fit``:
            inputs:  Padded(x, lengths): x (T, B) int64 or (T, B, D) float, padded with
                     ``pad_value``; lengths (B,) int64, the input lengths
            targets: (B, ...) stacked targets, or (T', B, ...) padded with ``target_pad_value``
                     when ``per_step_targets``
            mask:    (T', B) bool, True on real target steps, when ``per_step_targets``; else None
                     (the input mask is ``lengths_to_mask(lengths)``, not a target mask)
    """

    per_step_targets: bool = False  # targets have a leading time axis: pad them time-major too
    pad_value: float = 0  # written into padded input steps (0 = <pad> of the course's vocabs)
    target_pad_value: float = -100  # written into padded target steps (cross-entropy ignore_index)

    def __call__(self, batch: Sequence[tuple[np.ndarray, np.ndarray]]):
        if len(batch) == 0:
            raise ValueError("TimeMajorCollate: got an empty batch")
        xs = [np.asarray(x) for x, _ in batch]
        ys = [np.asarray(y) for _, y in batch]
        x, _, lengths = pad_sequences(xs, pad_value=self.pad_value)  # (T, B, ...), (B,)
        if self.per_step_targets:
            y, mask, _ = pad_sequences(ys, pad_value=self.target_pad_value)  # (T', B, ...)
            mask = torch.from_numpy(mask)  # (T', B)
        else:
            y, mask = np.stack(ys), None  # (B, ...)
        inputs = Padded(torch.from_numpy(_torch_friendly(x)), torch.from_numpy(lengths))
        return {"inputs": inputs, "targets": torch.from_numpy(_torch_friendly(y)), "mask": mask}


def _torch_friendly(a: np.ndarray) -> np.ndarray:
    """int arrays become int64 (what embeddings and cross-entropy take); float arrays stay."""
    if np.issubdtype(a.dtype, np.integer):
        return a.astype(np.int64, copy=False)
    return np.ascontiguousarray(a)
