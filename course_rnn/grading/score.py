"""Scoring a student's notebooks: run them in the sandbox, then judge every task in this process.

A notebook that cannot be read, a cell that fails or hangs, a missing function, an exception, a
timeout, a malformed value: each becomes a line of feedback and a score of 0 for what it affects,
never an exception out of the grader. Values from the worker are judged as data only
(``compare.py``); a task whose function calls course_rnn's blocked reference implementation gets 0
for its public and hidden tests, with the reason.

Hidden cases stay hidden: every notebook of a student first runs with its public probes (whose
messages and cell errors the student sees), and only then, in separate sandbox runs, with its
hidden probes. Of a hidden run the grader keeps only whether each task passed; no text a
submission produced in it (messages, cell errors, output) is ever shown, since it may hold the
hidden inputs.

Each notebook has a wall-clock budget, half for each run, within the student's own deadline
(``runs.py``). A result that a timeout, a killed worker, an engine failure or a spent budget
decided carries ``trouble``: it is written, but not kept as final.
"""

from dataclasses import dataclass, field
from pathlib import Path

from course_rnn.grading.compare import BLOCKED, Outcome, evaluate_public, passes_hidden
from course_rnn.grading.notebook import CodeCell, NotebookError, read_code_cells
from course_rnn.grading.plan import ExercisePlan, TaskPlan
from course_rnn.grading.runs import Budget, Run, run_notebook

MAX_NOTES = 8
_NOTE_CHARS = 300


@dataclass(frozen=True)
class TestResult:
    """One graded test: the public checks or the hidden cases of one task."""

    exercise: str
    task: str
    kind: str  # "public" or "hidden"
    passed: bool
    score: float
    max_score: float
    message: str  # public: the check's message; hidden: "passed" or "failed" only

    @property
    def id(self) -> str:
        """The test's column in grades.csv, e.g. ``hidden_state/rnn_forward/public``."""
        return f"{self.exercise}/{self.task}/{self.kind}"


@dataclass(frozen=True)
class NotebookResult:
    """The tests of one exercise for one student, and notes about running the notebook."""

    exercise: str
    tests: tuple[TestResult, ...]
    notes: tuple[str, ...]
    trouble: tuple[str, ...] = ()  # why the result is provisional (graded again next run)


def score_missing(
    plan: ExercisePlan, problem: str, trouble: tuple[str, ...] = ()
) -> NotebookResult:
    """Every test 0, each saying why (the notebook is missing or unreadable)."""
    tests = []
    name = plan.exercise.name
    for tp in plan.tasks:
        tests.append(_test(name, tp, "public", False, f"not graded: {problem}"))
        tests.append(_test(name, tp, "hidden", False, ""))
    return NotebookResult(name, tuple(tests), (problem,), trouble)


@dataclass
class _Notebook:
    """One notebook on its way through the grader: read, public run, hidden run."""

    plan: ExercisePlan
    problem: str  # a note such as "graded hw (1).ipynb as hidden_state.ipynb"
    cells: list[CodeCell] = field(default_factory=list)
    public: Run | None = None
    hidden: Run | None = None
    done: NotebookResult | None = None  # set when nothing (more) can run


def grade_notebooks(
    plans: list[ExercisePlan],
    found: list[tuple[Path | None, str]],
    sandbox,
    *,
    cell_seconds: float,
    notebook_seconds: float,
    deadline: float,
) -> list[NotebookResult]:
    """Grade one student's notebooks: every public run first, then every hidden run.

    Args:
        plans:            one per exercise
        found:            per exercise, (the student's notebook or None, a note or why missing)
        sandbox:          a Sandbox (``run(cells, calls)``)
        cell_seconds:     CPU seconds per cell
        notebook_seconds: wall-clock budget of one notebook (half per run)
        deadline:         ``time.monotonic()`` by which the student's grading must end

    Returns:
        One :class:`NotebookResult` per exercise, in order; never raises for a student's files.
    """
    notebooks = [
        _open(plan, path, problem) for plan, (path, problem) in zip(plans, found, strict=True)
    ]
    for kind in ("public", "hidden"):
        for nb in notebooks:
            if nb.done is None:
                budget = Budget(notebook_seconds / 2, deadline)
                _guarded(nb, kind, sandbox, cell_seconds, budget)
    return [nb.done or _score(nb) for nb in notebooks]


def _open(plan: ExercisePlan, path: Path | None, problem: str) -> _Notebook:
    nb = _Notebook(plan, problem)
    if path is None:
        nb.done = score_missing(plan, problem)
        return nb
    try:
        nb.cells = read_code_cells(path)
    except NotebookError as err:
        nb.done = score_missing(plan, str(err))
    return nb


