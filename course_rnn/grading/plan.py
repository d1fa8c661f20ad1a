"""What the grader asks of every notebook of an exercise: the calls, the cases and their answers.

Built once per grading run, in the trusted process: the public fixtures, the hidden cases drawn
with the secret seed (one generator per task, so adding a task never changes another's cases) and
the reference outputs. The worker only ever sees the *inputs*, inside :class:`Call` arguments.
"""

import zlib
from dataclasses import dataclass

import numpy as np

from course_rnn.grading.compare import Probe, make_probe, public_probes
from course_rnn.grading.harness import BATCH, worker_cell
from course_rnn.grading.tasks import Exercise, Graded, Task, random_fill

BATCH_SECONDS = 15.0  # the most one notebook's batch of probes may take before the fallback


@dataclass(frozen=True)
class TaskPlan:
    """One graded task: its probes (public fixture, edge cases, hidden cases) and its call."""

    task: Task
    graded: Graded
    public: tuple[Probe, ...]
    hidden: tuple[Probe, ...]
    entry: tuple  # (name, harness, seconds per probe, arguments of every probe): one batch item
    call: object  # a sandbox Call running this task alone (the fallback)


@dataclass(frozen=True)
class ExercisePlan:
    """Everything needed to grade one exercise's notebook.

    The fast path sends one call that runs every probe of every task, each under its own time
    limit inside the worker (a sandbox step costs a fork). If that call fails as a whole (a
    function that kills the interpreter or ignores its time limit), the grader runs the notebook
    again with one call per task, so only the guilty task loses its points.
    """

    exercise: Exercise
    tasks: tuple[TaskPlan, ...]
    cell: str  # source of the cell appended after the student's cells
    batch: object  # a sandbox Call running every task

    @property
    def max_points(self) -> float:
        """The exercise's total points."""
        return sum(t.graded.public_points + t.graded.hidden_points for t in self.tasks)


def hidden_generator(seed: int, exercise: str, task: str) -> np.random.Generator:
    """The generator of one task's hidden cases: from the secret seed and the task's name."""
    return np.random.default_rng([seed, zlib.crc32(f"{exercise}/{task}".encode())])


def plan_exercise(exercise: Exercise, seed: int) -> ExercisePlan:
    """Build the probes and the sandbox calls of one exercise.

    Args:
        exercise: from :func:`course_rnn.grading.tasks.load_exercises`
        seed:     the grader's secret seed

    Returns:
        An :class:`ExercisePlan`.
    """
    from course_rnn.grading.sandbox import Call

    tasks = []
    for task, graded in exercise.graded:
        fill = random_fill(hidden_generator(seed, exercise.name, task.name))
        hidden = tuple(
            make_probe(task, f"hidden case {k + 1}", dims, fill)
            for k, dims in enumerate(graded.hidden)
        )
        public = public_probes(task)
        harness = task.harness.__name__ if task.harness else ""
        entry = (task.name, harness, task.timeout, tuple(p.args for p in public + hidden))
        seconds = task.timeout * (len(public) + len(hidden)) + 2.0
        tasks.append(
            TaskPlan(task, graded, public, hidden, entry, Call(BATCH, ((entry,),), timeout=seconds))
        )
    # Every probe has its own alarm inside the worker; a batch that still runs long is graded
    # again task by task (each with its full limit), so this limit can stay short.
    seconds = min(sum(t.call.timeout for t in tasks), BATCH_SECONDS)
    batch = Call(BATCH, (tuple(t.entry for t in tasks),), timeout=seconds)
    harnesses = tuple(t.harness.__name__ for t, _ in exercise.graded if t.harness)
    return ExercisePlan(exercise, tuple(tasks), worker_cell(harnesses), batch)
