"""What the grader writes: per-student feedback, Gradescope results, records, and grades.csv.

Per student (the unit of work; see ``grade.py``), in this order, each file atomically:
``OUT/feedback/<student>.md``, ``OUT/results/<student>/results.json`` (Gradescope's format) and
last ``OUT/results/<student>/record.json``, whose presence marks the student as done. grades.csv is
rebuilt from the records after every run, so a re-run after a crash never counts a student twice.

Text from student code (exception messages, file names) is made inert first (``inert.py``:
control characters, terminal escapes, bidi overrides and lone surrogates written as escapes), then
only ever appears inside indented code blocks in the Markdown, as JSON strings (Gradescope is told
to show them as plain text), and as fully quoted, formula-safe CSV cells. Every file says which
sandbox mode graded the student, and whether the result is final or provisional (a timeout, a
killed worker or an engine failure decided part of it: graded again on the next run).
"""

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from course_rnn.grading.files import atomic_write_text
from course_rnn.grading.inert import inert, spreadsheet_cell
from course_rnn.grading.score import NotebookResult, TestResult

RECORD_FORMAT = 2
HIDDEN_VISIBILITY = "after_due_date"  # hidden cases: pass/fail, shown once the deadline passed
PROVISIONAL = "provisional"


@dataclass(frozen=True)
class StudentResult:
    """All of one student's grading: one NotebookResult per exercise."""

    student: str  # the submission folder's name
    key: str  # the safe file name used under OUT
    notebooks: tuple[NotebookResult, ...]
    seconds: float
    fingerprint: str  # of the student's files and the grading setup (resume check)
    mode: str = ""  # the sandbox's confinement that graded the student
    notes: tuple[str, ...] = ()  # about the submission as a whole (e.g. a zip member skipped)
    trouble: tuple[str, ...] = ()  # why the whole result is provisional (e.g. a grader error)

    @property
    def final(self) -> bool:
        """Whether the result stands: nothing was decided by a timeout, a kill or the engine."""
        return not self.trouble and not any(nb.trouble for nb in self.notebooks)

    @property
    def status(self) -> str:
        """The result's status: "final", or "provisional" (graded again on the next run)."""
        return "final" if self.final else PROVISIONAL

    @property
    def tests(self) -> list[TestResult]:
        """Every test, exercise by exercise."""
        return [t for nb in self.notebooks for t in nb.tests]

    @property
    def score(self) -> float:
        """The total score."""
        return sum(t.score for t in self.tests)

    @property
    def max_score(self) -> float:
        """The total points available."""
        return sum(t.max_score for t in self.tests)


def _points(x: float) -> str:
    return f"{x:g}"


def _block(text: str) -> str:
    """Inert text as an indented Markdown code block (never interpreted as Markdown)."""
    return "\n".join("      " + line for line in inert(text, lines=True).splitlines() or [""])


def feedback_markdown(result: StudentResult) -> str:
    """The student's feedback: totals, a table per exercise, public messages, notes."""
    lines = [
        f"# Feedback for {result.key}",
        "",
        f"**Total: {_points(result.score)} / {_points(result.max_score)}**",
        "",
        f"Graded in the sandbox mode `{inert(result.mode) or 'unknown'}`.",
    ]
    if not result.final:
        lines += ["", f"**This result is {PROVISIONAL}**: {_provisional(result)}"]
    if result.notes:
        lines += ["", "Notes about the submission:", ""]
        lines += [_block(note) + "\n" for note in result.notes]
    for nb in result.notebooks:
        score = sum(t.score for t in nb.tests)
        total = sum(t.max_score for t in nb.tests)
        lines += ["", f"## {nb.exercise}: {_points(score)} / {_points(total)}", ""]
        lines += ["| task | public checks | hidden cases |", "|---|---|---|"]
        tasks = dict.fromkeys(t.task for t in nb.tests)
        by = {(t.task, t.kind): t for t in nb.tests}
        for task in tasks:
            cells = [
                f"{'passed' if t.passed else 'failed'} "
                f"({_points(t.score)} / {_points(t.max_score)})"
                for t in (by[(task, "public")], by[(task, "hidden")])
            ]
            lines.append(f"| {task} | {cells[0]} | {cells[1]} |")
        lines.append("")
        for task in tasks:
            lines += [f"- **{task}**, public checks:", "", _block(by[(task, "public")].message), ""]
        if nb.notes:
            lines += [f"Notes from running {nb.exercise}.ipynb:", ""]
            lines += [_block(note) + "\n" for note in nb.notes]
    return "\n".join(lines).rstrip() + "\n"


