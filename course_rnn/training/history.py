"""What a training run returns (``History``), how it is watched (callbacks) and stopped early.

``History`` is plain Python (lists of floats), so a chapter can assert on it, ``course_rnn.plots``
can draw it without torch, and a checkpoint can store it. Book: chapter "The hidden state"
(loss curves) and chapter "Backpropagation through time" (the gradient norm of every step, before
clipping).

Callbacks: any object with one or more of the methods ``on_step_end(history)``,
``on_eval_end(history)`` and ``on_fit_end(history)`` (subclass ``Callback`` for no-op defaults), or
a plain function, which is called as ``on_step_end``. A callback stops training by calling
``history.request_stop(reason)``; the loop finishes the current step and returns.
"""

from dataclasses import asdict, dataclass, field, fields
from typing import Any

EVENTS = ("on_step_end", "on_eval_end", "on_fit_end")


@dataclass
class History:
    """Everything recorded during ``fit``; one entry per optimizer step or per evaluation.

    Per step (all of length ``num_steps``):
        step, epoch, train_loss, grad_norm, wall_time
    Per evaluation (all of length ``len(eval_step)``):
        eval_step, eval_wall_time, valid[name] for "loss" and every metric
    """

    step: list[int] = field(default_factory=list)  # optimizer step, counted from 1
    epoch: list[int] = field(default_factory=list)  # pass over train_batches, counted from 0
    train_loss: list[float] = field(default_factory=list)  # the model's loss on the step's batch
    grad_norm: list[float] = field(default_factory=list)  # global L2 norm of all grads, pre-clip
    wall_time: list[float] = field(default_factory=list)  # seconds since fit started
    eval_step: list[int] = field(default_factory=list)  # step after which each evaluation ran
    eval_wall_time: list[float] = field(default_factory=list)  # seconds since fit started
    valid: dict[str, list[float]] = field(default_factory=dict)  # metric name -> one per eval
    best_step: int | None = None  # step of the best evaluation (with early stopping)
    best_value: float | None = None  # its value of the early-stopping metric
    restored_best: bool = False  # True if fit loaded the best weights back at the end
    stop_reason: str | None = None  # why training ended before its budget, else None

    @property
    def num_steps(self) -> int:
        """Number of optimizer steps taken."""
        return len(self.step)

    @property
    def stopped(self) -> bool:
        """True once a callback, early stopping or a non-finite loss asked to stop."""
        return self.stop_reason is not None

    def request_stop(self, reason: str) -> None:
        """Ask ``fit`` to stop after the current step; ``reason`` is kept in ``stop_reason``."""
        if not isinstance(reason, str) or not reason:
            raise ValueError(
                f"History.request_stop: reason must be a non-empty str; got {reason!r}"
            )
        if self.stop_reason is None:  # the first reason wins
            self.stop_reason = reason

    def last(self, name: str) -> float:
        """The latest value of ``name``: ``"train_loss"``, ``"grad_norm"`` or a key of ``valid``."""
        values = self.valid.get(name) if name in self.valid else getattr(self, name, None)
        if not isinstance(values, list):
            raise KeyError(
                f"History.last: unknown name {name!r}; expected 'train_loss', 'grad_norm' or one "
                f"of {sorted(self.valid)}"
            )
        if not values:
            raise ValueError(f"History.last: {name!r} has no values yet")
        return values[-1]

    def to_dict(self) -> dict[str, Any]:
        """Plain lists, floats and strings (what a checkpoint stores)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "History":
        """Inverse of ``to_dict``; unknown keys raise ``ValueError``."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"History.from_dict: unknown keys {unknown}; expected {sorted(known)}")
        return cls(**data)


class Callback:
    """Base class with no-op hooks; override the ones you need. Each receives the History."""

    def on_step_end(self, history: History) -> None:
        """After every optimizer step (``history.train_loss[-1]`` is the step's loss)."""

    def on_eval_end(self, history: History) -> None:
        """After every evaluation on ``valid_batches`` (``history.valid`` has the new values)."""

    def on_fit_end(self, history: History) -> None:
        """Once, when training ends (after best weights were restored)."""


def check_callbacks(callbacks, *, where: str = "fit") -> tuple:
    """Validate callbacks: each must have an ``on_*`` hook or be callable."""
    if callable(callbacks) or isinstance(callbacks, Callback):
        callbacks = (callbacks,)
    for cb in callbacks:
        if not (callable(cb) or any(hasattr(cb, e) for e in EVENTS)):
            raise TypeError(
                f"{where}: each callback must be a function or have one of the methods "
                f"{', '.join(EVENTS)}; got {cb!r}"
            )
    return tuple(callbacks)


def dispatch(callbacks: tuple, event: str, history: History) -> None:
    """Call ``event`` on every callback that has it (plain functions count as on_step_end)."""
    for cb in callbacks:
        hook = getattr(cb, event, None)
        if hook is None and event == "on_step_end" and not any(hasattr(cb, e) for e in EVENTS):
            hook = cb
        if hook is not None:
            hook(history)


@dataclass(frozen=True)
class EarlyStopping:
    """Stop when a validation metric has not improved for ``patience`` evaluations.

    Example: ``fit(..., valid_batches=valid, early_stopping=EarlyStopping("bpc", patience=3))``.
    """

    metric: str = "loss"  # key of History.valid to watch ("loss" or a metric name given to fit)
    patience: int = 3  # evaluations without improvement before stopping
    mode: str | None = None  # "min" or "max"; None takes the metric's direction ("min" for loss)
    min_delta: float = 0.0  # an improvement must beat the best value by more than this
    restore_best: bool = True  # load the best weights back into the model at the end

    def __post_init__(self):
        if isinstance(self.patience, bool) or not isinstance(self.patience, int):
            raise TypeError(f"EarlyStopping: patience must be an int; got {self.patience!r}")
        if self.patience < 1:
            raise ValueError(f"EarlyStopping: patience must be >= 1; got {self.patience}")
        if self.mode not in (None, "min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min', 'max' or None; got {self.mode!r}")
        if self.min_delta < 0:
            raise ValueError(f"EarlyStopping: min_delta must be >= 0; got {self.min_delta}")
