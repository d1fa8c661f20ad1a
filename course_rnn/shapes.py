"""Shape letters and shape checks shared by every part of course_rnn.

The axis glossary below is the one used in the book (chapter "Sequences and recurrent models",
section "Notation"), in every docstring and in every error message. Layout is time-major:
a batch of sequences is ``(T, B, D)``, as in ``torch.nn.RNN``'s default ``batch_first=False``.
"""

from collections.abc import Mapping

#: The axis letters used everywhere in the course, with their meaning.
AXES: Mapping[str, str] = {
    "T": "time steps (target length)",
    "B": "batch size",
    "D": "input features",
    "H": "hidden size",
    "G": "gates per cell (1 RNN, 3 GRU, 4 LSTM)",
    "V": "vocabulary size",
    "S": "source (key) length in attention",
    "E": "model / embedding width",
    "NH": "attention heads",
    "HS": "head size (E = NH * HS)",
    "C": "classes (or tags) of a classifier",
}


class ShapeError(ValueError):
    """An array has the wrong rank or size; the message names the function, argument and shapes."""


def check_shape(x, pattern: str, *, name: str = "x", where: str = "", **known: int) -> dict:
    """Check that ``x.shape`` matches a pattern of axis letters and return the bound sizes.

    Args:
        x:       any object with a ``.shape`` (NumPy array or torch tensor)
        pattern: space-separated axis names, e.g. ``"T B D"``; an integer literal fixes a size
        name:    the argument's name, used in the message
        where:   the calling function's name, used in the message
        **known: sizes that are already fixed, e.g. ``D=8``

    Returns:
        dict mapping each letter in ``pattern`` to its size, e.g. ``{"T": 5, "B": 3, "D": 8}``.

    Raises:
        ShapeError: e.g. ``lstm_forward: x expected (T, B, D=8), got (5, 3, 7)``.
    """
    axes = pattern.split()
    shape = tuple(getattr(x, "shape", ()))
    expected = ", ".join(f"{a}={known[a]}" if a in known else a for a in axes)
    prefix = f"{where}: " if where else ""
    if not hasattr(x, "shape"):
        raise ShapeError(
            f"{prefix}{name} expected an array of shape ({expected}), got {type(x).__name__}"
        )
    message = f"{prefix}{name} expected ({expected}), got {shape}"
    if len(shape) != len(axes):
        raise ShapeError(f"{message}: rank {len(shape)} instead of {len(axes)}")
    bound = dict(known)
    for axis, size in zip(axes, shape, strict=True):
        if axis.isdigit():
            if size != int(axis):
                raise ShapeError(message)
            continue
        if axis in known and size != known[axis]:
            raise ShapeError(message)
        if bound.setdefault(axis, size) != size:
            raise ShapeError(f"{message}: axis {axis} is {bound[axis]} at its first position")
    return {a: bound[a] for a in axes if not a.isdigit()}
