"""The child process of ``course-rnn check``: one notebook's cells, then its tasks' self-checks.

Started by :mod:`course_rnn.grading.progress`, which calls :func:`main` with a file descriptor FD,
in the notebook's folder (first on ``sys.path``, as in Jupyter) and in the student's own Python
(no sandbox: it is the student's own code, run as Jupyter's "Run All" would). It reads a JSON
request on stdin::

    {"cells": [[index, source], ...], "skip": [index, ...], "tasks": [name, ...], "timeout": s}

runs the cells in one namespace, each under ``timeout`` seconds of CPU and wall-clock time (the
grader's limiter, :func:`course_rnn.grading.harness.course_rnn_grader_limited`), then runs
:func:`course_rnn.grading.selfcheck.check` on each task's function under the same limit, and
writes one JSON line per event to file descriptor FD (never to stdout, which the parent
discards with everything the student's code prints)::

    {"event": "ready"}
    {"event": "cell", "index": 3, "error": null or "ValueError: ..."}
    {"event": "task", "task": "rnn_forward", "passed": false, "stage": "shapes", "message": "..."}
    {"event": "task", "task": "rnn_forward", "error": "TimeoutError: ..."}  (check did not return)
    {"event": "task", "task": "rnn_forward", "missing": true}  (no such name after the cells)
    {"event": "done"}  or  {"event": "fatal", "error": "..."}  (the checks could not run)

While the cells run, ``check(...)`` calls in the notebook return a placeholder at once: each task
is checked once, afterwards, under its own time limit. A cell that kills this process or outlives
both timers is dealt with by the parent, which starts a new child that skips it.

Book: "How to use this book" (exercises).
"""

import builtins
import json
import linecache
import os
import sys

#: Text of the TimeoutError raised when a cell or a check runs out of time.
TIMED_OUT = "ran longer than {seconds:g} s"


def _placeholder_check(task_name, fn=None):
    """Stands in for ``check`` while the notebook's cells run: checks come afterwards, once."""
    from course_rnn.grading.selfcheck import CheckResult

    return CheckResult(str(task_name), False, "deferred", "checked by course-rnn check later")


def run(request: dict, emit) -> None:
    """Run the request's cells, then check its tasks; ``emit(dict)`` reports each event."""
    import course_rnn.grading
    from course_rnn.grading.harness import course_rnn_grader_limited as limited
    from course_rnn.grading.selfcheck import check

    seconds = float(request["timeout"])
    what = TIMED_OUT.format(seconds=seconds)
    skip = set(request["skip"])
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    # what `from course_rnn.grading import check` gives the cells:
    course_rnn.grading.check = _placeholder_check
    emit({"event": "ready"})
    for index, source in request["cells"]:
        if index in skip:
            continue
        # numbered from 1, as the table's notes count cells; explain.py says "line N of its cell"
        filename = f"<cell {index + 1}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)

        def cell(source=source, filename=filename):
            exec(compile(source, filename, "exec"), namespace)

        status, error = limited(cell, seconds, seconds, what)
        emit({"event": "cell", "index": index, "error": error if status == "error" else None})
    vars(course_rnn.grading).pop("check", None)  # the lazy attribute (selfcheck.check) again
    for name in request["tasks"]:
        fn = namespace.get(name)
        if fn is None:
            emit({"event": "task", "task": name, "missing": True})
            continue
        status, result = limited(lambda name=name, fn=fn: check(name, fn), seconds, seconds, what)
        if status == "error":
            emit({"event": "task", "task": name, "error": result})
        else:
            event = {"event": "task", "task": name, "passed": bool(result.passed)}
            emit(event | {"stage": str(result.stage), "message": str(result.message)})


def main(argv: list[str]) -> None:
    """Entry point: ``argv[0]`` is the file descriptor to report on. Never returns: the process
    ends with ``os._exit``, so threads or exit handlers a cell left behind cannot keep it alive."""
    out = os.fdopen(int(argv[0]), "w", encoding="utf-8", buffering=1)

    def emit(event: dict) -> None:
        out.write(json.dumps(event) + "\n")
        out.flush()

    try:
        request = json.loads(sys.stdin.read())
        sys.stdin = open(os.devnull, encoding="utf-8")  # input() in a cell: EOFError at once
        run(request, emit)
        emit({"event": "done"})
    except BaseException as err:  # the checks could not run at all (not the student's code)
        emit({"event": "fatal", "error": f"{type(err).__name__}: {err}"[:500]})
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
