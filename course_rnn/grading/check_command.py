"""The student subcommand ``course-rnn check``: run every task's self-check, print a table.

The CLI layer of :mod:`course_rnn.grading.progress` (which runs the notebooks): the arguments,
the table and the exit status. Imports nothing heavy at module level, so ``course-rnn --help``
stays instant.

Students read about it in README.md, "For students: doing the exercises".

Book: "How to use this book" (exercises).
"""

import os
import shutil
import sys
from pathlib import Path

EXIT_ALL_PASS, EXIT_NOT_ALL_PASS, EXIT_NOTHING_CHECKED = 0, 1, 2
MIN_MESSAGE_WIDTH = 30


def add_check_command(subparsers) -> None:
    """Register ``check`` on ``course-rnn``'s sub-parsers."""
    p = subparsers.add_parser(
        "check",
        help="run the self-checks of every task of your exercise notebooks and show a table",
        description="Run each notebook like 'Run All' in a fresh kernel (with your own Python, "
        "in the notebook's folder, printing nothing of what the notebook prints), then the "
        "public self-check of each task, the same check(...) the notebook calls. Prints a "
        "table: notebook, task, status (passed, failed, not attempted: the function still "
        "raises NotImplementedError, or error: no such function, a timeout, a crash) and the "
        "first failing check with its message. The grader's hidden cases are not run: a task "
        "that passes here can still lose the points of hidden cases.",
        epilog=f"Exit status: {EXIT_ALL_PASS} when every task passes, {EXIT_NOT_ALL_PASS} "
        f"when any task is failed, not attempted or in error, {EXIT_NOTHING_CHECKED} when "
        "nothing could be checked (no such path, not a notebook, no graded task).",
    )
    p.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="a notebook (exercises/bptt.ipynb) or a folder of notebooks (exercises/)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="seconds each cell and each task's check may run (default 60)",
    )
    p.add_argument("--verbose", "-v", action="store_true", help="also print each message in full")
    p.set_defaults(handler=run_check)


def run_check(args) -> int:
    """``course-rnn check PATH...``; returns the exit status (see the epilog)."""
    from course_rnn.grading.progress import check_notebook, find_notebooks

    if os.name != "posix":
        print("course-rnn check: needs Linux or macOS (on Windows, use WSL)", file=sys.stderr)
        return EXIT_NOTHING_CHECKED
    if not args.timeout > 0:
        print("course-rnn check: --timeout must be positive", file=sys.stderr)
        return EXIT_NOTHING_CHECKED
    try:
        notebooks = find_notebooks(args.paths)
    except ValueError as err:
        print(f"course-rnn check: {err}", file=sys.stderr)
        return EXIT_NOTHING_CHECKED
    reports = []
    for path in notebooks:
        print(f"checking {path} ...", file=sys.stderr, flush=True)
        reports.append(check_notebook(path, timeout=args.timeout))
    skipped = [r.notebook for r in reports if not r.tasks]
    for path in skipped:
        print(f"skipped {path}: it is not an exercise notebook (no graded task)", file=sys.stderr)
    reports = [r for r in reports if r.tasks]
    if not reports:
        named = ", ".join(map(str, args.paths))
        print(f"course-rnn check: no exercise notebook in {named}", file=sys.stderr)
        return EXIT_NOTHING_CHECKED
    print(progress_table(reports, verbose=args.verbose))
    every = [t for r in reports for t in r.tasks]
    return EXIT_ALL_PASS if all(t.status == "passed" for t in every) else EXIT_NOT_ALL_PASS


def progress_table(reports, verbose: bool = False, width: int | None = None) -> str:
    """The table: a row per task, notes per notebook, then the counts.

    Args:
        reports: :class:`course_rnn.grading.progress.NotebookReport` s, with at least one task
        verbose: print every message in full below the table
        width:   the terminal's width (default: the current terminal's, else 100)

    Returns:
        The text to print. Text that came from the student's code is shown inert (escapes and
        control characters written as ``\\x1b``).
    """
    from course_rnn.grading.inert import display_name, inert
    from course_rnn.grading.progress import STATUSES

    width = width or shutil.get_terminal_size((100, 24)).columns
    rows = []
    for report in reports:
        name = display_name(report.notebook.name)
        for k, t in enumerate(report.tasks):
            said = f"{t.stage}: {t.message}" if t.stage else t.message
            rows.append((name if k == 0 else "", t.task, t.status, inert(said)))
    head = ("notebook", "task", "status", "first failing check")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(3)]
    room = max(MIN_MESSAGE_WIDTH, width - sum(widths) - 6)
    lines = []
    for row in [head, *rows]:
        said = row[3] if len(row[3]) <= room else row[3][: room - 1] + "…"
        cells = [f"{row[i]:<{widths[i]}}" for i in range(3)]
        lines.append("  ".join([*cells, said]).rstrip())
    lines.insert(1, "  ".join("-" * w for w in [*widths, min(room, 19)]))
    for report in reports:
        lines += [f"{display_name(report.notebook.name)}: {inert(n)}" for n in report.notes]
    if verbose:
        lines.append("")
        for report in reports:
            for t in report.tasks:
                if t.message:
                    where = f"{display_name(report.notebook.name)}, {t.task}"
                    lines.append(f"{where} ({t.stage or t.status}): {inert(t.message)}")
    every = [t for r in reports for t in r.tasks]
    counts = {s: sum(t.status == s for t in every) for s in STATUSES}
    said = ", ".join(f"{n} {s}{'s' if s == 'error' and n != 1 else ''}" for s, n in counts.items())
    notebooks = f"{len(reports)} notebook{'s' if len(reports) != 1 else ''}"
    lines += ["", f"{len(every)} tasks in {notebooks}: {said}"]
    return "\n".join(lines)
