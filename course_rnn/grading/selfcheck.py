"""Student self-checks: ``check("rnn_step_forward", rnn_step_forward)`` after each task.

Runs in the student's own process, for feedback only (the instructor grader never trusts this
process; see CONTRIBUTING.md, "The grader's security model"). The checks and messages are the
grader's public checks (``compare.py``), run on the public ``np.linspace`` fixtures: signature →
shapes → values → gradient check → edge cases, stopping at the first failure. The expected values
come from the package's reference implementations. Hidden cases are never used here.

Three things only the student's process can do, added here:

- an exception names the failing line of the student's code and restates NumPy's error with the
  operands' shapes in axis letters (``explain.py``);
- a check that fails says what is wrong first; the output's formula-level hint is added only
  when the same check of the same task has already failed in this session;
- a function that calls into ``course_rnn`` beyond the names a graded notebook may use
  (``seed_everything``, ``check_shape``, the self-checks) fails with a warning: the grader
  blocks the course's implementations, so such a task earns 0 there.

Book: every exercise notebook (exercises/*.ipynb); "How to use this book" (exercises).
"""

import copy
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from course_rnn.grading.compare import Outcome, Probe, Verdict, evaluate_public, public_probes
from course_rnn.grading.explain import explain_exception
from course_rnn.grading.harness import describe_signature
from course_rnn.grading.tasks import Task, all_tasks

_PACKAGE = Path(__file__).resolve().parents[1]  # course_rnn/
#: Files of course_rnn that a graded notebook may call (the sandbox's stub provides them).
_ALLOWED = tuple(
    str(p) for p in (_PACKAGE / "__init__.py", _PACKAGE / "shapes.py", _PACKAGE / "seeding.py")
)
_GRADING = str(_PACKAGE / "grading")
#: Failures so far in this session, per (task, stage): the hint comes with the second.
_FAILURES: Counter = Counter()
USES_COURSE_RNN = "uses course_rnn"


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
    used: list[str] = []
    verdict: Verdict = evaluate_public(
        task,
        Outcome(True, describe_signature(fn)),
        lambda probe: _call(task, fn, probe, used),
        public_probes(task),
    )
    if used:
        return CheckResult(
            task.name,
            False,
            USES_COURSE_RNN,
            f"{task.name} calls {used[0]}, one of the course's own implementations. The grader "
            "blocks them, so this task would earn 0 points there: write it with NumPy yourself.",
        )
    if verdict.passed:
        return CheckResult(task.name, True, "", verdict.message)
    _FAILURES[(task.name, verdict.stage)] += 1
    message = verdict.message
    if verdict.hint and _FAILURES[(task.name, verdict.stage)] > 1:
        message += f" Hint: {verdict.hint}"
    elif verdict.hint:
        message += " (If this check fails again, it will show a hint.)"
    return CheckResult(task.name, False, verdict.stage, message)


def _call(task: Task, fn, probe: Probe, used: list[str]) -> Outcome:
    """Call the student's function on a copy of the probe's arguments, catching what it raises.

    While it runs, every Python function entered is looked at: one defined in course_rnn
    outside the files a graded notebook may use is recorded in ``used``.
    """
    args = copy.deepcopy(probe.args)

    def watch(frame, event, arg):
        if event == "call":
            filename = frame.f_code.co_filename
            if (
                filename.startswith(str(_PACKAGE))
                and not filename.startswith(_GRADING)
                and filename not in _ALLOWED
                and not used
            ):
                module = frame.f_globals.get("__name__", "course_rnn")
                used.append(f"{module}.{frame.f_code.co_name}")

    previous = sys.getprofile()
    sys.setprofile(watch)
    try:
        value = task.harness(fn, *args) if task.harness else fn(*args)
    except Exception as err:  # any error in student code becomes feedback
        return Outcome(False, error=explain_exception(err, probe.dims))
    finally:
        sys.setprofile(previous)
    return Outcome(True, value)
