"""Sandbox modes: ``auto`` is bubblewrap or a clear refusal; weaker modes only by name, announced
before any student code runs, each confining what it claims. Also concurrency and a server that
dies.

The modes this machine does not give directly are tried in a bwrap view of it built as root
(``helpers.run_in_harness``): as the unprivileged user ``nobody`` (non-root bubblewrap, landlock,
rlimits-only), or as root with the Python installation readable by other uids (uid mode).
"""

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from helpers import NOBODY, ROOT, harness_problem, run_in_harness

from course_rnn.grading.sandbox import Call, Sandbox, SandboxError, confine, modes
from course_rnn.grading.sandbox.modes import bubblewrap_works, choose_mode

LIGHT = {"allow_modules": ("numpy",)}  # these tests need no torch: servers start fast
SOURCE = "import time\ndef ident(k):\n    return k\n"
needs_harness = pytest.mark.skipif(harness_problem() is not None, reason=str(harness_problem()))
needs_bwrap = pytest.mark.skipif(not bubblewrap_works(), reason="bubblewrap does not work here")


@pytest.fixture
def shared_tmp():
    """A temporary folder other uids may enter (pytest's own lives under a 0700 folder)."""
    import shutil
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="course-rnn-test-"))
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def harness_json(script: str, **options) -> tuple[dict, str]:
    """Run ``script`` in the harness; (the JSON its last stdout line holds, its stderr)."""
    done = run_in_harness(script, **options)
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert lines, done.stderr[-3000:]
    return json.loads(lines[-1]), done.stderr


@needs_bwrap
def test_auto_picks_bubblewrap_where_it_works():
    assert choose_mode("auto") == "bubblewrap"


@needs_bwrap
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
    monkeypatch.setattr(modes.os, "geteuid", lambda: 0)
    with pytest.raises(SandboxError, match="would run student code as root; use 'uid'"):
        choose_mode("rlimits-only")
    with pytest.raises(SandboxError, match="'landlock' is for a normal user; as root use 'uid'"):
        choose_mode("landlock")
    monkeypatch.setattr(modes.os, "geteuid", lambda: 1000)
    with pytest.raises(SandboxError, match="needs the grader to run as root"):
        choose_mode("uid")


def test_auto_refuses_without_bubblewrap_and_says_how_to_get_it(monkeypatch, tmp_path):
    """V03/V04: no silent fallback to the uid or rlimits-only mode."""
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap at all
    modes.bubblewrap_problem.cache_clear()
    try:
        with pytest.raises(SandboxError, match=r"apt-get install bubblewrap"):
            choose_mode("auto")
        with pytest.raises(SandboxError, match="needs bubblewrap"):
            Sandbox(**LIGHT)  # refused before any server starts
        fake = tmp_path / "bwrap"  # installed, but namespaces are refused (Docker, Gradescope)
        fake.write_text("#!/bin/sh\necho 'bwrap: Creating new namespace failed' >&2\nexit 1\n")
        fake.chmod(0o755)
        modes.bubblewrap_problem.cache_clear()
        with pytest.raises(SandboxError) as refused:
            choose_mode("auto")
        message = str(refused.value)
        assert "Creating new namespace failed" in message
        assert ("--sandbox uid" if os.geteuid() == 0 else "user namespaces") in message
        monkeypatch.setattr(modes.os, "geteuid", lambda: 1000)
        modes.bubblewrap_problem.cache_clear()
        with pytest.raises(SandboxError, match="user namespaces"):
            choose_mode("auto")
    finally:
        modes.bubblewrap_problem.cache_clear()


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


# --- the probe a mode's submissions run, and what each mode must show ------------------------

