"""``course-rnn grade``: grade every student's notebooks in the sandbox, resumably.

The unit of work is one student: their notebooks run in the sandbox (``score.py``), then their
feedback, Gradescope results and record are written atomically (``report.py``). Every step of a
student (finding the files, grading, writing) is isolated: whatever goes wrong becomes a note for
that student, never an aborted run. grades.csv is rebuilt from the records at the end.

Resume: a student whose *final* record matches the fingerprint of their files and of the grading
setup (seed, tests, limits, budgets, sandbox mode and the grader's own code) is not graded again,
so a re-run after ``kill -9`` resumes where it stopped. A provisional record (a timeout, a killed
worker or an engine failure decided part of it) is graded again on every run, and ``regrade``
names students to grade again anyway. After grading, every student of the run (kept or graded)
is compared for the integrity report, OUT/similarity.csv (``similarity.py``).

Trust (CONTRIBUTING.md, "The grader's security model"): this process owns the hidden cases (drawn
with the secret seed), the reference outputs and every comparison; the sandboxed worker only
receives inputs and returns data. This module never prints; the CLI reports progress through
``on_start``/``on_student``.
"""

import functools
import hashlib
import os
import shutil
import stat
import time
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path

from course_rnn.grading.files import atomic_write_text, make_scratch, remove_stale_temporaries
from course_rnn.grading.inert import inert
from course_rnn.grading.notebook import MAX_NOTEBOOK_BYTES
from course_rnn.grading.plan import ExercisePlan, plan_exercise
from course_rnn.grading.report import (
    StudentResult,
    grades_csv,
    read_record,
    student_paths,
    write_student,
)
from course_rnn.grading.score import grade_notebooks, score_missing
from course_rnn.grading.similarity import SimilarityReport, write_similarity
from course_rnn.grading.submissions import (
    Student,
    SubmissionsError,
    find_notebook,
    open_submissions,
)
from course_rnn.grading.tasks import load_exercises, read_seed

GRADER_VERSION = "2"  # bump when scoring changes: every record is then graded again
GRADER_CODE = Path(__file__).resolve().parent  # course_rnn/grading: its code is in the fingerprint


@dataclass(frozen=True)
class GradeSettings:
    """How to grade; the defaults suit a laptop with two cores."""

    jobs: int = 2  # notebooks graded in parallel (sandbox workers)
    seed: int | None = (
        None  # secret seed of the hidden cases; None: solutions/tests/secret_seed.txt
    )
    cell_timeout: float = 5.0  # CPU seconds per notebook cell before it is skipped
    memory_mb: int = 2048  # address-space limit of the worker
    cpu_seconds: int = 60  # CPU-time limit of one process of a submission
    confinement: str = "auto"  # the sandbox mode: "auto" (bubblewrap or refuse) or one by name
    notebook_seconds: float = 300.0  # wall-clock budget of one notebook (both of its runs)
    student_seconds: float = 600.0  # wall-clock budget of one student (all their notebooks)


@dataclass(frozen=True)
class GradeRun:
    """What a grading run did (the CLI prints a summary of it)."""

    results: tuple[StudentResult, ...]  # every student, in grades.csv order
    graded: int  # students graded in this run
    resumed: int  # students whose record from an earlier run was kept
    mode: str  # the sandbox's confinement
    seconds: float
    plans: tuple[ExercisePlan, ...]
    warnings: tuple[str, ...] = ()  # what in SUBMISSIONS was not graded, and why
    similarity: SimilarityReport | None = None  # the integrity report (OUT/similarity.csv)

    @property
    def provisional(self) -> int:
        """Students whose result is provisional (graded again on the next run)."""
        return sum(not r.final for r in self.results)


