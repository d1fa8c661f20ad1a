"""The one training loop of the course (``fit``) and its evaluation pass (``evaluate``).

One optimizer step per batch: forward (model interface in ``course_rnn.training.batches``),
backward, global gradient norm (recorded *before* clipping), optional clipping, optimizer step.
Validation runs at the end of every pass over the training batches, or every ``eval_every`` steps,
and once more at the end if the last step was not evaluated. The loop never prints: it reports
through the returned ``History``, the callbacks and a tqdm bar (see ``training.progress``).
It draws no random numbers and seeds nothing; shuffle in the DataLoader, with its own generator.
Book: chapter "The hidden state" (first use), then every chapter that trains a model.
"""

import math
import time
from collections.abc import Iterable, Iterator

import torch
from torch import Tensor, nn

from course_rnn.training.batches import (
    default_device,
    model_device,
    move_to,
    run_model,
    split_batch,
)
from course_rnn.training.history import EarlyStopping, History, check_callbacks, dispatch
from course_rnn.training.metrics import Metric, count_positions, resolve_metrics
from course_rnn.training.progress import progress_bar, progress_enabled


def evaluate(
    model: nn.Module,
    batches: Iterable,
    *,
    metrics: Iterable[str | Metric] = (),
    loss_fn=None,
    device: torch.device | str | None = None,
) -> dict[str, float]:
    """The model's mean loss and ``metrics`` over ``batches``, without gradients, in eval mode.

    Args:
        model:   ``nn.Module`` with the course interface (or a plain module and ``loss_fn``)
        batches: iterable of ``(inputs, targets[, mask])`` or dicts, e.g. inputs and targets (T, B)
        metrics: names from ``METRICS`` ("accuracy", "mse", "cross_entropy", "perplexity", "bpc")
                 or ``Metric`` objects
        loss_fn: None, or ``loss_fn(predictions, targets) -> scalar`` for a plain module
        device:  where to run; None uses the device of the model's first parameter

    Returns:
        dict: ``{"loss": float, <metric name>: float, ...}``. Every value is a mean over counted
        positions (targets equal to IGNORE_INDEX and masked positions do not count), so the result
        does not depend on how the data is cut into batches. A metric with no counted position
        is NaN.
    """
    where = "evaluate"
    metric_objs = resolve_metrics(metrics, where=where)
    device = model_device(model) if device is None else torch.device(device)
    loss_sum, loss_count = 0.0, 0
    sums = dict.fromkeys((m.name for m in metric_objs), 0.0)
    counts = dict.fromkeys((m.name for m in metric_objs), 0)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for batch in batches:
                inputs, targets, mask = split_batch(move_to(batch, device), where=where)
                out = run_model(model, inputs, targets, loss_fn=loss_fn, where=where)
                n = count_positions(targets, mask)  # the model's loss is a mean over these
                loss_sum += out.loss.item() * n
                loss_count += n
                for m in metric_objs:
                    total, count = m.stats(out.logits, targets, mask)
                    sums[m.name] += total.item()
                    counts[m.name] += int(count.item())
    finally:
        model.train(was_training)
    if loss_count == 0:
        raise ValueError(
            f"{where}: batches yielded no batch with a counted target (empty, all masked, or a "
            "generator that was already used up?)"
        )
    result = {"loss": loss_sum / loss_count}
    for m in metric_objs:
        result[m.name] = m.finalize(sums[m.name] / counts[m.name]) if counts[m.name] else math.nan
    return result


