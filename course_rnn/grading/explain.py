"""Explaining an exception raised in a student's function: where, and in terms of shapes.

Used by the self-check only, in the student's own process, where the traceback and the failing
frame's variables exist (the grader gets only the exception's text, which
:func:`course_rnn.grading.compare.in_shape_language` restates). The message names the line of
the student's code that failed (the function, the line number in its notebook cell, the source)
and, for a matrix product or a broadcast that failed, the operands with their shapes in axis
letters: ``x_t @ W_ih is (3, 2) @ (4, 2) = (B, D) @ (H, D): inner dimensions 2 and 4 differ``.

Operands are evaluated again from the frame's variables by a small evaluator that only reads
names, ``.T``, subscripts and arithmetic on arrays: no function of the student's is called.
"""

import ast
import linecache
import operator
import sysconfig
import traceback
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from course_rnn.grading.compare import MATMUL_RULE, broadcast_message, in_shape_language
from course_rnn.grading.rejection import CheckRejectedError

_NOT_STUDENT = tuple(
    str(Path(p).resolve())
    for p in (
        Path(np.__file__).parent,
        Path(__file__).parents[1],  # course_rnn/
        sysconfig.get_paths()["stdlib"],
        sysconfig.get_paths()["purelib"],
        sysconfig.get_paths()["platlib"],
    )
)
_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.MatMult: operator.matmul,
    ast.Pow: operator.pow,
}
_MAX_LINE = 120


def _is_student_file(filename: str) -> bool:
    if filename.startswith("<") and not filename.startswith("<frozen"):
        return True  # "<string>", "<cell 3>": code compiled from text
    try:
        resolved = str(Path(filename).resolve())
    except (OSError, ValueError):
        return False
    return not resolved.startswith(_NOT_STUDENT)


def explain_exception(err: BaseException, dims: Mapping[str, float]) -> str:
    """``Type: what went wrong, in shapes. In fn, line N of its cell: `source```.

    Args:
        err:  the exception the student's function raised (with its traceback)
        dims: the checked case's sizes, to name each axis by its letter where unambiguous

    Returns:
        One or two sentences; the exception's own text where nothing better can be said.
    """
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    if isinstance(err, CheckRejectedError):  # the check's own words: never restated
        return f"{type(err).__name__}: {text}"
    frames = [
        (frame, lineno)
        for frame, lineno in traceback.walk_tb(err.__traceback__)
        if _is_student_file(frame.f_code.co_filename)
    ]
    plain = in_shape_language(text)
    where = ""
    if frames:
        frame, lineno = frames[-1]
        source = linecache.getline(frame.f_code.co_filename, lineno, frame.f_globals).strip()
        operands = _operands(source, frame, err, _letter_map(dims)) if source else None
        plain = operands or plain
        shown = source if len(source) <= _MAX_LINE else source[: _MAX_LINE - 1] + "…"
        code = f": `{shown}`" if source else ""
        filename = frame.f_code.co_filename
        cell = filename.startswith("<") or "ipykernel" in filename or "ipython-input" in filename
        place = "its cell" if cell else Path(filename).name
        where = f" In {frame.f_code.co_name}, line {lineno} of {place}{code}."
    said = (plain or text).rstrip(".")
    return f"{type(err).__name__}: {said}.{where}"


def _letter_map(dims: Mapping[str, float]) -> dict[int, str]:
    """size -> axis letter, for the sizes that exactly one letter has."""
    by_size: dict[int, list[str]] = {}
    for letter, size in dims.items():
        if len(letter) == 1 and letter.isupper() and float(size).is_integer():
            by_size.setdefault(int(size), []).append(letter)
    return {size: letters[0] for size, letters in by_size.items() if len(letters) == 1}


def _in_letters(shape: tuple[int, ...], letters: Mapping[int, str]) -> str:
    """``(B, D) = (3, 2)``, or just ``(3, 2)`` when a size has no unique letter."""
    names = [letters.get(n) for n in shape]
    if shape and all(names):
        return f"({', '.join(names)}) = {tuple(shape)}"
    return str(tuple(shape))


