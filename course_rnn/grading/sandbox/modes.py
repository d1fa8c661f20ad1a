"""Which confinement a sandbox gets: bubblewrap, or refuse, unless a weaker mode is asked by name.

Modes, strongest first (``Sandbox.mode`` says which one is in force, ``Sandbox.confinement``
describes it in one line for the result files):

- ``"bubblewrap"`` (what ``"auto"`` means): own PID, network, IPC, UTS and mount namespaces, a
  file system of read-only system folders, Python and site-packages, a size-capped ``/tmp``; as
  root each server's submissions get an unprivileged uid of their own, otherwise they keep the
  grader's uid inside a user namespace (nested user namespaces disabled). The server is the
  namespace's pid 1 and is not dumpable, so no submission can trace it or open its pipes.
- ``"uid"`` (root only, e.g. a Docker container where bwrap cannot create namespaces, which is how
  Gradescope runs): an unprivileged uid per server on the host's file system, narrowed by Landlock
  where the kernel has it. Before any student code runs the grader checks that this uid can read
  the Python installation and cannot read any secret (hidden tests, seed, the reference package,
  submissions, OUT); it refuses otherwise.
- ``"landlock"`` (a normal user without bubblewrap or user namespaces; Linux 6.12+): the
  instructor's own uid, limited by Landlock (``landlock.py``) to Python and a scratch folder, with
  no TCP and no signals outside its domain.
- ``"rlimits-only"`` (not as root): time, memory and process limits only. Student code can read
  and change everything the instructor can: only for notebooks you trust.

Every mode adds the seccomp filter (``seccomp.py``), rlimits, timeouts and the sweep. ``"auto"``
never picks a weaker mode: without a working bubblewrap it raises :class:`SandboxError` saying what
is missing and how to get it. A weaker mode asked for by name is printed on stderr before any
server starts (:func:`announce`).
"""

import functools
import os
import shutil
import subprocess
import sys

from . import landlock, seccomp

MODES = ("bubblewrap", "uid", "landlock", "rlimits-only")
LANDLOCK_ABI = 6  # signal scoping: a submission cannot signal the grader (same uid)
#: What each weaker mode leaves open, printed before any student code runs.
RISKS = {
    "uid": "submissions run as an unprivileged uid on the host's file system and network "
    "(narrowed by Landlock where the kernel has it); it starts only if that uid can read no secret",
    "landlock": "submissions run as YOUR uid, limited by Landlock to Python and a scratch folder; "
    "they see the host's process list and command lines",
    "rlimits-only": "student code runs as YOU with time and memory limits only: it can read and "
    "change your files (grades, solutions, ~/.bashrc). Use it only for notebooks you trust",
}


class SandboxError(RuntimeError):
    """The sandbox cannot be set up as asked (e.g. bubblewrap missing, or a secret readable)."""


def choose_mode(confinement: str) -> str:
    """The mode to use: bubblewrap for ``"auto"``, else ``confinement`` if it can be had here.

    Raises:
        SandboxError: ``confinement`` is unknown or cannot be had here; the message says why and
            what to do.
    """
    if confinement not in ("auto", *MODES):
        raise SandboxError(f"confinement must be 'auto' or one of {MODES}, got {confinement!r}")
    root = os.geteuid() == 0
    if confinement in ("auto", "bubblewrap"):
        problem = bubblewrap_problem()
        if problem is not None:
            raise SandboxError(f"the sandbox needs bubblewrap, and {problem}")
    elif confinement == "uid" and not root:
        raise SandboxError("sandbox mode 'uid' needs the grader to run as root")
    elif confinement == "landlock":
        if root:
            raise SandboxError("sandbox mode 'landlock' is for a normal user; as root use 'uid'")
        if landlock.abi() < LANDLOCK_ABI:
            raise SandboxError(
                f"sandbox mode 'landlock' needs Landlock ABI {LANDLOCK_ABI}+ (Linux 6.12+) with "
                f"Landlock enabled; this kernel has ABI {landlock.abi()}"
            )
    elif confinement == "rlimits-only" and root:
        raise SandboxError("sandbox mode 'rlimits-only' would run student code as root; use 'uid'")
    return "bubblewrap" if confinement == "auto" else confinement


def announce(mode: str) -> None:
    """Say on stderr that a weaker mode is in force (called before any server starts)."""
    if mode in RISKS:
        print(f"course-rnn sandbox: mode '{mode}', weaker than bubblewrap: {RISKS[mode]}.",
              file=sys.stderr, flush=True)  # fmt: skip


def describe(mode: str, *, cpu: str, memory: str) -> str:
    """One line for the result files: the mode and what confines a submission in it."""
    parts = {
        "bubblewrap": "namespaces, no network, read-only system, "
        + ("own uid" if os.geteuid() == 0 else "user namespace"),
        "uid": "own uid, host file system checked" + (", Landlock" if landlock.abi() else ""),
        "landlock": f"Landlock ABI {landlock.abi()}, the grader's uid",
        "rlimits-only": "the grader's uid, limits only",
    }[mode]
    filtered = "seccomp" if seccomp.supported() else "no seccomp on this architecture"
    return f"{mode} ({parts}; {filtered}; rlimits; {cpu}; {memory})"


def bubblewrap_works() -> bool:
    """Whether bwrap can start this Python as the server is started."""
    return bubblewrap_problem() is None


@functools.cache
def bubblewrap_problem() -> str | None:
    """None when bwrap can start this Python as the server is started; else what is wrong."""
    from .confine import bwrap_args, inside_python  # confine builds the command line

    if shutil.which("bwrap") is None:
        return (
            "bwrap is not installed: install the 'bubblewrap' package "
            "(Debian/Ubuntu: sudo apt-get install bubblewrap; Fedora: sudo dnf install bubblewrap)"
        )
    argv = [*bwrap_args(None, tmpfs_mb=16), inside_python(), "-S", "-c", "pass"]
    try:
        done = subprocess.run(argv, capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bwrap could not be run ({error})"
    if done.returncode == 0:
        return None
    said = done.stderr.decode(errors="backslashreplace").strip()[-300:]
    return f"bwrap does not work here ({said or f'exit code {done.returncode}'}): {_userns_hint()}"


def _userns_hint() -> str:
    """What usually stops bwrap, and the fix, from the kernel settings that can be read."""
    if os.geteuid() == 0:
        return (
            "as root it needs CAP_SYS_ADMIN to create namespaces (a Docker container must be "
            "started with --privileged or --cap-add SYS_ADMIN --security-opt seccomp=unconfined). "
            "Where that cannot be had (Gradescope), ask for the weaker mode by name: --sandbox uid"
        )
    settings = {
        "/proc/sys/kernel/unprivileged_userns_clone": ("0", "kernel.unprivileged_userns_clone=1"),
        "/proc/sys/user/max_user_namespaces": ("0", "user.max_user_namespaces=15000"),
        "/proc/sys/kernel/apparmor_restrict_unprivileged_userns": (
            "1",
            "kernel.apparmor_restrict_unprivileged_userns=0 (or install an AppArmor profile "
            "that lets bwrap create user namespaces)",
        ),
    }
    for path, (blocking, fix) in settings.items():
        try:
            with open(path) as file:
                if file.read().strip() == blocking:
                    return f"unprivileged user namespaces are disabled: sudo sysctl -w {fix}"
        except OSError:
            continue
    return (
        "unprivileged user namespaces may be disabled (sudo sysctl -w "
        "kernel.unprivileged_userns_clone=1 or user.max_user_namespaces=15000), or grade as root. "
        "Without them, ask for a weaker mode by name: --sandbox landlock"
    )