def gradescope_results(result: StudentResult) -> dict:
    """The student's results in Gradescope's results.json format."""
    tests = []
    for i, nb in enumerate(result.notebooks, start=1):
        for j, t in enumerate(nb.tests, start=1):
            label = "public checks" if t.kind == "public" else "hidden cases"
            tests.append(
                {
                    "name": f"{t.exercise}: {t.task} ({label})",
                    "number": f"{i}.{j}",
                    "score": t.score,
                    "max_score": t.max_score,
                    "output": inert(t.message, lines=True),
                    "tags": [t.exercise, t.task],
                    "visibility": "visible" if t.kind == "public" else HIDDEN_VISIBILITY,
                }
            )
    notes = [*result.notes]
    notes += [f"{nb.exercise}: {note}" for nb in result.notebooks for note in nb.notes]
    output = [f"Total: {_points(result.score)} / {_points(result.max_score)}"]
    output.append(f"Graded in the sandbox mode: {inert(result.mode) or 'unknown'}")
    if not result.final:
        output.append(f"This result is {PROVISIONAL}: {_provisional(result)}")
    return {
        "score": result.score,
        "execution_time": round(result.seconds, 3),
        "output": inert("\n".join([*output, *notes]), lines=True),
        "output_format": "text",
        "test_output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {"sandbox": result.mode, "status": result.status},
        "tests": tests,
    }


def _provisional(result: StudentResult) -> str:
    """Why a result is provisional, in the grader's words."""
    why = [*result.trouble, *(t for nb in result.notebooks for t in nb.trouble)]
    return f"{'; '.join(dict.fromkeys(why))}. It will be graded again on the next run."


def record_json(result: StudentResult) -> str:
    """The record that marks a student as graded (and feeds grades.csv)."""
    data = asdict(result)
    data["format"] = RECORD_FORMAT
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def read_record(path: Path) -> StudentResult | None:
    """The StudentResult stored at ``path``, or None when missing, unreadable or outdated."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.pop("format", None) != RECORD_FORMAT:
            return None
        notebooks = tuple(
            NotebookResult(
                nb["exercise"],
                tuple(TestResult(**t) for t in nb["tests"]),
                tuple(nb["notes"]),
                tuple(nb["trouble"]),
            )
            for nb in data.pop("notebooks")
        )
        for name in ("notes", "trouble"):
            data[name] = tuple(data[name])
        return StudentResult(notebooks=notebooks, **data)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def student_paths(out: Path, key: str) -> dict[str, Path]:
    """Where one student's files go under OUT."""
    folder = Path(out) / "results" / key
    return {
        "feedback": Path(out) / "feedback" / f"{key}.md",
        "results": folder / "results.json",
        "record": folder / "record.json",
    }


def write_student(out: Path, result: StudentResult) -> None:
    """Write the student's feedback, results.json, then the record (the commit marker)."""
    paths = student_paths(out, result.key)
    for path in paths.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(paths["feedback"], feedback_markdown(result))
    atomic_write_text(
        paths["results"], json.dumps(gradescope_results(result), indent=1, ensure_ascii=False)
    )
    atomic_write_text(paths["record"], record_json(result))


def grades_csv(results: Sequence[StudentResult], columns: Sequence[tuple[str, str]]) -> str:
    """grades.csv: student, per exercise its tests and its total, the total, status and sandbox.

    Every cell is quoted, and the student's name is inert and formula-safe
    (:func:`~course_rnn.grading.inert.spreadsheet_cell`), for comma, semicolon and tab imports.

    Args:
        results: one per student, in the order of the rows
        columns: (exercise, test id) pairs in column order (test id "" for the exercise total)

    Returns:
        The CSV text.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    header = ["student", *(test or exercise for exercise, test in columns), "total"]
    writer.writerow([*header, "status", "sandbox"])
    for r in results:
        scores = {t.id: t.score for t in r.tests}
        per_exercise = {nb.exercise: sum(t.score for t in nb.tests) for nb in r.notebooks}
        row = [
            _points(scores.get(test, 0.0) if test else per_exercise.get(ex, 0.0))
            for ex, test in columns
        ]
        status = [r.status, spreadsheet_cell(r.mode)]
        writer.writerow([spreadsheet_cell(r.student), *row, _points(r.score), *status])
    return buffer.getvalue()
