"""``course-rnn check``: a student's progress at a glance, one row per task of each notebook.

Runs in the student's own environment, with the student's own Python: no sandbox, since the
code is the student's own. Each notebook runs in a child process of its own
(:mod:`course_rnn.grading.progress_runner`), in the notebook's folder, like Jupyter's "Run All"
in a fresh kernel; then the public self-check of each task runs once
(:func:`course_rnn.grading.selfcheck.check`, the same checks and messages as the notebook's
``check(...)`` cells). Each task ends up:

- ``passed``: every public check passes;
- ``failed``: a check fails; the table shows the first failing check and its message;
- ``not attempted``: the function is still the stub that raises ``NotImplementedError``;
- ``error``: the check could not finish: no function of that name (the cell defining it failed,
  e.g. a syntax error), a check that ran longer than ``--timeout``, or a crash of Python.

Whatever a notebook does (broken cells, infinite loops, prints, ``exit()``), the table comes
out: what the student's code prints is discarded, a cell or a check that outlives its time is
stopped (by a timer in the child, else by killing the child), and a child that dies is replaced
by a new one that skips the cell that killed it or goes on with the next task.

Exit status: 0 when every task passes, 1 when any task is failed, not attempted or in error,
2 when nothing could be checked (no such file, not a notebook, no graded task).

Students read about it in README.md, "For students: doing the exercises".

Book: "How to use this book" (exercises).
"""

import contextlib
import json
import os
import re
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

STATUSES = ("passed", "failed", "not attempted", "error")
DEFAULT_TIMEOUT = 60.0
STARTUP_SECONDS = 120.0  # the child imports numpy and the course package before its first cell
GRACE = 5.0  # seconds past a timer's limit before the child is killed instead
MAX_EVENT_BYTES = 1_000_000
_CHECK_CALL = re.compile(r"""\bcheck\(\s*["']([a-z][a-z0-9_]*)["']""")
#: selfcheck's promise of a hint on the next failure: noise in a one-line table cell.
_HINT_PROMISE = re.compile(r"\s*\(If this check fails again, it will show a hint\.\)")


@dataclass(frozen=True)
class TaskStatus:
    """One row of the table."""

    task: str  # the function's name ("-" when the notebook itself cannot be read)
    status: str  # one of STATUSES
    stage: str = ""  # the first failing check ("signature", "shapes", ...; "" otherwise)
    message: str = ""  # what the check says ("" when passed or not attempted)


@dataclass
class NotebookReport:
    """What checking one notebook found."""

    notebook: Path
    exercise: str  # the exercise whose tasks were checked ("" when none)
    tasks: list[TaskStatus] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # cells stopped or skipped, how tasks were found


def find_notebooks(paths: list[Path]) -> list[Path]:
    """The notebooks named by ``paths``: a ``.ipynb`` file, or every ``.ipynb`` in a folder.

    Raises:
        ValueError: a path does not exist, or is a file that is not a ``.ipynb`` notebook.
    """
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.glob("*.ipynb") if p.is_file())
        elif path.is_file() and path.suffix == ".ipynb":
            found.append(path)
        elif path.exists():
            raise ValueError(f"{path} is not a notebook (.ipynb) or a folder of notebooks")
        else:
            raise ValueError(f"{path} does not exist")
    return list(dict.fromkeys(found))


def notebook_tasks(path: Path, sources: list[str]) -> tuple[str, list, str]:
    """The exercise a notebook belongs to and its tasks: by the file's name, else by the tasks
    its ``check("...")`` calls name (a copy saved as ``bptt (1).ipynb`` is still ``bptt``).

    Returns:
        (exercise name or "", its Tasks in order, a note saying how it was found or "")
    """
    import pkgutil

    from course_rnn.grading import specs
    from course_rnn.grading.tasks import spec_tasks

    exercises = sorted(m.name for m in pkgutil.iter_modules(specs.__path__))
    if path.stem in exercises:
        return path.stem, list(spec_tasks(path.stem)), ""
    named = {name for source in sources for name in _CHECK_CALL.findall(source)}
    counts = {e: sum(t.name in named for t in spec_tasks(e)) for e in exercises}
    best = max(exercises, key=lambda e: counts[e], default="")
    if not best or not counts[best]:
        return "", [], ""
    return best, list(spec_tasks(best)), f"checked as the exercise {best} (its check() calls)"


