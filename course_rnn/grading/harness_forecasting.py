"""The harnesses of the exercise "forecasting": arrays unchanged, refusals, a model to roll out.

Like every harness (``harness.py``), these functions are called directly by the self-check and
sent as *source* to the grader's sandboxed worker, so they are self-contained: each imports what
it needs inside its body and carries no annotation, apart from the exception they raise,
:class:`~course_rnn.grading.rejection.CheckRejectedError`, which the worker cell defines before them
and whose message the grader shows as it is (the student's function raised nothing).
``harness.py`` imports them, so that the worker cell finds them by name with the others.

Every task runs through one of them, so every task is held to the notebook's rule "no function
may change the arrays it is given":

- :func:`forecast_harness` (``seasonal_naive_forecast``, ``smape``, ``direct_targets``): calls the
  function under ``np.errstate(divide="raise", invalid="raise")``, so sMAPE computed by dividing
  0 by 0 (the notebook forbids it) fails with a message that says so, and checks that the
  arrays it was given are unchanged.
- :func:`mase_harness`: MASE divides by the in-sample error of the seasonal naive forecast. When
  that error is 0 (a constant history, or one that repeats exactly every m steps) the ratio is
  undefined and ``mase`` must raise a ``ValueError`` whose message says why. The harness turns
  that refusal into the number 0.0, which the reference also gives for such a case, and turns a
  value returned instead (``inf``, ``nan`` or anything else), another exception, or a ValueError
  without a message into a rejection that says what was expected.
- :func:`recursive_harness`: ``recursive_forecast`` takes a *function*, the one-step model, which
  cannot cross to the sandbox. The harness builds it from data: ``step(w) = tanh(w · coef + bias)``
  for a window ``w`` of W values. It refuses a window of another shape (a window that grows
  instead of sliding), and it checks that the caller's window is left as it was.

Book: chapter "Forecasting real series".
"""

from course_rnn.grading.rejection import CheckRejectedError


def forecast_harness(fn, names, *args):
    """Call ``fn(*args)`` refusing 0/0 and x/0, and check that its array arguments are unchanged.

    Args:
        fn:    the student's function
        names: the names of ``fn``'s parameters, for the message
        args:  ``fn``'s arguments

    Returns:
        What ``fn`` returns.

    Raises:
        CheckRejectedError: ``fn`` divided by 0, or changed an array it was given.
    """
    import numpy as np

    name = getattr(fn, "__name__", "the function")
    given = [np.array(a) if isinstance(a, np.ndarray) else None for a in args]
    try:
        with np.errstate(divide="raise", invalid="raise"):
            result = fn(*args)
    except FloatingPointError as err:
        raise CheckRejectedError(
            f"{name} asked NumPy to divide by 0 ({str(err)[:60]}): compute the terms where the "
            "denominator is 0 without dividing (np.where on the divisor, or np.divide with where=)"
        ) from None
    for k, (before, after) in enumerate(zip(given, args, strict=True)):
        if before is not None and not np.array_equal(before, after, equal_nan=True):
            what = names[k] if k < len(names) else f"argument {k + 1}"
            raise CheckRejectedError(
                f"{name} changed its argument {what}: no function may change the arrays it is "
                "given (work on a copy)"
            )
    return result


def mase_harness(fn, refuse, actual, forecast, history, period):
    """Call ``fn(actual, forecast, history, period)``; with ``refuse``, expect a ValueError.

    Args:
        fn:       the student's mase
        refuse:   0: an ordinary case, return what ``fn`` returns; 1 or 2: the history's scale
                  is 0 (1: a constant history, 2: one that repeats exactly every m steps)
        actual:   (H,) float
        forecast: (H,) float
        history:  (n,) float
        period:   m, int

    Returns:
        What ``fn`` returns; with ``refuse``, 0.0 when ``fn`` raised a ValueError with a message.

    Raises:
        CheckRejectedError: with ``refuse``, ``fn`` returned a value, raised another exception or a
            ValueError without a message; or ``fn`` changed an array it was given.
    """
    import numpy as np

    name = getattr(fn, "__name__", "the function")
    given = [np.array(a) for a in (actual, forecast, history)]

    def unchanged():
        for what, before, after in zip(
            ("actual", "forecast", "history"), given, (actual, forecast, history), strict=True
        ):
            if not np.array_equal(before, after, equal_nan=True):
                raise CheckRejectedError(
                    f"{name} changed its argument {what}: no function may change the arrays it "
                    "is given (work on a copy)"
                )

    if not refuse:
        value = fn(actual, forecast, history, period)
        unchanged()
        return value

    case = (
        "a constant history" if refuse == 1 else f"a history that repeats every m = {period} steps"
    )
    must = "it must raise a ValueError that says why (the scale is 0, so MASE is undefined)"
    with np.errstate(divide="ignore", invalid="ignore"):  # inf or nan comes back as a value
        try:
            value = fn(actual, forecast, history, period)
        except ValueError as err:
            if not str(err).strip():
                raise CheckRejectedError(
                    f"{name} raised a ValueError without a message for {case}; {must}"
                ) from None
            unchanged()
            return 0.0  # the refusal the task asks for
        except TimeoutError:
            raise
        except Exception as err:
            raise CheckRejectedError(
                f"{name} raised {type(err).__name__} for {case}; {must}"
            ) from None
    try:
        shown = f"{float(value):.6g}"
    except (TypeError, ValueError, OverflowError):
        shown = f"a {type(value).__name__}"
    raise CheckRejectedError(f"{name} returned {shown} for {case}; {must}")


def recursive_harness(fn, coef, bias, window, horizon):
    """Call ``fn(step, window, horizon)`` with the one-step model ``step(w) = tanh(w·coef + bias)``.

    Args:
        fn:      the student's recursive_forecast
        coef:    (W,) float64, the model's weights (coef[-1] weighs the newest value)
        bias:    float
        window:  (W,) float, the last W observed values, oldest first
        horizon: H, int

    Returns:
        What ``fn`` returns.

    Raises:
        CheckRejectedError: ``step`` received something that is not a window of W values, or ``fn``
            changed the caller's ``window`` in place.
    """
    import numpy as np

    W = coef.shape[0]
    name = getattr(fn, "__name__", "the function")

    def step(w):
        w = np.asarray(w)
        if w.shape != (W,):
            raise CheckRejectedError(
                f"step received a window of shape {w.shape}; the model reads the W = {W} "
                f"latest values, shape ({W},)"
            )
        return float(np.tanh(w.astype(np.float64) @ coef + bias))

    given = np.array(window)
    result = fn(step, window, horizon)
    if not np.array_equal(given, window):
        raise CheckRejectedError(
            f"{name} changed its input window: the caller's array must stay as it was "
            "(slide a copy)"
        )
    return result
