"""Student self-checks: ``check("rnn_step_forward", rnn_step_forward)`` after each task.

Runs in the student's own process, for feedback only (the instructor grader never trusts this
process; see shared/DESIGN.md §6). The checks and messages are the grader's public checks
(``compare.py``), run on the public ``np.linspace`` fixtures: signature → shapes → values →
gradient check → edge cases, stopping at the first failure. The expected values come from the
package's reference implementations. Hidden cases are never used here.

Book: every exercise notebook (exercises/*.ipynb); "How to use this book", section "Exercises".
"""

import copy
from dataclasses import dataclass

from course_rnn.grading.compare import Outcome, Probe, Verdict, evaluate_public, public_probes
from course_rnn.grading.harness import describe_signature
from course_rnn.grading.tasks import Task, all_tasks


@dataclass(frozen=True)
class CheckResult:
    """What ``check`` found; shows as one line (✓ or ✗) in a notebook, and is truthy on success."""

    task: str  # the function checked
    passed: bool
    stage: str  # the stage that failed ("" when passed)
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        if self.passed:
            return f"✓ {self.task}: {self.message}"
        return f"✗ {self.task} ({self.stage}): {self.message}"


def check(task_name: str, fn) -> CheckResult:
    """Check a function against its task's public fixtures and say what is wrong, if anything.

    Args:
        task_name: the task, e.g. "rnn_step_forward" (the name of the function to write)
        fn:        your function

    Returns:
        A :class:`CheckResult`; the notebook shows its one-line summary.

    Raises:
        ValueError: ``task_name`` is not a known task (the message lists the known ones).
    """
    tasks = all_tasks()
    if task_name not in tasks:
        raise ValueError(f"check: unknown task {task_name!r}; expected one of {sorted(tasks)}")
    task = tasks[task_name]
    verdict: Verdict = evaluate_public(
        task,
        Outcome(True, describe_signature(fn)),
        lambda probe: _call(task, fn, probe),
        public_probes(task),
    )
    return CheckResult(task.name, verdict.passed, verdict.stage, verdict.message)


def _call(task: Task, fn, probe: Probe) -> Outcome:
    """Call the student's function on a copy of the probe's arguments, catching what it raises."""
    args = copy.deepcopy(probe.args)
    try:
        value = task.harness(fn, *args) if task.harness else fn(*args)
    except Exception as err:  # any error in student code becomes feedback
        return Outcome(False, error=f"{type(err).__name__}: {err}")
    return Outcome(True, value)