def check_notebook(path: Path, timeout: float = DEFAULT_TIMEOUT) -> NotebookReport:
    """Run one notebook and the self-check of each of its tasks (see the module docstring).

    Args:
        path:    the notebook
        timeout: seconds each cell and each task's check may run

    Returns:
        A :class:`NotebookReport`; never raises on a bad notebook (it becomes an ``error`` row).
    """
    from course_rnn.grading.notebook import NotebookError, read_code_cells
    from course_rnn.grading.progress_runner import TIMED_OUT

    path = Path(path)
    try:
        cells = read_code_cells(path)
    except NotebookError as err:
        exercise, tasks, _ = notebook_tasks(path, [])
        rows = [TaskStatus(t.name, "error", "", str(err)) for t in tasks]
        return NotebookReport(path, exercise, rows or [TaskStatus("-", "error", "", str(err))])
    exercise, tasks, how = notebook_tasks(path, [c.source for c in cells])
    report = NotebookReport(path, exercise, notes=[how] if how else [])
    if not tasks:
        return report
    by_name = {t.name: t for t in tasks}
    done: dict[str, TaskStatus] = {}
    cell_errors: dict[int, str] = {}
    skip: set[int] = set()
    while len(done) < len(tasks):  # each round finishes a task or skips a cell, so it ends
        todo = [t.name for t in tasks if t.name not in done]
        request = {
            "cells": [[c.index, c.source] for c in cells],
            "skip": sorted(skip),
            "tasks": todo,
            "timeout": timeout,
        }
        events, ending = _run_child(path.resolve().parent, request, timeout)
        for event in events:
            if event.get("event") == "cell" and event.get("error"):
                cell_errors[event["index"]] = str(event["error"])
            elif event.get("event") == "task" and event.get("task") in by_name:
                name = event["task"]
                done[name] = _status(by_name[name], event, cells, cell_errors, timeout)
        kind, detail = ending
        if kind == "done" or len(done) == len(tasks):
            break
        what = f"stopped Python ({detail})" if kind == "died" else TIMED_OUT.format(seconds=timeout)
        ran = {e["index"] for e in events if e.get("event") == "cell"}
        ready = any(e.get("event") == "ready" for e in events)
        pending = [c for c in cells if c.index not in skip and c.index not in ran]
        if kind == "fatal" or not ready:  # the checks themselves could not run
            python = f"ended ({detail})" if kind == "died" else what
            why = f"the checks could not start: {detail if kind == 'fatal' else 'Python ' + python}"
            done |= {n: TaskStatus(n, "error", "", why) for n in todo if n not in done}
        elif pending:  # the cell that was running: skip it from now on
            skip.add(pending[0].index)
            cell_errors[pending[0].index] = f"it {what} and was skipped"
            report.notes.append(f"{_cell_name(pending[0])} {what}: skipped")
        else:  # the task whose check was running
            name = next(n for n in todo if n not in done)
            done[name] = TaskStatus(name, "error", "", f"the check {what}")
    report.tasks = [done[t.name] for t in tasks]
    limit = TIMED_OUT.format(seconds=timeout)
    report.notes += [
        f"{_cell_name(c)} {limit}: stopped"
        for c in cells
        if c.index not in skip and limit in cell_errors.get(c.index, "")
    ]
    return report


