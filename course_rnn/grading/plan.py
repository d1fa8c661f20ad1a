"""What the grader asks of every notebook of an exercise: the calls, the cases and their answers.

Built once per grading run, in the trusted process: the public fixtures, the hidden cases drawn
with the secret seed (one generator per task, so adding a task never changes another's cases) and
the reference outputs. The worker only ever sees the *inputs*, inside sandbox calls, and the
hidden inputs only in a run of their own (``score.py``): a run whose text is never shown.
"""

import zlib
from dataclasses import dataclass

import numpy as np

from course_rnn.grading.compare import Probe, make_probe, public_probes
from course_rnn.grading.harness import runner_cell, worker_cell
from course_rnn.grading.tasks import Exercise, Graded, Task, random_fill

KINDS = ("public", "hidden")  # the two runs of a notebook, in this order
WALL_FACTOR = 4.0  # a probe's or cell's wall-clock backstop: this many times its CPU seconds


@dataclass(frozen=True)
class TaskPlan:
    """One graded task: its probes (public fixture and edge cases; hidden cases)."""

    task: Task
    graded: Graded
    public: tuple[Probe, ...]
    hidden: tuple[Probe, ...]

    def probes(self, kind: str) -> tuple[Probe, ...]:
        """The probes of one run: ``"public"`` or ``"hidden"``."""
        return self.public if kind == "public" else self.hidden

    def entry(self, kind: str) -> tuple:
        """One item of the batch call: (name, harness, CPU seconds per probe, args per probe)."""
        harness = self.task.harness.__name__ if self.task.harness else ""
        args = tuple(p.args for p in self.probes(kind))
        return (self.task.name, harness, self.task.timeout, args)

    def seconds(self, kind: str) -> float:
        """The wall-clock time the task's probes of one run may take at most (all backstops)."""
        return self.task.timeout * WALL_FACTOR * len(self.probes(kind)) + 1.0


@dataclass(frozen=True)
class ExercisePlan:
    """Everything needed to grade one exercise's notebook.

    A notebook runs twice in the sandbox: with the public probes, whose messages the student
    sees, then with the hidden ones, of which only pass or fail is kept. Each run first defines
    the cell runner (:attr:`runner`), runs the student's cells and then the grader's own cell
    (:attr:`cell`, so that its functions win over any of the same name), then sends the probes
    of every task in one call. When a run fails as a whole, ``score.py`` runs it again the
    isolated way (one process per task, or per cell), so only the guilty part loses its points.
    """

    exercise: Exercise
    tasks: tuple[TaskPlan, ...]
    runner: str  # source of the first cell: the cell runner, defined before any student code
    cell: str  # source of the cell run after the student's cells: the batch and its helpers

    @property
    def max_points(self) -> float:
        """The exercise's total points."""
        return sum(t.graded.public_points + t.graded.hidden_points for t in self.tasks)


def hidden_generator(seed: int, exercise: str, task: str) -> np.random.Generator:
    """The generator of one task's hidden cases: from the secret seed and the task's name."""
    return np.random.default_rng([seed, zlib.crc32(f"{exercise}/{task}".encode())])


def plan_exercise(exercise: Exercise, seed: int) -> ExercisePlan:
    """Build the probes of one exercise.

    Args:
        exercise: from :func:`course_rnn.grading.tasks.load_exercises`
        seed:     the grader's secret seed (any non-negative integer; 128 bits recommended)

    Returns:
        An :class:`ExercisePlan`.
    """
    tasks = []
    for task, graded in exercise.graded:
        fill = random_fill(hidden_generator(seed, exercise.name, task.name))
        hidden = tuple(
            make_probe(task, f"hidden case {k + 1}", dims, fill)
            for k, dims in enumerate(graded.hidden)
        )
        tasks.append(TaskPlan(task, graded, public_probes(task), hidden))
    harnesses = tuple(t.harness.__name__ for t, _ in exercise.graded if t.harness)
    return ExercisePlan(exercise, tuple(tasks), runner_cell(), worker_cell(harnesses))
