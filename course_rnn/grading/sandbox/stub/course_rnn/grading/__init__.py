"""course_rnn.grading inside the grader's sandbox: self-checks are skipped, so they do nothing.

``check(...)`` (and any other public name a notebook imports from here) returns ``None``: the
grader runs its own checks in its own process, on inputs the notebook never sees. A notebook
cell guarded by ``if check(...):`` (the language model's demonstration, which trains the
student's model again and imports the public text generator) therefore does nothing here.
"""


def check(*args, **kwargs) -> None:
    """A self-check cell in the grader: does nothing and returns None."""
    return None


def __getattr__(name: str):
    if name.startswith("_"):
        raise AttributeError(name)
    return check
