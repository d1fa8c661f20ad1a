"""Hostile notebooks in the sandbox: each behaviour is a few cells with its expected outcome.

Every test asserts what the grader receives (a :class:`SubmissionRun`) and, where it matters,
that the rest of the notebook still ran (partial credit survives).
"""

import socket
from pathlib import Path

import numpy as np
import pytest
import torch

import course_rnn
from course_rnn.grading.sandbox import Call, Opaque, Ref, Sandbox
from course_rnn.grading.sandbox.modes import bubblewrap_works

REPO = Path(course_rnn.__file__).resolve().parents[1]
PRIVATE = [str(REPO / "solutions"), str(REPO / "tests"), str(REPO), "/root", "/home", "/work"]
BLOCKED = "the course's reference implementations are blocked inside the grader"
SYSTEM = {"bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr"}
needs_bwrap = pytest.mark.skipif(not bubblewrap_works(), reason="bubblewrap does not work here")


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(jobs=2, cell_timeout=1.5) as sandbox:
        yield sandbox


DEFINE_F = "def f(x):\n    return x + 1\n"


def check_rest_ran(run, *, cells_before=1):
    """The cell after the hostile one defined f, and the call to f worked."""
    assert run.calls[0].ok, run.calls[0]
    np.testing.assert_array_equal(run.calls[0].value, np.array([2.0]))
    assert all(index != cells_before + 1 for index, _ in run.cell_errors)


@pytest.mark.parametrize(
    ("hostile", "error"),
    [
        ("while True:\n    pass", "timeout"),
        ("import os\nos._exit(3)", "killed: exit code 3"),
        ("import ctypes\nctypes.string_at(0)", "killed: signal SIGSEGV"),
        ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "killed: signal SIGKILL"),
        ("import sys\nsys.exit()", "SystemExit"),
        ("import sys\nsys.exit(4)", "SystemExit: 4"),
        ("raise KeyboardInterrupt", "KeyboardInterrupt"),
        ("import no_such_module", "ModuleNotFoundError: No module named 'no_such_module'"),
    ],
    ids=["loop", "os_exit", "segfault", "sigkill", "sys_exit", "sys_exit_4", "interrupt", "import"],
)
def test_a_failing_cell_is_recorded_and_the_rest_still_runs(sandbox, hostile, error):
    run = sandbox.run(["x = 1", hostile, DEFINE_F], [Call("f", (np.array([1.0]),))])
    assert run.cell_errors == [(1, error)]
    check_rest_ran(run)


def test_state_from_before_a_killed_cell_survives(sandbox):
    cells = ["a = [1]", "a.append(2)", "import os\na.append(3)\nos._exit(0)", "a.append(4)"]
    run = sandbox.run([*cells, "def get():\n    return a"], [Call("get")])
    assert run.cell_errors == [(2, "killed: exit code 0")]
    assert run.calls[0].value == [1, 2, 4]  # the dead cell's effects are gone, nothing re-ran


def test_many_cells_keep_their_state_in_order(sandbox):
    cells = ["log = []"] + [f"log.append({k})" for k in range(30)] + ["get = lambda: log"]
    run = sandbox.run(cells, [Call("get"), Call("get")])
    assert [r.value for r in run.calls] == [list(range(30))] * 2


def test_hanging_and_dying_calls_fail_alone(sandbox):
    cells = ["import os, time\ndef spin():\n    while True:\n        pass", DEFINE_F]
    cells.append("def die():\n    os._exit(3)")
    calls = [Call("spin", timeout=0.5), Call("f", (np.array([1.0]),)), Call("die"), Call("spin2")]
    run = sandbox.run(cells, [*calls, Call("f", (np.array([1.0]),))])
    assert [r.error for r in run.calls] == [
        "TimeoutError: call exceeded 0.5 s",
        None,
        "worker died (exit code 3)",
        "NameError: spin2 is not defined",
        None,
    ]
    assert run.calls[4].value == pytest.approx([2.0])


def test_a_student_exception_in_a_call_is_reported_with_its_message(sandbox):
    source = "def g(x):\n    print('computing')\n    raise ValueError(f'bad shape {x.shape}')"
    run = sandbox.run([source], [Call("g", (np.zeros((2, 3)),))])
    (result,) = run.calls
    assert result.ok is False
    assert result.error == "ValueError: bad shape (2, 3)"
    assert result.stdout.startswith("computing\n")
    assert "Traceback" in result.stdout


def test_three_gib_allocation_fails_and_normal_numpy_work_succeeds(sandbox):
    cells = [
        "import numpy as np\nbig = np.ones(3 * 2**30, dtype=np.uint8)",
        "raw = bytearray(3 * 2**30)",
        "m = np.ones((1000, 1000)) @ np.ones((1000, 1000))\n" + DEFINE_F,
    ]
    run = sandbox.run(cells, [Call("f", (np.array([1.0]),))])
    assert [index for index, _ in run.cell_errors] == [0, 1]
    assert run.cell_errors[0][1].startswith("MemoryError: Unable to allocate 3.00 GiB")
    assert run.cell_errors[1][1] == "MemoryError"
    check_rest_ran(run)


