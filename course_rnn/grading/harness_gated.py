"""The harness of the exercises "lstm" and "gru": the step functions' cache, overflow and dtype.

Like every harness (``harness.py``), :func:`gated_cell_harness` is called directly by the
self-check and sent as *source* to the grader's sandboxed worker, so it is self-contained: it
imports what it needs inside its body and carries no annotation. ``harness.py`` imports it, so
that the worker cell finds it by name with the others.

It enforces three rules the notebooks state:

- a step forward returns its states, then its ``cache``: a tuple that begins with the step's
  inputs but the two biases, followed by the values the step computed (LSTM: ``i, f, g, o,
  tanh_c``; GRU: ``r, z, n, hn``). The harness returns the states and those values, so the
  checks compare each of them, and the backward task can be handed a cache of that layout;
- gates saturate without overflow: the call runs under ``np.errstate(over="raise",
  invalid="raise")``, so a sigmoid that computes ``np.exp`` of a large number raises (in the
  student's notebook it would warn);
- dtypes are kept: every float array returned has the dtype of the first argument.

Book: "Long short-term memory"; "Gated recurrent units".
"""

from course_rnn.grading.rejection import CheckRejectedError


def gated_cell_harness(fn, layout, *args):
    """Call ``fn(*args)``; for a step forward, unpack its cache.

    Args:
        fn:     the student's function
        layout: ``()`` to return what ``fn`` returns; ``(returns, size)`` for a step forward,
                which returns ``returns`` values, the last a cache of ``size`` entries whose
                first ``len(args) - 2`` are the arguments but the two biases, as given
        args:   ``fn``'s arguments; the first is an array of the case's float dtype

    Returns:
        What ``fn`` returns; for a step forward, its states followed by the cache's computed
        entries (``cache[len(args) - 2:]``).

    Raises:
        FloatingPointError: ``fn`` overflowed (e.g. ``np.exp`` of a large number).
        CheckRejectedError: a malformed result or cache, or an array of another dtype
            (``rejection.py``: the grader shows its message as it is).
    """
    import inspect

    import numpy as np

    name = getattr(fn, "__name__", "the function")
    with np.errstate(over="raise", invalid="raise"):
        result = fn(*args)
    values = result if isinstance(result, tuple | list) else (result,)
    ordinals = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh")
    arrays = [
        (f"the {ordinals[k] if k < len(ordinals) else f'no. {k + 1}'} value it returns", v)
        for k, v in enumerate(values)
    ]
    if layout:
        returns, size = layout
        if not (isinstance(result, tuple | list) and len(result) == returns):
            got = len(result) if isinstance(result, tuple | list) else f"a {type(result).__name__}"
            raise CheckRejectedError(
                f"{name} must return {returns} values, the last its cache; got {got}"
            )
        *states, cache = result
        if not (isinstance(cache, tuple | list) and len(cache) == size):
            got = f"{len(cache)} entries" if isinstance(cache, tuple | list) else "no tuple"
            raise CheckRejectedError(
                f"{name}'s cache must be a tuple of {size} entries; it has {got}"
            )
        try:
            names = list(inspect.signature(fn).parameters)[: len(args) - 2]
        except (TypeError, ValueError):
            names = []
        for k, given in enumerate(args[:-2]):
            kept = cache[k]
            if not (
                isinstance(kept, np.ndarray)
                and kept.shape == given.shape
                and np.array_equal(kept, given)
            ):
                what = names[k] if k < len(names) else f"argument {k + 1}"
                raise CheckRejectedError(
                    f"{name}'s cache[{k}] must be {what}, the argument as given (the cache "
                    "starts with the step's inputs but the two biases)"
                )
        arrays = arrays[:-1] + [(f"cache[{k}]", v) for k, v in enumerate(cache)]
        result = (*states, *cache[len(args) - 2 :])
    dtype = args[0].dtype
    for what, value in arrays:
        if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.dtype != dtype:
            raise CheckRejectedError(
                f"{name}: {what} has dtype {value.dtype}, but the inputs are {dtype}: keep "
                "the inputs' dtype"
            )
    return result