def _operands(source: str, frame, err: BaseException, letters) -> str | None:
    """The failing ``a @ b`` or ``a + b`` of the line, with its operands' shapes; else None."""
    try:
        tree = ast.parse(source.rstrip(":").removeprefix("return "), mode="exec")
    except SyntaxError:
        return None
    scope = {**frame.f_globals, **frame.f_locals}
    found = None
    for node in _in_evaluation_order(tree):  # the first operation that fails is the culprit
        pair = _pair(node)
        if pair is None:
            continue
        op, left, right = pair
        a, b = _evaluate(left, scope), _evaluate(right, scope)
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            continue
        try:
            with np.errstate(all="ignore"):
                _OPS[op](a, b)
        except ValueError:
            found = (op, ast.unparse(left), ast.unparse(right), a.shape, b.shape)
            break
    if found is None or not isinstance(err, ValueError):
        return None
    op, left, right, sa, sb = found
    if op is ast.MatMult:
        k_left = sa[-1] if sa else None
        k_right = sb[-2] if len(sb) > 1 else (sb[0] if sb else None)
        return (
            f"{left} @ {right} is {_in_letters(sa, letters)} @ {_in_letters(sb, letters)}: "
            f"inner dimensions {k_left} and {k_right} differ ({MATMUL_RULE})"
        )
    return (
        broadcast_message([sa, sb], [left, right])
        .replace(f"{left} {tuple(sa)}", f"{left} {_in_letters(sa, letters)}")
        .replace(f"{right} {tuple(sb)}", f"{right} {_in_letters(sb, letters)}")
    )


def _in_evaluation_order(node):
    """The nodes of a tree children first, left to right (roughly Python's evaluation order)."""
    for child in ast.iter_child_nodes(node):
        yield from _in_evaluation_order(child)
    yield node


def _pair(node):
    """(operator type, left, right) for ``a OP b`` and ``np.dot(a, b)``/``np.matmul(a, b)``."""
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return type(node.op), node.left, node.right
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("dot", "matmul")
        and len(node.args) == 2
    ):
        return ast.MatMult, node.args[0], node.args[1]
    return None


def _evaluate(node, scope):
    """The value of a simple expression (names, ``.T``, subscripts, arithmetic), else None."""
    try:
        if isinstance(node, ast.Name):
            return scope.get(node.id)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            value = _evaluate(node.operand, scope)
            return -value if isinstance(value, np.ndarray | int | float) else None
        if isinstance(node, ast.Attribute) and node.attr == "T":
            value = _evaluate(node.value, scope)
            return value.T if isinstance(value, np.ndarray) else None
        if isinstance(node, ast.Subscript):
            value, index = _evaluate(node.value, scope), _index(node.slice, scope)
            return (
                value[index] if isinstance(value, np.ndarray) and index is not _NO_INDEX else None
            )
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            a, b = _evaluate(node.left, scope), _evaluate(node.right, scope)
            if isinstance(a, np.ndarray | int | float) and isinstance(b, np.ndarray | int | float):
                with np.errstate(all="ignore"):
                    return _OPS[type(node.op)](a, b)
    except (ValueError, IndexError, TypeError):
        return None
    return None


_NO_INDEX = object()  # an index the evaluator does not handle


def _index(node, scope):
    """An index of integers, names of integers, slices, ``None`` and tuples of those."""
    if isinstance(node, ast.Constant) and node.value is None:
        return None  # np.newaxis
    if isinstance(node, ast.Tuple):
        parts = [_index(e, scope) for e in node.elts]
        return _NO_INDEX if any(p is _NO_INDEX for p in parts) else tuple(parts)
    if isinstance(node, ast.Slice):
        bounds = [None if b is None else _evaluate(b, scope) for b in (node.lower, node.upper)]
        step = None if node.step is None else _evaluate(node.step, scope)
        if all(b is None or isinstance(b, int) for b in (*bounds, step)):
            return slice(bounds[0], bounds[1], step)
        return _NO_INDEX
    value = _evaluate(node, scope)
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return int(value)
    return _NO_INDEX
