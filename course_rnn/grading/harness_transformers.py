"""The harness of the exercise "transformers": the scan's values, and a check that it does not loop.

Like every harness (``harness.py``), :func:`scan_harness` is called directly by the self-check and
sent as *source* to the grader's sandboxed worker, so it is self-contained: it imports what it
needs inside its body and carries no annotation. ``harness.py`` imports it, so that the worker
cell finds it by name with the others.

**The no-loop check.** A parallel scan of T steps takes about log₂ T rounds, each a few
vectorised lines; a loop over the time steps runs at least one line of Python per step. The
harness calls the function twice, on the first ``SMALL`` = 64 steps of the case and then on all
of them (T = 65,536), while ``sys.settrace`` counts the *line events* of every Python frame the
function opens, outside Python's own and NumPy's installation (so library code, ``np.pad`` runs
about 160 lines, costs nothing; the student's helpers, lambdas and comprehensions count). The
check fails when the second count exceeds the first by more than (T − SMALL) / 64 = 1,023
lines. Why this cannot flake: it counts lines, never time, so a busy machine changes nothing;
the counts are deterministic. Margins, measured: the reference scan grows by 40 lines (10 more
rounds of 4 lines), 25 times below the threshold; a loop grows by at least one line per step,
65,472 lines, 64 times above it (the loop is stopped as soon as it passes the threshold, so it
costs no time). It works in the sandbox: ``sys.settrace`` is plain Python, and the grader's
limiter uses signals, not tracing. What it cannot see: iteration driven from C over C
callables (``functools.reduce(np.add, ...)`` is no recurrence; a deliberate
``itertools.accumulate`` of ufuncs would be), or a function that switches tracing off itself;
those are evasions, not mistakes, and the similarity report and a reader catch them.

Book: "Length generalisation and the recurrent comeback".
"""

from course_rnn.grading.rejection import CheckRejectedError


def scan_harness(fn, probe, a, b, h0):
    """Call ``fn(a, b, h0)``; with ``probe`` = 1, first check that it does not loop over time.

    Args:
        fn:    the student's linear_recurrence_scan
        probe: 0: just call it; 1: count the lines of Python it runs for the first 64 steps and
               for all T, and raise if the count grows with T (see the module docstring)
        a, b:  (T, B, H) float
        h0:    (B, H) float

    Returns:
        What ``fn(a, b, h0)`` returns.

    Raises:
        CheckRejectedError: the number of lines run grows with T (a Python loop over the time
            steps), or ``fn`` changed one of its input arrays in place (``rejection.py``).
        FloatingPointError: ``fn`` overflowed, divided by zero or made a NaN (the call runs under
            ``np.errstate(..., "raise")``, so that the grader and the self-check see the same).
    """
    import os
    import sys

    import numpy as np

    if not probe:
        given = (np.array(a), np.array(b), np.array(h0))
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            result = fn(a, b, h0)
        for arg, before, after in zip(("a", "b", "h0"), given, (a, b, h0), strict=True):
            if not np.array_equal(before, after, equal_nan=True):
                name = getattr(fn, "__name__", "the function")
                raise CheckRejectedError(
                    f"{name} changed its input {arg}: the caller's arrays must stay as they were "
                    "(work on copies)"
                )
        return result
    small = 64
    T = a.shape[0]
    allowed = (T - small) // 64
    library = tuple(
        {
            os.path.realpath(p) + os.sep
            for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)
        }
        | {os.path.dirname(os.path.realpath(np.__file__)) + os.sep}
    )
    counted = {"lines": 0, "limit": None, "over": False}
    paths = {}

    class TooManyLinesError(Exception):
        pass

    def is_library(code):
        filename = code.co_filename
        if filename not in paths:
            real = os.path.realpath(filename) if os.path.isabs(filename) else filename
            paths[filename] = real.startswith(library) or filename.startswith("<frozen")
        return paths[filename]

    def tracer(frame, event, arg):
        if event == "call":
            return None if is_library(frame.f_code) else tracer
        if event == "line":
            counted["lines"] += 1
            limit = counted["limit"]
            if limit is not None and counted["lines"] > limit and not counted["over"]:
                counted["over"] = True
                raise TooManyLinesError("stopped: too many lines of Python for this T")
        return tracer

    def run(T_run):
        counted["lines"] = 0
        previous = sys.gettrace()
        sys.settrace(tracer)
        try:
            with np.errstate(over="raise", divide="raise", invalid="raise"):
                return fn(
                    np.ascontiguousarray(a[:T_run]), np.ascontiguousarray(b[:T_run]), np.array(h0)
                )
        finally:
            sys.settrace(previous)

    name = getattr(fn, "__name__", "the function")
    run(small)
    lines_small = counted["lines"]
    counted["limit"] = lines_small + allowed
    try:
        result = run(T)
    except TooManyLinesError:
        result = None
    if counted["over"]:
        raise CheckRejectedError(
            f"{name} runs a Python loop over the time steps: it ran {lines_small} lines of "
            f"Python for T = {small} and more than {lines_small + allowed} for T = {T} (the "
            "limit: a scan needs only a few more rounds when T doubles). Each round must "
            "update all time steps at once"
        )
    return result
