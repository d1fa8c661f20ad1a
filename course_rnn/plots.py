"""The figures of the book: loss curves, gradient norms against time lag, heatmaps, scaling.

Every function takes NumPy arrays (torch callers convert once with ``.detach().cpu().numpy()``;
this module never imports torch), draws on ``ax`` when given or on a new figure, returns the
``Figure`` and never calls ``plt.show()``. Shapes use the glossary of ``course_rnn.shapes``.
Book: "Backpropagation through time", section "Vanishing and exploding gradients"
(grad_norm_vs_lag); "The hidden state" (hidden_heatmap, scaling_plot, fit_loglog_slope); "Long
short-term memory" (grad_norm_vs_lag, gate_heatmaps); "RNNs and Transformers" (attention_map);
loss_curves wherever a model is trained.
"""

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from course_rnn.shapes import ShapeError, check_shape


def _array(x, name: str, where: str, pattern: str, **known: int) -> np.ndarray:
    """``x`` as a finite float array of the given pattern, or a clear error."""
    if hasattr(x, "detach"):  # a torch tensor: say how to convert, do not import torch
        raise TypeError(
            f"{where}: {name} must be a NumPy array; convert with .detach().cpu().numpy()"
        )
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as err:  # ragged lists, strings
        raise ShapeError(f"{where}: {name} expected a numeric array ({pattern}): {err}") from None
    check_shape(arr, pattern, name=name, where=where, **known)
    if arr.size == 0:
        raise ShapeError(f"{where}: {name} is empty; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{where}: {name} holds NaN or infinite values")
    return arr


def _figure(ax: Axes | None, figsize=(6.0, 4.0)) -> tuple[Figure, Axes]:
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def _labels(labels, n: int, name: str, where: str) -> list[str] | None:
    if labels is None:
        return None
    labels = [str(s) for s in labels]
    if len(labels) != n:
        raise ShapeError(f"{where}: {name} expected {n} labels, got {len(labels)}")
    return labels


def loss_curves(
    history=None,
    *,
    train_loss=None,
    train_steps=None,
    valid_loss=None,
    valid_steps=None,
    valid_metric: str = "loss",
    logy: bool = False,
    ax: Axes | None = None,
) -> Figure:
    """Training loss per step and validation loss per evaluation, against the optimizer step.

    Args:
        history:      a ``course_rnn.train.History`` (or any object with ``step``, ``train_loss``,
                      ``eval_step`` and ``valid``); or None and the arrays below
        train_loss:   (N,) float   loss of every training step
        train_steps:  (N,) int     their steps; default 1..N
        valid_loss:   (M,) float   validation values, or None
        valid_steps:  (M,) int     step of each validation value (required with valid_loss)
        valid_metric: key of ``history.valid`` to draw as the validation curve
        logy:         log-scale y axis
        ax:           Axes to draw on, or None for a new figure

    Returns:
        Figure with a "train" line and, if given, a "valid" line with markers
    """
    where = "loss_curves"
    if history is not None:
        if train_loss is not None or valid_loss is not None:
            raise ValueError(f"{where}: give a history or arrays, not both")
        train_loss, train_steps = history.train_loss, history.step
        if history.valid.get(valid_metric):
            valid_loss, valid_steps = history.valid[valid_metric], history.eval_step
    if train_loss is None:
        raise ValueError(f"{where}: give a history or train_loss")
    y = _array(train_loss, "train_loss", where, "N")
    x = np.arange(1, len(y) + 1) if train_steps is None else train_steps
    x = _array(x, "train_steps", where, "N", N=len(y))
    fig, ax = _figure(ax)
    ax.plot(x, y, label="train", lw=1)
    if valid_loss is not None:
        if valid_steps is None:
            raise ValueError(f"{where}: valid_loss needs valid_steps (the step of each value)")
        vy = _array(valid_loss, "valid_loss", where, "M")
        vx = _array(valid_steps, "valid_steps", where, "M", M=len(vy))
        ax.plot(vx, vy, "o-", label="valid" if valid_metric == "loss" else f"valid {valid_metric}")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.legend()
    return fig


