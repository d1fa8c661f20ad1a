"""Elementwise activations, softmax and losses in NumPy, each with its backward pass.

Numerically stable forms: they stay finite for inputs around ±1e3 (tested under
``np.errstate(over="raise")``). Every function keeps its input's float dtype. Book: chapter
"Backpropagation through time" (sections "One step backward" and "Through the output layer")
and the chapters that use each function; ``softmax`` is also the heart of chapter "RNNs and
Transformers".

The losses follow ``torch.nn.functional`` (``cross_entropy`` and ``mse_loss`` with
``reduction="mean"``) and are tested against them in float64.
"""

import numpy as np

from course_rnn.shapes import ShapeError


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + exp(-x)), stable for large |x|; keeps x's float dtype.

    Args:
        x: (any shape) float array

    Returns:
        (same shape and dtype) values in (0, 1).

    Book: chapters "Long short-term memory" and "Gated recurrent units" (the gates use it).
    """
    # exp of a non-positive number never overflows: split by sign.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


def sigmoid_backward(dy: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient through ``y = sigmoid(x)``, written with the output: dx = dy * y * (1 - y).

    Args:
        dy: (any shape) float   upstream gradient
        y:  (same shape) float  the forward output sigmoid(x)

    Returns:
        dx: (same shape and dtype as dy)

    Book: chapter "Backpropagation through time", section "One step backward".
    """
    return dy * y * (1 - y)


