"""``course-rnn check``: the released exercises are all "not attempted", the solutions all pass, a
mutant fails at its intended check, and broken, hanging, printing or crashing notebooks still
give the whole table."""

import json
import re
import subprocess
import sys

import nbformat
import pytest
from helpers import EXERCISES, ROOT, SOLUTIONS, function_source, mutate, write_student
from mutants import MUTANTS

from course_rnn.cli import main
from course_rnn.grading.check_command import progress_table
from course_rnn.grading.progress import check_notebook, find_notebooks
from course_rnn.grading.tasks import spec_tasks

pytestmark = pytest.mark.slow  # each notebook runs in a Python process of its own


def rows(report) -> dict:
    """task -> (status, stage, message)."""
    return {t.task: (t.status, t.stage, t.message) for t in report.tasks}


def small_notebook(folder, name: str, cells: list[str]):
    """A notebook of code cells (plain NumPy, no torch: starts fast) at folder/name."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in ["import numpy as np", *cells]]
    path = folder / name
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    return path


def hidden_state_cells() -> list[str]:
    """The four correct functions of the hidden-state exercise, one cell each."""
    return [function_source("hidden_state", t.name) for t in spec_tasks("hidden_state")]


def graded_notebooks(folder) -> dict:
    """notebook path -> its tasks, for the folder's exercise notebooks."""
    return {p: spec_tasks(p.stem) for p in sorted(folder.glob("*.ipynb"))}


def test_released_exercises_are_all_not_attempted(capsys):
    notebooks = graded_notebooks(ROOT / "exercises")
    assert {p.stem for p in notebooks} >= set(EXERCISES)
    assert main(["check", str(ROOT / "exercises")]) == 1  # not everything passes
    out = capsys.readouterr().out
    total = sum(map(len, notebooks.values()))
    assert f"{total} tasks in {len(notebooks)} notebooks: 0 passed, 0 failed, {total} not" in out
    for path, tasks in notebooks.items():
        assert path.name in out
        for task in tasks:
            assert re.search(rf"^.* {task.name} +not attempted$", out, re.MULTILINE)


def test_reference_solutions_all_pass(capsys):
    notebooks = graded_notebooks(SOLUTIONS)
    assert main(["check", str(SOLUTIONS)]) == 0
    out = capsys.readouterr().out
    total = sum(map(len, notebooks.values()))
    assert f"{total} passed, 0 failed, 0 not attempted, 0 errors" in out


@pytest.mark.parametrize(
    "name", ["seq_back_dW_not_accumulated", "affine_not_transposed", "bigram_natural_log"]
)
def test_one_mutant_is_the_one_failure_with_its_first_failing_check(tmp_path, name):
    mutant = next(m for m in MUTANTS if m.name == name)
    folder = write_student(
        tmp_path,
        "ana",
        {mutant.exercise: mutate(mutant.exercise, replace={mutant.function: mutant.source})},
    )
    report = check_notebook(folder / f"{mutant.exercise}.ipynb", timeout=60)
    found = rows(report)
    status, stage, message = found.pop(mutant.function)
    assert (status, stage) == ("failed", mutant.stage), message
    assert mutant.says in message
    assert "If this check fails again" not in message  # the table is not a session
    assert {s for s, _, _ in found.values()} == {"passed"}
    assert f"{stage}: {message[:20]}" in progress_table([report], width=400)


def test_broken_hanging_printing_and_crashing_cells_still_give_the_table(tmp_path):
    step, seq, embed, affine = hidden_state_cells()
    path = small_notebook(
        tmp_path,
        "hidden_state.ipynb",
        [
            step,
            "while True:\n    pass",  # hangs: stopped by the child's timer
            seq.replace("def rnn_forward(", "def rnn_forward(:"),  # a syntax error
            "import os\nos._exit(3)",  # kills the child: a new one skips this cell
            embed,
            affine.replace("return", "while True:\n        pass\n    return", 1),  # hangs in check
            "input('name? ')",
        ],
    )
    report = check_notebook(path, timeout=2)
    found = rows(report)
    assert found["rnn_step_forward"][0] == "passed"
    assert found["embedding_forward"][0] == "passed"
    status, _, message = found["rnn_forward"]
    assert status == "error"
    assert "there is no function named rnn_forward" in message
    assert (
        "cell 4 (`def rnn_forward(:x, h0, W_ih, W_hh, b_i…`), which defines it, failed" in message
    )
    assert "(SyntaxError: invalid syntax (<cell 4>, line 1))" in message
    status, _, message = found["temporal_affine_forward"]
    assert status == "error"
    assert "ran longer than 2 s" in message
    assert "cell 5 (`import os`) stopped Python (exit code 3): skipped" in report.notes
    assert "cell 3 (`while True:`) ran longer than 2 s: stopped" in report.notes


