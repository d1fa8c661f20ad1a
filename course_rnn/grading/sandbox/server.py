"""The long-lived server inside the sandbox: import numpy and torch once, fork per submission.

Started by the grader (``client.py``) inside bubblewrap (or as root / as the grader's user in
the fallback modes). It imports the heavy modules once, then for each request forks the
submission's first process (``worker.child_main``), which drops to the submission's uid and
limits before any student code runs. The server itself never runs student code. Per step it
sends "go", waits for the result with the step's timeout, kills the step's process group when
time is up, and streams one result frame per step back to the grader; after the last step it
kills every process the submission left behind (``kill(-1)`` inside the PID namespace, else every
descendant, which all come back to this process because it is a child subreaper) and reaps them
before it answers "done", then removes the System V IPC objects the submission made (the seccomp
filter already refuses them: this is the second line), so nothing outlives a submission and
nothing reaches the next one. Under bubblewrap the server is pid 1 of its namespace: orphans come
back to it, ``kill(-1)`` spares only it, and a signal from inside cannot kill it. It runs on the
CPU cores the grader gave it, which its submissions cannot change.
What the submission's processes send is parsed only as data and passed on for the grader to
check; a broken or forged message ends that submission, not the server.
"""

import contextlib
import ctypes
import fcntl
import gc
import importlib
import os
import resource
import select
import signal
import socket
import sys
import time

from . import isolate, protocol, worker
from .ipc import ipc_objects, remove_ipc
from .records import Call

PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 1, 4, 36
GRACE = 3.0  # seconds to hear about a killed step before the submission counts as unresponsive
F_SETPIPE_SZ = 1031
MADV_COLLAPSE = 25  # Linux 6.1


def main(config: dict) -> None:
    """Serve requests on stdin/stdout until EOF or an "exit" request."""
    channel_in, channel_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # a stray print goes to the log, never into the channel
    isolate.prctl(PR_SET_CHILD_SUBREAPER, 1)  # orphans of a submission come back to us
    isolate.prctl(PR_SET_DUMPABLE, 0)  # no ptrace or /proc/<pid>/mem by a same-uid submission
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as pid 1 it is the one signal that would work
    if config.get("cpus"):  # one core per server: a busy neighbour runs elsewhere
        os.sched_setaffinity(0, config["cpus"])
    if not config["pidns"]:
        isolate.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == 1:
            os._exit(0)
    for name in config["preimport"]:
        importlib.import_module(name)
    if "torch" in sys.modules:  # one core per job, and no thread pool for a fork to inherit
        torch = sys.modules["torch"]
        torch.set_num_threads(1)
        with contextlib.suppress(RuntimeError):
            torch.set_num_interop_threads(1)
    importlib.import_module("course_rnn")  # the stub (first on sys.path)
    importlib.import_module("course_rnn.grading.selfcheck")
    gc.collect()
    gc.freeze()  # the garbage collector would write to every imported object: a copy per fork
    collapse_to_huge_pages()
    Server(config, channel_in, channel_out).serve()


