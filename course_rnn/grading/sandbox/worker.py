"""The untrusted side: runs one submission's cells and calls, one forked process per step.

Everything here runs inside the sandbox, in processes forked from the server (``server.py``)
that have already dropped to the submission's uid and limits; after the first cell the student's
code may have patched anything in these processes, including this module, so the server and the
grader treat whatever comes out as data to check, never as instructions.

Design (partial credit survives a crash): the process that holds the notebook's state after the
successful steps so far is the *holder*. For every step (a cell, then each call) the holder forks
a fresh child that runs the step. If the child finishes (returning or raising, like a Jupyter
kernel), it reports the result and becomes the new holder, and the old holder exits. If it hangs
(the server kills it at the timeout) or dies (``os._exit``, a segfault, a signal), the old holder
is still there with the state before that step, reports the death, and the notebook goes on with
the next step. ``sys.exit()`` is just an exception here. No cell is ever run twice.
"""

import builtins
import contextlib
import linecache
import os
import select
import signal
import sys
import time
import traceback
import types

from . import isolate, protocol
from .records import Ref

_getpid = os.getpid  # kept before any student code can patch os
CHANNEL = 3  # the socket to the server, in every process of the submission
#: Cell magics whose body is Python (the magic line is dropped); other cell magics skip the cell.
PYTHON_CELL_MAGICS = ("time", "timeit", "capture", "prun")


class RefError(LookupError):
    """A :class:`Ref` names a call that gave no value (it failed, or it was not run)."""


def child_main(config: dict, steps: list, sock: int, output: int) -> None:
    """The first process of a submission: confine itself, then hold the state and run steps.

    Args:
        config: the server's settings (limits, uid, scratch folder)
        steps:  ``(kind, index, payload)`` per step: ``("cell", i, source)`` or
                ``("call", j, Call)`` with the call's arguments already decoded
        sock:   this end of the socket to the server
        output: write end of the pipe that captures stdout and stderr

    Never returns: every path ends in ``os._exit``.
    """
    try:
        isolate.confine(config, sock, output, CHANNEL)
        _holder_loop(_Session(config, steps))
    except BaseException:  # nothing may return into the server's code
        traceback.print_exc()
    finally:
        os._exit(70)


class _Session:
    """The notebook's state as this process holds it: namespace, call results, the channel."""

    def __init__(self, config: dict, steps: list):
        self.config = config
        self.steps = steps
        self.results = {}  # call index -> the raw value that call returned
        self.reader = protocol.FrameReader(1 << 20)
        self.pending = []
        main = types.ModuleType("__main__")  # the notebook's globals, as in a Jupyter kernel
        main.__dict__["__builtins__"] = builtins
        sys.modules["__main__"] = main
        self.namespace = main.__dict__

    def send(self, header: dict, arrays=()) -> None:
        protocol.write_all(CHANNEL, protocol.pack(header, arrays))

    def receive(self) -> dict:
        while not self.pending:
            try:
                self.pending += protocol.read_frames(CHANNEL, self.reader, None)
            except (EOFError, OSError, protocol.ProtocolError):
                os._exit(0)  # the server is gone or the submission broke its own channel
        return self.pending.pop(0)[0]


def _holder_loop(session: _Session) -> None:
    """Wait for "go", fork the step's process, and hand over to it if it survives."""
    while True:
        message = session.receive()
        if message.get("kind") != "go":
            os._exit(0)
        step = message["step"]
        _flush()
        ready_r, ready_w = os.pipe()
        pid = _fork()
        if pid is None:
            os.close(ready_r)
            os.close(ready_w)
            session.send(
                {"kind": "died", "step": step, "status": "fork failed: too many processes"}
            )
            continue
        if pid == 0:
            os.close(ready_r)
            _run_step(session, step, ready_w)
            continue  # this process is the holder now
        os.close(ready_w)
        status = _wait_for_child(pid, ready_r)
        os.close(ready_r)
        if status is None:
            os._exit(0)  # the step's process took over the state
        session.send({"kind": "died", "step": step, "status": status})


def _fork(patience: float = 2.0) -> int | None:
    """``os.fork()``, retried while the process limit is reached (None if it stays reached).

    An earlier step's fork bomb may take a moment to die or be reaped; its processes count.
    """
    deadline = time.monotonic() + patience
    while True:
        try:
            return os.fork()
        except BlockingIOError:
            if time.monotonic() > deadline:
                return None
            time.sleep(0.02)


