"""How one sandbox server is started in each mode (``modes.py`` says which mode, and why).

- ``"bubblewrap"``: bwrap builds the server's world: new PID, network, IPC, UTS and mount
  namespaces (no network at all, no other process visible); read-only binds of the system folders,
  the Python installation, the virtual environment's site-packages (with any installed
  ``course_rnn`` hidden under an empty tmpfs) and a staging folder holding the worker code and the
  stub ``course_rnn``; ``/tmp`` a fresh size-capped tmpfs. Nothing else exists inside: not the
  repository, ``solutions/``, the tests, the grader's output folder, ``/root`` or any home. The
  server runs as the namespace's pid 1 (``--as-pid-1``): no bwrap init process shares the
  submissions' uid or holds the grader's pipes, and the non-dumpable server cannot be traced,
  nor killed from inside. Its command line holds no host path. As root, bwrap keeps only
  ``CAP_SETUID``, ``CAP_SETGID``, ``CAP_KILL`` and ``CAP_IPC_OWNER`` for the server, whose forked
  submissions switch to a dedicated unprivileged uid; not as root, bwrap adds a user namespace
  (nested ones disabled) and the submission keeps the grader's uid.
- ``"uid"``, ``"landlock"``, ``"rlimits-only"``: the server runs on the host, in a scratch folder
  of the staging folder; the uid (recorded in the staging folder, so that a later grader kills
  what a crashed one left) and Landlock are applied by each submission to itself (``isolate.py``).
"""

import contextlib
import functools
import itertools
import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import tempfile
import threading
from pathlib import Path

from . import cgroups
from .handle import kill_uid

HERE = Path(__file__).resolve().parent
STAGE_PREFIX = "course-rnn-sandbox-"  # then the grader's pid: a dead grader's folder is removed
WORKER_FILES = (
    "records.py",
    "protocol.py",
    "isolate.py",
    "ipc.py",
    "landlock.py",
    "seccomp.py",
    "worker.py",
    "server.py",
)
REAL_MODULES = ("shapes.py", "seeding.py")  # copied from course_rnn into the stub: harmless
INSIDE_LIB, INSIDE_PYTHON, INSIDE_SITE = "/sandbox/lib", "/sandbox/python", "/sandbox/site"
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime")
SERVER_CAPS = ("CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_IPC_OWNER")
UIDS_FILE = "uids"  # in the staging folder: one uid per line, for the clean-up after a crash
#: The bootstrap run by the sandboxed interpreter: our folders on sys.path, then the server.
BOOT = (
    "import sys, json; config = json.loads(sys.argv[1]); sys.path[:0] = [config['lib']]; "
    "sys.path += config['site']; from _course_rnn_sandbox.server import main; main(config)"
)
_uids = itertools.count()
_uid_lock = threading.Lock()


def next_uid() -> int:
    """A uid of its own for one server's submissions: no process on the machine runs as it."""
    base = 1_400_000_000 + (os.getpid() % 2_000_000) * 1000
    while True:
        with _uid_lock:
            uid = base + next(_uids) % 1000
        if not _in_use(uid):
            return uid


def _in_use(uid: int) -> bool:
    for entry in os.listdir("/proc"):
        with contextlib.suppress(OSError):
            if entry.isdigit() and os.stat(f"/proc/{entry}").st_uid == uid:
                return True
    return False


def site_dirs() -> list[str]:
    """The site-packages folders of the grader's Python (the virtual environment's)."""
    found = [
        *site.getsitepackages(),
        sysconfig.get_paths()["purelib"],
        sysconfig.get_paths()["platlib"],
    ]
    return list(dict.fromkeys(d for d in found if os.path.isdir(d)))


def inside_python() -> str:
    """The interpreter as seen inside bubblewrap (the base installation, bound read-only)."""
    real = os.path.realpath(sys.executable)
    if _bind_prefix():
        return os.path.join(INSIDE_PYTHON, os.path.relpath(real, sys.base_prefix))
    return real


def _bind_prefix() -> bool:
    """Whether the Python installation needs its own bind (it is not under a system folder)."""
    prefix = os.path.realpath(sys.base_prefix)
    return not any(prefix == d or prefix.startswith(d + "/") for d in SYSTEM_DIRS)


