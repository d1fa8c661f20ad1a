"""Landlock rules that a submission's first process applies to itself (``landlock`` and ``uid``).

Landlock (Linux 5.13+) lets an unprivileged process give up access rights for itself and its
children; no root, no user namespace. The ``landlock`` mode is for an instructor who has neither
bubblewrap nor user namespaces: the submission keeps the instructor's uid, but

- the file system shrinks to what Python needs, read-only (system folders, the Python
  installation, the site-packages entries other than ``course_rnn``, the worker code and the
  stub), plus its own scratch folder read-write: no home, no repository, no ``solutions/``, no
  OUT folder, no other student's files;
- TCP connect and bind are refused (ABI 4+; the seccomp filter refuses every non-Unix socket);
- signals and abstract Unix sockets reach only processes of its own domain (ABI 6+): it cannot
  kill or signal the grader, the server or an earlier submission;
- ptrace of any process outside its domain is refused (every ABI).

What stays: the host's ``/proc`` (other processes' command lines) and the instructor's uid for
everything Landlock does not cover. The ``uid`` mode adds these rules where the kernel has
Landlock, on top of its own uid. This file is copied into the sandbox (standard library only).
"""

import ctypes
import os
import stat

CREATE_RULESET, ADD_RULE, RESTRICT_SELF = 444, 445, 446  # the same on every architecture
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH, RULE_NET_PORT = 1, 2
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
READ = EXECUTE | READ_FILE | READ_DIR
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | 1 << 14 | 1 << 15  # + truncate, ioctl_dev
#: Every file-system right of ABI 1, then what ABI 2 (refer), 3 (truncate), 5 (ioctl) add.
FS_RIGHTS = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1
#: Device files a program may use; /proc for its own status (and, alas, others' command lines).
DEVICES = ("/dev/null", "/dev/zero", "/dev/random", "/dev/urandom", "/dev/full")
READ_ONLY_EXTRA = ("/proc", "/sys/devices/system/cpu", "/etc/ld.so.cache", "/etc/localtime")

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class _Ruleset(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def abi() -> int:
    """The kernel's Landlock ABI version (0: no Landlock, or disabled)."""
    return max(_syscall(CREATE_RULESET, None, 0, CREATE_RULESET_VERSION), 0)


def restrict(readable: list[str], writable: list[str]) -> int:
    """Allow only ``readable`` (read, execute) and ``writable`` (everything) from now on.

    Args:
        readable: folders or files; a site-packages folder is opened entry by entry, leaving
                  out any ``course_rnn`` (a regular install of the reference implementations)
        writable: folders (the submission's scratch)

    Returns:
        The ABI version used (0: the kernel has no Landlock and nothing was restricted).

    Raises:
        OSError: the kernel refused a rule.
    """
    version = abi()
    if version == 0:
        return 0
    fs_rights = FS_RIGHTS[max(v for v in FS_RIGHTS if v <= version)]
    attr = _Ruleset(fs_rights, 0, 0)
    fields = 1  # ABI 1-3 know only handled_access_fs
    if version >= 4:
        attr.handled_access_net, fields = NET_BIND_TCP | NET_CONNECT_TCP, 2
    if version >= 6:
        attr.scoped, fields = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL, 3
    size = fields * ctypes.sizeof(ctypes.c_uint64)
    ruleset = _check(_syscall(CREATE_RULESET, ctypes.byref(attr), size, 0))
    try:
        rules = [rule for path in readable for rule in _read_rules(path)]
        rules += [(path, READ) for path in READ_ONLY_EXTRA]
        rules += [(path, READ_FILE | WRITE_FILE) for path in DEVICES]
        rules += [(path, fs_rights) for path in writable]
        for path, rights in rules:
            _allow(ruleset, path, rights & fs_rights)
        _check(_syscall(RESTRICT_SELF, ruleset, 0))
    finally:
        os.close(ruleset)
    return version


def _read_rules(path: str) -> list[tuple[str, int]]:
    """Read rights for ``path``; a site-packages folder's entries other than course_rnn."""
    if not os.path.isdir(os.path.join(path, "course_rnn")):
        return [(path, READ)]
    names = [name for name in os.listdir(path) if name != "course_rnn"]
    return [(path, READ_DIR)] + [(os.path.join(path, name), READ) for name in names]


def _allow(ruleset: int, path: str, rights: int) -> None:
    """Allow ``rights`` beneath ``path`` (only the file rights when it is a file)."""
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # something this machine does not have
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            rights &= FILE_RIGHTS
        beneath = _PathBeneath(rights, fd)
        _check(_syscall(ADD_RULE, ruleset, RULE_PATH_BENEATH, ctypes.byref(beneath), 0))
    finally:
        os.close(fd)


def _syscall(number: int, *args) -> int:
    """``syscall(number, *args)`` with every integer passed as a C long (the kernel's width)."""
    return _libc.syscall(
        ctypes.c_long(number), *[ctypes.c_long(a) if type(a) is int else a for a in args]
    )


def _check(result: int) -> int:
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"landlock: {os.strerror(errno)}")
    return result