def _status(task, event: dict, cells, cell_errors: dict[int, str], timeout: float) -> TaskStatus:
    """The row of one task from the child's event."""
    from course_rnn.grading.compare import call_error
    from course_rnn.grading.progress_runner import TIMED_OUT

    limit = TIMED_OUT.format(seconds=timeout)
    if event.get("missing"):
        message = f"there is no function named {task.name} in the notebook"
        defining = [c for c in cells if re.search(rf"^def {task.name}\(", c.source, re.M)]
        if defining and defining[0].index in cell_errors:
            why = cell_errors[defining[0].index]
            message += f": {_cell_name(defining[0])}, which defines it, failed ({why})"
        return TaskStatus(task.name, "error", "", message)
    if "error" in event:  # the check itself did not return
        error = str(event["error"])
        said = f"the check {limit} (--timeout)" if limit in error else f"the check failed: {error}"
        return TaskStatus(task.name, "error", "", said)
    if limit in str(event.get("message", "")):  # the function ran out of time inside the check
        return TaskStatus(task.name, "error", "", _HINT_PROMISE.sub("", str(event["message"])))
    if event.get("passed"):
        return TaskStatus(task.name, "passed")
    stage, message = str(event.get("stage", "")), str(event.get("message", ""))
    if stage == "shapes" and message == call_error(task, "NotImplementedError"):
        return TaskStatus(task.name, "not attempted")
    return TaskStatus(task.name, "failed", stage, _HINT_PROMISE.sub("", message))


def _cell_name(cell) -> str:
    """``cell 12 (`while True:`)``: its position in the notebook and its first line."""
    first = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
    first = first if len(first) <= 40 else first[:39] + "…"
    return f"cell {cell.index + 1} (`{first}`)"


def _run_child(folder: Path, request: dict, timeout: float) -> tuple[list[dict], tuple[str, str]]:
    """Run one child on ``request``; return its events and how it ended: (kind, detail).

    Kinds: ``"done"``; ``"fatal"`` (the checks could not start; detail: the error); ``"hung"``
    (no event for longer than the timers allow: killed); ``"died"`` (detail: ``"exit code N"``).
    """
    import course_rnn

    root = str(Path(course_rnn.__file__).resolve().parents[1])  # found last, if not installed
    code = (
        f"import sys; sys.path.append({root!r}); "
        "from course_rnn.grading.progress_runner import main; main(sys.argv[1:])"
    )
    read_end, write_end = os.pipe()
    env = {**os.environ, "MPLBACKEND": "Agg"}
    try:
        child = subprocess.Popen(
            [sys.executable, "-c", code, str(write_end)],
            cwd=folder,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,  # what the notebook prints is not the table's business
            stderr=subprocess.DEVNULL,
            pass_fds=(write_end,),
            start_new_session=True,  # its own process group: killed with all it started
            env=env,
        )
    finally:
        os.close(write_end)
    events: list[dict] = []
    with os.fdopen(read_end, "rb", buffering=0) as pipe, selectors.DefaultSelector() as sel:
        with contextlib.suppress(BrokenPipeError):  # a child that died at once: see below
            child.stdin.write(json.dumps(request).encode())
        with contextlib.suppress(BrokenPipeError):
            child.stdin.close()
        sel.register(pipe, selectors.EVENT_READ)
        buffer, kind, detail = b"", "", ""
        deadline = time.monotonic() + STARTUP_SECONDS + timeout
        while not kind:
            left = deadline - time.monotonic()
            if left <= 0:
                kind = "hung"
            elif sel.select(left):
                chunk = pipe.read(65536)
                kind = "" if chunk else "died"
                *lines, buffer = (buffer + chunk).split(b"\n")
                for line in lines:
                    events.append(event := _event(line))
                    if event.get("event") in ("done", "fatal"):
                        kind, detail = event["event"], str(event.get("error", ""))
                    deadline = time.monotonic() + timeout + GRACE
                if len(buffer) > MAX_EVENT_BYTES:  # not events: something wrote to the channel
                    kind = "died"
    code = _kill_group(child)
    if kind == "died":
        detail = f"exit code {code}"
    return [e for e in events if e], (kind, detail)


def _event(line: bytes) -> dict:
    """One event line, or {} when it is not an event (e.g. text a cell wrote to the channel)."""
    try:
        event = json.loads(line)
    except ValueError:
        return {}
    return event if isinstance(event, dict) else {}


def _kill_group(child: subprocess.Popen) -> int:
    """End the child and every process it started (they share its process group, whose id
    cannot be reused before the child is reaped); return the child's exit code."""
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    return child.wait()