def grade(
    submissions: Path,
    out: Path,
    *,
    solutions: Path,
    settings: GradeSettings | None = None,
    sandbox=None,
    regrade: Collection[str] = (),
    regrade_all: bool = False,
    on_start: Callable[[int, int, str], None] | None = None,
    on_student: Callable[[StudentResult], None] | None = None,
) -> GradeRun:
    """Grade every student of SUBMISSIONS into OUT.

    Args:
        submissions: a folder with one folder per student, or a zip of one
        out:         the output folder (grades.csv, feedback/, results/)
        solutions:   the instructor folder (tests/<exercise>.py, tests/secret_seed.txt)
        settings:    jobs, seed, limits, budgets, sandbox mode (:class:`GradeSettings`)
        sandbox:     a running Sandbox to use (tests share one); None starts one when needed
        regrade:     students (folder names or keys) to grade again even if their record stands
        regrade_all: grade every student again
        on_start:    called once, before any student code runs, with (students to grade,
                     students kept from an earlier run, the sandbox mode)
        on_student:  called with each student's result as soon as it is written

    Returns:
        A :class:`GradeRun`.

    Raises:
        SubmissionsError: SUBMISSIONS is missing, empty or an unsafe zip; OUT is inside it; a
            student named in ``regrade`` does not exist.
        ValueError: the hidden tests or the secret seed cannot be loaded.
        SandboxError: the sandbox mode asked for cannot be had here.
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
    scratch = make_scratch(out)  # also removes what a killed grader left
    remove_stale_temporaries(out)
    skipped: list[str] = []
    try:
        students = open_submissions(submissions, scratch, skipped)
        again = _regrade_keys(students, regrade, regrade_all)
        mode = sandbox.mode if sandbox is not None else _mode(settings.confinement)
        setup = _setup_digest(seed, plans, settings, mode)
        done, pending = {}, []
        for student in students:
            fingerprint = _fingerprint(student, plans, setup.copy())
            record = read_record(student_paths(out, student.key)["record"])
            if (
                student.key not in again
                and record
                and record.final
                and record.fingerprint == fingerprint
                and record.student == student.name
            ):
                done[student.key] = record
            else:
                pending.append((student, fingerprint))
        resumed = len(done)
        if on_start is not None:
            on_start(len(pending), resumed, mode)
        if pending:
            secrets = (solutions, submissions)  # the uid mode refuses while its uid can read them
            _grade_pending(pending, plans, out, settings, sandbox, done, on_student, mode, secrets)
        similarity = write_similarity(out, students, plans, solutions)  # never raises
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    results = tuple(done[s.key] for s in students)
    columns = [(p.exercise.name, t.id) for p in plans for t in score_missing(p, "").tests]
    columns = _with_exercise_totals(columns)
    atomic_write_text(out / "grades.csv", grades_csv(results, columns))
    seconds = time.perf_counter() - start
    return GradeRun(
        results, len(pending), resumed, mode, seconds, plans, tuple(skipped), similarity
    )


def _mode(confinement: str) -> str:
    """The mode a sandbox started now would have (SandboxError when it cannot be had)."""
    from course_rnn.grading.sandbox.modes import choose_mode

    return choose_mode(confinement)


def _regrade_keys(students: list[Student], names: Collection[str], everyone: bool) -> set[str]:
    """The keys of the students to grade again; SubmissionsError for a name that is not there."""
    if everyone:
        return {s.key for s in students}
    known = {name: s.key for s in students for name in (s.folder.name, s.name, s.key)}
    unknown = [name for name in names if name not in known]
    if unknown:
        some = ", ".join(repr(s.name) for s in students[:5])
        raise SubmissionsError(
            f"--regrade: no student named {', '.join(map(repr, unknown))} "
            f"(students are named by their folders, e.g. {some})"
        )
    return {known[name] for name in names}


def _with_exercise_totals(columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Insert an (exercise, "") column after each exercise's tests."""
    result = []
    for i, (exercise, test) in enumerate(columns):
        result.append((exercise, test))
        if i + 1 == len(columns) or columns[i + 1][0] != exercise:
            result.append((exercise, ""))
    return result


def _grade_pending(
    pending, plans, out, settings, sandbox, done, on_student, mode, secrets=()
) -> None:
    """Grade the pending students in parallel; write each one's files as it completes."""
    if sandbox is None:
        from course_rnn.grading.sandbox import Sandbox

        with Sandbox(
            jobs=settings.jobs,
            cell_timeout=settings.cell_timeout,
            memory_mb=settings.memory_mb,
            cpu_seconds=settings.cpu_seconds,
            confinement=settings.confinement,
            secrets=secrets,
            private=(out,),  # OUT and its scratch: made 0700 in the uid mode
        ) as sb:
            return _grade_pending(pending, plans, out, settings, sb, done, on_student, mode)
    with ThreadPoolExecutor(max_workers=max(1, settings.jobs)) as pool:
        futures = {
            pool.submit(grade_student, student, fingerprint, plans, sandbox, settings): student
            for student, fingerprint in pending
        }
        fingerprints = dict(pending)
        for future in as_completed(futures):
            student = futures[future]
            try:
                result = future.result()
            except Exception as err:  # a grader bug must not lose the other students
                problem = f"internal grader error ({type(err).__name__}); tell your instructor"
                result = StudentResult(
                    student.name, student.key, (), 0.0, fingerprints[student], mode, student.notes
                )
                result = _failed(result, plans, problem)
            result = _write(out, replace(result, mode=mode), plans)
            done[result.key] = result
            if on_student is not None:
                on_student(result)
    return None