def grad_norm_vs_lag(
    norms, *, labels: Sequence[str] | None = None, lags=None, logy: bool = True, ax=None
) -> Figure:
    """Norm of dL_T/dh_{T-k} against the lag k: vanishing (falling) or exploding (rising) curves.

    Args:
        norms:  (K, L) float >= 0   one curve per row (e.g. per model or per weight scale), or a
                mapping label -> (L,) array
        labels: K curve labels (taken from the mapping's keys when norms is a mapping)
        lags:   (L,) the lag of each column; default 0..L-1
        logy:   log-scale y axis (the default: the curves are geometric)
        ax:     Axes to draw on, or None

    Returns:
        Figure with one line per curve, x = lag, y = gradient norm
    """
    where = "grad_norm_vs_lag"
    if isinstance(norms, Mapping):
        if labels is not None:
            raise ValueError(f"{where}: labels come from the mapping's keys; do not pass labels")
        labels, norms = list(norms), list(norms.values())
    arr = _array(norms, "norms", where, "K L")
    K, L = arr.shape
    if np.any(arr < 0):
        raise ValueError(f"{where}: norms must be >= 0")
    labels = _labels(labels, K, "labels", where)
    x = np.arange(L) if lags is None else _array(lags, "lags", where, "L", L=L)
    fig, ax = _figure(ax)
    for k in range(K):
        ax.plot(x, arr[k], label=None if labels is None else labels[k])
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("time lag k")
    ax.set_ylabel(r"$\|\partial L_T / \partial h_{T-k}\|$")
    if labels is not None:
        ax.legend()
    return fig


def hidden_heatmap(h, *, tokens=None, title: str = "hidden state", ax=None) -> Figure:
    """Hidden states of one sequence as an image: time on x, hidden unit on y.

    Args:
        h:      (T, H) float   e.g. ``h[:, 0]`` of an RNN's (T, B, H) output
        tokens: T labels for the time axis, or None
        title:  axes title
        ax:     Axes to draw on, or None

    Returns:
        Figure with one image of ``h.T`` (H, T), colour scale symmetric around 0, and a colourbar
    """
    where = "hidden_heatmap"
    arr = _array(h, "h", where, "T H")
    fig, ax = _figure(ax, figsize=(7.0, 3.5))
    vmax = float(np.abs(arr).max()) or 1.0
    image = ax.imshow(arr.T, aspect="auto", cmap="RdBu_r", vmin=-vmax, vmax=vmax)  # (H, T)
    _time_axis(ax, tokens, arr.shape[0], where)
    ax.set_ylabel("hidden unit")
    ax.set_title(title)
    fig.colorbar(image, ax=ax)
    return fig


def gate_heatmaps(gates: Mapping[str, np.ndarray], *, tokens=None, axes=None) -> Figure:
    """Several gates of one sequence side by side (e.g. LSTM i, f, g, o or GRU r, z, n).

    Args:
        gates:  mapping gate name -> (T, H) float activations, all of one shape
        tokens: T labels for the time axes, or None
        axes:   a sequence of len(gates) Axes to draw on, or None for a new 1 x K figure

    Returns:
        Figure with one image (H, T) per gate, titled with the gate's name; colour range [0, 1]
        (sigmoid gates), widened to the data where it leaves that range (tanh candidate g, n)
    """
    where = "gate_heatmaps"
    if not isinstance(gates, Mapping) or not gates:
        raise TypeError(f"{where}: gates must be a non-empty mapping name -> (T, H) array")
    arrays, known = {}, {}
    for name, g in gates.items():
        arrays[name] = _array(g, f"gates[{name!r}]", where, "T H", **known)
        known = dict(zip("TH", arrays[name].shape, strict=True))  # every gate: the first's shape
    K = len(arrays)
    if axes is None:
        axes = list(plt.subplots(1, K, figsize=(3.2 * K, 3.2), squeeze=False)[1][0])
    elif len(axes) != K:
        raise ValueError(f"{where}: axes expected {K} Axes (one per gate), got {len(axes)}")
    for ax, (name, arr) in zip(axes, arrays.items(), strict=True):
        lo, hi = min(0.0, float(arr.min())), max(1.0, float(arr.max()))
        ax.imshow(arr.T, aspect="auto", cmap="viridis", vmin=lo, vmax=hi)  # (H, T)
        _time_axis(ax, tokens, arr.shape[0], where)
        ax.set_title(name)
    axes[0].set_ylabel("hidden unit")
    return axes[0].figure


