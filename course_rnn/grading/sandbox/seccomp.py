"""A seccomp filter that a submission's first process installs on itself (every mode).

Bubblewrap already gives a submission its own namespaces; this filter removes, in every mode,
the kernel interfaces through which one submission could reach another, the server or the
grader, and that no notebook of this course needs:

- ``ptrace``, ``process_vm_readv/writev``, ``process_madvise``, ``pidfd_getfd``: no tracing,
  reading or writing another process's memory or file descriptors (bubblewrap's pid 1 or the
  server, in the modes where they share the submission's uid);
- ``unshare``, ``setns``, namespace flags of ``clone`` (``clone3`` answers ENOSYS, so the C
  library falls back to ``clone``), the mount API: no nested user namespace (extra kernel attack
  surface, own mounts);
- System V shared memory, semaphores and message queues, POSIX message queues and
  ``memfd_create``: nothing that outlives the submission's processes or holds memory outside
  ``RLIMIT_AS`` (a classmate's answers left in shared memory, gigabytes in a memfd);
- ``sched_setaffinity``: a submission stays on the CPU core its server was given;
- ``socket`` outside ``AF_UNIX``: no network even where the sandbox shares the host's;
- keyrings, ``bpf``, ``perf_event_open``, ``userfaultfd``, io_uring: kernel attack surface.

Each denied call fails with EPERM (the student sees a ``PermissionError``). The filter is classic
BPF built here, without libseccomp; it is evaluated on every system call, which costs tens of
nanoseconds (``benchmarks/bench_sandbox.py`` measures a whole submission with and without it).
Known for x86_64 and aarch64; elsewhere :func:`install` returns False and installs nothing.
This file is copied into the sandbox, so it imports only the standard library.
"""

import ctypes
import errno
import platform

PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
X32_SYSCALL_BIT = 0x40000000
AF_UNIX = 1
#: CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET
CLONE_NAMESPACES = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000
CLONE_NAMESPACES |= 0x20000000 | 0x40000000

DENIED = (
    "ptrace process_vm_readv process_vm_writev process_madvise pidfd_getfd "
    "unshare setns mount umount2 pivot_root open_tree move_mount fsopen fsconfig fsmount fspick "
    "mount_setattr shmget shmat shmdt shmctl semget semop semtimedop semctl msgget msgsnd msgrcv "
    "msgctl mq_open mq_unlink memfd_create memfd_secret sched_setaffinity keyctl add_key "
    "request_key bpf perf_event_open userfaultfd io_uring_setup io_uring_enter io_uring_register"
).split()

#: System call numbers (from the kernel's syscall tables) of the calls the filter looks at.
NUMBERS = {
    machine: {name: int(number) for name, number in zip(*[iter(table.split())] * 2, strict=True)}
    for machine, table in {
        "x86_64": """
    ptrace 101 process_vm_readv 310 process_vm_writev 311 process_madvise 440
    pidfd_getfd 438 unshare 272 setns 308 mount 165 umount2 166 pivot_root 155 open_tree 428
    move_mount 429 fsopen 430 fsconfig 431 fsmount 432 fspick 433 mount_setattr 442
    shmget 29 shmat 30 shmdt 67 shmctl 31 semget 64 semop 65 semtimedop 220 semctl 66
    msgget 68 msgsnd 69 msgrcv 70 msgctl 71 mq_open 240 mq_unlink 241 memfd_create 319
    memfd_secret 447 sched_setaffinity 203 keyctl 250 add_key 248 request_key 249 bpf 321
    perf_event_open 298 userfaultfd 323 io_uring_setup 425 io_uring_enter 426
    io_uring_register 427 clone 56 clone3 435 socket 41 socketpair 53
""",
        "aarch64": """
    ptrace 117 process_vm_readv 270 process_vm_writev 271 process_madvise 440
    pidfd_getfd 438 unshare 97 setns 268 mount 40 umount2 39 pivot_root 41 open_tree 428
    move_mount 429 fsopen 430 fsconfig 431 fsmount 432 fspick 433 mount_setattr 442
    shmget 194 shmat 196 shmdt 197 shmctl 195 semget 190 semop 193 semtimedop 192 semctl 191
    msgget 186 msgsnd 189 msgrcv 188 msgctl 187 mq_open 180 mq_unlink 181 memfd_create 279
    memfd_secret 447 sched_setaffinity 122 keyctl 219 add_key 217 request_key 218 bpf 280
    perf_event_open 241 userfaultfd 282 io_uring_setup 425 io_uring_enter 426
    io_uring_register 427 clone 220 clone3 435 socket 198 socketpair 199
""",
    }.items()
}

