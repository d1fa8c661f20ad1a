"""Metrics of the course: accuracy, mean squared error, cross-entropy, perplexity, bits per char.

Each metric is a sum and a count, accumulated over batches and divided at the end, so a metric
over a data set weighs every token (or element) equally whatever the batch sizes; a final map turns
the mean into the reported value (``exp`` for perplexity, ``/ ln 2`` for bits per character).
Book: chapters "The hidden state" (accuracy), "Backpropagation through time" (MSE) and "Character
language models" (perplexity and bits per character: a model that is uniform over V symbols
scores perplexity V and log2 V bits).

Shapes: ``logits (..., V)`` with integer ``targets (...)`` for the classification metrics,
e.g. (T, B, V) with (T, B) or (B, C) with (B,); ``predictions`` and ``targets`` of one shape for
MSE. ``mask`` (True/1 = counts) has the targets' shape (or broadcasts to it); targets equal to
``IGNORE_INDEX`` never count.
"""

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from course_rnn.shapes import ShapeError
from course_rnn.training.batches import IGNORE_INDEX

#: stats(logits, targets, mask) -> (sum, count), both 0-d tensors.
Stats = Callable[[Tensor, Tensor, Tensor | None], tuple[Tensor, Tensor]]


@dataclass(frozen=True)
class Metric:
    """A metric accumulated as ``sum / count`` over batches, then mapped by ``finalize``."""

    name: str  # key in evaluate()'s dict and in History.valid
    stats: Stats  # (logits, targets, mask) -> (sum, count) for one batch
    finalize: Callable[[float], float] = float  # maps the mean sum/count to the reported value
    higher_is_better: bool = False  # direction for early stopping


def _class_valid(logits: Tensor, targets: Tensor, mask: Tensor | None, where: str) -> Tensor:
    """Check class-metric shapes; return the (...) bool tensor of positions that count."""
    if logits.dim() < 1 or tuple(logits.shape[:-1]) != tuple(targets.shape):
        raise ShapeError(
            f"{where}: logits expected (..., V) with targets (...); got logits "
            f"{tuple(logits.shape)} and targets {tuple(targets.shape)}"
        )
    if targets.is_floating_point() or targets.is_complex():
        raise TypeError(f"{where}: targets must hold integer class ids; got dtype {targets.dtype}")
    valid = targets != IGNORE_INDEX
    return valid if mask is None else valid & _mask_like(mask, targets, where)


def _mask_like(mask: Tensor, ref: Tensor, where: str) -> Tensor:
    """The mask as a bool tensor of ``ref``'s shape (a trailing feature axis is broadcast)."""
    mask = mask.to(device=ref.device, dtype=torch.bool)
    while mask.dim() < ref.dim():
        mask = mask.unsqueeze(-1)  # (T, B) -> (T, B, 1): one flag for every feature
    try:
        return mask.expand_as(ref)
    except RuntimeError:
        raise ShapeError(
            f"{where}: mask {tuple(mask.shape)} does not match targets {tuple(ref.shape)}"
        ) from None


def _nll(logits: Tensor, targets: Tensor, mask: Tensor | None) -> tuple[Tensor, Tensor]:
    valid = _class_valid(logits, targets, mask, "cross_entropy")
    V = logits.shape[-1]
    safe = torch.where(valid, targets, 0)  # ignored positions get a harmless class id
    nll = F.cross_entropy(_wide(logits).reshape(-1, V), safe.reshape(-1), reduction="none")  # (N,)
    return (nll * valid.reshape(-1)).sum(), valid.sum()


def _correct(logits: Tensor, targets: Tensor, mask: Tensor | None) -> tuple[Tensor, Tensor]:
    valid = _class_valid(logits, targets, mask, "accuracy")
    hits = (logits.argmax(dim=-1) == targets) & valid  # (...)
    return hits.sum(), valid.sum()


def _squared_error(pred: Tensor, targets: Tensor, mask: Tensor | None) -> tuple[Tensor, Tensor]:
    if pred.shape != targets.shape and pred.shape[-1:] == (1,) and pred.shape[:-1] == targets.shape:
        pred = pred.squeeze(-1)  # (..., 1) predictions against (...) targets
    if pred.shape != targets.shape:
        raise ShapeError(
            f"mse: predictions and targets must have one shape; got {tuple(pred.shape)} and "
            f"{tuple(targets.shape)}"
        )
    err = (_wide(pred) - _wide(targets)) ** 2  # (...)
    if mask is None:
        return err.sum(), torch.tensor(err.numel())
    valid = _mask_like(mask, targets, "mse")
    return (err * valid).sum(), valid.sum()


