"""The sandbox's request and result records: plain frozen dataclasses, no behaviour.

The grader builds :class:`Call` lists and reads :class:`SubmissionRun` results. Everything in a
result is data that crossed the data-only channel (JSON and NPY, see ``protocol.py``): arrays,
numbers, strings, ``None``, tuples/lists/dicts of these, and :class:`Opaque` for anything else.
This file is also copied into the sandbox, so it imports nothing but the standard library.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Ref:
    """A value returned by an earlier call of the same submission run, used as an argument.

    ``Ref(0, 1)`` is element 1 of the tuple that call 0 returned (for example the student's own
    opaque ``cache``); ``Ref(0)`` is call 0's whole return value. The value never leaves the
    worker, so an opaque cache works however the student built it.
    """

    call: int  # index of that call in the list of calls
    index: int | None = None  # position in its returned tuple (None = the whole return value)


@dataclass(frozen=True)
class Call:
    """One function call the grader wants made inside the worker, after the notebook's cells."""

    function: str  # a name the student's notebook defines at top level
    # positional args: np.ndarray, int, float, bool, str, None, Ref, torch.Tensor,
    # or (nested) tuples/lists/dicts (str keys) of these
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)  # keyword args, same types as args
    timeout: float = 5.0  # wall seconds for this call


@dataclass(frozen=True)
class Opaque:
    """Stands for a returned object that is not data (a cache object, a module, a function)."""

    type_name: str  # type(value).__name__ in the worker, truncated


@dataclass(frozen=True)
class CallResult:
    """What one :class:`Call` gave: a value, or an error; never an object of the student's."""

    ok: bool  # the call returned (its value may still be wrong: the grader compares)
    # the return value: every np.ndarray / NumPy scalar / int / float / bool / str / None kept,
    # tuples stay tuples, lists and str-keyed dicts stay, torch tensors come back as tensors,
    # and every other object is replaced by Opaque(type_name); None when ok is False
    value: object
    # None when ok; else e.g. "TimeoutError: call exceeded 5.0 s",
    # "NameError: rnn_step_forward is not defined", "ValueError: ..." (the student's exception
    # type and message, truncated) or "worker died (exit code 3)"
    error: str | None
    stdout: str  # what the call printed (stdout and stderr), truncated


@dataclass(frozen=True)
class SubmissionRun:
    """Everything one run of a notebook in the sandbox produced, in order."""

    # (code cell index, "ExceptionType: message" or "timeout" or "killed: ...") per failed cell
    cell_errors: list[tuple[int, str]]
    calls: list[CallResult]  # one per requested Call, same order
    stdout: str  # what the cells printed (stdout and stderr), truncated
    seconds: float  # wall time of the whole run, as the grader measured it
