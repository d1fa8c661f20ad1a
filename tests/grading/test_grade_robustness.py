"""One hostile class through ``grade``: each attack of the security review (issue 9) costs only
the attacker, leaks nothing hidden and reaches the instructor's files inert.

Most students submit only hidden_state.ipynb; their scores are compared with the ``reference``
student's (the instructor notebooks), so the tests hold whatever the exercises' points are."""

import json
import os
import re
import subprocess
import sys
import time

import nbformat
import pytest
from helpers import ROOT, mutate, perfect, solution_notebook, write_student

from course_rnn.grading.grade import GradeSettings, grade
from course_rnn.grading.plan import plan_exercise
from course_rnn.grading.tasks import load_exercises, read_seed

SETTINGS = GradeSettings(jobs=2, cell_timeout=2.0)
ESCAPES = "\x1b]0;TERMINAL-TITLE\x07\x1b[2J\x1b[31mfake\x1b[0m"
STEP = "rnn_step_forward"
STEP_ARGS = "x_t, h_prev, W_ih, W_hh, b_ih, b_hh"

#: The review's frame-walking attack (V13): the last probe of every task the batch was given,
#: read from the caller's frame, shown in the function's own error message.
FRAME_WALK = f"""
def {STEP}({STEP_ARGS}):
    import sys
    f = sys._getframe(1)
    while f is not None and "tasks" not in f.f_locals:
        f = f.f_back
    seen = []
    for name, _, _, probes in f.f_locals["tasks"]:
        first = next(a for a in probes[-1] if hasattr(a, "shape"))
        seen.append(f"{{name}}={{float(first.flat[0]):.10g}}")
    raise ValueError("LEAK " + " ".join(seen))
"""
#: The same from a cell: the grader's calls are objects in the worker's memory.
GC_WALK = """
import gc
_seen = []
for _o in gc.get_objects():
    if type(_o).__name__ == "Call" and _o.function == "course_rnn_grader_batch":
        for _name, _, _, _probes in _o.args[0]:
            _first = next(a for a in _probes[-1] if hasattr(a, "shape"))
            _seen.append(f"{_name}={float(_first.flat[0]):.10g}")
if _seen:
    raise ValueError("GCLEAK " + " ".join(_seen))
"""
#: V07: slow in wall-clock time (sleeping), cheap in CPU time: on its first call with the public
#: fixture's sizes (B, D) = (3, 2), that is in the grader's first probe, not in a notebook cell.
SLEEPY = f"""
_calls = []
def {STEP}({STEP_ARGS}):
    import time
    if not _calls and x_t.shape == (3, 2):
        _calls.append(1)
        time.sleep(2.5)
    return np.tanh(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)
"""


def hidden_state_only(subs, name, nb):
    return write_student(subs, name, {"hidden_state": nb})


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory, sandbox, solutions):
    """One grading run over the reference and every attack; returns (run, out, subs)."""
    root = tmp_path_factory.mktemp("hostile_class")
    subs, out = root / "subs", root / "out"
    perfect(subs, "reference")
    hidden_state_only(subs, "reference_hs", solution_notebook("hidden_state"))
    surrogate = f"def {STEP}({STEP_ARGS}):\n    raise ValueError('boom \\ud800 \\x1b[2J \\u202e')\n"
    hidden_state_only(subs, "mallory", mutate("hidden_state", replace={STEP: surrogate}))
    wrong = f"def {STEP}({STEP_ARGS}):\n    return 0 * h_prev\n"
    hidden_state_only(subs, "wrong_step", mutate("hidden_state", replace={STEP: wrong}))
    os.mkdir(os.fsencode(subs) + b"/stud\xffent")
    perfect(subs, os.fsdecode(b"stud\xffent"))
    nested = os.fsencode(subs) + b"/nested/sub\xff"
    os.makedirs(nested)
    with open(nested + b"/hidden_state.ipynb", "w") as f:
        f.write(nbformat.writes(solution_notebook("hidden_state")))
    for name in (ESCAPES, "-rf", "x;=2+5;", "alice\t=1+2"):
        hidden_state_only(subs, name, solution_notebook("hidden_state"))
    timed = solution_notebook("hidden_state")
    for cell in timed.cells:
        if cell.cell_type == "code":
            cell.source = "%%time\n" + cell.source
    hidden_state_only(subs, "time_magic", timed)
    hidden_state_only(subs, "leak_frames", mutate("hidden_state", replace={STEP: FRAME_WALK}))
    hidden_state_only(subs, "leak_gc", mutate("hidden_state", insert=[GC_WALK]))
    hidden_state_only(subs, "sleepy", mutate("hidden_state", replace={STEP: SLEEPY}))
    hidden_state_only(subs, "deep_json", "[" * 100_000 + "]" * 100_000)
    hidden_state_only(subs, "big_int", '{"cells": [], "n": ' + "7" * 5000 + "}")
    sparse = hidden_state_only(subs, "sparse", "") / "hidden_state.ipynb"
    os.truncate(sparse, 40 << 30)  # 40 GiB, a few bytes on disk
    for name in (".dotted", "__MACOSX"):
        hidden_state_only(subs, name, solution_notebook("hidden_state"))
    run = grade(subs, out, solutions=solutions, settings=SETTINGS, sandbox=sandbox)
    return run, out, subs