PROBE = f"""
import ctypes, json, os, signal, socket
SECRETS = {[str(ROOT / "solutions" / "tests" / "secret_seed.txt"), str(ROOT / "README.md")]!r}
def server_pid():
    for entry in os.listdir('/proc'):
        try:
            if b'_course_rnn_sandbox.server' in open(f'/proc/{{entry}}/cmdline', 'rb').read():
                return int(entry)
        except (OSError, ValueError):
            pass
def attempt(action):
    try:
        action()
        return 'done'
    except OSError as error:
        return type(error).__name__
def probe():
    libc = ctypes.CDLL(None, use_errno=True)
    server = server_pid()
    return {{
        'uid': os.getuid(),
        'secrets': [attempt(lambda p=p: open(p).close()) for p in SECRETS],
        'etc': attempt(lambda: open('/etc/passwd').close()),
        'signal_server': attempt(lambda: os.kill(server, 0)) if server else 'unseen',
        'tcp': attempt(lambda: socket.create_connection(('127.0.0.1', 9), timeout=1)),
        'ptrace_server': libc.ptrace(16, server or 1, 0, 0) == 0,
        'write_scratch': attempt(lambda: open('mine.txt', 'w').write('x')),
        'imports': attempt(lambda: __import__('email.mime.text')),
    }}
"""
RUN_PROBE = """
import json, sys
from course_rnn.grading.sandbox import Call, Sandbox
with Sandbox(jobs=1, allow_modules=("numpy",), confinement={mode!r}) as sandbox:
    sys.stderr.write("SANDBOX STARTED\\n")
    run = sandbox.run([{probe!r}], [Call("probe")])
print(json.dumps({{"mode": sandbox.mode, "confinement": sandbox.confinement,
                  "probe": run.calls[0].value, "error": run.calls[0].error}}))
"""


@needs_harness
def test_landlock_mode_keeps_files_signals_and_network_out_and_says_so():
    """For a normal user without user namespaces: Landlock, asked for by name."""
    if modes.landlock.abi() < modes.LANDLOCK_ABI:
        pytest.skip(f"this kernel has Landlock ABI {modes.landlock.abi()}, not 6+")
    seen, stderr = harness_json(RUN_PROBE.format(mode="landlock", probe=PROBE), user=NOBODY)
    assert seen["mode"] == "landlock"
    assert seen["confinement"].startswith("landlock (Landlock ABI")
    announced = stderr.index("course-rnn sandbox: mode 'landlock', weaker than bubblewrap")
    assert announced < stderr.index("SANDBOX STARTED")  # before any student code ran
    probe = seen["probe"]
    assert probe["uid"] == NOBODY
    assert probe["secrets"] == ["PermissionError", "PermissionError"]
    assert probe["etc"] == "PermissionError"
    assert probe["signal_server"] == "PermissionError"  # same uid, other Landlock domain
    assert probe["tcp"] == "PermissionError"
    assert probe["ptrace_server"] is False
    assert probe["write_scratch"] == "done"
    assert probe["imports"] == "done"


@needs_harness
def test_rlimits_only_is_announced_and_still_times_out_and_limits_memory():
    script = """
import json, sys
import numpy as np
from course_rnn.grading.sandbox import Call, Sandbox
cells = ["import numpy as np\\nbig = np.ones(3 * 2**30, dtype=np.uint8)", "while True:\\n    pass",
         "def f(x):\\n    return x * 2"]
with Sandbox(confinement="rlimits-only", cell_timeout=1.0, allow_modules=("numpy",)) as sandbox:
    sys.stderr.write("SANDBOX STARTED\\n")
    run = sandbox.run(cells, [Call("f", (np.ones(2),))])
print(json.dumps({"mode": sandbox.mode, "errors": run.cell_errors,
                  "value": run.calls[0].value.tolist()}))
"""
    seen, stderr = harness_json(script, user=NOBODY)
    assert seen["mode"] == "rlimits-only"
    warning = stderr.index("mode 'rlimits-only', weaker than bubblewrap: student code runs as YOU")
    assert warning < stderr.index("SANDBOX STARTED")
    assert seen["errors"][0][1].startswith("MemoryError")
    assert seen["errors"][1] == [1, "timeout"]
    assert seen["value"] == [2.0, 2.0]