def grade_student(
    student: Student, fingerprint: str, plans, sandbox, settings: GradeSettings | None = None
) -> StudentResult:
    """Grade one student's notebooks within their budget; never raises for their files."""
    settings = settings or GradeSettings()
    start = time.perf_counter()
    deadline = time.monotonic() + settings.student_seconds
    found = []
    for plan in plans:
        try:
            found.append(find_notebook(student.folder, plan.exercise.name))
        except OSError as err:  # a folder the grader may not list
            found.append((None, f"the submission cannot be read ({err.strerror or err})"))
    notebooks = grade_notebooks(
        list(plans),
        found,
        sandbox,
        cell_seconds=settings.cell_timeout,
        notebook_seconds=settings.notebook_seconds,
        deadline=deadline,
    )
    seconds = time.perf_counter() - start
    mode = str(getattr(sandbox, "mode", ""))
    return StudentResult(
        student.name, student.key, tuple(notebooks), seconds, fingerprint, mode, student.notes
    )


def _failed(result: StudentResult, plans, problem: str) -> StudentResult:
    """``result`` with every test 0, ``problem`` as the note (grader text), and provisional."""
    notebooks = tuple(score_missing(plan, problem) for plan in plans)
    return replace(result, notebooks=notebooks, trouble=(problem,))


def _write(out: Path, result: StudentResult, plans) -> StudentResult:
    """Write the student's files; when that fails, write a provisional result saying why."""
    try:
        write_student(out, result)
        return result
    except Exception as err:
        problem = (
            f"the grader could not write this student's feedback "
            f"({type(err).__name__}: {inert(err)[:200]}); tell your instructor"
        )
        fallback = _failed(result, plans, problem)
        try:
            write_student(out, fallback)
        except Exception:  # the disk itself fails: the row still says so in grades.csv
            pass
        return fallback


def _setup_digest(seed: int, plans, settings: GradeSettings, mode: str):
    """What every student's result depends on besides their files (a hashlib object)."""
    digest = hashlib.sha256(f"{GRADER_VERSION}/{seed}/{mode}".encode())
    limits = (
        settings.cell_timeout,
        settings.memory_mb,
        settings.cpu_seconds,
        settings.notebook_seconds,
        settings.student_seconds,
    )
    digest.update(repr(limits).encode())
    digest.update(grader_code_digest().encode())
    for plan in plans:
        digest.update(plan.exercise.fingerprint.encode())
    return digest


@functools.cache
def grader_code_digest() -> str:
    """A digest of the grader's own code: every file under course_rnn/grading (sandbox included)."""
    digest = hashlib.sha256()
    for path in sorted(GRADER_CODE.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(f"\0{path.relative_to(GRADER_CODE)}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _fingerprint(student: Student, plans, digest) -> str:
    """A digest of the grading setup and of the student's notebook files.

    A file is never read whole and never read before its type and size are known: a notebook
    that is not a regular file or is larger than the grader accepts is fingerprinted by its
    metadata, the rest in chunks. An unreadable folder gives a digest that matches no record,
    so the student is graded (and the problem reported) on every run.
    """
    try:
        for plan in plans:
            path, note = find_notebook(student.folder, plan.exercise.name)
            digest.update(f"\0{plan.exercise.name}\0{note}\0".encode("utf-8", "backslashreplace"))
            if path is not None:
                digest.update(_file_digest(path))
    except OSError as err:
        return f"unreadable: {err.errno} {time.time_ns()}"
    return digest.hexdigest()


def _file_digest(path: Path) -> bytes:
    """SHA-256 of a regular file of acceptable size, read in chunks; else its metadata."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_NOTEBOOK_BYTES:
            return f"{info.st_mode}/{info.st_size}/{info.st_mtime_ns}".encode()
        digest, left = hashlib.sha256(), MAX_NOTEBOOK_BYTES + 1
        while left > 0 and (chunk := os.read(fd, min(1 << 20, left))):
            digest.update(chunk)
            left -= len(chunk)
        return digest.digest()
    finally:
        os.close(fd)