def result_of(run, name):
    return next(r for r in run.results if r.student == name)


def feedback(out, result):
    return (out / "feedback" / f"{result.key}.md").read_text(encoding="utf-8")


def test_a_lone_surrogate_costs_only_its_student(hostile_class):
    run, out, _ = hostile_class
    mallory = result_of(run, "mallory")
    assert mallory.score == result_of(run, "wrong_step").score
    assert result_of(run, "reference").score > result_of(run, "wrong_step").score
    text = feedback(out, mallory)
    assert "boom" in text
    assert "\x1b" not in text
    assert "\u202e" not in text
    assert len({r.student for r in run.results}) == len(run.results)


def test_names_that_are_not_utf8_are_shown_escaped(hostile_class):
    run, out, _ = hostile_class
    names = {r.student for r in run.results}
    assert "stud\\xffent" in names
    assert result_of(run, "stud\\xffent").score == result_of(run, "reference").score
    assert "stud\\xffent" in (out / "grades.csv").read_text(encoding="utf-8")
    nested = result_of(run, "nested")
    assert "graded sub\\xff/hidden_state.ipynb as hidden_state.ipynb" in feedback(out, nested)


def test_control_characters_never_reach_the_instructor_raw(hostile_class):
    run, out, _ = hostile_class
    shown = ESCAPES.replace("\x1b", "\\x1b").replace("\x07", "\\x07")
    assert shown in {r.student for r in run.results}
    for path in [out / "grades.csv", *out.rglob("*.md"), *out.rglob("*.json")]:
        text = path.read_text(encoding="utf-8")
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text), path


def test_grades_csv_is_quoted_and_formula_safe(hostile_class):
    _, out, _ = hostile_class
    lines = (out / "grades.csv").read_text(encoding="utf-8").splitlines()
    assert all(line.startswith('"') and line.endswith('"') for line in lines)
    for separator in (",", ";", "\t"):
        for line in lines:
            for field in line.split(separator):
                assert not field.strip('" ').startswith(("=", "+", "-", "@")), (separator, line)


def test_keys_never_start_with_a_dash_or_a_dot(hostile_class):
    run, out, _ = hostile_class
    assert result_of(run, "-rf").key == "_rf"
    assert all(not p.name.startswith(("-", ".")) for p in (out / "feedback").iterdir())


def test_time_cell_magic_runs_its_body(hostile_class):
    run, _, _ = hostile_class
    assert result_of(run, "time_magic").score == result_of(run, "reference_hs").score


