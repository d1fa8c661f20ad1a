"""Small adapters that call a student's function; their *source* also runs inside the grader.

The self-check calls these functions directly, in the student's process. The grader sends their
source to the sandboxed worker as an extra cell (:func:`worker_cell`), so both sides call the
student's code the same way. Each function here is therefore self-contained: it imports what it
needs inside its body. The ``course_rnn_grader_*`` functions exist for the worker only: one runs
the notebook's cells, one runs every probe of every task, each under its own time limit.

Nothing that comes back from the worker is trusted: these adapters only shape *data* (arrays,
numbers, strings); every comparison happens in the grader's own process (``compare.py``).
"""

import inspect

#: The functions the worker cell defines; the grader's Calls use them.
BATCH = "course_rnn_grader_batch"
RUN_CELLS = "course_rnn_grader_run_cells"


def describe_signature(fn) -> str:
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


def numerical_gradient_harness(fn, x, dout, A):
    """Call ``fn(f, x, dout)`` with f(z) = tanh(z @ A) + z**3 @ A / 3; return (x afterwards, dx)."""
    import numpy as np

    def f(z):
        return np.tanh(z @ A) + (z**3) @ A / 3  # (N, M)

    x = np.array(x)
    dx = fn(f, x, dout)
    return x, dx


def snapshot(value):
    """A copy of every array in ``value`` (a later call must not change an earlier result)."""
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, tuple | list):
        return type(value)(snapshot(v) for v in value)
    return value


def course_rnn_grader_batch(tasks):
    """Worker side: every probe of every task, each under its own time limit.

    Args:
        tasks: tuple of (function name, harness name or "", seconds per probe, tuple of args)

    Returns:
        One (signature JSON, ((status, value or error text), ...)) per task, status "ok"/"error".
    """
    import json
    import signal

    def on_alarm(signum, frame):
        raise TimeoutError("call exceeded its time limit")

    signal.signal(signal.SIGALRM, on_alarm)
    results = []
    for name, harness, seconds, probes in tasks:
        fn = globals().get(name)
        signature = json.dumps({"missing": True}) if fn is None else describe_signature(fn)
        outcomes = []
        for args in probes:
            if fn is None:
                outcomes.append(("error", f"LookupError: there is no function named {name}"))
                continue
            signal.setitimer(signal.ITIMER_REAL, seconds)
            try:
                value = globals()[harness](fn, *args) if harness else fn(*args)
                outcomes.append(("ok", snapshot(value)))
            except BaseException as err:  # SystemExit too: a student's exit ends only this probe
                outcomes.append(("error", f"{type(err).__name__}: {err}"[:500]))
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        results.append((signature, tuple(outcomes)))
    return tuple(results)


def course_rnn_grader_run_cells(sources, seconds):
    """Worker side, fast path: run the notebook's cells in this namespace, like "Run All".

    Each cell runs under its own time limit; an exception (SystemExit and timeouts included) is
    recorded and the next cell runs, as the sandbox does with one step per cell. A cell that kills
    the process or ignores its time limit fails this whole call: the grader then falls back to the
    sandbox's one-process-per-cell mode.

    Returns:
        ((cell index, "ExceptionType: message"), ...) for the cells that failed.
    """
    import signal

    def on_alarm(signum, frame):
        raise TimeoutError(f"the cell ran longer than {seconds} s")

    errors = []
    for index, source in enumerate(sources):
        signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            exec(compile(source, f"<cell {index}>", "exec"), globals())
        except BaseException as err:  # SystemExit and KeyboardInterrupt too, as in Jupyter
            errors.append((index, f"{type(err).__name__}: {err}"[:500]))
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    return tuple(errors)


def worker_cell(harnesses: tuple[str, ...]) -> str:
    """The source of the cell the grader appends to a student's notebook.

    Args:
        harnesses: names of the harness functions in this module that the exercise's tasks use

    Returns:
        Python source defining :data:`BATCH`, its helpers and the harnesses.
    """
    names = (
        "describe_signature",
        "snapshot",
        *sorted(set(harnesses)),
        BATCH,
        RUN_CELLS,
    )
    module = inspect.getmodule(worker_cell)
    return "\n\n".join(inspect.getsource(getattr(module, n)) for n in names)