def test_twenty_megabytes_of_printing_is_truncated(sandbox):
    cells = ["print('x' * 20_000_000)", "for i in range(200_000):\n    print('y' * 99)", DEFINE_F]
    loud = "def loud():\n    print('z' * 20_000_000)\n    return 1"
    run = sandbox.run([*cells, loud], [Call("f", (np.array([1.0]),)), Call("loud")])
    assert run.cell_errors == []
    assert run.stdout.startswith("xxxx")
    assert len(run.stdout) < sandbox.output_limit + 100
    assert "output truncated" in run.stdout
    assert run.calls[1].value == 1
    assert len(run.calls[1].stdout) < sandbox.output_limit + 100
    assert run.seconds < 10
    check_rest_ran(run, cells_before=2)


def test_monkeypatching_inside_cannot_change_what_the_grader_sees(sandbox):
    patch = """
import builtins, sys
import numpy as np
import course_rnn, course_rnn.grading
np.allclose = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
np.array_equal = lambda *a, **k: True
builtins.abs = lambda x: 0
builtins.print = lambda *a, **k: None
course_rnn.grading.check = lambda *a, **k: True
sys.modules["numpy.testing"] = None
def rnn_step_forward(x):
    return x * 0.0 + 7.0
"""
    x = np.linspace(-1, 1, 6).reshape(2, 3)
    run = sandbox.run([patch], [Call("rnn_step_forward", (x,))])
    (result,) = run.calls
    np.testing.assert_array_equal(result.value, np.full((2, 3), 7.0))  # raw, wrong values
    assert not np.allclose(result.value, np.tanh(x))  # the grader's numpy is untouched
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(result.value, np.tanh(x))


def test_nan_results_and_wrong_shapes_come_back_faithfully(sandbox):
    source = """
import numpy as np
def nan_out(x):
    return np.full_like(x, np.nan), float("nan"), np.float32("inf")
def wrong_shape(x):
    return x[:1].T, x.astype(np.float32)
"""
    x = np.arange(6.0).reshape(2, 3)
    run = sandbox.run([source], [Call("nan_out", (x,)), Call("wrong_shape", (x,))])
    out, scalar, inf = run.calls[0].value
    assert out.shape == (2, 3)
    assert np.isnan(out).all()
    assert np.isnan(scalar)
    assert type(inf) is np.float32
    assert np.isinf(inf)
    first, cast = run.calls[1].value
    assert first.shape == (3, 1)
    assert cast.dtype == np.float32


