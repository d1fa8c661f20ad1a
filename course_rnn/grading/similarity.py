"""The integrity report of ``course-rnn grade``: OUT/similarity.csv and a section of the summary.

It lists

- **pairs** of students whose code is suspiciously similar over all graded tasks together (task
  ``all tasks``: the main signal, since a copier rarely copies one function only), then, for
  each such pair, the tasks where they match, with the lines; a single task is listed on its
  own only when it is long and nearly identical;
- **package** matches: an answer that reproduces the package's own answer (its source is public:
  ``course_rnn.numpy_nn``, ``course_rnn.gradcheck``, the specs' reference callables;
  ``handed_out.py`` finds which functions answer which task);
- **unreadable** answers: a task's code that cannot be tokenized, for that student only.

Code is compared by winnowed fingerprints (``fingerprint.py``: names, comments, docstrings and
formatting do not count), without those of the code handed out with the exercise (stubs,
signatures, hints). Each fingerprint is weighted by how rare it is among the N students who
answered the task, ``log((N + 1) / n)`` when n of them have it (inverse document frequency). In
pairs, a fingerprint that more than :data:`COMMON_FRACTION` of them (and more than
:data:`COMMON_FLOOR` students) share counts nothing: code every correct answer has, such as
``return h, cache``, is evidence of nothing (MOSS's rule); so does code found in the package,
which the package check reports instead. A pair's **similarity** is the weighted Jaccard index of
the two students' fingerprints (shared weight / weight of the union); a package match's is the
weighted share of the student's fingerprints found in the package's source. The thresholds below
were chosen on a generated class (``benchmarks/bench_similarity.py``). The report is advisory:
evidence for a person to read, never a verdict, never part of a grade or of what a student sees.

Nothing is executed: the notebooks are read again as text in the trusted grader process after
grading, and every student of OUT is compared on every run (``--regrade`` included). Nothing here
can abort grading: a failure of the whole step is a line in the summary.

References: Schleimer, Wilkerson & Aiken (2003), Winnowing: local algorithms for document
fingerprinting (the algorithm of MOSS).
"""

import csv
import io
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from course_rnn.grading.files import atomic_write_text
from course_rnn.grading.fingerprint import (
    CodeError,
    Fingerprints,
    Notebook,
    fingerprint,
    line_ranges,
    task_code,
)
from course_rnn.grading.handed_out import PackageCode, handed_out, package_code
from course_rnn.grading.inert import inert, spreadsheet_cell
from course_rnn.grading.notebook import NotebookError, read_code_cells
from course_rnn.grading.submissions import find_notebook

CSV_NAME = "similarity.csv"
COLUMNS = ("task", "student_a", "student_b", "similarity", "matched")
COLUMNS += ("matched_lines_a", "matched_lines_b", "kind", "note")
ALL_TASKS = "all tasks"
CLASS_THRESHOLD = 0.2  # all tasks together: weighted Jaccard of a pair ...
MIN_MATCHED = 10  # ... sharing at least this many uncommon fingerprints
TASK_THRESHOLD = 0.5  # the tasks of such a pair listed on their own (at least MIN_TASK shared)
MIN_TASK = 4
ALONE_THRESHOLD = 0.9  # a task listed for a pair not flagged over all tasks ...
MIN_ALONE = 20  # ... only with this much evidence (short answers: never)
PACKAGE_THRESHOLD = 0.5  # weighted share of a student's fingerprints found in the package ...
MIN_PACKAGE = 4  # ... at least this many of them
COMMON_FRACTION = 0.1  # in pairs, fingerprints in more than this fraction of the class ...
COMMON_FLOOR = 4  # ... and in more than this many students count nothing
SUMMARY_TOP = 3  # rows per task in the summary


