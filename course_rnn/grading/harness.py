"""Small adapters that call a student's function; their *source* also runs inside the grader.

The self-check calls these functions directly, in the student's process. The grader sends their
source to the sandboxed worker as an extra cell (:func:`worker_cell`), so both sides call the
student's code the same way. Each function here is therefore self-contained: it imports what it
needs inside its body, and carries no annotation (a definition must not depend on names a
student's cell may have deleted). The ``course_rnn_grader_*`` functions exist for the worker only:
one runs the notebook's cells (:func:`runner_cell`, defined once before any student code), one
runs every probe of the tasks it is given, each under its own limit.

Limits are CPU time of the submission's own process (``ITIMER_PROF``), so a machine slowed down by
other work does not turn a correct answer into a timeout; a wall-clock timer (``ITIMER_REAL``) at
a generous multiple catches code that sleeps or waits, and the sandbox's own per-call timeout
stands behind both.

Nothing that comes back from the worker is trusted: these adapters only shape *data* (arrays,
numbers, strings); every comparison happens in the grader's own process (``compare.py``).
"""

import inspect

# Found by name by worker_cell, like the harnesses defined here.
from course_rnn.grading.harness_forecasting import (  # noqa: F401
    forecast_harness,
    mase_harness,
    recursive_harness,
)
from course_rnn.grading.harness_gated import gated_cell_harness  # noqa: F401
from course_rnn.grading.harness_padded import padded_batch_harness  # noqa: F401
from course_rnn.grading.harness_sequences import sequences_harness  # noqa: F401
from course_rnn.grading.harness_transformers import scan_harness  # noqa: F401
from course_rnn.grading.rejection import CheckRejectedError

#: The functions the worker cell defines; the grader's Calls use them.
BATCH = "course_rnn_grader_batch"
RUN_CELLS = "course_rnn_grader_run_cells"


def describe_signature(fn):
    """JSON describing ``fn``'s parameters: ``{"params": [[name, kind, has_default], ...]}``.

    ``{"error": ...}`` when ``fn`` is not a function; ``{"params": null}`` when Python cannot tell.
    """
    import inspect
    import json

    if not callable(fn):
        return json.dumps({"error": f"is a {type(fn).__name__}, not a function"})
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return json.dumps({"params": None})
    params = [[p.name, p.kind.name, p.default is not p.empty] for p in sig.parameters.values()]
    return json.dumps({"params": params})


def clip_grad_norm_harness(fn, max_norm, *grads):
    """Call ``fn(grads: dict, max_norm)`` (torch's in-place API); return (total_norm, *grads)."""
    import numpy as np

    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    named = {name: np.array(g) for name, g in zip(names, grads, strict=True)}
    total_norm = fn(named, max_norm)
    return (total_norm, *(named[name] for name in names))


def numerical_gradient_harness(fn, x, dout, A, layout, view):
    """Call ``fn(f, x, dout)``; return (x afterwards, dx).

    Args:
        fn:     the student's numerical_gradient
        x:      (N, D) the point
        dout:   shaped like f(x)
        A:      (D, M) used by the smooth f
        layout: how x is laid out in memory: 0 a fresh C-ordered array, 1 Fortran order (as a
                transposed array is), 2 every other column of a wider array; 1 and 2 are not
                C-contiguous, so x.reshape(-1) and x.ravel() return copies
        view:   0: f(z) = tanh(z @ A) + z**3 @ A / 3, a new array; 1: f(z) = z.T, a *view* of z
    """
    import numpy as np

    def smooth(z):
        return np.tanh(z @ A) + (z**3) @ A / 3  # (N, M)

    def transposed(z):
        return z.T  # (D, N), shares z's memory

    if layout == 1:
        x = np.asfortranarray(x)  # (N, D) in Fortran order, like the transpose of an array
    elif layout == 2:
        wide = np.zeros((x.shape[0], 2 * x.shape[1] + 1))
        wide[:, 1::2] = x
        x = wide[:, 1::2]  # (N, D) every other column: no single stride walks it
    else:
        x = np.array(x)
    dx = fn(transposed if view else smooth, x, dout)
    return x, dx