def test_hidden_inputs_never_reach_any_feedback(hostile_class, solutions):
    run, out, _ = hostile_class
    plan = next(
        plan_exercise(e, read_seed(solutions))
        for e in load_exercises(solutions)
        if e.name == "hidden_state"
    )
    hidden = set()
    for tp in plan.tasks:
        for probe in tp.hidden:
            first = next(a for a in probe.args if hasattr(a, "shape"))
            if first.dtype.kind == "f":  # drawn from the secret seed
                hidden.add(f"{tp.task.name}={float(first.flat[0]):.10g}")
    assert hidden
    for name, mark in (("leak_frames", "LEAK "), ("leak_gc", "GCLEAK ")):
        result = result_of(run, name)
        shown = feedback(out, result) + (out / "results" / result.key / "results.json").read_text()
        assert mark in shown  # the attack ran, and its public-run message is shown
        assert not [value for value in hidden if value in shown]


def test_probe_limits_count_cpu_time_not_sleep(hostile_class):
    run, _, _ = hostile_class
    sleepy = {(t.task, t.kind): t for t in result_of(run, "sleepy").tests}
    assert sleepy[(STEP, "public")].passed, sleepy[(STEP, "public")].message
    assert sleepy[(STEP, "hidden")].passed


@pytest.mark.parametrize(
    ("student", "says"),
    [
        ("deep_json", "is JSON nested too deeply"),
        ("big_int", "holds JSON that Python refuses to read"),
        ("sparse", "is 42,949,672,960 bytes; the limit is 20,000,000"),
    ],
)
def test_odd_notebooks_get_a_clear_note(hostile_class, student, says):
    run, out, _ = hostile_class
    result = result_of(run, student)
    assert says in feedback(out, result)
    assert "internal grader error" not in feedback(out, result)


def test_skipped_folders_are_reported(hostile_class):
    run, _, _ = hostile_class
    assert ".dotted" not in {r.student for r in run.results}
    warnings = "\n".join(run.warnings)
    assert "'.dotted'" in warnings
    assert "hidden folder" in warnings
    assert "'__MACOSX'" in warnings


def test_every_result_file_names_the_sandbox_mode(hostile_class, sandbox):
    run, out, _ = hostile_class
    reference = result_of(run, "reference")
    assert reference.mode == sandbox.mode
    results = json.loads((out / "results" / "reference" / "results.json").read_text())
    assert results["extra_data"]["sandbox"] == sandbox.mode
    assert (results["output_format"], results["test_output_format"]) == ("text", "text")
    assert f"Graded in the sandbox mode `{sandbox.mode}`" in feedback(out, reference)
    header, *rows = (out / "grades.csv").read_text().splitlines()
    assert header.endswith('"total","status","sandbox"')
    row = next(row for row in rows if row.startswith('"reference",'))
    assert row.endswith(f'"final","{sandbox.mode}"')


def test_a_fingerprint_never_reads_a_huge_notebook(tmp_path):
    """V12, without the sandbox: fingerprint and read a sparse 40 GiB notebook under a 2 GiB
    address-space limit (reading it whole would raise MemoryError)."""
    folder = tmp_path / "subs" / "ana"
    folder.mkdir(parents=True)
    (folder / "hidden_state.ipynb").touch()
    os.truncate(folder / "hidden_state.ipynb", 40 << 30)
    code = f"""
import hashlib, resource
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
from course_rnn.grading.grade import _fingerprint
from course_rnn.grading.notebook import NotebookError, read_code_cells
from course_rnn.grading.submissions import find_students
from course_rnn.grading.tasks import load_exercises
student = find_students({str(tmp_path / "subs")!r})[0]
class Plan:
    def __init__(self, e):
        self.exercise = e
plans = [Plan(e) for e in load_exercises({str(ROOT / "solutions")!r})]
print(_fingerprint(student, plans, hashlib.sha256()))
try:
    read_code_cells(student.folder / "hidden_state.ipynb")
except NotebookError as err:
    print(err)
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "is 42,949,672,960 bytes; the limit is 20,000,000" in done.stdout


class CountingSandbox:
    """A sandbox that counts its runs (and forwards everything else)."""

    def __init__(self, sandbox):
        self.sandbox, self.runs = sandbox, 0

    def __getattr__(self, name):
        return getattr(self.sandbox, name)

    def run(self, cells, calls):
        self.runs += 1
        return self.sandbox.run(cells, calls)


#: V08: a cell that makes compiling the grader's own cell fail (through a profile hook, since
#: the cell runner keeps the real ``compile``), followed by slow cells.
BREAK_GRADER_CELL = """
import sys
def _hook(frame, event, arg):
    source = str(frame.f_locals.get("source"))
    if event == "c_call" and arg is compile and "def course_rnn_" + "grader_batch" in source:
        raise RuntimeError("the grader's cell is broken")
