"""System V IPC objects a submission leaves behind: found in /proc/sysvipc, removed by the sweep.

The seccomp filter already refuses these calls; this is the second line (an architecture the
filter does not know, a kernel that refused it). Under bubblewrap the server sees only its own
IPC namespace; elsewhere only objects created since the submission began, by its uid, go.
This file is copied into the sandbox, so it imports only the standard library.
"""

import contextlib
import ctypes
import os

IPC_RMID = 0
IPC_KINDS = {"shm": "shmid", "sem": "semid", "msg": "msqid"}  # /proc/sysvipc table: id column


def ipc_objects() -> set[tuple[str, int, int]]:
    """``{(kind, id, creator uid)}`` of every System V IPC object this process can see."""
    found = set()
    for kind in IPC_KINDS:
        with contextlib.suppress(OSError, ValueError), open(f"/proc/sysvipc/{kind}") as table:
            header = table.readline().split()
            for line in table:
                fields = dict(zip(header, line.split(), strict=False))
                found.add((kind, int(fields[IPC_KINDS[kind]]), int(fields["cuid"])))
    return found


def remove_ipc(before: set, uid: int | None) -> int:
    """Remove the IPC objects created since ``before`` by ``uid`` (None: ours); how many."""
    uid = os.getuid() if uid is None else uid
    libc = ctypes.CDLL(None, use_errno=True)
    removed = 0
    for kind, number, creator in ipc_objects() - before:
        if creator == uid:
            call = {"shm": libc.shmctl, "sem": libc.semctl, "msg": libc.msgctl}[kind]
            args = (number, 0, IPC_RMID) if kind == "sem" else (number, IPC_RMID, None)
            removed += call(*args) == 0
    return removed