class Server:
    """One request at a time: fork the submission, drive its steps, sweep, answer."""

    def __init__(self, config: dict, channel_in: int, channel_out: int):
        self.config = config
        self.channel_in, self.channel_out = channel_in, channel_out
        self.reader = protocol.FrameReader(1 << 40)  # the grader is trusted

    def send(self, header: dict, arrays=()) -> None:
        protocol.write_all(self.channel_out, protocol.pack(header, arrays))

    def serve(self) -> None:
        self.send({"kind": "ready", "pid": os.getpid(), "uid": self.config["child_uid"]})
        pending = []
        while True:
            while not pending:
                try:
                    pending += protocol.read_frames(self.channel_in, self.reader, None)
                except EOFError:
                    return
            header, arrays = pending.pop(0)
            if header.get("kind") != "run":
                return
            self.run(header, arrays)

    def run(self, request: dict, arrays: list) -> None:
        """Run one submission and stream a frame per step, then "done"."""
        steps = [
            ("cell", i, source, request["cell_timeout"])
            for i, source in enumerate(request["cells"])
        ]
        for j, call in enumerate(request["calls"]):
            args = protocol.decode(call["args"], arrays, refs=True)
            kwargs = protocol.decode(call["kwargs"], arrays, refs=True)
            steps.append(
                ("call", j, Call(call["function"], args, kwargs, call["timeout"]), call["timeout"])
            )
        if steps:
            self._run_steps(steps)
        self.send({"kind": "done"})

    def _run_steps(self, steps: list) -> None:
        ipc_before = ipc_objects()
        ours, theirs = socket.socketpair()
        output_r, output_w = os.pipe()
        with contextlib.suppress(OSError):  # fewer wake-ups when a submission prints a lot
            fcntl.fcntl(output_r, F_SETPIPE_SZ, 1 << 20)
        os.set_blocking(output_r, False)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            worker.child_main(self.config, [s[:3] for s in steps], theirs.fileno(), output_w)
        theirs.close()
        os.close(output_w)
        run = _Run(self.config, ours, output_r)
        try:
            for number, (kind, index, _, timeout) in enumerate(steps):
                header, blobs = run.step(number, kind, timeout)
                self.send({"kind": kind, "index": index, **header}, blobs)
                _reap()
        finally:
            self.sweep()
            remove_ipc(ipc_before, self.config["child_uid"])
            ours.close()
            os.close(output_r)

    def sweep(self) -> None:
        """Kill every process the submission left (daemons included) and wait until all are gone."""
        end = time.monotonic() + 30
        while _reap():
            if self.config["pidns"]:
                with contextlib.suppress(OSError):
                    os.kill(-1, signal.SIGKILL)  # everyone in this PID namespace but us and init
            else:
                for pid in descendants(os.getpid()):
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
            if time.monotonic() > end:
                os._exit(75)  # the grader restarts a fresh server
            time.sleep(0.0005)