def char_rnn_loss_harness(fn, tokens, targets, mask, h0, *params):
    """Call ``fn(params, tokens, targets, mask, h0) -> (L, grads, h_n)``.

    Returns:
        (L, h_n, grads["E"], grads["W_ih"], ..., grads["b_y"]), the keys in the order of params.
    """
    keys = ("E", "W_ih", "W_hh", "b_ih", "b_hh", "W_hy", "b_y")
    result = fn(dict(zip(keys, params, strict=True)), tokens, targets, mask, h0)
    if not (isinstance(result, tuple | list) and len(result) == 3):
        raise CheckRejectedError("char_rnn_loss must return three values: (L, grads, h_n)")
    L, grads, h_n = result
    if not isinstance(grads, dict):
        raise CheckRejectedError(
            f"grads must be a dict keyed like params, got a {type(grads).__name__}"
        )
    missing = [k for k in keys if k not in grads]
    if missing:
        raise CheckRejectedError(
            f"grads has no entry {missing[0]!r}; it needs the keys {list(keys)}"
        )
    return (L, h_n, *(grads[k] for k in keys))


def sample_sequence_harness(fn, first, u, temperature, *params):
    """Call ``fn(params, first, u, temperature) -> ids`` with the seven parameters as a dict."""
    keys = ("E", "W_ih", "W_hh", "b_ih", "b_hh", "W_hy", "b_y")
    return fn(dict(zip(keys, params, strict=True)), first, u, temperature)


def train_char_model_harness(fn, tokens, V, steps, seed):
    """Call ``fn(tokens, V, steps, seed) -> params``; return a dict of copies of its arrays.

    Only the seven parameters come back, each a float array, so that what crosses to the
    grader is plain data; anything else raises a CheckRejectedError that names it.
    """
    import numpy as np

    keys = ("E", "W_ih", "W_hh", "b_ih", "b_hh", "W_hy", "b_y")
    params = fn(tokens, V, steps, seed)
    if not isinstance(params, dict):
        raise CheckRejectedError(
            f"train_char_model must return a dict of arrays, got a {type(params).__name__}"
        )
    out = {}
    for k in keys:
        if k not in params:
            raise CheckRejectedError(
                f"the returned params have no entry {k!r}; they need {list(keys)}"
            )
        value = params[k]
        if not (isinstance(value, np.ndarray) and value.dtype.kind == "f"):
            raise CheckRejectedError(
                f"params[{k!r}] must be a float NumPy array, got {type(value).__name__}"
            )
        out[k] = np.array(value)
    return out


def snapshot(value):
    """A copy of every array in ``value`` (a later call must not change an earlier result)."""
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, tuple | list):
        return type(value)(snapshot(v) for v in value)
    return value


def course_rnn_grader_limited(run, seconds, wall, what, _signal=__import__("signal")):  # noqa: B008
    """Worker side: ``run()`` under ``seconds`` of CPU time and ``wall`` seconds of wall clock.

    CPU time is the process's own (``ITIMER_PROF``: a busy machine does not use it up); the
    wall-clock timer catches code that sleeps or waits. Both fire again every fraction of a
    second, in case the code catches the first ``TimeoutError``.

    Returns:
        ("ok", what ``run()`` returned) or ("error", "ExceptionType: message"); a timeout's
        message is ``what`` and the clock that ran out.
    """
    armed = []

    def on_limit(signum, frame):
        if armed:
            clock = "CPU" if signum == _signal.SIGPROF else "wall-clock"
            raise TimeoutError(f"{what} ({clock} time)")

    _signal.signal(_signal.SIGPROF, on_limit)
    _signal.signal(_signal.SIGALRM, on_limit)
    armed.append(True)
    _signal.setitimer(_signal.ITIMER_PROF, seconds, 0.1)
    _signal.setitimer(_signal.ITIMER_REAL, wall, 0.5)
    try:
        value = run()
        armed.clear()
        return "ok", value
    except BaseException as err:  # SystemExit too: a student's exit ends only this step
        armed.clear()
        try:
            return "error", f"{type(err).__name__}: {err}"[:500]
        except BaseException:  # a student's __str__ may raise anything
            return "error", f"{type(err).__name__}: <unprintable message>"
    finally:
        armed.clear()
        _signal.setitimer(_signal.ITIMER_PROF, 0)
        _signal.setitimer(_signal.ITIMER_REAL, 0)


