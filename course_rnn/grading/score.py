"""Scoring one notebook: run it in the sandbox, then judge every task in the trusted process.

A notebook that cannot be read, a cell that fails or hangs, a missing function, an exception, a
timeout, a malformed value: each becomes a line of feedback and a score of 0 for what it affects,
never an exception out of the grader. Values from the worker are judged as data only
(``compare.py``); a task whose function calls course_rnn's blocked reference implementation gets 0
for its public and hidden tests, with the reason.
"""

from dataclasses import dataclass
from pathlib import Path

from course_rnn.grading.compare import BLOCKED, Outcome, evaluate_public, passes_hidden
from course_rnn.grading.harness import BATCH, RUN_CELLS
from course_rnn.grading.notebook import NotebookError, read_code_cells
from course_rnn.grading.plan import ExercisePlan, TaskPlan

MAX_NOTES = 8
UNKNOWN = '{"params": null}'  # a signature that could not be read: not held against the student
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


def score_missing(plan: ExercisePlan, problem: str) -> NotebookResult:
    """Every test 0, each saying why (the notebook is missing or unreadable)."""
    tests = []
    name = plan.exercise.name
    for tp in plan.tasks:
        tests.append(_test(name, tp, "public", False, f"not graded: {problem}"))
        tests.append(_test(name, tp, "hidden", False, ""))
    return NotebookResult(name, tuple(tests), (problem,))


def grade_notebook(plan: ExercisePlan, path: Path | None, problem: str, sandbox) -> NotebookResult:
    """Run one notebook in the sandbox and score every task of its exercise.

    Args:
        plan:    the exercise's plan
        path:    the student's notebook, or None when it is missing
        problem: why the notebook is missing (used when ``path`` is None), or a note such as
                 "graded hw (1).ipynb as hidden_state.ipynb"
        sandbox: a Sandbox (``run(cells, calls)``)

    Returns:
        The notebook's :class:`NotebookResult`.
    """
    if path is None:
        return score_missing(plan, problem)
    try:
        cells = read_code_cells(path)
    except NotebookError as err:
        return score_missing(plan, str(err))
    sources = [c.source for c in cells]
    fast = _fast_path(plan, sources, sandbox)
    if fast is not None:
        cell_errors, per_task = fast
    else:  # one sandbox process per cell and per task: slower, and a crash costs only itself
        run, error = _run(sandbox, [*sources, plan.cell], [t.call for t in plan.tasks])
        if run is not None and any(BATCH in (r.error or "") for r in run.calls):
            # The grader's own cell, run last, was not there: an engine hiccup; once more.
            run, error = _run(sandbox, [*sources, plan.cell], [t.call for t in plan.tasks])
        if run is None:
            return score_missing(plan, f"the grader could not run this notebook ({error})")
        cell_errors, per_task = run.cell_errors, []
        for tp, result in zip(plan.tasks, run.calls, strict=True):
            n = len(tp.public) + len(tp.hidden)
            parsed = _parse(result, [n])
            failed = Outcome(False, error=result.error or "the call returned malformed data")
            per_task.append(parsed[0] if parsed else (Outcome(True, UNKNOWN), [failed] * n))
    notes = [problem] if problem else []
    notes += _cell_notes(cell_errors, cells, len(sources))
    tests = []
    for tp, (signature, outcomes) in zip(plan.tasks, per_task, strict=True):
        tests += _score_task(plan.exercise.name, tp, signature, outcomes, bool(cell_errors))
    return NotebookResult(plan.exercise.name, tuple(tests), tuple(notes[:MAX_NOTES]))


