"""The model interface of the course and the batch conventions of the training loop.

Every torch model of the course follows one interface, so one loop (``course_rnn.train.fit``)
trains them all: the classifier, the tagger, the character language model, the forecaster and the
encoder-decoder (chapters "Training recurrent networks", "Language models", "Attention").

The model interface:
    ``model(inputs, targets=None) -> Output(logits, loss)``. ``logits`` are the predictions:
    unnormalised class scores ``(..., V)`` or ``(..., C)`` for classification, real values for
    regression. Given ``targets``, ``loss`` is a scalar tensor (a mean over the batch) that the loop
    backpropagates; without them it is ``None``. Any object with ``.logits`` and ``.loss``
    attributes, or a plain tuple ``(logits, loss)``, is accepted in place of ``Output``.

Ordinary ``nn.Module``s:
    pass ``loss_fn=`` to ``fit``/``evaluate``; the model is then called as ``model(inputs)``, must
    return the predictions as one tensor, and the loss is ``loss_fn(predictions, targets)``.

A batch, from any iterable (a list, a generator, a ``torch.utils.data.DataLoader``):
    ``(inputs, targets)``, ``(inputs, targets, mask)`` or a dict with the keys ``"inputs"``,
    ``"targets"`` and optionally ``"mask"``. Tensors are time-major, e.g. inputs ``(T, B)`` token
    ids or ``(T, B, D)`` features; ``inputs`` may itself be a tuple or dict of tensors, which the
    model unpacks. ``mask`` (same shape as ``targets``, True/1 = counts) is used by the metrics
    only; pad the targets of a cross-entropy with ``IGNORE_INDEX`` (-100, torch's default) so that
    the model's loss skips them too.
"""

from collections.abc import Mapping
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

#: Target value that cross-entropy (torch's ``ignore_index`` default) and the metrics skip.
IGNORE_INDEX = -100

_BATCH_KEYS = ("inputs", "targets", "mask")


class Output(NamedTuple):
    """What every model of the course returns.

    Attributes:
        logits: predictions: class scores (..., V) / (..., C), or regression outputs (..., D)
        loss:   scalar tensor (mean over the batch) when targets were given, else None
    """

    logits: Tensor
    loss: Tensor | None = None


def default_device() -> torch.device:
    """``cuda`` when a CUDA device is present, else ``cpu``.

    Returns:
        torch.device
    """
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter (cpu for a model without parameters)."""
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


def move_to(obj: Any, device: torch.device | str) -> Any:
    """Move every tensor inside ``obj`` (tensor, tuple, NamedTuple, list or dict) to ``device``.

    Args:
        obj:    a tensor or a (nested) tuple/list/dict of them; other leaves are returned unchanged
        device: target device

    Returns:
        an object of the same structure whose tensors live on ``device``
    """
    if isinstance(obj, Tensor):
        return obj.to(device)
    if isinstance(obj, Mapping):
        return type(obj)({k: move_to(v, device) for k, v in obj.items()})
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # NamedTuple: rebuild positionally
        return type(obj)(*(move_to(v, device) for v in obj))
    if isinstance(obj, list | tuple):
        return type(obj)(move_to(v, device) for v in obj)
    return obj


def split_batch(batch: Any, *, where: str = "fit") -> tuple[Any, Tensor, Tensor | None]:
    """Unpack one batch into ``(inputs, targets, mask)`` (the conventions in the module docstring).

    Args:
        batch: ``(inputs, targets)``, ``(inputs, targets, mask)`` or a dict with those keys
        where: the calling function's name, used in error messages

    Returns:
        inputs: whatever the model takes, e.g. (T, B) int64 or (T, B, D) float
        targets: tensor, e.g. (T, B) int64, (B,) int64 or (T, B, D) float
        mask: tensor broadcastable to targets (True/1 = counts), or None
    """
    if isinstance(batch, Mapping):
        unknown = sorted(set(batch) - set(_BATCH_KEYS))
        if unknown or "inputs" not in batch or "targets" not in batch:
            raise ValueError(
                f"{where}: a dict batch needs the keys 'inputs' and 'targets' (and optionally "
                f"'mask'); got keys {sorted(batch)}"
            )
        return batch["inputs"], batch["targets"], batch.get("mask")
    if isinstance(batch, list | tuple) and len(batch) in (2, 3):
        inputs, targets, *rest = batch
        return inputs, targets, (rest[0] if rest else None)
    got = type(batch).__name__
    if isinstance(batch, list | tuple):
        got = f"a {got} of length {len(batch)}"
    raise TypeError(
        f"{where}: each batch must be (inputs, targets), (inputs, targets, mask) or a dict with "
        f"keys 'inputs', 'targets'[, 'mask']; got {got}"
    )


def run_model(
    model: nn.Module, inputs: Any, targets: Tensor, *, loss_fn=None, where: str = "fit"
) -> Output:
    """Call ``model`` under the course interface (or with ``loss_fn``) and return an ``Output``.

    Args:
        model:   an ``nn.Module`` following the interface in the module docstring
        inputs:  the batch's inputs, passed to the model unchanged
        targets: the batch's targets
        loss_fn: None (the model computes its loss) or ``loss_fn(predictions, targets) -> scalar``

    Returns:
        Output(logits, loss) with a scalar ``loss``
    """
    if loss_fn is not None:
        result = model(inputs)
        if not isinstance(result, Tensor):
            raise TypeError(
                f"{where}: with loss_fn, the model must return its predictions as one tensor; got "
                f"{type(result).__name__} (wrap the module so that forward returns a tensor)"
            )
        return Output(result, _check_loss(loss_fn(result, targets), where, "loss_fn"))
    try:
        result = model(inputs, targets)
    except TypeError as err:  # keep the original error; add the likely cause
        err.add_note(
            f"{where}: the model was called as model(inputs, targets) (the course interface); "
            "for an ordinary nn.Module that takes only inputs, pass loss_fn="
        )
        raise
    if isinstance(result, Tensor):
        raise TypeError(
            f"{where}: the model returned a bare tensor; models of the course return "
            "Output(logits, loss) when given targets. For an ordinary nn.Module pass loss_fn="
        )
    if hasattr(result, "logits") and hasattr(result, "loss"):
        logits, loss = result.logits, result.loss
    elif isinstance(result, tuple) and len(result) == 2:
        logits, loss = result
    else:
        raise TypeError(
            f"{where}: the model must return Output(logits, loss) (or a (logits, loss) tuple); "
            f"got {type(result).__name__}"
        )
    return Output(logits, _check_loss(loss, where, "the model"))


def _check_loss(loss: Any, where: str, source: str) -> Tensor:
    """Raise unless ``loss`` is a scalar tensor."""
    if not isinstance(loss, Tensor) or loss.dim() != 0:
        got = f"shape {tuple(loss.shape)}" if isinstance(loss, Tensor) else type(loss).__name__
        raise TypeError(f"{where}: {source} must return a scalar loss tensor; got {got}")
    return loss