def test_ref_passes_the_students_own_opaque_cache_to_backward(sandbox):
    source = """
import numpy as np
class Cache:
    def __init__(self, x, h_prev, W_ih, W_hh, h):
        self.saved = (x, h_prev, W_ih, W_hh, h)
def rnn_step_forward(x, h_prev, W_ih, W_hh, b):
    h = np.tanh(x @ W_ih.T + h_prev @ W_hh.T + b)
    return h, Cache(x, h_prev, W_ih, W_hh, h)
def rnn_step_backward(dh, cache):
    x, h_prev, W_ih, W_hh, h = cache.saved
    da = dh * (1 - h**2)
    return da @ W_ih, da @ W_hh, da.T @ x, da.T @ h_prev, da.sum(0)
"""
    rng = np.random.default_rng(0)
    x, h0 = rng.standard_normal((4, 3)), rng.standard_normal((4, 5))
    W_ih, W_hh, b = rng.standard_normal((5, 3)), rng.standard_normal((5, 5)), np.zeros(5)
    dh = rng.standard_normal((4, 5))
    calls = [
        Call("rnn_step_forward", (x, h0, W_ih, W_hh, b)),
        Call("rnn_step_backward", (dh, Ref(0, 1))),
    ]
    run = sandbox.run([source], calls)
    h, cache = run.calls[0].value
    assert cache == Opaque("Cache")
    leaves = [torch.tensor(v, requires_grad=True) for v in (x, h0, W_ih, W_hh, b)]
    xt, ht, Wi, Wh, bt = leaves
    (torch.tanh(xt @ Wi.T + ht @ Wh.T + bt) * torch.tensor(dh)).sum().backward()
    np.testing.assert_allclose(h, np.tanh(x @ W_ih.T + h0 @ W_hh.T), rtol=1e-12)
    for got, leaf in zip(run.calls[1].value, leaves, strict=True):  # dx, dh_prev, dW_ih, dW_hh, db
        np.testing.assert_allclose(got, leaf.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_torch_tensors_cross_both_ways(sandbox):
    source = "import torch\ndef double(t):\n    return 2 * t, t.dtype == torch.float32"
    run = sandbox.run([source], [Call("double", (torch.ones(3),))])
    value, was_float32 = run.calls[0].value
    assert isinstance(value, torch.Tensor)
    assert torch.equal(value, torch.full((3,), 2.0))
    assert was_float32 is True


def test_the_course_stub_gives_seeding_and_shapes_but_blocks_references(sandbox):
    cells = [
        "from course_rnn import seed_everything, check_shape, ShapeError\n"
        "from course_rnn.grading import check\n"
        "from course_rnn.grading.selfcheck import check as check2\n"
        "import numpy as np, torch",
        "from course_rnn.numpy_nn import rnn_step_forward",
        "import course_rnn.torch_nn",
        "def draw():\n    seed_everything(5)\n"
        "    return np.random.rand(), torch.rand(1), check(1), check2()",
        "def shapes():\n    return check_shape(np.zeros((2, 3)), 'T B', name='x')",
        "def cheat():\n    from course_rnn.gradcheck import rel_error\n    return rel_error",
        "def cheat2():\n    import course_rnn.train",
    ]
    calls = [Call("draw"), Call("shapes"), Call("cheat"), Call("cheat2")]
    run = sandbox.run(cells, calls)
    assert run.cell_errors == [
        (1, f"ImportError: course_rnn.numpy_nn: {BLOCKED}; write the function yourself"),
        (2, f"ImportError: course_rnn.torch_nn: {BLOCKED}; write the function yourself"),
    ]
    number, tensor, checked, checked2 = run.calls[0].value
    np.random.seed(5)  # noqa: NPY002 - the legacy global generator, as seed_everything seeds it
    torch.manual_seed(5)
    assert number == np.random.rand()  # noqa: NPY002
    assert torch.equal(tensor, torch.rand(1))
    assert checked is None
    assert checked2 is None
    assert run.calls[1].value == {"T": 2, "B": 3}
    assert (
        run.calls[2].error
        == f"ImportError: course_rnn.gradcheck: {BLOCKED}; write the function yourself"
    )
    assert (
        run.calls[3].error
        == f"ImportError: course_rnn.train: {BLOCKED}; write the function yourself"
    )


@needs_bwrap
def test_the_real_package_cannot_be_reached_even_by_undoing_the_stub(sandbox):
    cells = [
        "import importlib.util, sys\norigin = importlib.util.find_spec('course_rnn').origin",
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "sys.meta_path[:] = [m for m in sys.meta_path if 'Block' not in type(m).__name__]\n"
        "for name in [n for n in sys.modules if n.startswith('course_rnn')]:\n"
        "    del sys.modules[name]\n"
        "try:\n"
        "    import __editable___course_rnn_0_1_0_finder as finder\n"
        "    finder.install()\n"
        "except ImportError:\n"
        "    pass\n"
        "from course_rnn.numpy_nn.rnn import rnn_step_forward",
        "def where():\n    return origin",
    ]
    run = sandbox.run(cells, [Call("where")])
    assert run.calls[0].value == "/sandbox/lib/course_rnn/__init__.py"
    ((index, error),) = run.cell_errors
    assert index == 1
    assert error.startswith(("ModuleNotFoundError", "ImportError"))


@needs_bwrap
def test_hidden_tests_solutions_and_home_are_invisible(sandbox):
    probe = f"""
import os
seen = {{"root": sorted(os.listdir("/")), "home": sorted(os.listdir(os.path.expanduser("~")))}}
for path in {PRIVATE!r}:
    try:
        seen[path] = os.listdir(path)
    except OSError as error:
        seen[path] = type(error).__name__
def get():
    return seen
"""
    run = sandbox.run([probe, f"open({str(REPO / 'solutions' / 'README.md')!r})"], [Call("get")])
    seen = run.calls[0].value
    assert set(seen["root"]) <= {*SYSTEM, "dev", "etc", "proc", "sandbox", "tmp"}
    assert seen["home"] == []  # an empty working folder of its own
    for path in PRIVATE:
        assert seen[path] == "FileNotFoundError"
    assert run.cell_errors[0][1].startswith("FileNotFoundError")


@needs_bwrap
def test_writing_outside_the_working_folder_fails(sandbox, tmp_path):
    out = tmp_path / "OUT"
    out.mkdir()
    (out / "grades.csv").write_text("student,total\n")
    write = (
        "import os\n"
        "errors = {}\n"
        f"for path in [{str(out / 'grades.csv')!r}, '/usr/evil', '/sandbox/lib/course_rnn/evil.py',"
        " '/sandbox/site/0/numpy/__init__.py']:\n"
        "    try:\n"
        "        open(path, 'w').write('pwned')\n"
        "        errors[path] = None\n"
        "    except OSError as error:\n"
        "        errors[path] = type(error).__name__\n"
        "open('mine.txt', 'w').write('fine')\n"
        "def get():\n    return errors"
    )
    run = sandbox.run([write], [Call("get")])
    assert run.cell_errors == []
    assert all(error is not None for error in run.calls[0].value.values()), run.calls[0].value
    assert (out / "grades.csv").read_text() == "student,total\n"
    assert sorted(p.name for p in out.iterdir()) == ["grades.csv"]


@needs_bwrap
def test_no_network_connection_reaches_anything(sandbox):
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        cells = [
            "import socket",
            f"socket.create_connection(('127.0.0.1', {port}), timeout=1)",
            "socket.create_connection(('1.1.1.1', 53), timeout=1)",
            "socket.getaddrinfo('example.com', 80)",
        ]
        run = sandbox.run(cells, [])
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected
    errors = dict(run.cell_errors)
    assert errors[1].startswith("PermissionError")  # the seccomp filter: no socket but AF_UNIX
    assert errors[2].startswith("PermissionError")
    assert errors[3].startswith("gaierror")


def test_a_forged_message_ends_that_submission_but_not_the_server(sandbox):
    cells = ["import os\nos.write(3, b'CRS1' + bytes(8) + b'garbage' * 10)", "x = 1"]
    run = sandbox.run(cells, [Call("f")])
    assert run.cell_errors[0][0] == 0
    assert run.cell_errors[1] == (1, "not run: the submission broke its channel (ProtocolError)")
    assert run.calls[0].ok is False
    again = sandbox.run([DEFINE_F], [Call("f", (np.array([1.0]),))])
    assert again.cell_errors == []
    assert again.calls[0].value == pytest.approx([2.0])


def test_ipython_magics_do_not_crash_the_run(sandbox):
    cells = [
        "%matplotlib inline\n!pip install nothing\nx = 1",
        "%%bash\necho hi",
        "%%time\ny = x + 1",
    ]
    run = sandbox.run([*cells, "def get():\n    return y"], [Call("get")])
    assert run.cell_errors == []
    assert run.calls[0].value == 2


def test_text_from_the_sandbox_is_always_encodable(sandbox):
    """V01: lone surrogates and undecodable bytes in messages, output or names cannot crash
    whatever writes them later (feedback, CSV, results.json)."""
    cells = [
        "import os\nos.write(1, b'raw \\xff\\xfe bytes\\n')\nprint('printed \\udcff')",
        "raise ValueError('boom \\ud800')",
        "def bad(x):\n    print('inside \\udfff')\n    raise ValueError('call \\udfff')\n"
        "def names():\n    return {'k\\ud800': 'v\\udc80', 'o': object()}\n",
    ]
    run = sandbox.run(cells, [Call("bad", (1,)), Call("names")])
    bad, names = run.calls
    value = names.value
    texts = [run.stdout, *(e for _, e in run.cell_errors), bad.error, bad.stdout]
    texts += [*value, *(v if isinstance(v, str) else v.type_name for v in value.values())]
    for text in texts:
        text.encode("utf-8")  # raises UnicodeEncodeError for a lone surrogate
    assert run.cell_errors == [(1, "ValueError: boom \\ud800")]
    assert bad.error == "ValueError: call \\udfff"
    assert value["k\\ud800"] == "v\\udc80"
    assert value["o"] == Opaque("object")
    assert "raw \ufffd\ufffd bytes" in run.stdout


def test_pid_1_is_the_server_and_no_namespace_can_be_made_inside(sandbox):
    """V05/V06/V23/V29 as root: pid 1 is the server (no bwrap init with the grader's pipes and
    its host command line), and a submission can neither trace it nor make a user namespace."""
    probe = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
seen = {'cmdline': open('/proc/1/cmdline', 'rb').read().decode(errors='replace')}
for name, how in (('fd/0', 'rb'), ('fd/1', 'wb'), ('mem', 'r+b')):
    try:
        open('/proc/1/' + name, how, buffering=0).close()
        seen[name] = 'opened'
    except OSError as error:
        seen[name] = type(error).__name__
seen['ptrace'] = libc.ptrace(16, 1, 0, 0)
seen['userns'] = libc.unshare(0x10000000)
seen['mountns'] = libc.unshare(0x00020000)
def get():
    return seen
"""
    seen = sandbox.run([probe], [Call("get")]).calls[0].value
    assert "_course_rnn_sandbox.server" in seen["cmdline"]
    assert str(REPO) not in seen["cmdline"]
    assert "/tmp/" not in seen["cmdline"]
    assert {seen["fd/0"], seen["fd/1"], seen["mem"]} == {"PermissionError"}
    assert seen["ptrace"] == seen["userns"] == seen["mountns"] == -1
