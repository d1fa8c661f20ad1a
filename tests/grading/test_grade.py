"""``grade``: full marks for the reference, the intended failure for each mutant, clear feedback
for broken submissions, and outputs in the documented formats. One shared sandbox (conftest)."""

import csv
import json
import re

import nbformat
import pytest
from helpers import EXERCISES, mutate, perfect, solution_notebook, write_student
from mutants import MUTANTS

from course_rnn.grading.grade import GradeSettings, grade

SETTINGS = GradeSettings(jobs=2)


def run_grade(submissions, out, sandbox, solutions):
    return grade(submissions, out, solutions=solutions, settings=SETTINGS, sandbox=sandbox)


def by_student(run):
    return {r.student: r for r in run.results}


def outcomes_of(result):
    return {(t.task, t.kind): t for t in result.tests}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, sandbox, solutions):
    """One grading run over the reference, a stub, every mutant and every broken submission."""
    root = tmp_path_factory.mktemp("grade")
    subs = root / "subs"
    perfect(subs, "reference")
    exercises_dir = solutions.parent / "exercises"
    write_student(subs, "stub", {e: (exercises_dir / f"{e}.ipynb").read_text() for e in EXERCISES})
    for m in MUTANTS:
        write_student(
            subs, m.name, {m.exercise: mutate(m.exercise, replace={m.function: m.source})}
        )
    good_bptt = solution_notebook("bptt")
    write_student(subs, "corrupt", {"hidden_state": '{"cells": [', "bptt": good_bptt})
    write_student(subs, "latin1", {"hidden_state": "café".encode("latin-1"), "bptt": good_bptt})
    write_student(subs, "only_bptt", {"bptt": good_bptt})
    write_student(subs, "empty", {"hidden_state": '{"cells": []}', "bptt": "[]"})
    renamed = write_student(subs, "renamed", {})
    (renamed / "hidden_state (1).ipynb").write_text(
        nbformat.writes(solution_notebook("hidden_state"))
    )
    nb = solution_notebook("hidden_state")
    nb.cells = [c for c in nb.cells if not c.source.startswith("def rnn_forward(")]
    write_student(subs, "no_rnn_forward", {"hidden_state": nb})
    (write_student(subs, "folder_not_file", {}) / "hidden_state.ipynb").mkdir()
    out = root / "out"
    return run_grade(subs, out, sandbox, solutions), out


def test_reference_solutions_earn_full_marks(graded):
    run, _ = graded
    reference = by_student(run)["reference"]
    assert reference.score == reference.max_score == 110
    assert all(t.passed for t in reference.tests)


def test_stub_notebooks_earn_nothing_and_say_why(graded):
    stub = by_student(graded[0])["stub"]
    assert stub.score == 0
    public = [t for t in stub.tests if t.kind == "public"]
    assert all("is not implemented yet" in t.message for t in public)


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_fails_the_intended_check_in_the_grader(graded, mutant):
    result = outcomes_of(by_student(graded[0])[mutant.name])
    public, hidden = result[(mutant.function, "public")], result[(mutant.function, "hidden")]
    assert not public.passed
    assert public.message.startswith(f"{mutant.stage}: ")
    assert mutant.says in public.message
    assert hidden.passed is not mutant.hidden_fails
    assert hidden.message == ("failed" if mutant.hidden_fails else "passed")


@pytest.mark.parametrize(
    ("student", "score", "says"),
    [
        ("corrupt", 19, "hidden_state.ipynb is not valid JSON (line 1, column 12"),
        ("latin1", 19, "hidden_state.ipynb is not UTF-8 text"),
        ("only_bptt", 19, "hidden_state.ipynb is missing from the submission (found: bptt.ipynb)"),
        ("empty", 0, "there is no function named rnn_forward in the notebook"),
        ("renamed", 9, "graded hidden_state (1).ipynb as hidden_state.ipynb"),
        ("no_rnn_forward", 6, "there is no function named rnn_forward in the notebook"),
        ("folder_not_file", 0, "hidden_state.ipynb is missing from the submission"),
    ],
)
def test_broken_submissions_become_clear_feedback(graded, student, score, says):
    run, out = graded
    assert by_student(run)[student].score == score
    assert says in (out / "feedback" / f"{student}.md").read_text()


def test_grades_csv_has_one_row_per_student_and_a_column_per_test(graded):
    run, out = graded
    with (out / "grades.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [r["student"] for r in rows] == sorted(r.student for r in run.results)
    header = list(rows[0])
    assert header[0] == "student"
    assert header[-3:] == ["total", "status", "sandbox"]
    assert "hidden_state/rnn_forward/public" in header
    assert "hidden_state/rnn_forward/hidden" in header
    assert header.index("bptt") == header.index("bptt/clip_grad_norm/hidden") + 1  # its last task
    reference = next(r for r in rows if r["student"] == "reference")
    assert (reference["bptt"], reference["hidden_state"], reference["total"]) == ("19", "9", "110")


def test_results_json_follows_gradescope_format(graded):
    _, out = graded
    data = json.loads((out / "results" / "seq_ignores_h0" / "results.json").read_text())
    assert set(data) == {
        "score",
        "execution_time",
        "output",
        "output_format",
        "test_output_format",
        "visibility",
        "stdout_visibility",
        "extra_data",
        "tests",
    }
    assert (data["output_format"], data["test_output_format"]) == ("text", "text")  # not HTML
    assert set(data["extra_data"]) == {"sandbox", "status"}
    assert data["score"] == sum(t["score"] for t in data["tests"])
    for test in data["tests"]:
        assert set(test) == {"name", "number", "score", "max_score", "output", "tags", "visibility"}
        assert 0 <= test["score"] <= test["max_score"]
    hidden = [t for t in data["tests"] if "(hidden cases)" in t["name"]]
    assert {t["output"] for t in hidden} <= {"passed", "failed"}
    assert {t["visibility"] for t in hidden} == {"after_due_date"}


def test_feedback_of_hidden_tests_says_only_passed_or_failed(graded):
    _, out = graded
    text = (out / "feedback" / "seq_ignores_h0.md").read_text()
    assert "| rnn_forward | failed (0 / 1) | failed (0 / 2) |" in text
    assert not re.search(r"hidden case \d", text)  # nothing about the hidden cases themselves


def test_a_second_run_keeps_every_record(graded, sandbox, solutions, tmp_path):
    run, out = graded
    subs = out.parent / "subs"
    again = run_grade(subs, out, sandbox, solutions)
    assert (again.graded, again.resumed) == (0, len(run.results))