def _guarded(nb: _Notebook, kind: str, sandbox, cell_seconds: float, budget: Budget) -> None:
    """One run of one notebook; a grader bug becomes a provisional note, never an exception."""
    try:
        sources = [c.source for c in nb.cells]
        if kind == "public":
            nb.public = run_notebook(nb.plan, sources, kind, sandbox, cell_seconds, budget)
        elif _hidden_worth_running(nb.public):
            way = nb.public.way if nb.public.way in ("tasks", "cells") else "fast"
            nb.hidden = run_notebook(nb.plan, sources, kind, sandbox, cell_seconds, budget, way)
    except Exception as err:  # a grader bug must not lose the other notebooks and students
        problem = f"internal grader error ({type(err).__name__}); tell your instructor"
        nb.done = score_missing(nb.plan, problem, (problem,))


def _hidden_worth_running(public: Run) -> bool:
    """False when every hidden case fails anyway: a broken grader cell, no function at all."""
    if public.grader_cell_broken:
        return False
    return not all('"missing": true' in str(signature.value) for signature, _ in public.per_task)


def _score(nb: _Notebook) -> NotebookResult:
    """The tests of one notebook from its runs: public messages, hidden pass or fail."""
    plan, public, hidden = nb.plan, nb.public, nb.hidden
    notes = [nb.problem] if nb.problem else []
    notes += _cell_notes(public.cell_errors, nb.cells, len(nb.cells))
    notes += public.notes
    notes += [f"hidden cases: {note}" for note in (hidden.notes if hidden else [])]
    trouble = public.trouble + (hidden.trouble if hidden else [])
    tests = []
    for k, (tp, (signature, outcomes)) in enumerate(zip(plan.tasks, public.per_task, strict=True)):
        hidden_outcomes = hidden.per_task[k][1] if hidden else None
        cells_failed = bool(public.cell_errors)
        tests += _score_task(
            plan.exercise.name, tp, signature, outcomes, hidden_outcomes, cells_failed
        )
    return NotebookResult(
        plan.exercise.name, tuple(tests), tuple(notes[:MAX_NOTES]), tuple(dict.fromkeys(trouble))
    )


def _score_task(
    exercise: str,
    tp: TaskPlan,
    signature: Outcome,
    public: list[Outcome],
    hidden: list[Outcome] | None,
    cells_failed: bool,
) -> list[TestResult]:
    """The public and hidden tests of one task, from the outcomes of its probes.

    ``hidden`` is None when the hidden run did not happen (every hidden case fails). Only
    whether the hidden outcomes pass is used, and whether they show the blocked reference
    implementation; their text never reaches a message.
    """
    by_probe = {id(probe): outcome for probe, outcome in zip(tp.public, public, strict=True)}
    verdict = evaluate_public(tp.task, signature, lambda probe: by_probe[id(probe)], tp.public)
    hidden = hidden if hidden is not None else ([] if not tp.hidden else None)
    blocked = verdict.blocked or any(BLOCKED in (o.error or "") for o in public + (hidden or []))
    message = verdict.message
    if blocked and BLOCKED not in message:
        message = (
            f"{tp.task.name} uses course_rnn's reference implementation, which is {BLOCKED}: "
            "write the function yourself (0 points for this task)."
        )
    elif not verdict.passed and cells_failed and "no function named" in message:
        message += " (a cell of the notebook failed before defining it: see the notes)"
    hint = getattr(verdict, "hint", "")
    if hint and not verdict.passed and not blocked and "Hint:" not in message:
        message += f" Hint: {hint}"
    hidden_ok = not blocked and hidden is not None and passes_hidden(tp.task, tp.hidden, hidden)
    public_ok = verdict.passed and not blocked
    if verdict.stage:
        message = f"{verdict.stage}: {message}"
    return [
        _test(exercise, tp, "public", public_ok, message),
        _test(exercise, tp, "hidden", hidden_ok, ""),
    ]


def _test(exercise: str, tp: TaskPlan, kind: str, ok: bool, message: str) -> TestResult:
    """A TestResult worth the task's public or hidden points when ``ok``."""
    points = tp.graded.public_points if kind == "public" else tp.graded.hidden_points
    if kind == "hidden":
        message = "passed" if ok else "failed"  # nothing about the hidden cases themselves
    return TestResult(exercise, tp.task.name, kind, ok, points if ok else 0.0, points, message)


def _cell_notes(cell_errors, cells, grader_index: int) -> list[str]:
    """One line per failed cell, numbered as the student sees the notebook (1-based)."""
    notes = []
    for index, error in cell_errors:
        text = " ".join(str(error).split())[:_NOTE_CHARS]
        if index == grader_index:
            notes.append(
                f"the grader's own cell failed after your cells ran ({text}): a cell of your "
                "notebook changed something the grader needs (a builtin, sys.modules, a module "
                "it uses), so no task could be graded"
            )
            continue
        where = f"cell {index}"
        if 0 <= index < len(cells):
            first = next((line for line in cells[index].source.splitlines() if line.strip()), "")
            where = f"cell {cells[index].index + 1} (starting {first.strip()[:40]!r})"
        if BLOCKED in text:
            text = f"imports course_rnn's reference implementation, which is {BLOCKED}"
        notes.append(f"{where} failed and was skipped ({text}); the rest of the notebook ran")
    return notes