def _fast_path(plan: ExercisePlan, sources: list[str], sandbox):
    """All cells in one call and all probes in another: (cell errors, per task), or None.

    None when anything went wrong as a whole (a cell or function that kills the process or
    outlives its time limit, malformed data): the caller then grades the slow, isolated way.
    """
    from course_rnn.grading.sandbox import Call

    seconds = float(getattr(sandbox, "cell_timeout", 5.0))
    # The grader's cell runs again after the student's, so the batch is the grader's own code.
    every = (*sources, plan.cell)
    # A short overall limit: a notebook that needs longer (slow but legal cells, or a cell that
    # dodges its own alarm) is simply graded the slow way, where each cell has the full limit.
    cells = Call(RUN_CELLS, (every, seconds), timeout=min(seconds * len(every), 2 * seconds + 5))
    run, _ = _run(sandbox, [plan.cell], [cells, plan.batch])
    if run is None or run.cell_errors or not run.calls[0].ok:
        return None
    errors = run.calls[0].value
    if not isinstance(errors, tuple) or not all(
        isinstance(e, tuple) and len(e) == 2 and isinstance(e[0], int) and isinstance(e[1], str)
        for e in errors
    ):
        return None
    if any(index == len(sources) for index, _ in errors):
        return None  # the grader's cell failed after the student's: grade the isolated way
    per_task = _parse(run.calls[1], [len(t.public) + len(t.hidden) for t in plan.tasks])
    return None if per_task is None else (list(errors), per_task)


def _run(sandbox, sources: list[str], calls: list):
    """(SubmissionRun, None), or (None, error) when the engine failed twice."""
    error = None
    for _ in range(2):  # one retry: a failure here is the grader's, not the student's
        try:
            run = sandbox.run(sources, calls)
        except Exception as err:  # the engine failed; the student must not pay for it
            error = f"{type(err).__name__}: {err}"
            continue
        if len(run.calls) == len(calls):
            return run, None
        error = f"{len(run.calls)} results for {len(calls)} calls"
    return None, error


def _parse(result, sizes: list[int]):
    """The batch call's value as [(signature Outcome, [probe Outcome, ...]), ...], or None.

    The value is untrusted data: any deviation from the expected structure gives None.
    """
    value = result.value
    if not result.ok or not isinstance(value, tuple) or len(value) != len(sizes):
        return None
    parsed = []
    for item, n in zip(value, sizes, strict=True):
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
            return None
        signature, probes = item
        if not (isinstance(probes, tuple) and len(probes) == n):
            return None
        outcomes = []
        for probe in probes:
            if not (isinstance(probe, tuple) and len(probe) == 2 and probe[0] in ("ok", "error")):
                return None
            status, data = probe
            if status == "ok":
                outcomes.append(Outcome(True, data))
            else:
                outcomes.append(Outcome(False, error=data if isinstance(data, str) else "error"))
        parsed.append((Outcome(True, signature), outcomes))
    return parsed


def _score_task(
    exercise: str, tp: TaskPlan, signature: Outcome, outcomes: list[Outcome], cells_failed: bool
) -> list[TestResult]:
    """The public and hidden tests of one task, from the outcomes of its probes."""
    public, hidden = outcomes[: len(tp.public)], outcomes[len(tp.public) :]
    by_probe = {id(probe): outcome for probe, outcome in zip(tp.public, public, strict=True)}
    verdict = evaluate_public(tp.task, signature, lambda probe: by_probe[id(probe)], tp.public)
    blocked = verdict.blocked or any(BLOCKED in (o.error or "") for o in public + hidden)
    message = verdict.message
    if blocked and BLOCKED not in message:
        message = (
            f"{tp.task.name} uses course_rnn's reference implementation, which is {BLOCKED}: "
            "write the function yourself (0 points for this task)."
        )
    elif not verdict.passed and cells_failed and "no function named" in message:
        message += " (a cell of the notebook failed before defining it: see the notes)"
    hidden_ok = not blocked and passes_hidden(tp.task, tp.hidden, hidden)
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
            notes.append(f"the grader's own cell failed after your cells ran: {text}")
            continue
        where = f"cell {index}"
        if 0 <= index < len(cells):
            first = next((line for line in cells[index].source.splitlines() if line.strip()), "")
            where = f"cell {cells[index].index + 1} (starting {first.strip()[:40]!r})"
        if BLOCKED in text:
            text = f"imports course_rnn's reference implementation, which is {BLOCKED}"
        notes.append(f"{where} failed and was skipped ({text}); the rest of the notebook ran")
    return notes
