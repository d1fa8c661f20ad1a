"""Resource limits and leftover processes: fork bombs, daemons, CPU time, files, disk, results.

One small-limit sandbox for the whole module (16 processes, 1 CPU second per step, 1 MiB files,
an 8 MiB /tmp, 1 MiB return values), so a runaway submission stays cheap for this machine.
"""

import os
import subprocess
import time

import numpy as np
import pytest

from course_rnn.grading.sandbox import Call, Sandbox
from course_rnn.grading.sandbox.confine import bubblewrap_works


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
