"""The grader's (trusted) side of the sandbox: a pool of confined, long-lived worker servers.

:class:`Sandbox` starts ``jobs`` servers (``server.py``, confined as ``confine.py`` describes),
each of which imports numpy and torch once and then forks a fresh, unprivileged, rlimited process
per submission, so a submission costs a fork instead of a torch import. :meth:`Sandbox.run` sends
the notebook's cells and the grader's calls to an idle server and reads one frame per step back.

Threat model, trusted side: the grader keeps the hidden inputs' reference results and does every
comparison itself. What comes back is data only (JSON and NPY loaded with ``allow_pickle=False``,
sizes capped, object arrays refused; see ``protocol.py``); nothing is unpickled and no object of
the student's reaches this process. Monkeypatching inside the worker (``numpy.allclose``,
``numpy.testing``, builtins, the stub ``course_rnn``, ``sys.modules``) therefore cannot affect the
grader: the patches live in processes forked for that one submission, which are killed afterwards,
and the patched values come back raw, to be compared here. A server that dies, hangs or breaks the
protocol costs only the rest of that submission's steps (each marked) and is replaced.
"""

import os
import queue
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor

from . import cgroups, protocol
from .access import check_uid_mode, reference_package, required_paths
from .confine import Stage, next_uid, server_command
from .handle import ServerHandle
from .modes import SandboxError, announce, choose_mode, describe
from .records import Call, CallResult, Ref, SubmissionRun

GRACE = 15.0  # seconds past a step's own timeout before the grader gives up on the server