def bwrap_args(lib: str | None, *, tmpfs_mb: int) -> list[str]:
    """The bwrap command line up to the program, for a staging ``lib`` folder (None: probe)."""
    args = [
        shutil.which("bwrap") or "bwrap",
        "--unshare-pid",
        "--as-pid-1",  # the server is pid 1: no init process of the submission's uid
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
    ]
    args += ["--unshare-cgroup-try", "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    if os.geteuid() == 0:  # privileged bwrap: keep only what the server needs to drop to a uid
        args += ["--cap-drop", "ALL"]
        for cap in SERVER_CAPS:
            args += ["--cap-add", cap]
    else:
        args += ["--unshare-user"]
        if _bwrap_can("--disable-userns"):  # bubblewrap 0.8+; seccomp refuses them anyway
            args += ["--disable-userns"]
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in SYSTEM_FILES:
        args += ["--ro-bind-try", path, path]
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--perms", "1777", "--size", str(tmpfs_mb << 20), "--tmpfs", "/tmp"]
    for path in ("/sandbox", INSIDE_SITE):  # bwrap makes implicit parents 0700: say 0755
        args += ["--perms", "0755", "--dir", path]
    if _bind_prefix():
        args += ["--ro-bind", os.path.realpath(sys.base_prefix), INSIDE_PYTHON]
    for k, path in enumerate(site_dirs()):
        args += ["--ro-bind", path, f"{INSIDE_SITE}/{k}"]
        if os.path.isdir(os.path.join(path, "course_rnn")):  # a regular install: hide it all
            args += ["--tmpfs", f"{INSIDE_SITE}/{k}/course_rnn"]
    if lib is not None:
        args += ["--ro-bind", lib, INSIDE_LIB]
    return [*args, "--chdir", "/tmp"]


@functools.cache
def _bwrap_can(option: str) -> bool:
    """Whether this bwrap knows ``option`` (its --help lists it)."""
    try:
        done = subprocess.run(["bwrap", "--help"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return option.encode() in done.stdout + done.stderr


def environment(home: str) -> dict[str, str]:
    """The server's whole environment (nothing is inherited from the grader's)."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": home,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        "USER": "student",
    }
    for name in (
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "NUMEXPR_NUM_THREADS",
    ):
        env[name] = "1"
    if _bind_prefix():  # libpython's RUNPATH names the host path, which does not exist inside
        env["LD_LIBRARY_PATH"] = f"{INSIDE_PYTHON}/lib"
    return env


class Stage:
    """The host folder a sandbox is built from: worker code + stub (read-only), scratch, logs."""

    def __init__(self):
        _remove_stale_stages()
        self.root = tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}{os.getpid()}-")
        os.chmod(self.root, 0o755)  # a uid-mode submission must reach lib/ and its scratch
        self.lib = os.path.join(self.root, "lib")
        package = os.path.join(self.lib, "_course_rnn_sandbox")
        os.makedirs(package)
        Path(package, "__init__.py").write_text('"""The grader\'s worker, copied in."""\n')
        for name in WORKER_FILES:
            shutil.copy(HERE / name, package)
        stub = os.path.join(self.lib, "course_rnn")
        shutil.copytree(
            HERE / "stub" / "course_rnn", stub, ignore=shutil.ignore_patterns("__pycache__")
        )
        real = Path(sys.modules["course_rnn"].__file__).parent
        for name in REAL_MODULES:
            shutil.copy(real / name, stub)
        for folder, _, files in os.walk(self.lib):
            os.chmod(folder, 0o755)
            for name in files:
                os.chmod(os.path.join(folder, name), 0o644)
        os.makedirs(os.path.join(self.root, "logs"), mode=0o700)

    def scratch(self, slot: int, uid: int | None) -> str:
        """A fresh writable folder for one server (uid and rlimits-only modes)."""
        path = os.path.join(self.root, f"scratch-{slot}-{uid}")
        os.makedirs(path, mode=0o700, exist_ok=True)
        if uid is not None:
            os.chown(path, uid, uid)
        return path

    def record_uid(self, uid: int) -> None:
        """Note a sandbox uid before its server starts: a later grader kills what it left."""
        with open(os.path.join(self.root, UIDS_FILE), "a") as file:
            file.write(f"{uid}\n")

    def log(self, slot: int) -> str:
        return os.path.join(self.root, "logs", f"server-{slot}.log")

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _remove_stale_stages() -> None:
    """Clean up after graders killed before they could: their processes, groups and folders."""
    with os.scandir(tempfile.gettempdir()) as entries:
        for entry in entries:
            pid = entry.name.removeprefix(STAGE_PREFIX).split("-")[0]
            if entry.name.startswith(STAGE_PREFIX) and pid.isdigit() and not _alive(int(pid)):
                with contextlib.suppress(OSError, ValueError):
                    with open(os.path.join(entry.path, UIDS_FILE)) as file:
                        for line in file:
                            kill_uid(int(line))  # uid mode: daemons re-parented to init
                shutil.rmtree(entry.path, ignore_errors=True)
    cgroups.remove_stale(_alive)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, under another uid
    return True


def server_command(mode: str, stage: Stage, slot: int, settings: dict) -> tuple:
    """``(argv, env, cwd, uid)`` that start one server in ``mode``.

    Args:
        mode:     one of ``modes.MODES``
        stage:    the staging folder
        slot:     the server's number (names its scratch folder and log)
        settings: the limits and the server's CPU cores, as ``Sandbox`` passes them

    Returns:
        The command line, its whole environment, its working folder (on the host) and the uid
        its submissions run as (None when they keep the server's uid).
    """
    from . import landlock

    root = os.geteuid() == 0
    uid = next_uid() if (mode == "uid" or (mode == "bubblewrap" and root)) else None
    if uid is not None:
        stage.record_uid(uid)
    flags = ["-s", "-S", "-B", "-P"]  # no user site, no site.py (.pth finders), no bytecode, no cwd
    if mode == "bubblewrap":
        scratch = "/tmp"
        config = {
            "lib": INSIDE_LIB,
            "site": [f"{INSIDE_SITE}/{k}" for k in range(len(site_dirs()))],
            "landlock": False,
        }
        prefix = bwrap_args(stage.lib, tmpfs_mb=settings["disk_mb"])
        python = [inside_python()]
        env_args = ["--clearenv"]
        for name, value in environment(scratch).items():
            env_args += ["--setenv", name, value]
        prefix += env_args
        cwd = stage.root
    else:
        scratch = stage.scratch(slot, uid)
        readable = [*SYSTEM_DIRS, *SYSTEM_FILES, os.path.realpath(sys.base_prefix), stage.lib]
        config = {
            "lib": stage.lib,
            "site": site_dirs(),
            "landlock": mode == "landlock" or (mode == "uid" and landlock.abi() > 0),
            "readable": [*readable, *site_dirs()],
        }
        prefix, python, cwd = [], [os.path.realpath(sys.executable)], scratch
    config |= settings | {
        "mode": mode,
        "pidns": mode == "bubblewrap",
        "child_uid": uid,
        "scratch": scratch,
    }
    argv = [*prefix, *python, *flags, "-c", BOOT, json.dumps(config)]
    return argv, environment(scratch), cwd, uid
