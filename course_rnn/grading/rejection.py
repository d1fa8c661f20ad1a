"""The exception a harness raises when it rejects what a student's function did.

A harness (``harness*.py``) checks more than the values: the dtype of an output, that an invalid
input raised ``ValueError``, that the function left its arguments unchanged. When such a check
fails, the student's function raised nothing (or the wrong thing): the message must say what the
*check* found, never "``fn`` raised ...". Every harness raises :class:`CheckRejectedError` for
it, and :func:`course_rnn.grading.compare.call_error` shows its message as it is.

The class crosses to the grader's sandbox as source, like the harnesses: ``worker_cell`` in
``harness.py`` defines it in the worker's namespace before the harnesses that raise it.

Book: "How to use this book" (exercises).
"""


class CheckRejectedError(Exception):
    """A check of the harness failed; the message says what it found, in the student's terms."""