UID_MODE = """
import inspect, json, sys
from course_rnn.grading.sandbox import Call, Sandbox, SandboxError
secrets = {{"secrets": ({solutions!r},)}}
if "secrets" not in inspect.signature(Sandbox).parameters:  # a grader from before the checks
    secrets = {{}}
try:
    sandbox = Sandbox(jobs=1, allow_modules=("numpy",), confinement="uid", max_processes=8,
                      cell_timeout=2.0, **secrets)
except SandboxError as error:
    print(json.dumps({{"refused": str(error)}}))
    sys.exit(0)
with sandbox:
    sys.stderr.write("SANDBOX STARTED\\n")
    (uid,) = sandbox.uids
    bomb = "import os\\ndef bomb():\\n    while True:\\n        os.fork()\\n"
    run = sandbox.run([{probe!r}, bomb, "open('/root/secret', 'w')"],
                      [Call("probe"), Call("bomb", timeout=2.0), Call("probe")])
left = sum(1 for e in __import__("os").listdir("/proc")
           if e.isdigit() and __import__("os").stat(f"/proc/{{e}}").st_uid == uid)
print(json.dumps({{"uid": uid, "probe": run.calls[0].value, "bomb": run.calls[1].error,
                  "after": run.calls[2].value, "cells": run.cell_errors, "left": left,
                  "confinement": sandbox.confinement}}))
"""


@needs_harness
def test_uid_mode_refuses_while_a_secret_is_readable_then_confines_by_uid(shared_tmp):
    """V03: the uid mode runs only when no secret is readable by its uid (0644 files included)."""
    solutions = shared_tmp / "solutions"
    (solutions / "tests").mkdir(parents=True)
    (solutions / "tests" / "secret_seed.txt").write_text("123\n")
    package = shared_tmp / "course_rnn"  # the reference package, private as the docs ask
    subprocess.run(["cp", "-a", str(ROOT / "course_rnn"), str(package)], check=True)
    os.chmod(package, 0o700)
    os.chmod(solutions, 0o711)  # others may cross it but not list it: the 0644 seed is readable
    script = UID_MODE.format(solutions=str(solutions), probe=PROBE)
    binds = [(package, ROOT / "course_rnn")]
    seen, _ = harness_json(script, binds=binds)
    refusal = seen.get("refused", f"not refused: {seen}")
    assert "sandbox mode 'uid' refused: the sandbox uid can read 2 secret path(s)" in refusal
    assert f"chmod -R go-rwx {solutions}" in refusal

    os.chmod(solutions, 0o700)  # as the refusal says: now the mode starts
    seen, stderr = harness_json(script, binds=binds)
    assert "refused" not in seen, seen
    assert stderr.index("mode 'uid', weaker than bubblewrap") < stderr.index("SANDBOX STARTED")
    probe = seen["probe"]
    assert probe["uid"] == seen["uid"] != 0
    assert probe["secrets"][0] == "PermissionError"
    assert probe["signal_server"] in ("PermissionError", "unseen")
    assert probe["tcp"] == "PermissionError"  # the seccomp filter: no Internet sockets
    assert probe["ptrace_server"] is False
    assert seen["bomb"].startswith(("BlockingIOError", "TimeoutError"))
    assert seen["after"]["uid"] == seen["uid"]
    assert seen["cells"][0][1].startswith("PermissionError")
    assert seen["left"] == 0


@needs_harness
def test_uid_mode_refuses_a_python_its_uid_cannot_read(shared_tmp):
    """V27: a site-packages folder (or a pyenv under /root) the uid cannot read is refused."""
    hidden = shared_tmp / "site-packages"
    (hidden / "somepackage").mkdir(parents=True)
    os.chmod(hidden, 0o700)
    script = f"""
import json
from course_rnn.grading.sandbox import Sandbox, SandboxError, confine
confine.site_dirs = lambda: [{str(hidden)!r}]
try:
    Sandbox(confinement="uid", allow_modules=("numpy",))
except SandboxError as error:
    print(json.dumps({{"refused": str(error)}}))
else:
    print(json.dumps({{"started": True}}))
"""
    seen, _ = harness_json(script)
    refusal = seen.get("refused", f"not refused: {seen}")
    assert f"the sandbox uid cannot read {hidden}" in refusal
    assert "readable by other users" in refusal


