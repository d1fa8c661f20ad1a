"""A control group per sandbox server, where the machine lets the grader make one (as root).

A server's group bounds what all its processes (bwrap, the server, every submission) take
together, counting what rlimits cannot see: its memory limit counts shared memory, memfds and
tmpfs pages, its pids limit every process and thread, and its CPU weight (the default, equal for
every group) shares the CPU fairly between servers whatever the number of processes each runs.
Both cgroup v2 (at the root of ``/sys/fs/cgroup``) and v1 (one hierarchy per controller, below
the grader's own group) are used. Best effort: where the grader may not write there (a normal
user, most containers) there are no groups, and ``Sandbox.confinement`` says so.

Groups are named ``course-rnn-<grader pid>-<slot>``; :func:`remove_stale` kills what is left in
the groups of a grader that died, then removes them.
"""

import contextlib
import os
import signal
import time

PREFIX = "course-rnn-"
V2_ROOT = "/sys/fs/cgroup"
V1_CONTROLLERS = ("memory", "pids", "cpu")
V2_CONTROLLERS = ("memory", "pids", "cpu")


class Group:
    """One server's group: a folder per hierarchy (one for v2, one per controller for v1)."""

    def __init__(self, folders: list[str]):
        self.folders = folders

    @classmethod
    def create(cls, slot: int, *, memory_bytes: int, processes: int):
        """The group for server ``slot`` with its limits, or None where groups cannot be made."""
        if os.geteuid() != 0:
            return None
        name = f"{PREFIX}{os.getpid()}-{slot}"
        limits = {
            "memory.max": memory_bytes,
            "memory.limit_in_bytes": memory_bytes,
            "pids.max": processes,
        }
        folders = []
        try:
            for parent in parents():
                folder = os.path.join(parent, name)
                os.makedirs(folder, exist_ok=True)
                folders.append(folder)
                for file, value in limits.items():
                    if os.path.exists(os.path.join(folder, file)):
                        _write(os.path.join(folder, file), value)
        except OSError:
            Group(folders).remove()
            return None
        return cls(folders) if folders else None

    def adopt(self, pids: list[int]) -> None:
        """Move ``pids`` into the group (their later children are born in it)."""
        for folder in self.folders:
            for pid in pids:
                with contextlib.suppress(OSError):  # a process that has just exited
                    _write(os.path.join(folder, "cgroup.procs"), pid)

    def remove(self) -> None:
        """Kill whatever is still in the group, then delete it."""
        for folder in self.folders:
            _empty(folder)
            with contextlib.suppress(OSError):
                os.rmdir(folder)


def parents() -> list[str]:
    """Where this process may create groups: v2's root, or its own group in each v1 hierarchy."""
    if os.path.exists(os.path.join(V2_ROOT, "cgroup.controllers")):
        try:
            with open(os.path.join(V2_ROOT, "cgroup.subtree_control")) as file:
                enabled = file.read().split()
        except OSError:
            return []
        writable = os.access(V2_ROOT, os.W_OK)
        return [V2_ROOT] if writable and set(V2_CONTROLLERS) <= set(enabled) else []
    mounts = {}
    with contextlib.suppress(OSError), open("/proc/self/mounts") as file:
        for line in file:
            _, point, kind, options = line.split()[:4]
            for controller in set(options.split(",")) & set(V1_CONTROLLERS):
                if kind == "cgroup":
                    mounts[controller] = point
    own = {}
    with contextlib.suppress(OSError), open("/proc/self/cgroup") as file:
        for line in file:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for controller in controllers.split(","):
                own[controller] = path
    found = []
    for controller in V1_CONTROLLERS:
        if controller in mounts and controller in own:
            folder = os.path.join(mounts[controller], own[controller].lstrip("/"))
            if os.access(folder, os.W_OK):
                found.append(folder)
    return list(dict.fromkeys(found))


def remove_stale(alive) -> None:
    """Remove the groups of graders that are no longer ``alive(pid)``, killing what is in them."""
    for parent in parents():
        with contextlib.suppress(OSError), os.scandir(parent) as entries:
            for entry in entries:
                pid = entry.name.removeprefix(PREFIX).split("-")[0]
                if entry.name.startswith(PREFIX) and pid.isdigit() and not alive(int(pid)):
                    Group([entry.path]).remove()


def _empty(folder: str) -> None:
    """SIGKILL every process in ``folder`` until none is left (at most about a second)."""
    for _ in range(100):
        try:
            with open(os.path.join(folder, "cgroup.procs")) as file:
                pids = [int(line) for line in file if line.strip()]
        except OSError:
            return
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)


def _write(path: str, value) -> None:
    with open(path, "w") as file:
        file.write(str(value))
