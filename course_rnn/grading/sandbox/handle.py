"""The grader's handle on one sandbox server process: start, talk, stop.

No student code runs in the server, yet the grader treats its stream as untrusted (the server
shares a sandbox with the submissions it forks): frames are size-capped and parsed as data
(``protocol.FrameReader``), every read has a deadline, and stopping it kills its whole process
group (bwrap and, through ``--die-with-parent`` and the PID namespace, everything inside), then
whatever is left in its control group or runs as its uid.
"""

import contextlib
import os
import signal
import subprocess
import time

from . import protocol
from .server import descendants  # the same walk of /proc as the server's sweep


class ServerHandle:
    """One running server process (bwrap, or the server itself) and the grader's end of its channel.

    Args:
        argv, env, cwd: how to start it (``confine.server_command``)
        log_path:       the file that receives the server's stderr
        slot:           the server's number in the pool
        uid:            the uid its submissions run as (None: the server's own)
        max_bytes:      the largest frame accepted from it
        group:          its control group (``cgroups.Group``), joined once it is ready, or None
    """

    def __init__(
        self, argv: list, env: dict, cwd: str, log_path: str, slot: int, uid, max_bytes, group
    ):
        self.slot, self.uid, self.ready, self.group = slot, uid, False, group
        self.log_path = log_path
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(  # our own fixed command line
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
                cwd=cwd,
                start_new_session=True,
            )
        self.reader = protocol.FrameReader(max_bytes)
        self.pending = []

    def send(self, data: bytes) -> None:
        protocol.write_all(self.process.stdin.fileno(), data)

    def frame(self, timeout: float) -> tuple[dict, list]:
        """The next frame, waiting at most ``timeout`` seconds (TimeoutError after that)."""
        deadline = time.monotonic() + timeout
        while not self.pending:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no answer within {timeout:.0f} s")
            self.pending += protocol.read_frames(self.process.stdout.fileno(), self.reader, left)
        return self.pending.pop(0)

    def alive(self) -> bool:
        return self.process.poll() is None

    def join_group(self) -> None:
        """Move bwrap and the server into the control group (no submission runs yet)."""
        if self.group is not None:
            self.group.adopt([self.process.pid, *descendants(self.process.pid)])

    def stop(self, *, kill: bool) -> None:
        """Ask the server to exit (or kill it and its whole sandbox); wait for it. Idempotent."""
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        try:
            self.process.wait(timeout=0 if kill else 5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(OSError):
                os.killpg(self.process.pid, signal.SIGKILL)  # bwrap, and with it the namespace
            self.process.wait()
        self.process.stdout.close()
        if self.group is not None:
            self.group.remove()
        if self.uid is not None:
            kill_uid(self.uid)

    def log_tail(self) -> str:
        with contextlib.suppress(OSError), open(self.log_path, "rb") as log:
            return log.read()[-2000:].decode(errors="replace")
        return ""


def kill_uid(uid: int) -> None:
    """Kill every process of ``uid`` (uid mode: what a dead server's submission left)."""
    if os.geteuid() != 0:
        return
    for _ in range(100):
        found = False
        for entry in os.listdir("/proc"):
            with contextlib.suppress(OSError, ValueError):
                if entry.isdigit() and os.stat(f"/proc/{entry}").st_uid == uid:
                    found = True
                    os.kill(int(entry), signal.SIGKILL)
        if not found:
            return
        time.sleep(0.01)