def test_uid_mode_here_refuses_when_this_python_is_private():
    """V27 on this machine: a Python under a home that others cannot enter is refused at once."""
    if os.geteuid() != 0:
        pytest.skip("the uid mode needs root")
    prefix = os.path.realpath(sys.base_prefix)
    parents = [prefix, *map(str, __import__("pathlib").Path(prefix).parents)]
    if all(os.stat(p).st_mode & stat.S_IXOTH for p in parents):
        pytest.skip("this machine's Python is readable by every uid")
    with pytest.raises(SandboxError, match="an unprivileged uid cannot run this Python"):
        Sandbox(confinement="uid", **LIGHT)


@pytest.mark.skipif(os.geteuid() != 0, reason="the uid mode needs root")
def test_uid_mode_kills_what_a_crashed_grader_left(tmp_path):
    """V15: the uids of a grader that died are recorded; the next grader kills their processes."""
    dead = subprocess.Popen(["true"])
    dead.wait()  # a pid that no longer runs: the crashed grader's
    stage = tmp_path.parent / f"{confine.STAGE_PREFIX}{dead.pid}-crashed"
    stage.mkdir()
    uid = confine.next_uid()
    (stage / "uids").write_text(f"{uid}\n")  # what Stage.record_uid writes
    survivor = subprocess.Popen(  # a submission's daemon, re-parented to init after the crash
        ["sleep", "300"], user=uid, group=uid, extra_groups=[], start_new_session=True
    )
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(confine.tempfile, "gettempdir", lambda: str(tmp_path.parent))
            confine._remove_stale_stages()
        assert survivor.wait(timeout=10) == -signal.SIGKILL
        assert not stage.exists()
    finally:
        survivor.kill()
        survivor.wait()


NON_ROOT_BUBBLEWRAP = """
import json
from course_rnn.grading.sandbox import Call, Sandbox
ATTACK = '''
import ctypes, os, signal
libc = ctypes.CDLL(None, use_errno=True)
tried = {}
for name, path, how in [('fd0', '/proc/1/fd/0', 'rb'), ('fd1', '/proc/1/fd/1', 'wb'),
                        ('mem', '/proc/1/mem', 'r+b')]:
    try:
        open(path, how, buffering=0).close()  # opening is enough: it could read or forge frames
        tried[name] = 'opened'
    except OSError as error:
        tried[name] = type(error).__name__
tried['ptrace'] = 'attached' if libc.ptrace(16, 1, 0, 0) == 0 else 'refused'
tried['userns'] = 'created' if libc.unshare(0x10000000) == 0 else 'refused'
tried['cmdline'] = open('/proc/1/cmdline', 'rb').read().decode(errors='replace')
def get():
    return tried
'''
HONEST = "def double(x):\\n    return 2 * x\\n"
KILL = "import os, signal\\nos.kill(1, signal.SIGKILL)"
with Sandbox(jobs=1, allow_modules=("numpy",)) as sandbox:
    attack = sandbox.run([ATTACK], [Call("get")])
    sandbox.run([KILL], [])  # pid 1 (the server) ignores it
    later = [sandbox.run([HONEST], [Call("double", (k,))]) for k in range(3)]
print(json.dumps({"mode": sandbox.mode, "tried": attack.calls[0].value,
                  "later": [r.calls[0].value for r in later],
                  "errors": [r.cell_errors for r in later]}))
"""


@needs_harness
def test_non_root_bubblewrap_pid_1_cannot_be_reached_by_a_submission():
    """V05/V06/V29/V23: no traceable init holding the grader's pipes; a later grade is intact."""
    seen, _ = harness_json(NON_ROOT_BUBBLEWRAP, user=NOBODY)
    assert seen["mode"] == "bubblewrap"
    tried = seen["tried"]
    assert tried["fd0"] == tried["fd1"] == tried["mem"] == "PermissionError"
    assert tried["ptrace"] == "refused"
    assert tried["userns"] == "refused"
    assert "_course_rnn_sandbox.server" in tried["cmdline"]  # pid 1 is the server itself
    assert str(ROOT) not in tried["cmdline"]
    assert "/tmp/" not in tried["cmdline"]
    assert seen["later"] == [0, 2, 4]
    assert seen["errors"] == [[], [], []]
