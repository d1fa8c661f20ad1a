"""Running one notebook in the sandbox with one kind of probes, within a wall-clock budget.

A *run* sends a notebook's cells and the probes of one kind (``"public"`` or ``"hidden"``) to a
fresh sandbox process tree and brings back data: which cells failed, and per task the signature
and one outcome per probe. Three ways, tried in this order until one gives complete results:

- ``fast``: the cells in one call (each under its own limit), then every probe of every task in
  one batch call; about a fork and a few milliseconds per notebook.
- ``tasks``: the cells in one call, then one call per task, so a function that kills its process
  or dodges its limits costs only its own task.
- ``cells``: one call per cell as well, so a cell that kills its process costs only itself.

The grader's own cell runs after the student's cells (its functions win over any of the same
name). When it fails there, the student's cells broke it: that is final, and no slower way is
tried (it would fail the same way, as many times as there are ways).

Budget: every sandbox call has a wall-clock timeout, and the timeouts of a run never add up to
more than the :class:`Budget` has left, so a notebook of sleeping cells costs at most its budget.
Where the wanted timeouts do not fit, they shrink towards a floor (a cell's CPU limit plus a
second); cells that still do not fit are not run, and the run says so (``trouble``).

Results obtained through a timeout, a killed worker, an engine failure or a spent budget carry a
``trouble`` line: the grader does not commit them as final, and grades the student again on the
next run. Every text in a :class:`Run` that the grader wrote itself is marked as such; the rest
(cell errors, probe errors) is the student's, and is shown only for public runs.
"""

import time
from dataclasses import dataclass, field

from course_rnn.grading.compare import Outcome
from course_rnn.grading.harness import BATCH, RUN_CELLS
from course_rnn.grading.plan import WALL_FACTOR, ExercisePlan

BATCH_SECONDS = 20.0  # the most the fast path's batch may take before the per-task way
FAST_SHARE = 0.6  # of a run's budget, the most the fast path's cells may take
MARGIN = 1.0  # wall seconds per call beyond its timeout: fork, frames, the sweep
UNKNOWN = '{"params": null}'  # a signature that could not be read: not held against the student
GRADER_CELL_BROKEN = (
    "not graded: a cell of your notebook broke the grader's own cell, which runs after yours "
    "(see the notes)"
)
#: How the errors start that say a timeout or a killed worker decided the outcome.
TROUBLE_MARKS = (
    "TimeoutError: call exceeded",  # a probe's own limit, or the sandbox's per-call timeout
    "TimeoutError: the cell ran longer than",
    "worker died",
)


@dataclass
class Budget:
    """Wall-clock seconds one run may take: its own share, within the student's deadline."""

    seconds: float
    deadline: float  # time.monotonic() when the student's whole budget is spent

    def left(self) -> float:
        """Seconds left now."""
        return min(self.seconds, self.deadline - time.monotonic())

    def spend(self, seconds: float) -> None:
        """Count ``seconds`` as spent."""
        self.seconds -= seconds


