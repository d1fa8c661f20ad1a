"""The harness of the exercise "bidirectional": padded batches, exact zeros, overflow and dtype.

Like every harness (``harness.py``), :func:`padded_batch_harness` is called directly by the
self-check and sent as *source* to the grader's sandboxed worker, so it is self-contained: it
imports what it needs inside its body and carries no annotation. ``harness.py`` imports it, so
that the worker cell finds it by name with the others.

It enforces three rules the notebook states:

- padding is exactly zero: the bidirectional layer's outputs at padded steps, and the attention
  weights on padded keys, are 0 (not merely small), whatever the padding holds;
- softmax without overflow: the call runs under ``np.errstate(over="raise", invalid="raise")``, so
  ``np.exp`` of a large score, or 0/0 when every real weight underflowed, raises (in the student's
  notebook it would only warn);
- dtypes are kept: every float array returned has the dtype of the first argument.

Book: "Bidirectional RNNs", section "Batches of unequal length"; "Encoder–decoders and attention".
"""

from course_rnn.grading.rejection import CheckRejectedError


def padded_batch_harness(fn, padded, *args):
    """Call ``fn(*args)`` and check its padding, its floating-point errors and its dtypes.

    Args:
        fn:     the student's function
        padded: which output must be exactly 0 on the padding: ``""`` none; ``"steps"`` the first
                output, (T, B, ·), at steps t ≥ lengths[b] with ``lengths = args[1]``; ``"keys"``
                the second output, (B, T, S), on keys s ≥ lengths[b] with ``lengths = args[3]``
        args:   ``fn``'s arguments; the first is an array of the case's float dtype

    Returns:
        What ``fn`` returns.

    Raises:
        FloatingPointError: ``fn`` overflowed, or computed 0/0.
        CheckRejectedError: a padded entry is not exactly 0, or an array has another dtype
            than the inputs' (``rejection.py``: the grader shows its message as it is).
    """
    import numpy as np

    name = getattr(fn, "__name__", "the function")
    with np.errstate(over="raise", invalid="raise"):
        result = fn(*args)
    values = result if isinstance(result, tuple | list) else (result,)
    dtype = args[0].dtype
    for k, value in enumerate(values):
        if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.dtype != dtype:
            raise CheckRejectedError(
                f"{name}: output {k + 1} has dtype {value.dtype}, but the inputs are {dtype}: "
                "keep the inputs' dtype"
            )
    if padded:
        index, lengths = (0, args[1]) if padded == "steps" else (1, args[3])
        value = values[index] if len(values) > index else None
        B = len(lengths)
        if isinstance(value, np.ndarray) and value.ndim == 3 and value.dtype.kind == "f":
            if padded == "steps" and value.shape[1] == B:
                is_pad = np.arange(value.shape[0])[:, None] >= lengths[None, :]  # (T, B)
                nonzero = np.any(value != 0, axis=2) & is_pad  # (T, B)
                what, where = "out", "at padded steps"
            elif padded == "keys" and value.shape[0] == B:
                is_pad = np.arange(value.shape[2])[None, :] >= lengths[:, None]  # (B, S)
                nonzero = (np.any(value != 0, axis=1) & is_pad).T  # (S, B)
                what, where = "weights", "on padded keys"
            else:
                return result  # a wrong shape: the shape check says so
            if nonzero.any():
                t, b = (int(i) for i in np.argwhere(nonzero)[0])
                at = f"out[{t}, {b}]" if padded == "steps" else f"weights[{b}, :, {t}]"
                step = "step" if padded == "steps" else "key"
                raise CheckRejectedError(
                    f"{what} must be exactly 0 {where}: {at} is not, but lengths[{b}] = "
                    f"{int(lengths[b])} ({step} {t} is padding)"
                )
    return result