def fit(
    model: nn.Module,
    train_batches: Iterable,
    *,
    epochs: int | None = None,
    steps: int | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    lr: float | None = None,
    loss_fn=None,
    clip_grad_norm: float | None = None,
    valid_batches: Iterable | None = None,
    metrics: Iterable[str | Metric] = (),
    eval_every: int | None = None,
    early_stopping: EarlyStopping | None = None,
    callbacks: Iterable = (),
    device: torch.device | str | None = None,
    progress: bool | None = None,
) -> History:
    """Train ``model`` on ``train_batches``; return what happened as a ``History``.

    Args:
        model:          ``nn.Module`` with the course interface (or a plain module and ``loss_fn``)
        train_batches:  iterable of batches (list, DataLoader; a generator allows one pass only)
        epochs:         passes over ``train_batches``
        steps:          optimizer steps in total; give epochs, steps or both (first one reached)
        optimizer:      a torch optimizer over the model's parameters, or None with ``lr``
        lr:             learning rate of a new ``torch.optim.Adam``; exclusive with ``optimizer``
        loss_fn:        None, or ``loss_fn(predictions, targets) -> scalar`` for a plain module
        clip_grad_norm: max global L2 norm of the gradients (``clip_grad_norm_``), or None
        valid_batches:  batches for evaluation, or None
        metrics:        metric names or ``Metric`` objects evaluated on ``valid_batches``
        eval_every:     evaluate every this many steps; None evaluates after every pass
        early_stopping: an ``EarlyStopping`` watching one of "loss" or ``metrics``, or None
        callbacks:      functions or ``Callback`` objects (see ``training.history``)
        device:         where to train; None uses ``default_device()``; model and batches move
        progress:       True/False to force the tqdm bar; None detects (``training.progress``)

    Returns:
        History: per step ``train_loss``, ``grad_norm`` (before clipping), ``wall_time``; per
        evaluation ``eval_step`` and ``valid[name]``; ``stop_reason`` if it stopped early.

    A non-finite loss or gradient norm skips that step's update and stops training (recorded in
    ``stop_reason``), so a diverging run ends with finite weights and an explanation.
    """
    where = "fit"
    _check_budget(epochs, steps)
    if not isinstance(model, nn.Module):
        raise TypeError(f"{where}: model must be a torch.nn.Module; got {type(model).__name__}")
    if not isinstance(train_batches, Iterable):
        got = type(train_batches).__name__
        raise TypeError(f"{where}: train_batches must be an iterable of batches; got {got}")
    if (optimizer is None) == (lr is None):
        raise ValueError(f"{where}: give exactly one of optimizer= and lr= (lr builds Adam)")
    if clip_grad_norm is not None and not clip_grad_norm > 0:
        raise ValueError(f"{where}: clip_grad_norm must be > 0 or None; got {clip_grad_norm!r}")
    if eval_every is not None and (not isinstance(eval_every, int) or eval_every < 1):
        raise ValueError(f"{where}: eval_every must be a positive int or None; got {eval_every!r}")
    metric_objs = resolve_metrics(metrics, where=where)
    if valid_batches is None and (eval_every is not None or early_stopping is not None):
        raise ValueError(f"{where}: eval_every and early_stopping need valid_batches")
    tracker = _Tracker(early_stopping, metric_objs) if early_stopping is not None else None
    callbacks = check_callbacks(callbacks, where=where)
    device = default_device() if device is None else torch.device(device)
    model.to(device)
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    one_shot = isinstance(train_batches, Iterator)  # a generator cannot be replayed

    history = History()
    if valid_batches is not None:
        history.valid = {"loss": [], **{m.name: [] for m in metric_objs}}
    start = time.perf_counter()

    def run_eval() -> None:
        values = evaluate(model, valid_batches, metrics=metric_objs, loss_fn=loss_fn, device=device)
        history.eval_step.append(history.num_steps)
        history.eval_wall_time.append(time.perf_counter() - start)
        for name, value in values.items():
            history.valid[name].append(value)
        if tracker is not None:
            tracker.update(model, history)
        dispatch(callbacks, "on_eval_end", history)

    bar = progress_bar(_total(train_batches, epochs, steps), enabled=progress_enabled(progress))
    try:
        epoch = 0
        while (epochs is None or epoch < epochs) and not history.stopped:
            taken = 0
            for batch in train_batches:
                loss, norm = _train_step(model, batch, optimizer, loss_fn, clip_grad_norm, device)
                taken += 1
                history.step.append(history.num_steps + 1)
                history.epoch.append(epoch)
                history.train_loss.append(loss)
                history.grad_norm.append(norm)
                history.wall_time.append(time.perf_counter() - start)
                if not (math.isfinite(loss) and math.isfinite(norm)):
                    history.request_stop(
                        f"non-finite loss {loss} or gradient norm {norm} at step "
                        f"{history.num_steps}; its update was skipped"
                    )
                bar.update(1)
                if not bar.disable:
                    bar.set_postfix(loss=f"{loss:.4g}", refresh=False)
                dispatch(callbacks, "on_step_end", history)
                if eval_every is not None and history.num_steps % eval_every == 0:
                    run_eval()
                if history.stopped or (steps is not None and history.num_steps >= steps):
                    break
            else:  # the pass ran to its end
                if taken == 0:
                    raise ValueError(_empty_message(epoch, one_shot))
                if valid_batches is not None and eval_every is None:
                    run_eval()
                epoch += 1
                continue
            break  # stopped, or the step budget is spent
        if valid_batches is not None and history.eval_step[-1:] != [history.num_steps]:
            run_eval()  # the final weights are always evaluated
    finally:
        bar.close()
    if tracker is not None:
        tracker.restore(model, history)
    dispatch(callbacks, "on_fit_end", history)
    return history


