"""course_rnn inside the grader's sandbox: the names notebooks import, and nothing else.

Student notebooks start with ``from course_rnn import seed_everything, check_shape, ShapeError``;
those work as usual (``shapes.py`` and ``seeding.py`` are copies of the real modules). The
course's reference implementations are not here, and importing one raises an ``ImportError`` that
says why, so a submission cannot earn points by calling them. The real package is not mounted in
the sandbox at all; the import hook below only makes the failure readable.
"""

import sys
from importlib.abc import MetaPathFinder

#: The only course_rnn modules a graded notebook may import inside the sandbox.
ALLOWED = frozenset(
    {
        "course_rnn",
        "course_rnn.shapes",
        "course_rnn.seeding",
        "course_rnn.grading",
        "course_rnn.grading.selfcheck",
    }
)


def blocked_message(name: str) -> str:
    """The ImportError text for a blocked module, e.g. ``course_rnn.numpy_nn: ...``."""
    part = ".".join(name.split(".")[:2])
    return (
        f"{part}: the course's reference implementations are blocked inside the grader; "
        "write the function yourself"
    )


class BlockReferences(MetaPathFinder):
    """Refuses every ``course_rnn.*`` module outside :data:`ALLOWED`, with a clear message."""

    def find_spec(self, name, path=None, target=None):
        if name.startswith("course_rnn.") and name not in ALLOWED:
            raise ImportError(blocked_message(name), name=name)
        return None


def __getattr__(name: str):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(blocked_message(f"course_rnn.{name}"))


if __name__ == "course_rnn":  # mounted as the package itself (never in the grader's process)
    sys.meta_path.insert(0, BlockReferences())
    for _finder in list(sys.meta_path):  # an editable install's finder must not resolve us
        if type(_finder).__name__.startswith("_Editable"):
            sys.meta_path.remove(_finder)

    from course_rnn.seeding import seed_everything
    from course_rnn.shapes import AXES, ShapeError, check_shape

    __all__ = ["AXES", "ShapeError", "check_shape", "seed_everything"]
