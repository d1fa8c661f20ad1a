"""The instructor subcommands of ``course-rnn``: ``release``, ``grade`` and ``gradescope``.

This is the CLI layer: the only grading module that prints (progress bar, summary table). It
imports nothing heavy at module level, so ``course-rnn --help`` stays instant; each command
imports its machinery when it runs.
"""

import argparse
import sys
from pathlib import Path

SUMMARY_MAX_ROWS = 40


def add_commands(subparsers) -> None:
    """Register the three subcommands on ``course-rnn``'s sub-parsers."""
    p = subparsers.add_parser(
        "release",
        help="write the student notebooks (exercises/) from the instructor notebooks",
        description="Write exercises/<name>.ipynb for every solutions/<name>.ipynb: solution "
        "regions become stubs raising NotImplementedError, outputs are cleared.",
    )
    p.add_argument("--solutions", type=Path, default=Path("solutions"), help="default: solutions")
    p.add_argument("--out", type=Path, default=Path("exercises"), help="default: exercises")
    p.set_defaults(handler=run_release)

    p = subparsers.add_parser(
        "grade",
        help="grade a folder (or zip) of student submissions in the sandbox",
        description="Grade SUBMISSIONS (one folder per student, or a zip of that) into OUT: "
        "grades.csv, feedback/<student>.md, results/<student>/results.json (Gradescope). "
        "Re-running resumes: students already graded with the same files are kept.",
    )
    p.add_argument("submissions", type=Path, metavar="SUBMISSIONS")
    p.add_argument("--out", type=Path, required=True, metavar="OUT")
    p.add_argument("--jobs", type=int, default=2, help="notebooks graded in parallel (default 2)")
    p.add_argument("--solutions", type=Path, default=Path("solutions"), help="default: solutions")
    p.add_argument("--seed", type=int, default=None, help="secret seed of the hidden cases")
    p.add_argument("--cell-timeout", type=float, default=5.0, help="seconds per cell (default 5)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=run_grade)

    p = subparsers.add_parser(
        "gradescope",
        help="write a Gradescope autograder bundle (setup.sh, run_autograder)",
        description="Write BUNDLE.zip for Gradescope's 'Zip file upload' autograder: it installs "
        "this package and runs this same grader on each submission.",
    )
    p.add_argument("bundle", type=Path, metavar="BUNDLE.zip")
    p.add_argument("--solutions", type=Path, default=Path("solutions"), help="default: solutions")
    p.set_defaults(handler=run_gradescope)


def run_release(args) -> int:
    """``course-rnn release``."""
    from course_rnn.grading.release import release

    try:
        written = release(args.solutions, args.out)
    except (OSError, ValueError) as err:
        print(f"course-rnn release: {err}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    return 0


def run_grade(args) -> int:
    """``course-rnn grade``: a progress bar while grading, then a summary table."""
    from tqdm import tqdm

    from course_rnn.grading.grade import GradeSettings, grade

    if args.jobs < 1:
        print("course-rnn grade: --jobs must be at least 1", file=sys.stderr)
        return 2
    settings = GradeSettings(jobs=args.jobs, seed=args.seed, cell_timeout=args.cell_timeout)
    bar = tqdm(desc="grading", unit="student", disable=args.quiet, file=sys.stderr)

    def start(to_grade: int, kept: int) -> None:
        bar.reset(total=to_grade)
        if kept:
            bar.write(f"{kept} students kept from an earlier run (same files, same tests)")

    try:
        run = grade(
            args.submissions,
            args.out,
            solutions=args.solutions,
            settings=settings,
            on_start=start,
            on_student=lambda result: bar.update(1),
        )
    except (OSError, ValueError) as err:
        bar.close()
        print(f"course-rnn grade: {err}", file=sys.stderr)
        return 2
    bar.close()
    print(summary_table(run))
    return 0


def summary_table(run) -> str:
    """The end-of-run summary: per-test averages, then per-student totals for small classes."""
    lines = []
    results = run.results
    maxima = {}
    for r in results:
        for t in r.tests:
            maxima[t.id] = t.max_score
    width = max([len(k) for k in maxima] + [10])
    lines.append(f"{'test':<{width}}  mean    passed")
    for test_id, top in maxima.items():
        scores = [t.score for r in results for t in r.tests if t.id == test_id]
        passed = sum(t.passed for r in results for t in r.tests if t.id == test_id)
        mean = sum(scores) / len(scores) if scores else 0.0
        lines.append(f"{test_id:<{width}}  {mean:4.2f}/{top:g}  {passed}/{len(scores)}")
    if len(results) <= SUMMARY_MAX_ROWS:
        name_width = max([len(r.student) for r in results] + [7])
        lines += ["", f"{'student':<{name_width}}  total"]
        lines += [f"{r.student:<{name_width}}  {r.score:g}/{r.max_score:g}" for r in results]
    lines.append("")
    lines.append(
        f"{len(results)} students: {run.graded} graded, {run.resumed} kept from an earlier run, "
        f"in {run.seconds:.1f} s (sandbox: {run.mode or 'not started'})"
    )
    return "\n".join(lines)


def run_gradescope(args) -> int:
    """``course-rnn gradescope BUNDLE.zip``."""
    from course_rnn.grading.gradescope import write_bundle

    try:
        path = write_bundle(args.bundle, solutions=args.solutions)
    except (OSError, ValueError) as err:
        print(f"course-rnn gradescope: {err}", file=sys.stderr)
        return 2
    print(f"wrote {path}: upload it as a Gradescope 'Zip file upload' autograder")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand (for ``python -m course_rnn.grading.commands``)."""
    parser = argparse.ArgumentParser(prog="course-rnn")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
