"""Confinement modes, concurrency, and a server that dies: what the grader can rely on."""

import os
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from course_rnn.grading.sandbox import Call, Sandbox, SandboxError, confine
from course_rnn.grading.sandbox.confine import bubblewrap_works, choose_mode

LIGHT = {"allow_modules": ("numpy",)}  # these tests need no torch: servers start fast
root_only = pytest.mark.skipif(os.geteuid() != 0, reason="needs the grader to run as root")
SOURCE = "import time\ndef ident(k):\n    return k\n"


@pytest.mark.skipif(not bubblewrap_works(), reason="bubblewrap does not work here")
def test_auto_picks_bubblewrap_where_it_works():
    assert choose_mode("auto") == "bubblewrap"


@pytest.mark.skipif(not bubblewrap_works(), reason="bubblewrap does not work here")
def test_a_regular_install_of_course_rnn_is_hidden_inside(monkeypatch, tmp_path):
    (tmp_path / "course_rnn" / "numpy_nn").mkdir(parents=True)
    (tmp_path / "course_rnn" / "numpy_nn" / "rnn.py").write_text("REFERENCE = 1\n")
    monkeypatch.setattr(confine, "site_dirs", lambda: [str(tmp_path)])
    argv = [
        *confine.bwrap_args(None, tmpfs_mb=16),
        "/usr/bin/ls",
        "-A",
        "/sandbox/site/0/course_rnn",
    ]
    listing = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    assert listing == ""


def test_unknown_or_unavailable_confinement_is_an_error(monkeypatch):
    with pytest.raises(SandboxError, match="confinement must be 'auto' or one of"):
        choose_mode("docker")
    monkeypatch.setattr(confine.os, "geteuid", lambda: 1000)
    with pytest.raises(SandboxError, match="needs the grader to run as root"):
        choose_mode("uid")


def test_two_jobs_run_two_submissions_at_once():
    cells = [SOURCE, "time.sleep(1.0)"]
    with Sandbox(jobs=2, **LIGHT) as sandbox:
        for _ in range(2):
            sandbox.run(["pass"], [])  # both servers ready
        began = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:  # more threads than jobs: they queue
            runs = list(pool.map(lambda k: sandbox.run(cells, [Call("ident", (k,))]), range(4)))
        elapsed = time.perf_counter() - began
    assert [run.calls[0].value for run in runs] == [0, 1, 2, 3]  # no mix-ups
    assert 2.0 <= elapsed < 3.8  # four 1 s runs on two servers, not four in a row


def test_a_dead_server_is_replaced_and_costs_only_its_own_submission():
    with Sandbox(jobs=1, **LIGHT) as sandbox:
        sandbox.run(["pass"], [])
        (server,) = sandbox._servers
        os.killpg(server.process.pid, signal.SIGKILL)  # dies while idle
        server.process.wait()
        run = sandbox.run([SOURCE], [Call("ident", (1,))])
        assert run.calls[0].value == 1

        (server,) = sandbox._servers
        killer = threading.Timer(0.5, os.killpg, (server.process.pid, signal.SIGKILL))
        killer.start()  # dies in the middle of a submission
        run = sandbox.run([SOURCE, "time.sleep(3)", "x = 1"], [Call("ident", (2,))])
        killer.join()
        assert run.cell_errors[0][0] == 1
        assert run.cell_errors[0][1].startswith("not run: sandbox server failed")
        assert run.calls[0].error.startswith("worker died (sandbox server failed")
        assert sandbox.run([SOURCE], [Call("ident", (3,))]).calls[0].value == 3


def test_a_closed_sandbox_refuses_work_and_leaves_nothing_behind():
    sandbox = Sandbox(jobs=1, **LIGHT)
    stage = sandbox._stage.root
    sandbox.run(["pass"], [])
    sandbox.close()
    assert not os.path.exists(stage)
    with pytest.raises(SandboxError, match="closed"):
        sandbox.run(["pass"], [])


@root_only
def test_uid_fallback_confines_by_uid_and_limits():
    probe = (
        "import os\n"
        "def who():\n"
        "    return os.getuid()\n"
        "def poke(pid):\n"
        "    os.kill(pid, 0)\n"
        "def bomb():\n"
        "    while True:\n"
        "        os.fork()\n"
    )
    with Sandbox(confinement="uid", max_processes=8, cell_timeout=2.0, **LIGHT) as sandbox:
        assert sandbox.mode == "uid"
        calls = [Call("who"), Call("poke", (os.getpid(),)), Call("bomb", timeout=2.0), Call("who")]
        run = sandbox.run([probe, "open('/root/secret', 'w')"], calls)
        (uid,) = sandbox.uids
        assert run.calls[0].value == uid
        assert run.calls[1].error == "PermissionError: [Errno 1] Operation not permitted"
        assert run.calls[2].error.startswith(("BlockingIOError", "TimeoutError"))
        assert run.calls[3].value == uid
        assert run.cell_errors[0][1].startswith("PermissionError")
        assert processes_of(uid) == 0


def processes_of(uid: int) -> int:
    count = 0
    for entry in os.listdir("/proc"):
        try:
            count += entry.isdigit() and os.stat(f"/proc/{entry}").st_uid == uid
        except OSError:
            pass
    return count


def test_rlimits_only_still_times_out_and_limits_memory():
    cells = [
        "import numpy as np\nbig = np.ones(3 * 2**30, dtype=np.uint8)",
        "while True:\n    pass",
    ]
    with Sandbox(confinement="rlimits-only", cell_timeout=1.0, **LIGHT) as sandbox:
        assert sandbox.mode == "rlimits-only"
        run = sandbox.run([*cells, "def f(x):\n    return x * 2"], [Call("f", (np.ones(2),))])
    assert run.cell_errors[0][1].startswith("MemoryError")
    assert run.cell_errors[1] == (1, "timeout")
    np.testing.assert_array_equal(run.calls[0].value, [2.0, 2.0])
