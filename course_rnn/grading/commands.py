"""The instructor subcommands of ``course-rnn``: ``release``, ``grade`` and ``gradescope``.

This is the CLI layer: the only grading module that prints (progress bar, summary table). It
imports nothing heavy at module level, so ``course-rnn --help`` stays instant; each command
imports its machinery when it runs.
"""

import argparse
import os
import sys
from pathlib import Path

SUMMARY_MAX_ROWS = 40
SEED_ENV = "COURSE_RNN_SEED"  # the secret seed, where no file suits (never on a command line)


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
        "grades.csv, feedback/<student>.md, results/<student>/results.json (Gradescope), "
        "similarity.csv (an integrity report to read, not a verdict: see README). "
        "Re-running resumes: students already graded with the same files, tests, limits, "
        "sandbox mode and grader are kept, unless their result was provisional (a timeout or a "
        "killed worker decided part of it). The secret seed comes from --seed-file, else "
        f"${SEED_ENV}, else SOLUTIONS/tests/secret_seed.txt.",
    )
    p.add_argument("submissions", type=Path, metavar="SUBMISSIONS")
    p.add_argument("--out", type=Path, required=True, metavar="OUT")
    p.add_argument("--jobs", type=int, default=2, help="notebooks graded in parallel (default 2)")
    p.add_argument("--solutions", type=Path, default=Path("solutions"), help="default: solutions")
    p.add_argument(
        "--seed-file",
        type=Path,
        metavar="PATH",
        help="file holding the secret seed of the hidden cases (keep it private, mode 600)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help="discouraged: a command line is visible to every user (ps); use --seed-file",
    )
    p.add_argument(
        "--cell-timeout", type=float, default=5.0, help="CPU seconds per cell (default 5)"
    )
    p.add_argument(
        "--notebook-budget",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="wall-clock seconds one notebook may take in all (default 300)",
    )
    p.add_argument(
        "--student-budget",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="wall-clock seconds one student's notebooks may take in all (default 600)",
    )
    p.add_argument(
        "--regrade",
        nargs="+",
        default=[],
        metavar="STUDENT",
        help="grade these students (folder names) again, even if their results stand",
    )
    p.add_argument("--regrade-all", action="store_true", help="grade every student again")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--sandbox",
        choices=("auto", "bubblewrap", "uid", "landlock", "rlimits-only"),
        default="auto",
        metavar="MODE",
        help="how student code is confined: auto (default) = bubblewrap, or refuse saying what "
        "is missing; weaker modes only by name: uid (root without namespaces), landlock (a "
        "normal user without user namespaces), rlimits-only (trusted notebooks only); see README",
    )
    p.set_defaults(handler=run_grade)

    p = subparsers.add_parser(
        "gradescope",
        help="write a Gradescope autograder bundle (setup.sh, run_autograder)",
        description="Write BUNDLE.zip for Gradescope's 'Zip file upload' autograder: it installs "
        "this package and runs this same grader on each submission.",
    )
    p.add_argument("bundle", type=Path, metavar="BUNDLE.zip")
    p.add_argument("--solutions", type=Path, default=Path("solutions"), help="default: solutions")
    p.add_argument(
        "--sandbox",
        choices=("auto", "uid"),
        default="auto",
        metavar="MODE",
        help="auto (default): bubblewrap, or every submission fails saying why; uid: for "
        "Gradescope containers where bubblewrap cannot create namespaces (see README)",
    )
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
    from course_rnn.grading.inert import inert

    if args.jobs < 1:
        print("course-rnn grade: --jobs must be at least 1", file=sys.stderr)
        return 2
    if min(args.cell_timeout, args.notebook_budget, args.student_budget) <= 0:
        print("course-rnn grade: timeouts and budgets must be positive", file=sys.stderr)
        return 2
    try:
        seed = _seed(args)
    except ValueError as err:
        print(f"course-rnn grade: {err}", file=sys.stderr)
        return 2
    settings = GradeSettings(
        jobs=args.jobs,
        seed=seed,
        cell_timeout=args.cell_timeout,
        confinement=getattr(args, "sandbox", "auto"),
        notebook_seconds=args.notebook_budget,
        student_seconds=args.student_budget,
    )
    bar = tqdm(desc="grading", unit="student", disable=args.quiet, file=sys.stderr)

    def start(to_grade: int, kept: int, mode: str) -> None:
        bar.reset(total=to_grade)
        bar.write(f"sandbox mode: {mode}; {to_grade} students to grade", file=sys.stderr)
        if kept:
            bar.write(
                f"{kept} students kept from an earlier run (same files, same tests)",
                file=sys.stderr,
            )

    try:
        run = grade(
            args.submissions,
            args.out,
            solutions=args.solutions,
            settings=settings,
            regrade=args.regrade,
            regrade_all=args.regrade_all,
            on_start=start,
            on_student=lambda result: bar.update(1),
        )
    except (OSError, ValueError, RuntimeError) as err:  # RuntimeError: the sandbox (SandboxError)
        bar.close()
        print(f"course-rnn grade: {inert(err)}", file=sys.stderr)
        return 2
    bar.close()
    for warning in run.warnings:
        print(f"warning: {inert(warning)}", file=sys.stderr)
    print(summary_table(run))
    return 0


def _seed(args) -> int | None:
    """The secret seed from --seed-file, --seed (with a warning) or $COURSE_RNN_SEED; else None.

    Raises:
        ValueError: the file or the variable does not hold one non-negative integer.
    """
    from course_rnn.grading.tasks import parse_seed, read_seed_file

    if args.seed_file is not None:
        return read_seed_file(args.seed_file)
    if args.seed is not None:
        print(
            "course-rnn grade: warning: --seed is visible to every user of this machine "
            f"(ps, /proc); use --seed-file PATH or ${SEED_ENV} instead",
            file=sys.stderr,
        )
        return args.seed
    if os.environ.get(SEED_ENV):
        return parse_seed(os.environ[SEED_ENV], f"${SEED_ENV}")
    return None


def summary_table(run) -> str:
    """The end-of-run summary: per-test averages, then per-student totals for small classes.

    Student names are shown inert (control characters and terminal escapes written as ``\\x1b``).
    """
    from course_rnn.grading.inert import inert

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
        names = [inert(r.student) for r in results]
        name_width = max([len(n) for n in names] + [7])
        lines += ["", f"{'student':<{name_width}}  total"]
        lines += [
            f"{name:<{name_width}}  {r.score:g}/{r.max_score:g}"
            + ("" if r.final else "  (provisional)")
            for name, r in zip(names, results, strict=True)
        ]
    lines.append("")
    lines.append(
        f"{len(results)} students: {run.graded} graded, {run.resumed} kept from an earlier run, "
        f"in {run.seconds:.1f} s (sandbox: {run.mode or 'not started'})"
    )
    if run.provisional:
        lines.append(
            f"{run.provisional} provisional (a timeout, a killed worker or an engine failure "
            "decided part of the result): run the same command again to grade them again"
        )
    from course_rnn.grading.similarity import summary_lines

    lines += summary_lines(getattr(run, "similarity", None))
    return "\n".join(lines)


def run_gradescope(args) -> int:
    """``course-rnn gradescope BUNDLE.zip``."""
    from course_rnn.grading.gradescope import write_bundle

    try:
        path = write_bundle(args.bundle, solutions=args.solutions, sandbox=args.sandbox)
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
