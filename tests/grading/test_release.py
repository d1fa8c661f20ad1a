"""``course-rnn release``: exercises/ is generated from solutions/ and must never be stale."""

import json
import re

import nbformat
import pytest
from helpers import ROOT, SOLUTIONS

from course_rnn.cli import main
from course_rnn.grading.release import release, render_exercise, stale_exercises
from course_rnn.grading.tasks import spec_tasks

EXERCISES_DIR = ROOT / "exercises"


def test_exercises_folder_is_up_to_date():
    stale = stale_exercises(SOLUTIONS, EXERCISES_DIR)
    assert stale == [], f"stale student notebooks {stale}: run `course-rnn release`"


def test_stale_exercise_is_detected(tmp_path):
    release(SOLUTIONS, tmp_path)
    assert stale_exercises(SOLUTIONS, tmp_path) == []
    path = tmp_path / "bptt.ipynb"
    path.write_text(path.read_text().replace("central", "centrl"))
    (tmp_path / "old.ipynb").write_text("{}")
    assert stale_exercises(SOLUTIONS, tmp_path) == ["bptt.ipynb", "old.ipynb"]


#: Cells with a stub per notebook: one per graded task, plus the cell where the student pastes
#: the functions of the earlier exercises (bptt: the forward passes; language_model: all).
STUB_CELLS = {
    "hidden_state": 4,
    "bptt": 7 + 1,
    "language_model": 6 + 1,
    "lstm": 4,
    "gru": 4,
    "transformers": 4,
    "bidirectional": 4 + 1,
    "sequences": 4,
    "forecasting": 5,
}
#: Answer formulas that the notebooks' text must leave to the student to derive.
ANSWERS = (
    "1 - h_t**2",
    "1 - h_t * h_t",
    "da @ W_hh",
    "da.T @ x_t",
    "da.T @ h_prev",
    "p - one_hot",
    "softmax(o) - one_hot",
    "np.add.at(dE",
    "do @ W_hy",
    "(B, D) @ (D, H)",
    "dc_t + dh_t * o",
    "1 - tanh_c",
    "dc * f",
    "i * (1 - i)",
    "dh_t * z",
    "da_n * r",
    "h_prev - n",
    "transpose(1, 2, 0, 3)",
    "transpose(2, 0, 1, 3)",
    "A[d:] * Bc[:-d]",
    "a[0] * h0 + b[0]",
    "lengths[b] - 1 - t",
    "lengths - 1",
    "dweights - ",
    "scores.max(",
    "== np.arange(V)",
    "np.eye(V)[tokens]",
    "reshape(B, T).T",
    "np.cumsum(lengths)",
    "< lengths[None, :]",
    "% period]",
    "np.arange(horizon) % period",
    "np.abs(actual) + np.abs(forecast)",
    "history[period:] - history[",
    "current[1:]",
    "window[1:]",
    "np.arange(N)[None, :]",
)


@pytest.mark.parametrize("name", sorted(STUB_CELLS))
def test_student_notebook_has_stubs_and_no_solutions(name):
    nb = nbformat.reads(render_exercise(SOLUTIONS / f"{name}.ipynb"), as_version=4)
    nbformat.validate(nb)
    text = json.dumps(nb)
    assert "BEGIN SOLUTION" not in text
    assert "secret_seed" not in text
    assert "GRADED" not in text
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    stubs = [c for c in code if "raise NotImplementedError" in c.source]
    assert len(stubs) == STUB_CELLS[name]
    for cell in stubs:
        assert "raises-exception" in cell.metadata["tags"]
        assert cell.source.startswith("def ")
        assert '    """' in cell.source  # the docstring is kept
        assert cell.source.endswith(
            '    raise NotImplementedError("replace this line with your code")'
        )
    assert set(nb.metadata) <= {"kernelspec", "language_info"}


@pytest.mark.parametrize("name", sorted(STUB_CELLS))
def test_student_notebook_leaves_the_formulas_to_derive(name):
    nb = nbformat.reads(render_exercise(SOLUTIONS / f"{name}.ipynb"), as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert [a for a in ANSWERS if a in text] == []


@pytest.mark.parametrize("name", sorted(STUB_CELLS))
def test_exercise_numbering_restarts_in_every_notebook(name):
    nb = nbformat.reads(render_exercise(SOLUTIONS / f"{name}.ipynb"), as_version=4)
    headings = [
        line for c in nb.cells if c.cell_type == "markdown" for line in c.source.splitlines()
    ]
    numbers = [int(m.group(1)) for h in headings if (m := re.match(r"## Exercise (\d+)\. ", h))]
    assert numbers == list(range(1, len(spec_tasks(name)) + 1))  # one per graded task


def test_the_answer_formulas_test_can_fail():
    assert [a for a in ANSWERS if a in "da = dh_t * (1 - h_t**2) is the gradient"] != []


def test_instructor_cells_and_markdown_answers(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("from course_rnn import seed_everything\nseed_everything(0)"),
        nbformat.v4.new_markdown_cell("Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"),
        nbformat.v4.new_code_cell("secret = 1", metadata={"tags": ["instructor"]}),
        nbformat.v4.new_code_cell(
            "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"
        ),
        nbformat.v4.new_code_cell("print(f())"),
    ]
    nbformat.write(nb, tmp_path / "demo.ipynb")
    out = nbformat.reads(render_exercise(tmp_path / "demo.ipynb"), as_version=4)
    assert [c.source for c in out.cells][1] == "Why?\n*Your answer here.*"
    assert "secret" not in json.dumps(out)
    assert out.cells[3].metadata["tags"] == ["raises-exception"]  # calls the stubbed f


def test_malformed_region_names_the_notebook_and_cell(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("### BEGIN SOLUTION\nx = 1")]
    nbformat.write(nb, tmp_path / "demo.ipynb")
    with pytest.raises(ValueError, match=r"demo.ipynb, cell 0: ### BEGIN SOLUTION without"):
        release(tmp_path, tmp_path / "out")


def test_release_command_writes_every_notebook(tmp_path, capsys):
    assert main(["release", "--solutions", str(SOLUTIONS), "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "bidirectional.ipynb",
        "bptt.ipynb",
        "forecasting.ipynb",
        "gru.ipynb",
        "hidden_state.ipynb",
        "language_model.ipynb",
        "lstm.ipynb",
        "sequences.ipynb",
        "transformers.ipynb",
    ]
    assert "wrote" in capsys.readouterr().out


def test_release_without_notebooks_fails_clearly(tmp_path, capsys):
    assert main(["release", "--solutions", str(tmp_path), "--out", str(tmp_path / "x")]) == 2
    assert "no notebooks in" in capsys.readouterr().err


def test_hidden_tests_and_seed_are_not_in_the_package_or_the_exercises():
    seed = (SOLUTIONS / "tests" / "secret_seed.txt").read_text().strip()
    shipped = [*(ROOT / "course_rnn").rglob("*.py"), *EXERCISES_DIR.glob("*")]
    leaks = [p for p in shipped if "GRADED = [" in p.read_text() or seed in p.read_text()]
    assert leaks == []