@dataclass(frozen=True)
class Match:
    """One row of similarity.csv."""

    task: str  # "exercise/task", or ALL_TASKS
    a: str  # the student (display name)
    b: str  # the other student, "package:<module.function>", or "" (kind "unreadable")
    similarity: float  # 0..1
    matched: int  # uncommon fingerprints shared
    lines_a: str  # e.g. "cell 4: 3-7, 9"
    lines_b: str  # in b's notebook, or in the package's files
    kind: str  # "pair", "package" or "unreadable"
    note: str = ""


@dataclass(frozen=True)
class SimilarityReport:
    """What the integrity step found, for the summary."""

    matches: tuple[Match, ...] = ()
    students: int = 0  # students with an answer to at least one task
    tasks: int = 0
    seconds: float = 0.0
    problem: str = ""  # why the step failed as a whole ("" when it ran)


@dataclass
class TaskScores:
    """The scores of one task (what the thresholds are applied to)."""

    totals: dict[str, float]  # student -> weight of their uncommon fingerprints
    shared: dict[tuple[str, str], tuple[float, int]]  # (a, b) -> (weight, count) shared
    package: dict[str, tuple[float, int]]  # student -> (weighted share, count) in the package
    own: dict[str, set[int]] = field(default_factory=dict)  # their uncommon fingerprints

    def pair_score(self, a: str, b: str) -> float:
        """Weighted Jaccard index of a and b."""
        weight, _ = self.shared[(a, b)]
        union = self.totals[a] + self.totals[b] - weight
        return weight / union if union > 0 else 0.0


def write_similarity(out: Path, students, plans, solutions: Path) -> SimilarityReport:
    """Compare the class and write OUT/similarity.csv; never raises.

    Args:
        out:       the grading run's output folder
        students:  every Student of SUBMISSIONS (``submissions.Student``)
        plans:     the ExercisePlans of the run
        solutions: the instructor folder (its notebooks give the handed-out code)
    """
    start = time.perf_counter()
    try:
        matches, seen, tasks = compare_class(students, plans, solutions)
        problem = ""
    except Exception as err:  # the integrity report must never cost a grade
        matches, seen, tasks = (), 0, 0
        problem = f"{type(err).__name__}: {inert(err)[:200]}"
    try:
        atomic_write_text(Path(out) / CSV_NAME, similarity_csv(matches))
    except OSError as err:
        problem = problem or f"{CSV_NAME} could not be written ({err.strerror or err})"
    return SimilarityReport(tuple(matches), seen, tasks, time.perf_counter() - start, problem)


def compare_class(students, plans, solutions: Path) -> tuple[list[Match], int, int]:
    """(every row, students with an answer, tasks) of the class."""
    names = {s.key: s.name for s in students}
    problems: list[Match] = []
    everything: dict[str, tuple] = {}
    for plan in plans:
        codes, broken = class_codes(students, plan, solutions)
        problems += [Match(t, k, "", 0.0, 0, "", "", "unreadable", n) for t, k, n in broken]
        for tp in plan.tasks:
            task = tp.task
            package = package_code(
                task.name, task.reference.__module__, task.reference.__qualname__
            )
            code = codes[task.name]
            everything[f"{plan.exercise.name}/{task.name}"] = (
                code,
                package,
                task_scores(code, package),
            )
    pairs = class_matches({label: scores for label, (_, _, scores) in everything.items()})
    flagged = {(m.a, m.b) for m in pairs}
    rows = pairs + [
        m for label, found in everything.items() for m in task_matches(label, *found, flagged)
    ]
    seen = {key for _, _, scores in everything.values() for key in scores.totals}
    return [_named(m, names) for m in rows + problems], len(seen), len(everything)


def _named(m: Match, names: dict[str, str]) -> Match:
    """The row with display names instead of keys."""
    return Match(
        m.task,
        names[m.a],
        names.get(m.b, m.b),
        m.similarity,
        m.matched,
        m.lines_a,
        m.lines_b,
        m.kind,
        m.note,
    )


