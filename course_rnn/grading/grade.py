"""``course-rnn grade``: grade every student's notebooks in the sandbox, resumably.

The unit of work is one student: their notebooks run in the sandbox (``score.py``), then their
feedback, Gradescope results and record are written atomically (``report.py``). A student whose
record matches the fingerprint of their files and of the grading setup is not graded again, so a
re-run after ``kill -9`` resumes where it stopped; grades.csv is rebuilt from the records.

Trust (shared/DESIGN.md §6): this process owns the hidden cases (drawn with the secret seed), the
reference outputs and every comparison; the sandboxed worker only receives inputs and returns
data. This module never prints; the CLI reports progress through ``on_student``.
"""

import hashlib
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from course_rnn.grading.files import atomic_write_text, remove_stale_temporaries
from course_rnn.grading.plan import ExercisePlan, plan_exercise
from course_rnn.grading.report import (
    StudentResult,
    grades_csv,
    read_record,
    student_paths,
    write_student,
)
from course_rnn.grading.score import grade_notebook, score_missing
from course_rnn.grading.submissions import (
    Student,
    SubmissionsError,
    find_notebook,
    open_submissions,
)
from course_rnn.grading.tasks import load_exercises, read_seed

GRADER_VERSION = "1"  # bump when scoring changes: every record is then graded again


@dataclass(frozen=True)
class GradeSettings:
    """How to grade; the defaults suit a laptop with two cores."""

    jobs: int = 2  # notebooks graded in parallel (sandbox workers)
    seed: int | None = (
        None  # secret seed of the hidden cases; None: solutions/tests/secret_seed.txt
    )
    cell_timeout: float = 5.0  # seconds per notebook cell before it is skipped
    memory_mb: int = 2048  # address-space limit of the worker
    cpu_seconds: int = 60  # CPU-time limit of one notebook run


@dataclass(frozen=True)
class GradeRun:
    """What a grading run did (the CLI prints a summary of it)."""

    results: tuple[StudentResult, ...]  # every student, in grades.csv order
    graded: int  # students graded in this run
    resumed: int  # students whose record from an earlier run was kept
    mode: str  # the sandbox's confinement ("" when nothing needed grading)
    seconds: float
    plans: tuple[ExercisePlan, ...]


def grade(
    submissions: Path,
    out: Path,
    *,
    solutions: Path,
    settings: GradeSettings | None = None,
    sandbox=None,
    on_start: Callable[[int, int], None] | None = None,
    on_student: Callable[[StudentResult], None] | None = None,
) -> GradeRun:
    """Grade every student of SUBMISSIONS into OUT.

    Args:
        submissions: a folder with one folder per student, or a zip of one
        out:         the output folder (grades.csv, feedback/, results/)
        solutions:   the instructor folder (tests/<exercise>.py, tests/secret_seed.txt)
        settings:    jobs, seed, limits (:class:`GradeSettings`)
        sandbox:     a running Sandbox to use (tests share one); None starts one when needed
        on_start:    called once with (students to grade, students kept from an earlier run)
        on_student:  called with each student's result as soon as it is written

    Returns:
        A :class:`GradeRun`.

    Raises:
        SubmissionsError: SUBMISSIONS is missing, empty or an unsafe zip; OUT is inside it.
        ValueError: the hidden tests or the secret seed cannot be loaded.
    """
    start = time.perf_counter()
    settings = settings or GradeSettings()
    seed = settings.seed if settings.seed is not None else read_seed(solutions)
    plans = tuple(plan_exercise(exercise, seed) for exercise in load_exercises(solutions))
    out = Path(out)
    inside = Path(submissions).resolve() in (out.resolve(), *out.resolve().parents)
    if Path(submissions).is_dir() and inside:
        raise SubmissionsError(f"OUT ({out}) must not be inside SUBMISSIONS ({submissions})")
    for folder in (out / "feedback", out / "results"):
        folder.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(out)
    scratch = Path(tempfile.mkdtemp(prefix="course-rnn-grade-"))
    try:
        students = open_submissions(submissions, scratch)
        setup = hashlib.sha256(f"{GRADER_VERSION}/{seed}".encode())
        for plan in plans:
            setup.update(plan.exercise.fingerprint.encode())
        done, pending = {}, []
        for student in students:
            fingerprint = _fingerprint(student, plans, setup.copy())
            record = read_record(student_paths(out, student.key)["record"])
            if record and record.fingerprint == fingerprint and record.student == student.name:
                done[student.key] = record
            else:
                pending.append((student, fingerprint))
        resumed = len(done)
        if on_start is not None:
            on_start(len(pending), resumed)
        mode = ""
        if pending:
            mode = _grade_pending(pending, plans, out, settings, sandbox, done, on_student)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    results = tuple(done[s.key] for s in students)
    columns = [(p.exercise.name, t.id) for p in plans for t in score_missing(p, "").tests]
    columns = _with_exercise_totals(columns)
    atomic_write_text(out / "grades.csv", grades_csv(results, columns))
    seconds = time.perf_counter() - start
    return GradeRun(results, len(pending), resumed, mode, seconds, plans)


def _with_exercise_totals(columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Insert an (exercise, "") column after each exercise's tests."""
    result = []
    for i, (exercise, test) in enumerate(columns):
        result.append((exercise, test))
        if i + 1 == len(columns) or columns[i + 1][0] != exercise:
            result.append((exercise, ""))
    return result


def _grade_pending(pending, plans, out, settings, sandbox, done, on_student) -> str:
    """Grade the pending students in parallel; write each one's files as it completes."""
    if sandbox is None:
        from course_rnn.grading.sandbox import Sandbox

        with Sandbox(
            jobs=settings.jobs,
            cell_timeout=settings.cell_timeout,
            memory_mb=settings.memory_mb,
            cpu_seconds=settings.cpu_seconds,
        ) as sb:
            return _grade_pending(pending, plans, out, settings, sb, done, on_student)
    with ThreadPoolExecutor(max_workers=max(1, settings.jobs)) as pool:
        futures = [pool.submit(grade_student, s, fp, plans, sandbox) for s, fp in pending]
        for future in as_completed(futures):
            result = future.result()
            write_student(out, result)
            done[result.key] = result
            if on_student is not None:
                on_student(result)
    return str(getattr(sandbox, "mode", "unknown"))


def grade_student(student: Student, fingerprint: str, plans, sandbox) -> StudentResult:
    """Grade one student's notebooks, one exercise after the other; never raises."""
    start = time.perf_counter()
    notebooks = []
    for plan in plans:
        try:
            path, note = find_notebook(student.folder, plan.exercise.name)
            notebooks.append(grade_notebook(plan, path, note, sandbox))
        except Exception as err:  # a grader bug must not lose the other students
            problem = f"internal grader error ({type(err).__name__}: {err}); tell your instructor"
            notebooks.append(score_missing(plan, problem))
    seconds = time.perf_counter() - start
    return StudentResult(student.name, student.key, tuple(notebooks), seconds, fingerprint)


def _fingerprint(student: Student, plans, digest) -> str:
    """A digest of the grading setup and of the student's notebook files.

    An unreadable folder gives a digest that matches no record, so the student is graded (and
    the problem reported) on every run.
    """
    try:
        for plan in plans:
            path, note = find_notebook(student.folder, plan.exercise.name)
            digest.update(f"\0{plan.exercise.name}\0{note}\0".encode())
            if path is not None:
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    except OSError as err:
        return f"unreadable: {err} {time.time_ns()}"
    return digest.hexdigest()
