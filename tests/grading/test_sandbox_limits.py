"""Resource limits and leftover processes: fork bombs, daemons, CPU time, files, disk, results.

One small-limit sandbox for the whole module (16 processes, 1 CPU second per step, 1 MiB files,
an 8 MiB /tmp, 1 MiB return values), so a runaway submission stays cheap for this machine.
"""

import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from course_rnn.grading.sandbox import Call, Sandbox
from course_rnn.grading.sandbox.modes import bubblewrap_works


@pytest.fixture(scope="module")
def sandbox():
    limits = {"max_processes": 16, "cpu_seconds": 1, "file_mb": 1, "disk_mb": 8, "max_result_mb": 1}
    with Sandbox(jobs=1, cell_timeout=2.0, **limits) as sandbox:
        yield sandbox


def processes_of(uids) -> int:
    """How many processes on this machine run as one of ``uids``."""
    count = 0
    for entry in os.listdir("/proc"):
        try:
            count += entry.isdigit() and os.stat(f"/proc/{entry}").st_uid in uids
        except OSError:
            pass
    return count


def test_submissions_run_as_an_unprivileged_uid(sandbox):
    if os.geteuid() != 0:
        pytest.skip("the grader is not root: submissions keep its uid")
    run = sandbox.run(["import os\ndef ids():\n    return os.getuid(), os.getgid()"], [Call("ids")])
    (uid,) = sandbox.uids
    assert run.calls[0].value == (uid, uid)
    assert uid != 0


def test_every_step_runs_under_the_rlimits(sandbox):
    source = (
        "import resource\n"
        "def limits():\n"
        "    names = ('CPU', 'FSIZE', 'NPROC', 'CORE', 'AS')\n"
        "    return [resource.getrlimit(getattr(resource, 'RLIMIT_' + n)) for n in names]"
    )
    run = sandbox.run([source], [Call("limits")])
    cpu, fsize, nproc, core, address_space = run.calls[0].value
    assert cpu == (1, 2)
    assert fsize == (1 << 20, 1 << 20)
    assert core == (0, 0)
    assert nproc[0] == nproc[1] >= 16  # 16 plus, without a uid of its own, the uid's others
    assert address_space[0] == address_space[1] > 2048 << 20  # 2 GiB beyond the server's maps
    if sandbox.uids:
        assert nproc[0] == 16


@pytest.mark.parametrize(
    "bomb",
    [
        "while True:\n    os.fork()",
        "while True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
    ],
    ids=["plain", "persistent"],
)
def test_a_fork_bomb_is_bounded_and_leaves_nothing(sandbox, bomb):
    if os.geteuid() != 0:
        pytest.skip("the bound on processes per uid is tested where the grader is root")
    run = sandbox.run(["import os", bomb, "def f():\n    return 1"], [Call("f")])
    ((index, error),) = run.cell_errors
    assert index == 1
    assert error in (
        "timeout",
        "killed: signal SIGXCPU (CPU time limit)",
        "BlockingIOError: [Errno 11] Resource temporarily unavailable",
    )
    assert run.calls[0].value == 1  # the rest of the notebook ran
    assert processes_of(sandbox.uids) == 0
    assert subprocess.run(["true"], check=False).returncode == 0  # the machine is fine


def test_a_detached_daemon_is_killed_with_the_submission(sandbox):
    daemon = """
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(1.0)
        open('/tmp/DAEMON_WAS_HERE', 'w').write('alive')
        os._exit(0)
    os._exit(0)
time.sleep(0.1)
"""
    run = sandbox.run([daemon], [])
    assert run.cell_errors == []
    if sandbox.uids:
        assert processes_of(sandbox.uids) == 0
    later = "import os, time\ntime.sleep(1.5)\nseen = os.path.exists('/tmp/DAEMON_WAS_HERE')"
    run = sandbox.run([later, "def get():\n    return seen"], [Call("get")])
    assert run.calls[0].value is False  # it never wrote, not even into the next submission


def test_the_cpu_time_limit_kills_a_step(sandbox):
    run = sandbox.run(["def spin():\n    while True:\n        pass"], [Call("spin", timeout=30)])
    assert run.calls[0].error == "worker died (signal SIGXCPU (CPU time limit))"


def test_file_size_and_disk_are_bounded(sandbox):
    cells = [
        "open('big', 'wb').write(bytes(2 << 20))",
        "for k in range(20):\n    open(f'part{k}', 'wb').write(bytes(900_000))",
        "import os\ndef files():\n    return sorted(os.listdir('.'))[:2]",
    ]
    run = sandbox.run(cells, [Call("files")])
    errors = dict(run.cell_errors)
    assert errors[0] == "OSError: [Errno 27] File too large"
    if bubblewrap_works():  # the sandbox's /tmp is a tmpfs of disk_mb
        assert errors[1] == "OSError: [Errno 28] No space left on device"
    assert run.calls[0].value == ["big", "part0"]


def test_a_too_large_return_value_is_refused_in_the_worker(sandbox):
    source = (
        "import numpy as np\ndef big():\n    return np.zeros(300_000)\ndef small():\n    return 1"
    )
    run = sandbox.run([source], [Call("big"), Call("small")])
    assert run.calls[0].error == (
        "cannot send the return value back: ValueError: the return value is too large to send back"
    )
    assert run.calls[1].value == 1


def test_each_submission_starts_in_an_empty_folder(sandbox):
    first = sandbox.run(["open('left_behind.txt', 'w').write('x')"], [])
    assert first.cell_errors == []
    source = "import os\ndef where():\n    return os.listdir('.'), os.listdir('..')"
    run = sandbox.run([source], [Call("where")])
    here, parent = run.calls[0].value
    assert here == []
    assert len(parent) == 1  # only this submission's folder: the last one was wiped


