"""The ``course-rnn`` command line: ``--version``, ``--help`` and the instructor subcommands.

The subcommands ``release``, ``grade`` and ``gradescope`` live in ``course_rnn.grading.commands``,
the students' ``check`` in ``course_rnn.grading.check_command``; this module only wires them in.
Kept free of heavy imports so ``--help`` is instant: each command imports its machinery when it
runs.
"""

import argparse
import sys

from course_rnn import __version__
from course_rnn.grading.check_command import add_check_command
from course_rnn.grading.commands import add_commands


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``course-rnn`` (one sub-parser per subcommand)."""
    parser = argparse.ArgumentParser(
        prog="course-rnn",
        description="Tools of the RNN course: the book's companion package and its grader.",
        epilog="Docs: README.md at the repository root; the book's chapter 'How to use this book'.",
    )
    parser.add_argument("--version", action="version", version=f"course-rnn {__version__}")
    subparsers = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")
    add_commands(subparsers)
    add_check_command(subparsers)  # the students' command
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
