"""Checkpoints: a model's weights (and optionally optimizer state, History, extras) in one file.

Written atomically (a temporary file in the same folder, then ``os.replace``), so a crash never
leaves half a checkpoint behind. Read with ``torch.load(..., weights_only=True)``: a checkpoint is
tensors and plain Python values only, so loading one never runs code from the file. A model that
does not match gets an error that names the missing and unexpected keys and the shape mismatches.
Book: chapter "Character language models" (saving the model and sampling from it later).

File format (a dict): ``format`` = "course_rnn.checkpoint", ``version`` = 1, ``model`` (state
dict), ``optimizer`` (state dict or None), ``history`` (``History.to_dict()`` or None), ``extra``.
"""

import os
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

from course_rnn.training.history import History

FORMAT = "course_rnn.checkpoint"
VERSION = 1
_PLAIN = (str, int, float, bool, type(None), Tensor)
_SHOW = 10  # keys listed in an error message before "... and N more"


class CheckpointError(ValueError):
    """A file is not a course_rnn checkpoint, or does not fit the model/optimizer given."""


class Checkpoint(NamedTuple):
    """What ``load_checkpoint`` returns besides filling the model (and optimizer) in place."""

    history: History | None  # the History saved with the weights, if any
    extra: Any  # the ``extra`` value saved, e.g. {"vocab": [...], "config": {...}}


def save_checkpoint(
    path: str | os.PathLike,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    history: History | None = None,
    extra: Any = None,
) -> Path:
    """Write the model's ``state_dict`` (and the rest) to ``path`` atomically.

    Args:
        path:      file to write; its folder must exist; an existing file is replaced
        model:     ``nn.Module`` whose ``state_dict()`` is saved
        optimizer: optional optimizer whose ``state_dict()`` is saved (to resume training)
        history:   optional ``History`` (saved as plain lists)
        extra:     optional plain data: dicts, lists, tuples, str, int, float, bool, None, tensors

    Returns:
        the ``Path`` written
    """
    where = "save_checkpoint"
    if not isinstance(model, nn.Module):
        raise TypeError(f"{where}: model must be a torch.nn.Module; got {type(model).__name__}")
    if history is not None and not isinstance(history, History):
        raise TypeError(f"{where}: history must be a History or None; got {type(history).__name__}")
    _check_plain(extra, "extra", where)
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{where}: folder {str(path.parent)!r} does not exist")
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "model": model.state_dict(),
        "optimizer": None if optimizer is None else optimizer.state_dict(),
        "history": None if history is None else history.to_dict(),
        "extra": extra,
    }
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())  # the bytes are on disk before the name points at them
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(
    path: str | os.PathLike, model: nn.Module, optimizer: torch.optim.Optimizer | None = None
) -> Checkpoint:
    """Load a checkpoint written by ``save_checkpoint`` into ``model`` (and ``optimizer``).

    Args:
        path:      a file written by ``save_checkpoint``
        model:     ``nn.Module`` of the same architecture; its parameters are overwritten in place
                   (on whatever device it lives)
        optimizer: optional optimizer to restore; the checkpoint must hold optimizer state

    Returns:
        Checkpoint(history, extra)

    Raises:
        FileNotFoundError: no file at ``path``
        CheckpointError:   not a course_rnn checkpoint (unreadable, corrupt, a bare state dict),
                           or missing/unexpected keys or shape mismatches against ``model``
    """
    where = "load_checkpoint"
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{where}: no checkpoint file at {str(path)!r}")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # corrupt, truncated, not a torch file, or unsafe content
        raise CheckpointError(
            f"{where}: {str(path)!r} is not a readable course_rnn checkpoint "
            f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''})"
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        hint = ""
        if isinstance(data, dict) and data and all(isinstance(v, Tensor) for v in data.values()):
            hint = "; it looks like a bare state_dict: use model.load_state_dict(torch.load(...))"
        raise CheckpointError(
            f"{where}: {str(path)!r} is not a course_rnn checkpoint (expected a dict with "
            f"format={FORMAT!r}, got {type(data).__name__}){hint}"
        )
    if data.get("version") != VERSION:
        raise CheckpointError(
            f"{where}: {str(path)!r} has checkpoint version {data.get('version')!r}; "
            f"this course_rnn reads version {VERSION}"
        )
    state = data["model"]
    _check_match(state, model.state_dict(), path, type(model).__name__)
    model.load_state_dict(state)
    if optimizer is not None:
        if data.get("optimizer") is None:
            raise CheckpointError(f"{where}: {str(path)!r} holds no optimizer state")
        try:
            optimizer.load_state_dict(data["optimizer"])
        except (ValueError, KeyError, RuntimeError) as err:
            raise CheckpointError(
                f"{where}: the optimizer state in {str(path)!r} does not fit the optimizer "
                f"given: {err}"
            ) from None
    history = None if data.get("history") is None else History.from_dict(data["history"])
    return Checkpoint(history=history, extra=data.get("extra"))


def _check_match(saved: dict, expected: dict, path: Path, model_name: str) -> None:
    """Raise a CheckpointError listing every key and shape difference."""
    missing = [k for k in expected if k not in saved]
    unexpected = [k for k in saved if k not in expected]
    shapes = [
        f"{k}: checkpoint {tuple(saved[k].shape)} vs model {tuple(expected[k].shape)}"
        for k in expected
        if k in saved and tuple(saved[k].shape) != tuple(expected[k].shape)
    ]
    problems = [
        f"{label} {_listing(items)}"
        for label, items in (
            ("missing keys (in the model, not in the file):", missing),
            ("unexpected keys (in the file, not in the model):", unexpected),
            ("shape mismatches:", shapes),
        )
        if items
    ]
    if problems:
        raise CheckpointError(
            f"load_checkpoint: {str(path)!r} does not match {model_name}: " + "; ".join(problems)
        )


def _listing(items: list[str]) -> str:
    shown = ", ".join(items[:_SHOW])
    return shown + (f", ... and {len(items) - _SHOW} more" if len(items) > _SHOW else "")


def _check_plain(value: Any, name: str, where: str) -> None:
    """Raise TypeError unless ``value`` is made of types that weights_only loading accepts."""
    if isinstance(value, _PLAIN):
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str | int):
                raise TypeError(f"{where}: {name} has a key of type {type(k).__name__}")
            _check_plain(v, f"{name}[{k!r}]", where)
        return
    if isinstance(value, list | tuple) and not hasattr(value, "_fields"):
        for i, v in enumerate(value):
            _check_plain(v, f"{name}[{i}]", where)
        return
    raise TypeError(
        f"{where}: {name} must be plain data (dict, list, tuple, str, int, float, bool, None, "
        f"tensor) so that it loads with weights_only=True; got {type(value).__name__}"
    )