def _wide(x: Tensor) -> Tensor:
    """float64 stays float64; everything else (half, bfloat16, ints) is summed in float32."""
    return x if x.dtype == torch.float64 else x.float()


def count_positions(targets: Tensor, mask: Tensor | None) -> int:
    """Number of target positions that count: not IGNORE_INDEX and not masked."""
    valid = torch.ones_like(targets, dtype=torch.bool)
    if not (targets.is_floating_point() or targets.is_complex()):
        valid = targets != IGNORE_INDEX
    if mask is not None:
        valid = valid & _mask_like(mask, targets, "evaluate")
    return int(valid.sum().item())


def _bits(mean_nats: float) -> float:
    return mean_nats / math.log(2)


def _exp(mean_nats: float) -> float:
    return math.exp(mean_nats) if mean_nats < 700 else math.inf  # exp overflows near 710


#: The built-in metrics, by name (pass the names to fit/evaluate).
METRICS: dict[str, Metric] = {
    "accuracy": Metric("accuracy", _correct, higher_is_better=True),
    "mse": Metric("mse", _squared_error),
    "cross_entropy": Metric("cross_entropy", _nll),
    "perplexity": Metric("perplexity", _nll, finalize=_exp),
    "bpc": Metric("bpc", _nll, finalize=_bits),
}


def resolve_metrics(metrics: Iterable[str | Metric], *, where: str = "fit") -> tuple[Metric, ...]:
    """Turn metric names (keys of ``METRICS``) and ``Metric`` objects into ``Metric`` objects."""
    if isinstance(metrics, str | Metric):
        metrics = (metrics,)  # a single name is a common slip for a one-element tuple
    out = []
    for m in metrics:
        if isinstance(m, str):
            if m not in METRICS:
                raise ValueError(
                    f"{where}: unknown metric {m!r}; expected one of {sorted(METRICS)} or a Metric"
                )
            m = METRICS[m]
        elif not isinstance(m, Metric):
            raise TypeError(f"{where}: metrics must be names or Metric objects; got {m!r}")
        if m.name == "loss":
            raise ValueError(f"{where}: the metric name 'loss' is reserved for the model's loss")
        out.append(m)
    return tuple(out)


def _one_shot(metric: Metric, logits: Tensor, targets: Tensor, mask: Tensor | None) -> float:
    with torch.no_grad():
        total, count = metric.stats(logits, targets, mask)
    if count.item() == 0:
        raise ValueError(f"{metric.name}: no position counts (empty input or all masked)")
    return metric.finalize(total.item() / count.item())


def accuracy(logits: Tensor, targets: Tensor, mask: Tensor | None = None) -> float:
    """Fraction of counted positions where ``argmax(logits) == targets``.

    Args:
        logits:  (..., C) float   class scores
        targets: (...) int64      class ids
        mask:    (...) bool/0-1   positions that count, or None for all

    Returns:
        float in [0, 1]
    """
    return _one_shot(METRICS["accuracy"], logits, targets, mask)


def mse(predictions: Tensor, targets: Tensor, mask: Tensor | None = None) -> float:
    """Mean squared error over counted elements.

    Args:
        predictions: (...) float   (a trailing axis of size 1 is squeezed to match targets)
        targets:     (...) float
        mask:        (...) or a prefix of it, bool/0-1; None counts every element

    Returns:
        float
    """
    return _one_shot(METRICS["mse"], predictions, targets, mask)


def cross_entropy(logits: Tensor, targets: Tensor, mask: Tensor | None = None) -> float:
    """Mean cross-entropy in nats (natural log) over counted positions.

    Args:
        logits:  (..., V) float   unnormalised scores
        targets: (...) int64      class ids
        mask:    (...) bool/0-1   or None

    Returns:
        float, the mean of -log softmax(logits)[target]
    """
    return _one_shot(METRICS["cross_entropy"], logits, targets, mask)


def perplexity(logits: Tensor, targets: Tensor, mask: Tensor | None = None) -> float:
    """``exp(cross_entropy)``: the effective number of choices per step (V for a uniform model).

    Args and shapes as ``cross_entropy``. Returns a float >= 1.
    """
    return _one_shot(METRICS["perplexity"], logits, targets, mask)


def bits_per_char(logits: Tensor, targets: Tensor, mask: Tensor | None = None) -> float:
    """Bits per character: ``cross_entropy / ln 2`` (log2 V for a uniform model over V symbols).

    Args and shapes as ``cross_entropy``. Returns a float >= 0.
    """
    return _one_shot(METRICS["bpc"], logits, targets, mask)