# Classic BPF opcodes and seccomp return values (linux/filter.h, linux/seccomp.h)
LD_W_ABS, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06
RET_ALLOW, RET_ERRNO = 0x7FFF0000, 0x00050000
OFFSET_NR, OFFSET_ARCH, OFFSET_ARG0 = 0, 4, 16  # in struct seccomp_data (arg0's low 32 bits)


class _Instruction(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_ushort),
        ("jt", ctypes.c_ubyte),
        ("jf", ctypes.c_ubyte),
        ("k", ctypes.c_uint32),
    ]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Instruction))]


def supported() -> bool:
    """Whether this machine's architecture has a filter here."""
    return platform.machine() in NUMBERS


def program(machine: str) -> list[tuple[int, int, int, int]]:
    """The filter for ``machine`` as ``(code, jump if true, jump if false, k)`` instructions."""
    numbers, arch = NUMBERS[machine], AUDIT_ARCH[machine]
    deny, enosys, allow = "deny", "enosys", "allow"  # labels of the three final returns
    code = [
        (LD_W_ABS, 0, 0, OFFSET_ARCH),
        (JEQ, 0, deny, arch),  # another ABI (i386 int 0x80 on x86_64): refuse everything
        (LD_W_ABS, 0, 0, OFFSET_NR),
    ]
    if machine == "x86_64":
        code.append((JGE, deny, 0, X32_SYSCALL_BIT))  # the x32 ABI's numbers
    code += [(JEQ, deny, 0, numbers[name]) for name in DENIED]
    code += [
        (JEQ, enosys, 0, numbers["clone3"]),
        (JEQ, 0, "not-clone", numbers["clone"]),
        (LD_W_ABS, 0, 0, OFFSET_ARG0),
        (JSET, deny, allow, CLONE_NAMESPACES),
        ("not-clone",),
        (JEQ, "family", 0, numbers["socket"]),
        (JEQ, "family", allow, numbers["socketpair"]),
        ("family",),
        (LD_W_ABS, 0, 0, OFFSET_ARG0),
        (JEQ, allow, deny, AF_UNIX),
        (allow,),
        (RET, 0, 0, RET_ALLOW),
        (deny,),
        (RET, 0, 0, RET_ERRNO | errno.EPERM),
        (enosys,),
        (RET, 0, 0, RET_ERRNO | errno.ENOSYS),
    ]
    return _resolve(code)


def _resolve(code: list) -> list[tuple[int, int, int, int]]:
    """Replace label names in jumps by relative offsets; drop the ``(label,)`` markers."""
    positions, instructions = {}, []
    for item in code:
        if len(item) == 1:
            positions[item[0]] = len(instructions)
        else:
            instructions.append(item)
    resolved = []
    for index, (op, jt, jf, k) in enumerate(instructions):
        jumps = [positions[j] - index - 1 if isinstance(j, str) else j for j in (jt, jf)]
        if not all(0 <= j < 256 for j in jumps):
            raise ValueError("seccomp: jump out of range")
        resolved.append((op, *jumps, k))
    return resolved


def install() -> bool:
    """Install the filter on this process (inherited by every child); False if unsupported.

    Needs ``PR_SET_NO_NEW_PRIVS`` (or ``CAP_SYS_ADMIN``) first.

    Raises:
        OSError: the kernel refused the filter.
    """
    if not supported():
        return False
    code = program(platform.machine())
    array = (_Instruction * len(code))(*[_Instruction(*i) for i in code])
    prog = _Program(len(code), array)
    libc = ctypes.CDLL(None, use_errno=True)
    mode, zero = ctypes.c_ulong(SECCOMP_MODE_FILTER), ctypes.c_ulong(0)
    if libc.prctl(PR_SET_SECCOMP, mode, ctypes.byref(prog), zero, zero) != 0:
        raise OSError(ctypes.get_errno(), "seccomp: the kernel refused the filter")
    return True