class _Run:
    """The server's side of one submission: the socket, the captured output, the timeouts."""

    def __init__(self, config: dict, sock: socket.socket, output: int):
        self.config, self.sock, self.output = config, sock, output
        self.reader = protocol.FrameReader(config["max_result_bytes"] + (1 << 20))
        self.captured, self.dropped = bytearray(), 0
        self.broken = None  # why the submission's remaining steps cannot run

    def step(self, number: int, kind: str, timeout: float) -> tuple[dict, list]:
        """Run step ``number`` and return the frame for the grader (header fields, blobs)."""
        if self.broken is None:
            with contextlib.suppress(OSError):
                protocol.write_all(
                    self.sock.fileno(), protocol.pack({"kind": "go", "step": number})
                )
            outcome, header, blobs = self._wait(number, timeout)
        else:
            outcome, header, blobs = "broken", {}, []
        stdout = self._take_output()
        if outcome == "result" and kind == "cell":
            return {"error": _text_or_none(header.get("error")), "stdout": stdout}, []
        if outcome == "result" and header.get("ok") is True:
            return {
                "ok": True,
                "value": header.get("value"),
                "error": None,
                "stdout": stdout,
            }, blobs
        status = str(header.get("status"))[:200]
        if outcome == "result":
            error = _text_or_none(header.get("error")) or "call failed"
        elif outcome == "timeout":
            error = "timeout" if kind == "cell" else f"TimeoutError: call exceeded {timeout} s"
        elif outcome == "died":
            error = f"killed: {status}" if kind == "cell" else f"worker died ({status})"
        else:
            error = f"not run: {self.broken}" if kind == "cell" else f"worker died ({self.broken})"
        if kind == "cell":
            return {"error": error, "stdout": stdout}, []
        return {"ok": False, "value": None, "error": error, "stdout": stdout}, []

    def _wait(self, number: int, timeout: float):
        deadline, pid, killed = time.monotonic() + timeout, None, False
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                if pid is not None and not self.config["pidns"]:
                    pid = pid if pid in descendants(os.getpid()) else None  # never anyone else
                if killed or pid is None:
                    self.broken = "the submission stopped responding"
                    return "timeout", {}, []
                for kill in (os.killpg, os.kill):  # the step's process group, then itself
                    with contextlib.suppress(OSError):
                        kill(pid, signal.SIGKILL)
                killed, deadline = True, time.monotonic() + GRACE
                continue
            readable, _, _ = select.select([self.sock, self.output], [], [], min(left, 0.1))
            _reap()  # a fork bomb's zombies count against the process limit until reaped
            self._drain()
            if self.sock not in readable:
                continue
            try:
                data = self.sock.recv(1 << 20)
                if not data:
                    raise EOFError
                frames = self.reader.feed(data)
            except (EOFError, OSError, protocol.ProtocolError) as error:
                self.broken = f"the submission broke its channel ({type(error).__name__})"
                return "died", {"status": self.broken}, []
            for header, blobs in frames:
                if header.get("step") != number:
                    continue  # a late message about an earlier step
                if header.get("kind") == "started" and _is_pid(header.get("pid")):
                    pid = header["pid"] if header["pid"] not in (1, os.getpid()) else None
                elif header.get("kind") == "died" or (
                    header.get("kind") == "result" and not killed
                ):
                    self._drain()  # after a kill, only the holder's "died" says it carries on
                    return ("timeout" if killed else header["kind"]), header, blobs

    def _drain(self) -> None:
        """Read what the submission printed so far; keep up to the limit, count the rest."""
        limit = self.config["output_limit"]
        while True:
            try:
                data = os.read(self.output, 1 << 16)
            except BlockingIOError:
                return
            if not data:
                return
            keep = max(0, limit - len(self.captured))
            self.captured += data[:keep]
            self.dropped += len(data) - min(keep, len(data))

    def _take_output(self) -> str:
        self._drain()
        text = self.captured.decode("utf-8", errors="replace")
        if self.dropped:
            text += f"\n... [output truncated: {self.dropped} more bytes]"
        self.captured, self.dropped = bytearray(), 0
        return text


def collapse_to_huge_pages() -> int:
    """Back the server's anonymous memory with 2 MiB pages; return how many regions collapsed.

    A fork copies one page-table entry per 4 KiB page of private memory (about 140 MB once torch
    is imported: 35,000 entries, some 10 ms of kernel time per fork, and again at exit); with huge
    pages it copies one per 2 MiB. Best effort: without ``MADV_COLLAPSE`` (Linux < 6.1) nothing
    changes but speed.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    huge, collapsed = 1 << 21, 0
    with open("/proc/self/maps") as maps:
        regions = [line.split() for line in maps]
    for fields in regions:
        private_rw = fields[1].startswith("rw") and fields[1][3] == "p"
        if not private_rw or (len(fields) > 5 and fields[5] != "[heap]"):
            continue  # only the heap and anonymous mappings
        low, high = (int(x, 16) for x in fields[0].split("-"))
        start, end = -(-low // huge) * huge, high // huge * huge
        if end > start and libc.madvise(start, end - start, MADV_COLLAPSE) == 0:
            collapsed += 1
    return collapsed


def _reap() -> bool:
    """Collect exited children; False once there are none left at all."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return False
        if pid == 0:
            return True


def _is_pid(value) -> bool:
    return type(value) is int and 1 < value < 1 << 22


def _text_or_none(value) -> str | None:
    return value[:2000] if isinstance(value, str) else None


def descendants(root: int) -> list[int]:
    """Every process whose parent chain leads to ``root`` (read from /proc)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                with open(f"/proc/{entry}/stat") as stat:
                    ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
    found, queue = [], list(children.get(root, []))
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue += children.get(pid, [])
    return found