def _wait_for_child(pid: int, ready: int) -> str | None:
    """None once the child says it took over; else how it ended, e.g. "exit code 3"."""
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        pidfd = None
    watched = [ready] + ([pidfd] if pidfd is not None else [])
    poll = None if pidfd is not None else 0.05  # without a pidfd, look for the exit now and then
    while True:
        readable, _, _ = select.select(watched, [], [], poll)
        # The word first: a child that took over may since have handed over in turn and exited.
        if ready in readable:
            if os.read(ready, 1):
                return None
            watched.remove(ready)  # closed without a word: wait for the exit
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
    if pidfd is not None:
        os.close(pidfd)
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = str(number)
        hint = " (CPU time limit)" if number == signal.SIGXCPU else ""
        return f"signal {name}{hint}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"


def _run_step(session: _Session, step: int, ready: int) -> None:
    """In the step's own process: run it, report, and tell the old holder to exit."""
    me = _getpid()
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)  # its own process group: a timeout kills what it started too
    session.send({"kind": "started", "step": step, "pid": me})
    kind, index, payload = session.steps[step]
    if kind == "cell":
        error = _run_cell(index, payload, session.namespace)
        header, arrays = {"error": None if error is None else exception_text(error)}, []
    else:
        error, header, arrays = _make_call(session, index, payload)
    if _getpid() != me:
        os._exit(0)  # a process the student's code forked, returning from the cell or call
    if error is not None:
        _print_traceback(error)
    _flush()
    session.send({"kind": "result", "step": step, **header}, arrays)
    os.write(ready, b"x")
    os.close(ready)


def _run_cell(index: int, source: str, namespace: dict) -> BaseException | None:
    """Execute one cell in the notebook's namespace; the exception it raised, if any."""
    filename = f"<cell {index}>"
    source = neutralise_magics(source)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    try:
        exec(compile(source, filename, "exec"), namespace)  # the point of a grader
    except BaseException as error:  # SystemExit and KeyboardInterrupt included
        return error
    return None


def _make_call(session: _Session, index: int, call) -> tuple:
    """Call one function; ``(exception or None, result header, NPY blobs)``."""
    failed = {"ok": False, "value": None}
    function = session.namespace.get(call.function)
    if call.function not in session.namespace:
        return None, {**failed, "error": f"NameError: {call.function} is not defined"}, []
    if not callable(function):
        message = f"TypeError: {call.function} is a {type(function).__name__}, not a function"
        return None, {**failed, "error": message}, []
    try:
        args = _resolve(call.args, session.results)
        kwargs = _resolve(call.kwargs, session.results)
    except BaseException as error:  # a RefError, or indexing the student's value failed
        return None, {**failed, "error": exception_text(error)}, []
    try:
        value = function(*args, **kwargs)
    except BaseException as error:
        return error, {**failed, "error": exception_text(error)}, []
    session.results[index] = value
    arrays = []
    try:
        budget = [session.config["max_result_bytes"]]
        tree = protocol.encode(value, arrays, strict=False, budget=budget)
    except Exception as error:  # e.g. too large, or a failing __float__
        message = f"cannot send the return value back: {exception_text(error)}"
        return None, {**failed, "error": message}, []
    return None, {"ok": True, "value": tree, "error": None}, arrays


def _resolve(value, results: dict):
    """``value`` with every :class:`Ref` replaced by the earlier call's return value."""
    if isinstance(value, Ref):
        if value.call not in results:
            raise RefError(f"{value}: call {value.call} gave no value (it failed or did not run)")
        found = results[value.call]
        return found if value.index is None else found[value.index]
    if type(value) in (tuple, list):
        return type(value)(_resolve(v, results) for v in value)
    if type(value) is dict:
        return {k: _resolve(v, results) for k, v in value.items()}
    return value


def neutralise_magics(source: str) -> str:
    """IPython magics and shell lines (``%...``, ``!...``) become ``pass``, keeping indentation.

    A cell magic whose body is Python (``%%time``) loses its first line only; any other cell magic
    (``%%bash``, ``%%writefile``) makes the whole cell a no-op.
    """
    lines = source.splitlines(keepends=True)
    first = next((line.strip() for line in lines if line.strip()), "")
    if first.startswith("%%"):
        if first[2:].split(" ")[0] not in PYTHON_CELL_MAGICS:
            return "pass\n"
    out = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            line = f"{line[: len(line) - len(stripped)]}pass\n"
        out.append(line)
    return "".join(out)


def exception_text(error: BaseException, limit: int = 1000) -> str:
    """``"ValueError: message"`` (just the type name when the message is empty), truncated."""
    try:
        message = str(error)
    except BaseException:  # a student's __str__ may raise anything
        message = "<unprintable message>"
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    return text if len(text) <= limit else text[:limit] + "..."


def _print_traceback(error: BaseException) -> None:
    """The student's part of the traceback, into the captured output."""
    with contextlib.suppress(BaseException):
        tb = error.__traceback__.tb_next if error.__traceback__ else None
        traceback.print_exception(type(error), error, tb, file=sys.stderr)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BaseException):
            stream.flush()