def tanh_backward(dy: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient through ``y = tanh(x)``, written with the output: dx = dy * (1 - y²).

    Args:
        dy: (any shape) float   upstream gradient
        y:  (same shape) float  the forward output tanh(x)

    Returns:
        dx: (same shape and dtype as dy)

    Book: chapter "Backpropagation through time", section "One step backward".
    """
    return dy * (1 - y * y)


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Stable log-softmax along ``axis``: x - max - log(sum(exp(x - max))).

    Args:
        x:    (any shape) float array, e.g. logits (T, B, V)
        axis: the axis that sums to one after ``exp``

    Returns:
        (same shape and dtype as x), all entries <= 0.

    Book: chapter "Backpropagation through time", section "Through the output layer".
    """
    # Subtracting the max makes every exponent <= 0, so exp never overflows (shift invariance).
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Stable softmax along ``axis`` (``torch.softmax(x, dim=axis)``).

    Args:
        x:    (any shape) float array, e.g. logits (T, B, V) or attention scores (B, NH, T, S)
        axis: the axis that sums to one

    Returns:
        (same shape and dtype as x), entries in [0, 1] summing to 1 along ``axis``.

    Book: chapter "RNNs and Transformers", section "Attention as a soft lookup".
    """
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_backward(dy: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    """Gradient through ``y = softmax(x, axis)``: dx = y * (dy - sum(dy * y, axis)).

    Args:
        dy:   (any shape) float   upstream gradient
        y:    (same shape) float  the forward output softmax(x, axis)
        axis: the softmax axis

    Returns:
        dx: (same shape and dtype as dy); zero wherever y is zero.

    Book: chapter "RNNs and Transformers", section "Attention as a soft lookup".
    """
    return y * (dy - np.sum(dy * y, axis=axis, keepdims=True))


def _check_cross_entropy_inputs(logits, targets, mask, where: str, *, numeric_mask: bool):
    """Validate (logits, targets, mask); returns (targets, mask) as arrays, mask as bool."""
    if not hasattr(logits, "ndim") or logits.ndim not in (2, 3):
        raise ShapeError(f"{where}: logits expected (T, B, V) or (N, V), got {np.shape(logits)}")
    if not np.issubdtype(logits.dtype, np.floating):
        raise TypeError(f"{where}: logits must be a float array, got dtype {logits.dtype}")
    V = logits.shape[-1]
    lead = logits.shape[:-1]  # (T, B) or (N,)
    letters = "T, B" if logits.ndim == 3 else "N"
    targets = np.asarray(targets)
    if targets.shape != lead:
        raise ShapeError(f"{where}: targets expected ({letters}) = {lead}, got {targets.shape}")
    if not np.issubdtype(targets.dtype, np.integer):
        raise TypeError(f"{where}: targets must be integer class ids, got dtype {targets.dtype}")
    if mask is None:
        mask = np.ones(lead, dtype=bool)
    mask = np.asarray(mask)
    zero_one = numeric_mask and mask.dtype.kind in "iuf" and np.all((mask == 0) | (mask == 1))
    if not (mask.dtype == np.bool_ or zero_one) or mask.shape != lead:
        kind = "a bool or 0/1 array" if numeric_mask else "a bool array"
        raise ShapeError(
            f"{where}: mask expected {kind} ({letters}) = {lead}, got {mask.dtype} {mask.shape}"
        )
    mask = mask.astype(bool, copy=False)
    bad = mask & ((targets < 0) | (targets >= V))
    if np.any(bad):
        raise ValueError(
            f"{where}: targets must lie in [0, V={V}) at unmasked positions, "
            f"got {targets[bad].min()} .. {targets[bad].max()}"
        )
    return targets, mask


def softmax_cross_entropy(o: np.ndarray, y: np.ndarray, mask=None):
    """Mean cross-entropy of softmax(o) against the targets y, and its gradient, in one call.

    L = (1/N) Σ_{t,b: mask} -log p_t[y_t],  p_t = softmax(o_t),  N = mask.sum()
    do = (p - one_hot(y)) * mask / N

    The language model's loss (CS231n's ``temporal_softmax_loss``, with torch's layout). Equal to
    ``F.cross_entropy(o.reshape(-1, V), y.reshape(-1), ignore_index=i)`` when ``mask = y != i``.
    Stable for large logits: log p comes from a log-sum-exp with the maximum subtracted.

    Args:
        o:    (T, B, V) or (N, V) float   logits
        y:    (T, B) or (N,) integer      targets in [0, V); only checked where mask is True,
                                          so padded positions may hold any id (e.g. -100)
        mask: (T, B) or (N,) bool or 0/1, or None (every position counts)

    Returns:
        L:  float, the mean loss over the N unmasked positions (in nats)
        do: (T, B, V) or (N, V), o's dtype: dL/do, zero at masked positions

    Raises:
        ValueError: if no position is unmasked (N = 0: the mean is undefined), or a target at an
            unmasked position lies outside [0, V). ShapeError / TypeError: bad shapes or dtypes.

    Book: chapter "Backpropagation through time", section "Through the output layer".
    """
    where = "softmax_cross_entropy"
    y, mask = _check_cross_entropy_inputs(o, y, mask, where, numeric_mask=True)
    N = int(mask.sum())
    if N == 0:
        raise ValueError(
            f"{where}: mask has no unmasked position (N = 0), so the mean loss is undefined"
        )
    y_safe = np.where(mask, y, 0)[..., None]  # (T, B, 1): any valid id where masked
    logp = log_softmax(o, axis=-1)  # (T, B, V)
    nll = -np.take_along_axis(logp, y_safe, axis=-1)[..., 0]  # (T, B) -log p_t[y_t]
    L = float(np.sum(nll, where=mask) / N)
    do = np.exp(logp)  # (T, B, V) p_t
    p_y = np.take_along_axis(do, y_safe, axis=-1)
    np.put_along_axis(do, y_safe, p_y - 1, axis=-1)  # p_t - one_hot(y_t)
    do *= mask[..., None] / N  # masked positions get no gradient; 1/N from the mean
    return L, do


def softmax_cross_entropy_forward(logits: np.ndarray, targets: np.ndarray, mask=None):
    """Mean cross-entropy of softmax(logits) against integer targets, over unmasked positions.

    loss = -(1/M) Σ_{n: mask[n]} log softmax(logits[n])[targets[n]],  M = number of True entries.
    This equals ``F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1),
    ignore_index=i)`` with ``reduction="mean"`` when ``mask = targets != i``: ignored positions add
    nothing to the sum and are not counted in M. No class weights, no label smoothing.
    (``softmax_cross_entropy`` computes the same loss and its gradient in one call.)

    Args:
        logits:  (T, B, V) or (N, V) float  unnormalised scores over a vocabulary of V classes
        targets: (T, B) or (N,) integer     classes in [0, V); only checked where ``mask`` is True,
                                             so padded positions may hold any id (e.g. -100)
        mask:    (T, B) or (N,) bool, or None   True = the position counts; None = all count

    Returns:
        loss:  0-d array, logits' dtype
        cache: opaque; pass to softmax_cross_entropy_backward

    Differences from torch.nn.functional.cross_entropy:
        If every position is masked (M = 0), torch returns NaN (0/0); we return a loss of 0 with a
        zero gradient, so an all-padding batch cannot poison training.

    Book: chapter "Backpropagation through time", section "Through the output layer".
    """
    where = "softmax_cross_entropy_forward"
    targets, mask = _check_cross_entropy_inputs(logits, targets, mask, where, numeric_mask=False)
    safe = np.where(mask, targets, 0)  # (T, B): any valid id where masked, gathered then dropped
    logp = log_softmax(logits, axis=-1)  # (T, B, V)
    picked = np.take_along_axis(logp, safe[..., None], axis=-1)[..., 0]  # (T, B)
    count = int(mask.sum())
    loss = -np.sum(picked, where=mask) / max(count, 1)
    cache = (logp, safe, mask, count)
    return np.asarray(loss, dtype=logits.dtype), cache


def softmax_cross_entropy_backward(dloss, cache) -> np.ndarray:
    """Gradient of the masked mean cross-entropy: (softmax - one_hot(targets)) * mask / M.

    Args:
        dloss: scalar float  upstream gradient of the loss (1.0 when the loss is the objective)
        cache: from softmax_cross_entropy_forward

    Returns:
        dlogits: (T, B, V) or (N, V), logits' dtype; zero at masked positions.

    Book: chapter "Backpropagation through time", section "Through the output layer".
    """
    logp, safe, mask, count = cache
    one_hot = np.zeros_like(logp)  # (T, B, V)
    np.put_along_axis(one_hot, safe[..., None], 1, axis=-1)
    scale = np.asarray(dloss, dtype=logp.dtype) / max(count, 1)
    # d(-log p_y)/dlogits = softmax - one_hot; masked positions contribute nothing.
    return (np.exp(logp) - one_hot) * (mask[..., None] * scale)  # (T, B, V)


def mse_forward(pred: np.ndarray, target: np.ndarray):
    """Mean squared error, ``F.mse_loss(pred, target)`` with ``reduction="mean"``.

    Args:
        pred:   (any shape, e.g. T, B, D) float  predictions
        target: (same shape) float               targets (treated as constants)

    Returns:
        loss:  0-d array, pred's dtype
        cache: opaque; pass to mse_backward

    Differences from torch.nn.functional.mse_loss:
        torch broadcasts mismatched shapes (with a UserWarning); we raise ShapeError, because a
        broadcast (T, B, 1) against (T, B) is almost always a bug.

    Book: chapter "Backpropagation through time", section "Through the output layer".
    """
    if np.shape(pred) != np.shape(target):
        raise ShapeError(
            f"mse_forward: target expected pred's shape {np.shape(pred)}, got {np.shape(target)}"
        )
    diff = pred - target
    return np.asarray(np.mean(diff * diff), dtype=pred.dtype), diff


def mse_backward(dloss, cache) -> np.ndarray:
    """Gradient of the mean squared error with respect to ``pred``: 2 (pred - target) / N.

    Args:
        dloss: scalar float  upstream gradient of the loss
        cache: from mse_forward

    Returns:
        dpred: (pred's shape and dtype). The target gets no gradient.

    Book: chapter "Backpropagation through time", section "Through the output layer".
    """
    diff = cache
    return diff * np.asarray(2 * dloss / max(diff.size, 1), dtype=diff.dtype)