class Sandbox:
    """Runs untrusted notebooks in confined workers and returns only data.

    Use as a context manager (``with Sandbox(jobs=2) as sandbox: ...``), or call :meth:`close`.

    Args:
        jobs:          servers, hence submissions run at the same time (one core each)
        cell_timeout:  wall seconds per notebook cell (a call has its own ``Call.timeout``)
        memory_mb:     address space a submission may add to the server's (torch included)
        cpu_seconds:   CPU seconds per step process (RLIMIT_CPU)
        allow_modules: modules each server imports once before any submission, so that
                       ``import torch`` in a notebook costs nothing; other installed modules
                       stay importable (read-only) at their usual cost
        confinement:   "auto" (bubblewrap, or SandboxError saying what is missing), or a mode
                       by name: "bubblewrap", "uid", "landlock", "rlimits-only" (``modes.py``);
                       a weaker one is printed on stderr before any server starts
        max_processes: processes and threads of one submission (RLIMIT_NPROC)
        file_mb:       largest file a submission may write (RLIMIT_FSIZE)
        disk_mb:       size of the sandbox's /tmp (bubblewrap mode)
        output_limit:  characters of printed output kept for the cells, and for each call
        max_result_mb: largest return value of one call that comes back
        startup_timeout: seconds a server may take to import ``allow_modules``
        secrets:       folders no submission may read (solutions, submissions): the uid mode
                       refuses to start when its uid could read one of them (or the course's
                       reference package, always checked)
        private:       folders the grader made (OUT, scratch): made 0700 in the uid mode

    Attributes:
        mode: "bubblewrap", "uid", "landlock" or "rlimits-only": the mode in force.
        confinement: one line saying what confines a submission (record it with the results).

    Raises:
        SandboxError: the asked confinement is not available (the message says what to do), a
            secret is readable in the uid mode, or a server does not start.
    """

    def __init__(
        self,
        *,
        jobs: int = 1,
        cell_timeout: float = 10.0,
        memory_mb: int = 2048,
        cpu_seconds: int = 60,
        allow_modules: tuple[str, ...] = ("numpy", "torch"),
        confinement: str = "auto",
        max_processes: int = 64,
        file_mb: int = 64,
        disk_mb: int = 512,
        output_limit: int = 10_000,
        max_result_mb: int = 64,
        startup_timeout: float = 120.0,
        secrets: tuple = (),
        private: tuple = (),
    ):
        if jobs < 1 or cell_timeout <= 0 or memory_mb < 1 or max_processes < 2:
            raise ValueError("Sandbox: jobs, cell_timeout, memory_mb, max_processes too small")
        self.mode = choose_mode(confinement)
        announce(self.mode)
        self.jobs, self.cell_timeout, self.output_limit = jobs, float(cell_timeout), output_limit
        self.startup_timeout = startup_timeout
        self._settings = {
            "memory_mb": memory_mb,
            "cpu_seconds": cpu_seconds,
            "max_processes": max_processes,
            "file_mb": file_mb,
            "disk_mb": disk_mb,
            "output_limit": output_limit,
            "max_result_bytes": max_result_mb << 20,
            "preimport": list(allow_modules),
        }
        self._cores = _cores_per_server(jobs)
        self._grouped = os.geteuid() == 0 and bool(cgroups.parents())
        self.confinement = describe(
            self.mode,
            cpu=_cpu_text(self._cores is not None, self._grouped),
            memory="memory cgroup per server" if self._grouped else "no memory cgroup",
        )
        self._stage = Stage()
        self._lock = threading.Lock()
        self._servers = []  # every server started and not yet stopped
        self._idle = queue.Queue()
        self._spawner = ThreadPoolExecutor(1, thread_name_prefix="sandbox-spawner")
        self._finalizer = weakref.finalize(
            self, _shutdown, self._servers, self._stage, self._spawner
        )
        try:
            if self.mode == "uid":
                check_uid_mode(
                    next_uid(),
                    required=required_paths(self._stage.lib, self._settings["preimport"]),
                    secrets=[reference_package(), *map(str, secrets)],
                    private=[str(p) for p in private],
                )
            for slot in range(jobs):
                self._idle.put(self._start(slot))
        except BaseException:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        """Stop every server and delete the staging folder (also done at garbage collection)."""
        self._finalizer()

    @property
    def uids(self) -> list[int]:
        """The unprivileged uids the current servers' submissions run as (none in some modes)."""
        with self._lock:
            return [s.uid for s in self._servers if s.uid is not None]

    def run(self, cells: list[str], calls: list[Call]) -> SubmissionRun:
        """Run a notebook's code cells, then the calls, in a fresh confined process tree.

        Thread-safe: up to ``jobs`` runs proceed at once; more wait for a free server.

        Args:
            cells: the code cells' sources, in order (magics and ``!`` lines are neutralised)
            calls: the functions to call afterwards, with data arguments and ``Ref``s

        Returns:
            A :class:`SubmissionRun`: the failing cells, one :class:`CallResult` per call, the
            cells' captured output and the wall time. Whatever the notebook does, it returns.

        Raises:
            TypeError, ValueError: ``cells`` or ``calls`` are malformed (a grader bug).
            SandboxError: the sandbox is closed, or a server cannot start at all.
        """
        if not self._finalizer.alive:
            raise SandboxError("Sandbox.run: the sandbox is closed")
        request, arrays = _request(list(cells), list(calls), self.cell_timeout)
        steps = [("cell", i, self.cell_timeout) for i in range(len(request["cells"]))]
        steps += [("call", j, float(call.timeout)) for j, call in enumerate(calls)]
        server = self._idle.get()
        try:
            server = self._ready(server)
            started = time.monotonic()
            server, frames = self._exchange(server, protocol.pack(request, arrays), steps)
        finally:
            self._idle.put(server)  # a dead one is replaced by the next run's _ready
        cell_errors, results, printed = [], [], []
        for (kind, index, _), (header, blobs) in zip(steps, frames, strict=True):
            if kind == "cell":
                printed.append(_text(header.get("stdout")))
                if header.get("error") is not None:
                    cell_errors.append((index, _text(header["error"])))
            else:
                results.append(_call_result(header, blobs))
        stdout = protocol.truncate("".join(printed), self.output_limit)
        return SubmissionRun(cell_errors, results, stdout, time.monotonic() - started)

    def _start(self, slot: int) -> ServerHandle:
        cores = None if self._cores is None else self._cores[slot % len(self._cores)]
        settings = self._settings | {"cpus": cores}
        argv, env, cwd, uid = server_command(self.mode, self._stage, slot, settings)
        max_bytes = self._settings["max_result_bytes"] + (4 << 20)
        log = self._stage.log(slot)
        group = None
        if self._grouped:
            limit = (self._settings["memory_mb"] + self._settings["disk_mb"] + 256) << 20
            processes = self._settings["max_processes"] + 16
            group = cgroups.Group.create(slot, memory_bytes=limit, processes=processes)
        # Started from one long-lived thread: bwrap --die-with-parent (like PR_SET_PDEATHSIG)
        # fires when the *thread* that started it exits, e.g. a finished pool thread of the grader.
        server = self._spawner.submit(
            ServerHandle, argv, env, cwd, log, slot, uid, max_bytes, group
        ).result()
        with self._lock:
            self._servers.append(server)
        return server

    def _replace(self, server: ServerHandle) -> ServerHandle:
        server.stop(kill=True)
        with self._lock:
            if server in self._servers:
                self._servers.remove(server)
        return self._start(server.slot)

    def _ready(self, server: ServerHandle) -> ServerHandle:
        """A live server that has finished its imports (restarted if it died while idle)."""
        if server.ready and server.alive():
            return server
        if not server.alive():
            server = self._replace(server)
        try:
            header, _ = server.frame(self.startup_timeout)
            if header.get("kind") != "ready":
                raise protocol.ProtocolError("expected 'ready'")
        except (EOFError, TimeoutError, OSError, protocol.ProtocolError) as error:
            server.stop(kill=True)  # run() puts it back; the next run starts a fresh one
            raise SandboxError(
                f"a sandbox server did not start ({error}): {server.log_tail()}"
            ) from None
        server.ready = True
        server.join_group()
        return server

    def _exchange(
        self, server: ServerHandle, request: bytes, steps: list
    ) -> tuple[ServerHandle, list]:
        """Send one request; one frame per step (a placeholder for steps lost with the server)."""
        frames, failure = [], None
        try:
            server.send(request)
        except OSError as error:
            failure = f"sandbox server gone: {error}"
        for kind, index, timeout in steps:
            if failure is None:
                try:
                    header, blobs = server.frame(timeout + GRACE)
                    if header.get("kind") != kind or header.get("index") != index:
                        raise protocol.ProtocolError("frames out of order")
                    frames.append((header, blobs))
                    continue
                except (EOFError, TimeoutError, OSError, protocol.ProtocolError) as error:
                    failure = f"sandbox server failed: {error}"
            message = f"not run: {failure}" if kind == "cell" else f"worker died ({failure})"
            frames.append(({"ok": False, "error": message, "stdout": ""}, []))
        if failure is None:
            try:
                header, _ = server.frame(GRACE + 30)  # the sweep of leftover processes
                if header.get("kind") != "done":
                    raise protocol.ProtocolError("expected 'done'")
            except (EOFError, TimeoutError, OSError, protocol.ProtocolError) as error:
                failure = str(error)
        if failure is not None:
            server = self._replace(server)
        return server, frames