def attention_map(
    weights, *, query_labels=None, key_labels=None, title: str = "attention", ax=None
) -> Figure:
    """Attention weights as an image: queries (rows) against keys (columns).

    Args:
        weights:      (T, S) float   each row a distribution over the S keys (e.g. one head of
                      the (B, NH, T, S) weights, ``w[0, h]``)
        query_labels: T labels (e.g. output tokens), or None
        key_labels:   S labels (e.g. input tokens), or None
        title:        axes title
        ax:           Axes to draw on, or None

    Returns:
        Figure with one image (T, S) on a [0, max] grey scale and a colourbar
    """
    where = "attention_map"
    arr = _array(weights, "weights", where, "T S")
    T, S = arr.shape
    queries = _labels(query_labels, T, "query_labels", where)
    keys = _labels(key_labels, S, "key_labels", where)
    fig, ax = _figure(ax, figsize=(0.4 * S + 2.5, 0.4 * T + 1.5))
    image = ax.imshow(arr, cmap="Greys", vmin=0.0, vmax=max(float(arr.max()), 1e-12))  # (T, S)
    if keys is not None:
        ax.set_xticks(np.arange(S), keys, rotation=90)
    if queries is not None:
        ax.set_yticks(np.arange(T), queries)
    ax.set_xlabel("key (source position)")
    ax.set_ylabel("query (target position)")
    ax.set_title(title)
    fig.colorbar(image, ax=ax)
    return fig


def fit_loglog_slope(x, y) -> float:
    """Slope of the least-squares line through (log x, log y): the exponent p in y ~ x^p.

    Args:
        x: (N,) float > 0, N >= 2   e.g. sequence lengths
        y: (N,) float > 0           e.g. seconds per step

    Returns:
        float
    """
    where = "fit_loglog_slope"
    xs = _array(x, "x", where, "N")
    ys = _array(y, "y", where, "N", N=len(xs))
    if len(xs) < 2 or np.any(xs <= 0) or np.any(ys <= 0):
        raise ValueError(f"{where}: needs at least 2 points with x > 0 and y > 0")
    slope, _ = np.polyfit(np.log(xs), np.log(ys), 1)
    return float(slope)


def scaling_plot(lengths, times, *, label: str | None = None, ax=None) -> Figure:
    """Time against sequence length on log-log axes, with the fitted slope in the legend.

    Args:
        lengths: (N,) float > 0   sequence lengths T
        times:   (N,) float > 0   seconds (one series), or a mapping label -> (N,) array
        label:   name of a single series (ignored for a mapping)
        ax:      Axes to draw on, or None

    Returns:
        Figure with, per series, measured points and a dashed fitted line; legend entries read
        "<label> (slope 1.02)"
    """
    where = "scaling_plot"
    series = dict(times) if isinstance(times, Mapping) else {label or "time": times}
    x = _array(lengths, "lengths", where, "N")
    fig, ax = _figure(ax)
    for name, t in series.items():
        y = _array(t, f"times[{name!r}]", where, "N", N=len(x))
        slope = fit_loglog_slope(x, y)
        points = ax.plot(x, y, "o", label=f"{name} (slope {slope:.2f})")[0]
        intercept = np.mean(np.log(y) - slope * np.log(x))
        ax.plot(x, np.exp(intercept) * x**slope, "--", color=points.get_color())
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("sequence length T")
    ax.set_ylabel("time (s)")
    ax.legend()
    return fig


def _time_axis(ax: Axes, tokens, T: int, where: str) -> None:
    labels = _labels(tokens, T, "tokens", where)
    if labels is not None:
        ax.set_xticks(np.arange(T), labels)
    ax.set_xlabel("time step t")
