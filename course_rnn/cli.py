"""The ``course-rnn`` command line: ``course-rnn --version``, ``course-rnn --help``.

Subcommands for instructors (``release``, ``grade``, ``gradescope``) are added by the grading
package; this module only wires them together. Kept free of heavy imports so ``--help`` is instant.
"""

import argparse
import sys

from course_rnn import __version__


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``course-rnn`` (one sub-parser per subcommand)."""
    parser = argparse.ArgumentParser(
        prog="course-rnn",
        description="Tools of the RNN course: the book's companion package and its grader.",
        epilog="Docs: README.md at the repository root; the book's chapter 'How to use this book'.",
    )
    parser.add_argument("--version", action="version", version=f"course-rnn {__version__}")
    parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    parser.error(f"unknown command {args.command!r}")  # unreachable until subcommands exist
    return 2


if __name__ == "__main__":
    sys.exit(main())