def test_a_submission_takes_a_fork_not_a_torch_import(sandbox):
    cells = [
        "import numpy as np, torch\nfrom course_rnn import seed_everything\nseed_everything(0)"
    ]
    cells.append("def f(x):\n    return torch.as_tensor(x).tanh().numpy()")
    x = np.linspace(-1, 1, 5)
    sandbox.run(cells, [Call("f", (x,))])
    began = time.perf_counter()
    run = sandbox.run(cells, [Call("f", (x,))])
    assert time.perf_counter() - began < 1.0  # importing torch alone takes over a second
    np.testing.assert_allclose(run.calls[0].value, np.tanh(x))


# --- memory outside RLIMIT_AS, IPC between submissions, CPU between servers -------------------


@pytest.fixture(scope="module")
def small():
    """One server with a 64 MiB budget: anything held beyond it is memory the limits miss."""
    with Sandbox(jobs=1, cell_timeout=5.0, memory_mb=64, allow_modules=("numpy",)) as sandbox:
        yield sandbox


HOLD = """
import ctypes, mmap, os
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
held = {}
def memfd():  # eight of 32 MiB each: every file stays under RLIMIT_FSIZE (64 MiB)
    for k in range(8):
        held[k] = os.memfd_create('hoard')
        for _ in range(32):
            os.write(held[k], bytes(1 << 20))
    return sum(os.fstat(fd).st_size for fd in held.values()) >> 20
def sysv():
    shm = libc.shmget(0, 256 << 20, 0o1600)
    if shm < 0:
        raise PermissionError(ctypes.get_errno(), 'shmget')
    address = libc.shmat(shm, None, 0)
    ctypes.memset(address, 1, 256 << 20)
    return 256
"""


def test_memfds_and_shared_memory_cannot_hold_memory_beyond_the_limit(small):
    """V09: 256 MiB in a memfd or a System V segment, with a 64 MiB budget, is refused."""
    run = small.run([HOLD], [Call("memfd", timeout=10), Call("sysv", timeout=10)])
    for result in run.calls:
        assert not result.ok, result
        assert result.error.startswith("PermissionError"), result.error


LEAVE = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
answers = b'def rnn_step_forward(*args):\\n    return 42\\n'
shm = libc.shmget(0x5EED, 1 << 16, 0o1666)
if shm >= 0:
    address = libc.shmat(shm, None, 0)
    ctypes.memmove(address, len(answers).to_bytes(4, 'little') + answers, 4 + len(answers))
"""
TAKE = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
shm = libc.shmget(0x5EED, 0, 0)
if shm >= 0:
    address = libc.shmat(shm, None, 0)
    size = int.from_bytes(ctypes.string_at(address, 4), 'little')
    exec(ctypes.string_at(address + 4, size).decode(), globals())
def ipc_left():
    return open('/proc/sysvipc/shm').read().count('\\n') - 1
"""


def test_nothing_a_submission_leaves_in_shared_memory_reaches_the_next(small):
    """V10/V11: a classmate's answers left in System V shared memory are not there for the next."""
    small.run([LEAVE], [])
    run = small.run([TAKE], [Call("rnn_step_forward"), Call("ipc_left")])
    assert run.calls[0].error == "NameError: rnn_step_forward is not defined"
    assert run.calls[1].value == 0


def test_the_sweep_removes_the_ipc_objects_a_submission_made():
    """The second line behind the seccomp filter (e.g. on an architecture it does not know)."""
    import ctypes

    from course_rnn.grading.sandbox.ipc import ipc_objects, remove_ipc

    libc = ctypes.CDLL(None, use_errno=True)
    before = ipc_objects()
    made = [libc.shmget(0, 4096, 0o600), libc.semget(0, 1, 0o600), libc.msgget(0, 0o600)]
    assert min(made) >= 0
    assert remove_ipc(before, os.getuid()) == 3
    assert ipc_objects() == before


SPIN = """
import os, time
for _ in range(30):
    if os.fork() == 0:
        os.setsid()  # a session each: with autogroup scheduling, a CPU share each
        while True:
            pass
def cores():
    return sorted(os.sched_getaffinity(0))
"""
WORK = """
import os, time
def work():
    began = time.perf_counter()
    total = 0
    for k in range(3_000_000):
        total += k
    return time.perf_counter() - began, sorted(os.sched_getaffinity(0))
def widen():
    os.sched_setaffinity(0, range(os.cpu_count()))
"""


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPU cores")
def test_busy_processes_of_one_submission_do_not_slow_another():
    """V07: each server has a core of its own, and its submissions cannot leave it."""
    with Sandbox(jobs=2, allow_modules=("numpy",), cell_timeout=10.0) as sandbox:
        for _ in range(2):
            sandbox.run(["pass"], [])
        alone = min(sandbox.run([WORK], [Call("work")]).calls[0].value[0] for _ in range(3))
        with ThreadPoolExecutor(1) as pool:
            busy = pool.submit(sandbox.run, [SPIN, "time.sleep(4)"], [Call("cores")])
            time.sleep(1.0)  # thirty spinners are running on the other server
            run = sandbox.run([WORK], [Call("work"), Call("widen")])
            spinners_cores = busy.result().calls[0].value
    seconds, cores = run.calls[0].value
    assert seconds < 3 * alone + 0.5, (seconds, alone)  # sharing their cores: about 15x slower
    assert len(cores) == 1
    assert set(cores).isdisjoint(spinners_cores)
    assert not run.calls[1].ok  # sched_setaffinity is refused: it cannot leave its core
    assert run.calls[1].error.startswith("PermissionError")