def test_what_the_notebook_prints_stays_out_of_the_output(tmp_path, capfd):
    step, *_ = hidden_state_cells()
    noise = "import os, sys\nfor i in range(10_000):\n    print('noise', i, file=sys.stderr)\n"
    noisy_step = step.replace("return", "print('noise'); os.write(1, b'noise'); return", 1)
    small_notebook(tmp_path, "hidden_state.ipynb", [noise + "    print('noise', i)", noisy_step])
    assert main(["check", str(tmp_path / "hidden_state.ipynb")]) == 1
    out, err = capfd.readouterr()
    assert "noise" not in out + err
    assert re.search(r"^hidden_state.ipynb +rnn_step_forward +passed$", out, re.MULTILINE)


def test_a_check_that_blocks_the_timers_is_killed(tmp_path):
    step, *_ = hidden_state_cells()
    blocker = (
        "import signal\n"
        "def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):\n"
        "    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM, signal.SIGPROF})\n"
        "    while True:\n"
        "        pass\n"
    )
    path = small_notebook(tmp_path, "hidden_state.ipynb", [step, blocker])
    found = rows(check_notebook(path, timeout=1))
    assert found["rnn_step_forward"][0] == "passed"
    assert found["rnn_forward"] == ("error", "", "the check ran longer than 1 s")
    assert found["embedding_forward"][:2] == ("error", "")  # checked by a new child: not defined


def test_a_python_that_cannot_start_the_checks_is_an_error_for_every_task(tmp_path):
    (tmp_path / "course_rnn").mkdir()  # the notebook's folder comes first on the child's path
    (tmp_path / "course_rnn" / "__init__.py").write_text("raise ImportError('broken')\n")
    found = rows(check_notebook(small_notebook(tmp_path, "hidden_state.ipynb", []), timeout=5))
    assert set(found) == {t.name for t in spec_tasks("hidden_state")}
    said = {m for _, _, m in found.values()}
    assert said == {"the checks could not start: Python ended (exit code 1)"}


def test_a_renamed_copy_is_checked_as_its_exercise_and_other_notebooks_are_skipped(
    tmp_path, capsys
):
    step, *_ = hidden_state_cells()
    small_notebook(tmp_path, "hidden_state (1).ipynb", [step, 'check("rnn_step_forward", f)'])
    small_notebook(tmp_path, "scratch.ipynb", ["x = 1"])
    assert main(["check", str(tmp_path), "--timeout", "20"]) == 1
    captured = capsys.readouterr()
    assert "checked as the exercise hidden_state" in captured.out
    assert "skipped" in captured.err
    assert "scratch.ipynb" in captured.err
    assert "1 passed" in captured.out


def test_an_unreadable_notebook_is_an_error_row(tmp_path):
    path = tmp_path / "bptt.ipynb"
    path.write_text("{not json", encoding="utf-8")
    found = rows(check_notebook(path))
    assert set(found) == {t.name for t in spec_tasks("bptt")}
    assert all(s == "error" and "is not valid JSON" in m for s, _, m in found.values())


def test_student_text_is_inert_in_the_table(tmp_path):
    cell = (
        "def rnn_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):\n"
        "    raise ValueError('\\x1b[2J\\u202e wiped')\n"
    )
    report = check_notebook(small_notebook(tmp_path, "hidden_state.ipynb", [cell]), timeout=20)
    table = progress_table([report], verbose=True, width=200)
    assert "\x1b" not in table
    assert "\u202e" not in table
    assert "\\x1b[2J" in table


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["check", "no/such/folder"], "does not exist"),
        (["check", "README.md"], "is not a notebook"),
        (["check", "tests/grading", "--timeout", "0"], "--timeout must be positive"),
        (["check", "tests/grading"], "no exercise notebook"),
    ],
)
def test_nothing_to_check_exits_2_and_says_why(argv, says, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(argv) == 2
    assert says in capsys.readouterr().err


def test_help_documents_the_statuses_and_the_exit_status():
    done = subprocess.run(
        [sys.executable, "-m", "course_rnn", "check", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    text = " ".join(done.stdout.split())
    for needle in ("not attempted", "--timeout", "Exit status: 0 when every task passes, 1"):
        assert needle in text


def test_find_notebooks_takes_files_and_folders_once_each():
    found = find_notebooks([SOLUTIONS, SOLUTIONS / "bptt.ipynb"])
    assert found == sorted(SOLUTIONS.glob("*.ipynb"))
    assert json.loads(found[0].read_text())["cells"]