@dataclass
class Run:
    """What one run of a notebook gave (public or hidden probes)."""

    kind: str
    way: str  # "fast", "tasks", "cells", or "none" when nothing ran
    cell_errors: list[tuple[int, str]] = field(default_factory=list)  # (cell index, error)
    per_task: list[tuple[Outcome, list[Outcome]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # written by the grader, never the student's
    trouble: list[str] = field(default_factory=list)  # why the outcome is not final (grader text)
    grader_cell_broken: bool = False


def run_notebook(
    plan: ExercisePlan,
    sources: list[str],
    kind: str,
    sandbox,
    cell_seconds: float,
    budget: Budget,
    way: str = "fast",
) -> Run:
    """Run the notebook with the probes of ``kind``, starting with ``way`` (see the module doc).

    Args:
        plan:         the exercise's plan
        sources:      the student's code cells (plain Python)
        kind:         "public" or "hidden"
        sandbox:      a Sandbox (``run(cells, calls)``)
        cell_seconds: CPU seconds per cell
        budget:       the run's wall-clock budget (spent as it goes)
        way:          the first way to try: "fast", "tasks" or "cells"

    Returns:
        A :class:`Run` with one entry per task in ``per_task``.
    """
    ways = ("fast", "tasks", "cells")
    trouble: list[str] = []
    for current in ways[ways.index(way) :]:
        start = time.monotonic()
        try:
            run, failed = _WAYS[current](plan, sources, kind, sandbox, cell_seconds, budget)
        finally:
            budget.spend(time.monotonic() - start)
        if run is not None:  # complete results: how the faster ways failed no longer matters
            return run
        trouble.append(failed)
    return _nothing(plan, kind, "the grader could not run this notebook", trouble)


def _nothing(plan: ExercisePlan, kind: str, why: str, trouble: list[str]) -> Run:
    """A run in which no probe ran: every outcome is an error saying ``why`` (grader text)."""
    failed = Outcome(False, error=f"not graded: {why}")
    per_task = [(Outcome(True, UNKNOWN), [failed] * len(tp.probes(kind))) for tp in plan.tasks]
    note = f"{why} ({'; '.join(trouble)})" if trouble else why
    return Run(kind, "none", per_task=per_task, notes=[note], trouble=trouble or [why])


def _fast(plan, sources, kind, sandbox, cell_seconds, budget):
    """Cells in one call, all probes in one call: (Run, None), or (None, why) to go on."""
    from course_rnn.grading.sandbox import Call

    left = budget.left() - 2 * MARGIN
    every = (*sources, plan.cell)
    wall = cell_seconds * WALL_FACTOR
    cells_timeout = min(wall * len(every) + 1, left * FAST_SHARE)
    batch_timeout = min(sum(tp.seconds(kind) for tp in plan.tasks), BATCH_SECONDS)
    batch_timeout = min(batch_timeout, left - cells_timeout)
    if cells_timeout < 1 or batch_timeout < 1:
        return None, "its time budget ran out before the fast way"
    entries = tuple(tp.entry(kind) for tp in plan.tasks)
    calls = [
        Call(RUN_CELLS, (every, cell_seconds, wall), timeout=cells_timeout),
        Call(BATCH, (entries, WALL_FACTOR), timeout=batch_timeout),
    ]
    result, error = _run(sandbox, [plan.runner], calls)
    if result is None:
        return None, f"the sandbox failed: {error}"
    if result.cell_errors or not result.calls[0].ok:
        return None, "the cells failed as a whole"
    errors = _cell_errors(result.calls[0].value)
    if errors is None:
        return None, "the cells gave malformed results"
    if any(index == len(sources) for index, _ in errors):
        return _broken(plan, kind, errors, len(sources)), None
    per_task = _parse(result.calls[1], [len(tp.probes(kind)) for tp in plan.tasks])
    if per_task is None:
        return None, "the probes failed as a whole"
    return Run(kind, "fast", errors, per_task, trouble=_trouble(errors, per_task)), None


def _tasks(plan, sources, kind, sandbox, cell_seconds, budget):
    """Cells in one call, then one call per task."""
    return _isolated(plan, sources, kind, sandbox, cell_seconds, budget, one_call_per_cell=False)


def _cells(plan, sources, kind, sandbox, cell_seconds, budget):
    """One call per cell, then one call per task."""
    return _isolated(plan, sources, kind, sandbox, cell_seconds, budget, one_call_per_cell=True)


def _isolated(plan, sources, kind, sandbox, cell_seconds, budget, *, one_call_per_cell):
    """The slower ways: one call per task (and per cell); the budget decides what fits."""
    from course_rnn.grading.sandbox import Call

    wall = cell_seconds * WALL_FACTOR
    floor = cell_seconds + 1.0
    if one_call_per_cell:  # each student cell, then the grader's
        groups = [(src,) for src in sources] + [(plan.cell,)]
        cells = [(wall + 1, floor)] * len(groups)
    else:
        groups = [(*sources, plan.cell)]
        cells = [(wall * len(groups[0]) + 1, floor * len(groups[0]))]
    tasks = [(tp.seconds(kind), tp.task.timeout * len(tp.probes(kind)) + 1) for tp in plan.tasks]
    left = budget.left() - MARGIN * (len(cells) + len(tasks))
    timeouts, dropped = fit_timeouts(cells, tasks, left)
    if timeouts is None:
        return None, "its time budget ran out"
    kept = [*groups[: len(groups) - dropped - 1], groups[-1]] if dropped else groups
    calls = [
        Call(RUN_CELLS, (group, cell_seconds, max(min(wall, t - 0.5), 0.5)), timeout=t)
        for group, t in zip(kept, timeouts[: len(kept)], strict=True)
    ]
    calls += [
        Call(BATCH, ((tp.entry(kind),), WALL_FACTOR), timeout=t)
        for tp, t in zip(plan.tasks, timeouts[len(kept) :], strict=True)
    ]
    result, error = _run(sandbox, [plan.runner], calls)
    if result is None:
        return None, f"the sandbox failed: {error}"
    if result.cell_errors:
        return None, "the grader's cell runner failed"
    errors, whole = [], []
    positions = _positions(len(sources), one_call_per_cell, dropped)
    for first, call in zip(positions, result.calls[: len(kept)], strict=True):
        if call.ok:
            found = _cell_errors(call.value)
            if found is None:
                return None, "the cells gave malformed results"
            errors += [(first + index, text) for index, text in found]
        else:
            whole.append((first, call.error or "call failed"))
    if not one_call_per_cell and whole:
        return None, "the cells failed as a whole"
    errors += whole
    if any(index == len(sources) for index, _ in errors):
        run = _broken(plan, kind, errors, len(sources))
        if any(index == len(sources) for index, _ in whole):  # killed, or the engine's fault
            run.trouble.append("the grader's own cell was killed")
        return run, None
    per_task = []
    for tp, call in zip(plan.tasks, result.calls[len(kept) :], strict=True):
        n = len(tp.probes(kind))
        parsed = _parse(call, [n])
        failed = Outcome(False, error=call.error or "the call returned malformed data")
        per_task.append(parsed[0] if parsed else (Outcome(True, UNKNOWN), [failed] * n))
    errors.sort()
    way = "cells" if one_call_per_cell else "tasks"
    run = Run(kind, way, errors, per_task, trouble=_trouble(errors, per_task))
    if dropped:
        run.notes.append(
            f"the notebook's time budget ran out: its last {dropped} code cells were not run"
        )
        run.trouble.append("time budget spent")
    return run, None


def _positions(n_sources: int, one_call_per_cell: bool, dropped: int) -> list[int]:
    """The index of the first cell of each cell call (the grader's cell is ``n_sources``)."""
    if not one_call_per_cell:
        return [0]
    return [*range(n_sources - dropped), n_sources]


def fit_timeouts(
    cells: list[tuple[float, float]], tasks: list[tuple[float, float]], left: float
) -> tuple[list[float] | None, int]:
    """Timeouts for the calls of a run, adding up to at most ``left`` seconds.

    Args:
        cells: (wanted, floor) per cell call; the last one is the grader's cell
        tasks: (wanted, floor) per task call
        left:  the seconds available

    Returns:
        (timeouts in the same order, cells dropped), where the student's last cells are dropped
        when even the floors do not fit; (None, 0) when not even the grader's cell and the tasks
        fit.
    """
    wanted = [w for w, _ in cells + tasks]
    if sum(wanted) <= left:
        return wanted, 0
    floors = [f for _, f in cells + tasks]
    if sum(floors) <= left:
        spare = (left - sum(floors)) / (sum(wanted) - sum(floors))
        return [f + (w - f) * spare for w, f in zip(wanted, floors, strict=True)], 0
    dropped = 0
    while sum(floors) > left and len(cells) - dropped > 1:
        floors.pop(len(cells) - dropped - 2)  # the student's last cell still kept
        dropped += 1
    return (floors, dropped) if sum(floors) <= left else (None, 0)


def _broken(plan: ExercisePlan, kind: str, errors, grader_index: int) -> Run:
    """The student's cells broke the grader's own cell: every probe fails (final, no retry)."""
    failed = Outcome(False, error=GRADER_CELL_BROKEN)
    per_task = [(Outcome(True, UNKNOWN), [failed] * len(tp.probes(kind))) for tp in plan.tasks]
    return Run(kind, "fast", list(errors), per_task, grader_cell_broken=True)


def _trouble(errors, per_task) -> list[str]:
    """Grader-written reasons why outcomes are not final (timeouts, killed workers)."""
    texts = [text for _, text in errors]
    texts += [o.error or "" for _, outcomes in per_task for o in outcomes if not o.ok]
    found = [mark for mark in TROUBLE_MARKS if any(t.startswith(mark) for t in texts)]
    return [f"a timeout or a killed worker ({', '.join(found)})"] if found else []


def _run(sandbox, sources: list[str], calls: list):
    """(SubmissionRun, None), or (None, error) when the engine failed twice."""
    error = None
    for _ in range(2):  # one retry: a failure here is the grader's, not the student's
        try:
            result = sandbox.run(sources, calls)
        except Exception as err:  # the engine failed; the student must not pay for it
            error = type(err).__name__  # its message may carry a log the student wrote
            continue
        if len(result.calls) == len(calls):
            return result, None
        error = f"{len(result.calls)} results for {len(calls)} calls"
    return None, error


def _cell_errors(value) -> list[tuple[int, str]] | None:
    """The cell runner's value as [(index, error text), ...], or None when malformed."""
    if not isinstance(value, tuple) or not all(
        isinstance(e, tuple) and len(e) == 2 and type(e[0]) is int and isinstance(e[1], str)
        for e in value
    ):
        return None
    return list(value)


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


_WAYS = {"fast": _fast, "tasks": _tasks, "cells": _cells}