def class_codes(students, plan, solutions: Path):
    """Each task's fingerprints per student, without the handed-out ones.

    Returns:
        (task name -> {student key -> Fingerprints}, [(task, student key, why not compared)])
    """
    exercise = plan.exercise.name
    given = handed_out(solutions, exercise, [tp.task for tp in plan.tasks])
    everything = set(all_task_names())
    codes: dict[str, dict[str, Fingerprints]] = {tp.task.name: {} for tp in plan.tasks}
    problems = []
    for student in students:
        notebook = Notebook(_cells(student, exercise))
        for tp in plan.tasks:
            try:
                definitions = task_code(notebook, tp.task.name, everything)
                found = fingerprint(definitions).without(given) if definitions else None
            except CodeError as err:
                problems.append((f"{exercise}/{tp.task.name}", student.key, str(err)))
                continue
            except Exception as err:  # a bug here costs this answer only, never the class
                why = f"could not be compared (internal error: {type(err).__name__})"
                problems.append((f"{exercise}/{tp.task.name}", student.key, why))
                continue
            if found is not None and found.where:
                codes[tp.task.name][student.key] = found
    return codes, problems


def all_task_names() -> list[str]:
    """Every graded task of every exercise: never counted as another task's helper."""
    from course_rnn.grading.tasks import all_tasks

    return list(all_tasks())


def _cells(student, exercise: str):
    """The student's code cells for the exercise; [] when missing or unreadable (grading has
    already said why in the feedback)."""
    try:
        path, _ = find_notebook(student.folder, exercise)
        return read_code_cells(path) if path is not None else []
    except (OSError, NotebookError):
        return []


def weights(codes: dict[str, Fingerprints], fraction: float) -> dict[int, float]:
    """Each fingerprint's weight, log((N + 1) / n); 0 when too common (see the module)."""
    counts = Counter(h for fp in codes.values() for h in fp.where)
    n = len(codes)
    limit = max(COMMON_FLOOR, fraction * n)
    return {h: math.log((n + 1) / c) if c <= limit else 0.0 for h, c in counts.items()}


def task_scores(
    codes: dict[str, Fingerprints], package: PackageCode, fraction: float = COMMON_FRACTION
) -> TaskScores:
    """Pair and package scores of one task's answers (student key -> fingerprints)."""
    w = weights(codes, fraction)
    mine = {key: fp.where.keys() - package.where.keys() for key, fp in codes.items()}
    own = {key: {h for h in hashes if w[h] > 0} for key, hashes in mine.items()}  # the package
    # check reports the package's code: a pair is judged on what the two wrote themselves
    holders: dict[int, list[str]] = {}
    for key in sorted(own):
        for h in own[key]:
            holders.setdefault(h, []).append(key)
    shared: dict[tuple[str, str], list] = {}
    for h, group in holders.items():
        for pair in combinations(group, 2):
            entry = shared.setdefault(pair, [0.0, 0])
            entry[0] += w[h]
            entry[1] += 1
    idf = weights(codes, 1.0)  # the package check: rarity only (a common copy is still a copy)
    found = {}
    for key, fp in codes.items():
        total = sum(idf[h] for h in fp.where)
        hits = [h for h in fp.where if h in package.where]
        found[key] = (sum(idf[h] for h in hits) / total if total else 0.0, len(hits))
    totals = {key: sum(w[h] for h in mine) for key, mine in own.items()}
    return TaskScores(totals, {p: tuple(v) for p, v in shared.items()}, found, own)


