"""Graded exercises: student self-checks, the release of student notebooks, the sandboxed grader.

Students only need :func:`check` (``from course_rnn.grading import check``). Instructors use the
``course-rnn`` subcommands ``release``, ``grade`` and ``gradescope`` (``commands.py``). Importing
this package is cheap: ``check`` and the grader load on first use, so ``course-rnn --help`` stays
instant.

Book: "How to use this book" (exercises).

Security model: CONTRIBUTING.md, section on the grader's security model.
"""

__all__ = ["CheckResult", "check"]


def __getattr__(name: str):
    """Load ``check`` and ``CheckResult`` from ``selfcheck.py`` when first asked for."""
    if name in __all__:
        from course_rnn.grading import selfcheck

        return getattr(selfcheck, name)
    raise AttributeError(f"module 'course_rnn.grading' has no attribute {name!r}")