sys.setprofile(_hook)
"""


def test_a_broken_grader_cell_is_not_graded_again_and_again(tmp_path, sandbox, solutions):
    subs = tmp_path / "subs"
    slow = ["import time\ntime.sleep(0.2)"] * 5
    hidden_state_only(subs, "breaker", mutate("hidden_state", insert=[BREAK_GRADER_CELL, *slow]))
    counting = CountingSandbox(sandbox)
    run = grade(subs, tmp_path / "out", solutions=solutions, settings=SETTINGS, sandbox=counting)
    assert counting.runs == 1  # the public run only: no slower way, no hidden run
    result = run.results[0]
    assert result.score == 0
    assert result.final
    assert "the grader's own cell failed after your cells ran" in feedback(tmp_path / "out", result)


def test_a_sleeping_notebook_costs_at_most_its_budget(tmp_path, sandbox, solutions):
    subs = tmp_path / "subs"
    sleepers = ["import time\ntime.sleep(60)"] * 30
    hidden_state_only(subs, "sleeper", mutate("hidden_state", insert=sleepers))
    settings = GradeSettings(jobs=1, cell_timeout=1.0, notebook_seconds=12, student_seconds=30)
    start = time.monotonic()
    run = grade(subs, tmp_path / "out", solutions=solutions, settings=settings, sandbox=sandbox)
    assert time.monotonic() - start < 12 + 10  # the budget, and margins
    result = run.results[0]
    assert not result.final
    text = feedback(tmp_path / "out", result)
    assert "time budget" in text
    assert "provisional" in text


def test_one_student_failing_inside_the_grader_costs_only_that_student(
    tmp_path, sandbox, solutions, monkeypatch
):
    from course_rnn.grading import grade as grade_module

    subs, out = tmp_path / "subs", tmp_path / "out"
    perfect(subs, "ana")
    perfect(subs, "bad")
    original = grade_module.grade_student

    def failing(student, *args, **kwargs):
        if student.name == "bad":
            raise RuntimeError("a grader bug")
        return original(student, *args, **kwargs)

    monkeypatch.setattr(grade_module, "grade_student", failing)
    run = grade(subs, out, solutions=solutions, settings=SETTINGS, sandbox=sandbox)
    ana, bad = run.results
    assert ana.score > 0
    assert ana.final
    assert (bad.score, bad.final) == (0, False)
    assert "internal grader error (RuntimeError)" in feedback(out, bad)

    def unwritable(out, result):
        raise OSError(28 if result.student == "ana" else 0, "a write that fails")

    monkeypatch.setattr(grade_module, "grade_student", original)
    monkeypatch.setattr(grade_module, "write_student", unwritable)
    run = grade(
        subs, out, solutions=solutions, settings=SETTINGS, sandbox=sandbox, regrade_all=True
    )
    assert [r.final for r in run.results] == [False, False]
    assert "could not write" in run.results[0].trouble[0]


def test_the_default_seed_has_128_bits(solutions):
    assert read_seed(solutions) >= 1 << 100


def test_the_timeouts_of_a_run_fit_its_budget():
    from course_rnn.grading.runs import fit_timeouts

    cells = [(21.0, 6.0)] * 4  # three student cells, then the grader's: (wanted, floor)
    tasks = [(33.0, 7.0)]
    assert fit_timeouts(cells, tasks, 200) == ([21.0] * 4 + [33.0], 0)
    shrunk, dropped = fit_timeouts(cells, tasks, 60)
    assert dropped == 0
    assert sum(shrunk) == pytest.approx(60)
    assert all(f <= t <= w for t, (w, f) in zip(shrunk, cells + tasks, strict=True))
    assert fit_timeouts(cells, tasks, 26) == ([6.0, 6.0, 6.0, 7.0], 1)  # the last student cell
    assert fit_timeouts(cells, tasks, 10) == (None, 0)