def task_matches(
    task: str, codes, package: PackageCode, scores: TaskScores, flagged=frozenset()
) -> list[Match]:
    """The rows of one task: pairs (those ``flagged`` over all tasks at a lower bar), then
    package matches, each by decreasing similarity."""
    pairs = []
    for (a, b), (_, count) in scores.shared.items():
        score = scores.pair_score(a, b)
        detail = (a, b) in flagged and count >= MIN_TASK and score >= TASK_THRESHOLD
        if detail or (count >= MIN_ALONE and score >= ALONE_THRESHOLD):
            common = scores.own[a] & scores.own[b]
            lines_a, lines_b = (line_ranges(codes[k].lines(common)) for k in (a, b))
            pairs.append(Match(task, a, b, score, count, lines_a, lines_b, "pair"))
    found = []
    for key, (score, count) in scores.package.items():
        if count >= MIN_PACKAGE and score >= PACKAGE_THRESHOLD:
            hits = [h for h in codes[key].where if h in package.where]
            functions = Counter(package.where[h][0] for h in hits).most_common(2)
            label = "package:" + " + ".join(f for f, _ in functions)
            lines_a = line_ranges(codes[key].lines(hits))
            lines_b = line_ranges([place for h in hits for place in package.where[h][1]])
            found.append(Match(task, key, label, score, count, lines_a, lines_b, "package"))
    return sorted(pairs, key=_order) + sorted(found, key=_order)


def class_matches(everything: dict[str, TaskScores]) -> list[Match]:
    """Pairs over all tasks together: weighted Jaccard of everything two students wrote."""
    totals: Counter = Counter()
    shared: dict[tuple[str, str], list] = {}
    for label, scores in everything.items():
        totals.update(scores.totals)
        for pair, (weight, count) in scores.shared.items():
            entry = shared.setdefault(pair, [0.0, 0, []])
            entry[0] += weight
            entry[1] += count
            entry[2].append((scores.pair_score(*pair), label))
    found = []
    for (a, b), (weight, count, tasks) in shared.items():
        union = totals[a] + totals[b] - weight
        score = weight / union if union > 0 else 0.0
        if count >= MIN_MATCHED and score >= CLASS_THRESHOLD:
            top = sorted(tasks, reverse=True)[:5]
            note = "most alike: " + ", ".join(f"{t} {s:.2f}" for s, t in top)
            found.append(Match(ALL_TASKS, a, b, score, count, "", "", "pair", note))
    return sorted(found, key=_order)


def _order(m: Match):
    return (-m.similarity, -m.matched, m.a, m.b)


def similarity_csv(matches) -> str:
    """similarity.csv: every cell quoted, inert and formula-safe (``inert.spreadsheet_cell``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(COLUMNS)
    for m in matches:
        score = f"{m.similarity:.2f}" if m.kind != "unreadable" else ""
        row = (m.task, m.a, m.b, score, str(m.matched), m.lines_a, m.lines_b, m.kind, m.note)
        writer.writerow([spreadsheet_cell(value) if value else "" for value in row])
    return buffer.getvalue()


def summary_lines(report: SimilarityReport | None, top: int = SUMMARY_TOP) -> list[str]:
    """The summary's section: the strongest rows of each task, names inert."""
    if report is None:
        return []
    lines = ["", f"Similarity (advisory: evidence to read, not a verdict; all rows in {CSV_NAME})"]
    if report.problem:
        return [*lines, f"  not computed: {inert(report.problem)}"]
    flagged = [m for m in report.matches if m.kind != "unreadable"]
    for task in dict.fromkeys(m.task for m in flagged):
        rows = [m for m in flagged if m.task == task]
        pairs = sum(m.kind == "pair" for m in rows)
        lines.append(f"  {task}: {pairs} pairs, {len(rows) - pairs} package matches")
        for m in sorted(rows, key=lambda m: -m.similarity)[:top]:
            who = f"{inert(m.a)} ~ {inert(m.b)}"
            lines.append(f"    {m.similarity:4.2f}  {who}  ({m.matched} shared)")
    if not flagged:
        lines.append("  no pair and no package match above the thresholds")
    unreadable = [m for m in report.matches if m.kind == "unreadable"]
    if unreadable:
        some = ", ".join(f"{inert(m.a)} ({m.task})" for m in unreadable[:5])
        lines.append(f"  {len(unreadable)} answers could not be compared: {some}")
    lines.append(
        f"  {report.students} students compared on {report.tasks} tasks in {report.seconds:.1f} s"
    )
    return lines
