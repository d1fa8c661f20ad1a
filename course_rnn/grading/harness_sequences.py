"""The harness of the exercise "sequences": output dtypes, and inputs that must raise ValueError.

Like every harness (``harness.py``), :func:`sequences_harness` is called directly by the
self-check and sent as *source* to the grader's sandboxed worker, so it is self-contained: it
imports what it needs inside its body and carries no annotation. ``harness.py`` imports it, so
that the worker cell finds it by name with the others.

It enforces two rules the notebook states:

- dtypes: each output has the dtype its task asks for: float64 (a one-hot array), integers (token
  ids), bool (a mask), or the dtype of the first argument (states read out of ``out``);
- invalid input raises ``ValueError``: for a case whose ``error`` names what is wrong with the
  input (a token id out of range, a stream too short, a length out of range), the function must
  raise ``ValueError`` with a message (for a stream too short, one that says so: NumPy's own
  ``cannot reshape`` does not count). It then returns zeros of the expected shapes, which is what
  the reference returns for such a case; a function that returns normally, or raises another
  exception, fails with a message saying so.

A failed check raises :class:`~course_rnn.grading.rejection.CheckRejectedError`, whose message the
grader shows as it is (the student's function raised nothing). The worker cell defines that
class before this function, which is otherwise self-contained.

Book: "Sequences and recurrent models".
"""

from course_rnn.grading.rejection import CheckRejectedError


def sequences_harness(fn, rule, *args):
    """Call ``fn(*args)`` and check the dtypes of its outputs, or that it raises ValueError.

    Args:
        fn:   the student's function
        rule: ``(error, outputs, words)``: ``error`` is "" for a valid case, else what is wrong
              with the input (for the message); ``outputs`` has one ``(dtype, shape)`` per
              output, with dtype "f8" (float64), "int" (any integer dtype), "bool" or "same" (the
              dtype of ``args[0]``), and shape the expected shape (used for an invalid case);
              ``words`` (optional): the ValueError's message must contain one of them (any case)
        args: ``fn``'s arguments

    Returns:
        What ``fn`` returns; zeros of the expected shapes when ``fn`` rightly raised ValueError.

    Raises:
        CheckRejectedError: an output of the wrong dtype, or an invalid input that did not raise a
            ValueError whose message says what is wrong (``rejection.py``).
    """
    import numpy as np

    name = getattr(fn, "__name__", "the function")
    error, outputs = rule[0], rule[1]
    words = tuple(rule[2]) if len(rule) > 2 else ()
    if error:
        try:
            fn(*args)
        except ValueError as err:
            said = str(err).strip()
            if not said:
                raise CheckRejectedError(
                    f"{error} must raise a ValueError whose message says what is wrong; "
                    f"{name} raised a ValueError without a message"
                ) from None
            if words and not any(w.lower() in said.lower() for w in words):
                raise CheckRejectedError(
                    f"{error} must raise a ValueError whose message says what is wrong; the "
                    f"message of {name}'s ValueError ({said[:80]!r}) does not (NumPy's own "
                    "errors do not count: check the input yourself)"
                ) from None
            kinds = {"f8": np.float64, "same": args[0].dtype, "bool": np.bool_}
            return tuple(np.zeros(shape, kinds.get(dtype, np.int64)) for dtype, shape in outputs)
        except TimeoutError:
            raise
        except Exception as err:
            raise CheckRejectedError(  # only the type: its text could hide this message
                f"{error} must raise ValueError, but {name} raised {type(err).__name__}"
            ) from None
        raise CheckRejectedError(f"{error} must raise ValueError, but {name} returned normally")
    result = fn(*args)
    values = result if isinstance(result, tuple | list) else (result,)
    if len(values) != len(outputs):
        return result  # a wrong count: the shapes check says so
    for k, (value, (dtype, _)) in enumerate(zip(values, outputs, strict=True)):
        if isinstance(value, np.ndarray):
            label = f"output {k + 1}" if len(outputs) > 1 else "the output"
            wanted = {
                "f8": ("float64", value.dtype == np.float64),
                "int": ("an integer dtype", value.dtype.kind in "iu"),
                "bool": ("bool", value.dtype == np.bool_),
                "same": (str(args[0].dtype), value.dtype == args[0].dtype),
            }
            what, right = wanted[dtype]
            if not right:
                raise CheckRejectedError(
                    f"{name}: {label} has dtype {value.dtype}; expected {what}"
                )
    return result