def _request(cells: list, calls: list, cell_timeout: float) -> tuple[dict, list]:
    """The request frame's header and arrays (TypeError / ValueError for bad arguments)."""
    if not all(isinstance(cell, str) for cell in cells):
        raise TypeError("Sandbox.run: cells must be strings (the code cells' sources)")
    arrays, encoded = [], []
    for j, call in enumerate(calls):
        if not isinstance(call, Call) or not isinstance(call.function, str):
            raise TypeError(f"Sandbox.run: calls[{j}] is not a Call")
        if not call.timeout > 0:
            raise ValueError(f"Sandbox.run: calls[{j}].timeout must be positive")
        for ref in _refs((call.args, call.kwargs)):
            if not 0 <= ref.call < j:
                raise ValueError(f"Sandbox.run: calls[{j}] uses {ref}, not an earlier call")
        encoded.append(
            {
                "function": call.function,
                "args": protocol.encode(tuple(call.args), arrays, strict=True),
                "kwargs": protocol.encode(dict(call.kwargs), arrays, strict=True),
                "timeout": float(call.timeout),
            }
        )
    header = {"kind": "run", "cells": cells, "calls": encoded, "cell_timeout": cell_timeout}
    return header, arrays


def _refs(value):
    if isinstance(value, Ref):
        yield value
    elif isinstance(value, tuple | list):
        for v in value:
            yield from _refs(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _refs(v)


def _cores_per_server(jobs: int) -> list[list[int]] | None:
    """A CPU core for each server when there are at least ``jobs`` cores; else None."""
    cores = sorted(os.sched_getaffinity(0))
    return [[core] for core in cores[:jobs]] if jobs <= len(cores) else None


def _cpu_text(pinned: bool, grouped: bool) -> str:
    if pinned:
        return "one CPU core per server"
    return "CPU shared equally between servers" if grouped else "CPU shared (more jobs than cores)"


def _call_result(header: dict, blobs: list) -> CallResult:
    """A call's frame as a CallResult, checking every part (the frame came from the sandbox)."""
    stdout = _text(header.get("stdout"))
    if header.get("ok") is not True:
        return CallResult(False, None, _text(header.get("error")) or "call failed", stdout)
    try:
        value = protocol.decode(header.get("value"), blobs, refs=False)
    except protocol.ProtocolError as error:
        return CallResult(False, None, f"worker sent invalid data: {error}", stdout)
    return CallResult(True, value, None, stdout)


def _text(value) -> str:
    """A string from the sandbox, cut and safe to encode; "" for anything else."""
    return protocol.safe_text(value[:100_000]) if isinstance(value, str) else ""


def _shutdown(servers: list, stage: Stage, spawner: ThreadPoolExecutor) -> None:
    for server in list(servers):
        server.stop(kill=False)
    servers.clear()
    spawner.shutdown()
    stage.remove()
