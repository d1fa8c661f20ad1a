"""Inside the sandbox, the first thing a submission's process does: confine itself.

Runs in the submission's first process, forked from the server, before any student code: a
session of its own, only the fds it needs (stdin from /dev/null, stdout and stderr into the
capture pipe, the socket to the server), rlimits (CPU seconds, address space relative to what the
server already maps, since torch alone maps gigabytes of virtual memory; file size; processes;
no core dumps), then, where the server may, a dedicated unprivileged uid (``RLIMIT_NPROC`` is
ignored for root, so this is what bounds a fork bomb), no new privileges, first in line for the
out-of-memory killer, a fresh empty working folder after wiping what the previous submission of
this uid left, Landlock rules where the mode asks for them (``landlock.py``) and, last, the
seccomp filter (``seccomp.py``). Every process the submission forks later inherits all of this.
"""

import contextlib
import ctypes
import os
import resource
import shutil
import signal
import sys
import tempfile

from . import landlock, seccomp

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 1, 4, 38


def prctl(option: int, value: int) -> None:
    """Linux ``prctl(option, value)``; OSError on failure."""
    if _libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}) failed")


def confine(config: dict, sock: int, output: int, channel: int) -> None:
    """Own session and fds, rlimits, the unprivileged uid, and a fresh empty working folder.

    Args:
        config:  the server's settings: ``child_uid`` (None: keep ours), ``scratch``, limits
        sock:    the socket to the server, moved to fd ``channel``
        output:  the capture pipe, which becomes fds 1 and 2
        channel: the fd number the socket gets (every other fd above it is closed)
    """
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.dup2(sock, channel)
    os.closerange(channel + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    uid = config["child_uid"]
    _set_limits(config, switching_uid=uid is not None)
    if uid is not None:  # root inside the sandbox: become the submission's own uid
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        prctl(PR_SET_DUMPABLE, 1)  # a normal process again (/proc/self readable)
    prctl(PR_SET_NO_NEW_PRIVS, 1)  # no setuid programs
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # after the uid change, which clears it
    with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w") as adj:
        adj.write("1000")  # out of memory in its group: the submission goes, not the server
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # too large a file: an OSError, not death
    signal.signal(signal.SIGINT, signal.default_int_handler)  # the server ignores it
    workdir = _fresh_workdir(config["scratch"])
    if config["landlock"] and not landlock.restrict(config["readable"], [config["scratch"]]):
        raise OSError("this mode needs Landlock, which the kernel no longer offers")
    seccomp.install()
    os.chdir(workdir)
    for name in ("HOME", "TMPDIR", "MPLCONFIGDIR"):
        os.environ[name] = workdir
    tempfile.tempdir = None
    sys.stdin = open(0, closefd=False)  # /dev/null, for the life of the process
    sys.stdout = open(1, "w", buffering=1 << 16, closefd=False, errors="backslashreplace")
    sys.stderr = open(2, "w", buffering=1 << 16, closefd=False, errors="backslashreplace")


def _set_limits(config: dict, *, switching_uid: bool) -> None:
    """CPU seconds, address space (relative to what is mapped now), file size, processes, core."""
    with open("/proc/self/status") as status:
        vm_size = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
    address_space = vm_size * 1024 + (config["memory_mb"] << 20)
    processes = config["max_processes"]
    if not switching_uid:  # RLIMIT_NPROC counts every process of the uid: allow for the others
        processes += _tasks_of(os.getuid())
    cpu = config["cpu_seconds"]
    for limit, value in (
        (resource.RLIMIT_CPU, (cpu, cpu + 1)),
        (resource.RLIMIT_AS, (address_space, address_space)),
        (resource.RLIMIT_FSIZE, (config["file_mb"] << 20,) * 2),
        (resource.RLIMIT_NPROC, (processes, processes)),
        (resource.RLIMIT_CORE, (0, 0)),
    ):
        resource.setrlimit(limit, value)


def _tasks_of(uid: int) -> int:
    """Threads of every process of ``uid`` visible in /proc (what RLIMIT_NPROC counts)."""
    count = 0
    for entry in os.listdir("/proc"):
        with contextlib.suppress(OSError, KeyError, ValueError):
            with open(f"/proc/{entry}/status") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
            if int(fields["Uid"].split()[0]) == uid:
                count += int(fields["Threads"])
    return count


def _fresh_workdir(scratch: str) -> str:
    """Delete what earlier submissions of this uid left in ``scratch``; make an empty folder."""
    for entry in os.scandir(scratch):
        with contextlib.suppress(OSError):
            if entry.stat(follow_symlinks=False).st_uid == os.getuid():
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, **_RMTREE_HOOK)
                else:
                    os.unlink(entry.path)
    return tempfile.mkdtemp(prefix="submission-", dir=scratch)


def _make_writable(function, path, error) -> None:
    """rmtree's error hook: a folder the submission made read-only is made writable again."""
    with contextlib.suppress(OSError):
        os.chmod(os.path.dirname(path), 0o700)
        os.chmod(path, 0o700)
        function(path)


_RMTREE_HOOK = {"onexc" if sys.version_info >= (3, 12) else "onerror": _make_writable}