def _train_step(model, batch, optimizer, loss_fn, max_norm, device) -> tuple[float, float]:
    """One optimizer step; returns (loss, global gradient norm before clipping)."""
    model.train()
    inputs, targets, _ = split_batch(move_to(batch, device), where="fit")
    out = run_model(model, inputs, targets, loss_fn=loss_fn, where="fit")
    if not out.loss.requires_grad:
        raise ValueError("fit: the loss does not depend on any trainable parameter")
    optimizer.zero_grad(set_to_none=True)
    out.loss.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    if max_norm is None:
        norm = torch.nn.utils.get_total_norm(grads)  # the norm clip_grad_norm_ would see
    else:
        params = [p for p in model.parameters() if p.grad is not None]
        norm = torch.nn.utils.clip_grad_norm_(params, max_norm)  # returns the pre-clip norm
    loss_value, norm_value = out.loss.item(), float(norm)
    if math.isfinite(loss_value) and math.isfinite(norm_value):
        optimizer.step()
    return loss_value, norm_value


class _Tracker:
    """Early-stopping state: best value, its step, a copy of its weights, evaluations since."""

    def __init__(self, config: EarlyStopping, metrics: tuple[Metric, ...]):
        known = {m.name: m for m in metrics}
        if config.metric != "loss" and config.metric not in known:
            raise ValueError(
                f"fit: early_stopping watches {config.metric!r}, which is not evaluated; expected "
                f"'loss' or one of the metrics {sorted(known)}"
            )
        higher = config.metric in known and known[config.metric].higher_is_better
        self.config = config
        self.sign = 1.0 if (config.mode or ("max" if higher else "min")) == "min" else -1.0
        self.best_state: dict[str, Tensor] | None = None
        self.bad = 0

    def update(self, model: nn.Module, history: History) -> None:
        cfg = self.config
        value = history.valid[cfg.metric][-1]
        best = history.best_value
        if math.isfinite(value) and (best is None or self.sign * (best - value) > cfg.min_delta):
            history.best_step, history.best_value, self.bad = history.num_steps, value, 0
            if cfg.restore_best:
                self.best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            return
        self.bad += 1
        if self.bad >= cfg.patience:
            history.request_stop(
                f"early stopping: valid {cfg.metric} did not improve for {cfg.patience} "
                f"evaluations (best {best} at step {history.best_step})"
            )

    def restore(self, model: nn.Module, history: History) -> None:
        if self.config.restore_best and self.best_state is not None:
            model.load_state_dict(self.best_state)
            history.restored_best = True


def _check_budget(epochs, steps) -> None:
    if epochs is None and steps is None:
        raise ValueError("fit: give epochs=, steps= or both; got neither")
    for name, value in (("epochs", epochs), ("steps", steps)):
        bad_type = isinstance(value, bool) or not isinstance(value, int)
        if value is not None and (bad_type or value < 1):
            raise ValueError(f"fit: {name} must be a positive int or None; got {value!r}")


def _total(train_batches, epochs, steps) -> int | None:
    try:
        per_pass = len(train_batches)
    except TypeError:  # a generator, or a DataLoader over an IterableDataset
        per_pass = None
    by_epochs = epochs * per_pass if (epochs is not None and per_pass is not None) else None
    known = [n for n in (by_epochs, steps) if n is not None]
    return min(known) if known else None


def _empty_message(epoch: int, one_shot: bool) -> str:
    if epoch > 0 and one_shot:
        return (
            f"fit: train_batches is a one-shot iterator (e.g. a generator), exhausted after pass "
            f"{epoch}; pass a list or a DataLoader to train for several epochs or more steps"
        )
    return "fit: train_batches yielded no batches"