def course_rnn_grader_batch(tasks, wall_factor):
    """Worker side: every probe of every task, each under its own CPU-time limit.

    Args:
        tasks:       tuple of (function name, harness name or "", CPU seconds per probe, tuple of
                     args)
        wall_factor: a probe's wall-clock backstop is this many times its CPU seconds

    Returns:
        One (signature JSON, ((status, value or error text), ...)) per task, status "ok"/"error".
    """
    import json

    limited = course_rnn_grader_limited
    what = "call exceeded its time limit"
    results = []
    for name, harness, seconds, probes in tasks:
        fn = globals().get(name)
        adapter = globals()[harness] if harness else None
        signature = json.dumps({"missing": True}) if fn is None else describe_signature(fn)
        outcomes = []
        for args in probes:
            if fn is None:
                outcomes.append(("error", f"LookupError: there is no function named {name}"))
                continue

            def probe(args=args, fn=fn, adapter=adapter):
                return snapshot(adapter(fn, *args) if adapter else fn(*args))

            outcomes.append(limited(probe, seconds, seconds * wall_factor, what))
        results.append((signature, tuple(outcomes)))
    return tuple(results)


def course_rnn_grader_run_cells(
    sources,
    seconds,
    wall,
    _compile=compile,
    _exec=exec,
    _globals=globals,
    _limited=course_rnn_grader_limited,
):
    """Worker side: run the notebook's cells in this namespace, like "Run All".

    Defined once, before any student code, so its defaults hold the real ``compile``, ``exec``
    and the real limiter: a cell that patches builtins (or ``sys.modules``) cannot stop the cells
    after it, or the grader's own cell, from running, just as in Jupyter, whose kernel compiles
    cells with its own compiler.

    Each cell runs under its own limit: ``seconds`` of CPU time, ``wall`` seconds of wall-clock
    time; an exception (SystemExit and timeouts included) is recorded and the next cell runs. A
    cell that kills the process or dodges both timers fails this whole call: the grader then
    runs the cells one process each.

    Returns:
        ((cell index, "ExceptionType: message"), ...) for the cells that failed.
    """
    namespace = _globals()
    what = f"the cell ran longer than {seconds} s"
    errors = []
    for index, source in enumerate(sources):

        def cell(source=source, index=index):
            _exec(_compile(source, f"<cell {index}>", "exec"), namespace)

        status, text = _limited(cell, seconds, wall, what)
        if status == "error":
            errors.append((index, text))
    return tuple(errors)


def runner_cell():
    """The source of the first cell the grader runs, before any student code: :data:`RUN_CELLS`
    and the limiter it and :data:`BATCH` use."""
    module = inspect.getmodule(runner_cell)
    names = ("course_rnn_grader_limited", RUN_CELLS)
    return "\n\n".join(inspect.getsource(getattr(module, n)) for n in names)


def worker_cell(harnesses: tuple[str, ...]) -> str:
    """The source of the cell the grader runs after a student's cells (again, so it wins).

    Args:
        harnesses: names of the harness functions in this module that the exercise's tasks use

    Returns:
        Python source defining :data:`BATCH`, its helpers and the harnesses.
    """
    names = (
        "CheckRejectedError",  # raised by the harnesses (rejection.py)
        "describe_signature",
        "snapshot",
        *sorted(set(harnesses)),
        BATCH,
    )
    module = inspect.getmodule(worker_cell)
    return "\n\n".join(inspect.getsource(getattr(module, n)) for n in names)
