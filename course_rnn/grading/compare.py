"""The ordered checks of a task and their messages, shared by the self-check and the grader.

Order (CONTRIBUTING.md, "Adding an exercise"), stopping at the first failure: signature → shapes →
values (the public ``np.linspace`` fixture) → gradient check → edge cases. Every message says what
was expected and what came back (``h_t has shape (3, 5); expected (B, H) = (3, 4)``) and, where it
can, what the difference looks like (transposed, a constant factor, only some rows): a diagnosis,
not the answer. The formula-level hint of the output is returned separately (:attr:`Verdict.hint`):
the self-check shows it only once the same check has failed before. Hidden cases are judged by
:func:`passes_hidden`, which says only yes or no: nothing about their inputs.

Whatever a student's function returns is treated as untrusted *data*: its type, dtype, shape and
finiteness are checked before any arithmetic, and comparisons never raise on NaN or inf.
"""

import copy
import json
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from course_rnn.grading.rejection import CheckRejectedError
from course_rnn.grading.tasks import Fill, Output, Task, Withheld, linspace_fill

#: Text of the ImportError raised inside the grader for course_rnn's reference implementations.
BLOCKED = "blocked inside the grader"
_MAX_ERROR_CHARS = 400
#: The class a harness raises when one of its checks fails (``rejection.py``).
REJECTED = CheckRejectedError.__name__
MATMUL_RULE = "A @ B needs the last axis of A to match the first axis of a matrix B"


@dataclass(frozen=True)
class Outcome:
    """What calling a student's function gave: a value, or the error it raised (as text)."""

    ok: bool
    value: object = None
    error: str | None = None


@dataclass(frozen=True)
class Probe:
    """One call to make: the arguments and the trusted expected outputs."""

    label: str  # "" for the public fixture, the edge's label, or "hidden case k"
    dims: Mapping[str, float]
    args: tuple
    expected: tuple  # a judged task: (the withheld data,)


@dataclass(frozen=True)
class Verdict:
    """The result of a task's public checks."""

    passed: bool
    stage: str  # the stage that failed ("" when passed)
    message: str  # the diagnosis (or, when passed, the summary)
    blocked: bool = False  # the function used course_rnn's blocked reference implementation
    hint: str = ""  # the wrong output's formula-level hint ("" when none or passed)


def make_probe(task: Task, label: str, dims: Mapping[str, float], fill: Fill) -> Probe:
    """Build a case's arguments with ``fill`` and compute its expected outputs (trusted)."""
    built = task.build(fill, **dims)
    if isinstance(built, Withheld):  # a judged task: the grader keeps the data to judge with
        return Probe(label, dict(dims), tuple(built.args), (built.data,))
    expected = task.reference(*copy.deepcopy(built))
    return Probe(label, dict(dims), built, tuple(expected))


def public_probes(task: Task) -> tuple[Probe, ...]:
    """The public fixture, then every edge case (all built with ``np.linspace``)."""
    probes = [make_probe(task, "", task.public, linspace_fill)]
    probes += [make_probe(task, edge.label, edge.dims, linspace_fill) for edge in task.edges]
    return tuple(probes)


def check_signature(task: Task, described: Outcome) -> str | None:
    """None when the function can be called with the task's arguments, else the message."""
    if not described.ok:
        return call_error(task, described.error)
    text = described.value
    try:
        info = json.loads(text) if isinstance(text, str) and len(text) < 20_000 else None
    except ValueError:
        info = None
    if not isinstance(info, dict):
        return f"the grader could not read the signature of {task.name}"
    if info.get("missing"):
        return f"there is no function named {task.name} in the notebook"
    if "error" in info:
        return f"{task.name} {str(info['error'])[:80]}"
    params = info.get("params")
    if params is None:
        return None
    if not isinstance(params, list) or not all(
        isinstance(p, list) and len(p) == 3 and isinstance(p[0], str) for p in params
    ):
        return f"the grader could not read the signature of {task.name}"
    kinds = [kind for _, kind, _ in params]
    positional = [p for p in params if p[1] in ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD")]
    required = sum(1 for p in positional if not p[2])
    n = len(task.params)
    keyword_only = [
        name for name, kind, default in params if kind == "KEYWORD_ONLY" and not default
    ]
    fits = required <= n and (len(positional) >= n or "VAR_POSITIONAL" in kinds)
    names = ", ".join(name for name, _, _ in params)
    mine = [name for name, _, _ in positional]
    moved = [p for k, p in enumerate(task.params) if p in mine and mine.index(p) != k]
    if fits and not keyword_only and moved:  # called positionally: the order is what counts
        return (
            f"{task.name} has the parameters ({', '.join(mine)}); the template's are "
            f"({', '.join(task.params)}). The grader passes the arguments in the template's "
            f"order, so {moved[0]} would receive another argument: keep the template's order."
        )
    if fits and not keyword_only:
        return None
    return (
        f"{task.name}({names}) cannot be called as {task.name}({', '.join(task.params)}); "
        "keep the parameters of the template."
    )


def call_error(task: Task, error: str | None) -> str:
    """A readable message for an exception (or timeout) in the student's function."""
    error = (error or "unknown error").strip()
    if BLOCKED in error:
        return (
            f"{task.name} uses course_rnn's reference implementation, which is {BLOCKED}: "
            "write the function yourself (0 points for this task)."
        )
    if error.startswith("NotImplementedError"):
        return f"{task.name} is not implemented yet (it raises NotImplementedError)."
    if "there is no function named" in error:
        return f"there is no function named {task.name} in the notebook"
    last = (error.splitlines() or [error])[-1][:_MAX_ERROR_CHARS]
    if last.startswith(REJECTED + ":"):  # a check of the harness failed: its message as it is
        return last.removeprefix(REJECTED + ":").strip()
    if re.match(r"^[A-Za-z_][\w.]*(: |$)", last):  # "ValueError: ...": an exception
        kind, _, text = last.partition(": ")
        plain = in_shape_language(text)
        return f"{task.name} raised {kind}: {plain or text}"
    return f"{task.name} failed ({last})"  # e.g. "worker died (exit code 3)"


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(v) for v in re.findall(r"-?\d+", text))


def in_shape_language(text: str) -> str | None:
    """NumPy's error text restated in terms of shapes, or None when it is not a shape error.

    >>> in_shape_language("operands could not be broadcast together with shapes (3,4) (2,4) ")
    'shapes (3, 4) and (2, 4) do not broadcast: axis 0 has 3 against 2, and neither is 1'
    """
    m = re.search(
        r"matmul: Input operand 1 has a mismatch in its core dimension 0.*"
        r"\(size (\d+) is different from (\d+)\)",
        text,
    )
    if m:
        right, left = int(m.group(1)), int(m.group(2))
        return f"matmul: inner dimensions {left} and {right} differ ({MATMUL_RULE})"
    m = re.search(r"shapes (\([\d, ]*\)) and (\([\d, ]*\)) not aligned", text)
    if m:
        a, b = _ints(m.group(1)), _ints(m.group(2))
        return (
            f"dot: {a} · {b}: inner dimensions {a[-1] if a else '?'} and "
            f"{(b[-2] if len(b) > 1 else b[0]) if b else '?'} differ"
        )
    m = re.search(r"could not be broadcast together with shapes ((?:\([\d, ]*\)\s*)+)", text)
    if m:
        shapes = [_ints(s) for s in re.findall(r"\([\d, ]*\)", m.group(1))]
        return broadcast_message(shapes)
    m = re.search(r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)", text)
    if m:
        index, axis, size = (int(g) for g in m.groups())
        return (
            f"index {index} is out of range on axis {axis}, whose length is {size} "
            f"(valid indices: 0 .. {size - 1})"
        )
    if ("only integers, slices" in text and "valid indices" in text) or (
        "arrays used as indices must be of integer" in text
    ):
        return "an array used as an index must hold integers (convert it with .astype(np.int64))"
    m = re.search(r"cannot reshape array of size (\d+) into shape (\([\d, ]*\))", text)
    if m:
        return f"reshape: {m.group(1)} entries cannot be laid out as {_ints(m.group(2))}"
    return None


def broadcast_message(shapes: Sequence[tuple[int, ...]], names: Sequence[str] = ()) -> str:
    """Why two or more shapes do not broadcast: the first axis whose sizes clash.

    Axes are aligned from the right, as broadcasting does; they are numbered from the left when
    every shape has as many axes, from the right (-1 is the last) otherwise.
    """
    n = max(len(s) for s in shapes)
    padded = [(1,) * (n - len(s)) + tuple(s) for s in shapes]
    labels = [*names, *[""] * len(shapes)][: len(shapes)]
    which = " and ".join(
        f"{name} {tuple(s)}" if name else str(tuple(s))
        for name, s in zip(labels, shapes, strict=True)
    )
    same_rank = len({len(s) for s in shapes}) == 1
    for axis in range(n):
        sizes = [p[axis] for p in padded if p[axis] != 1]
        if len(set(sizes)) > 1:
            where = f"axis {axis}" if same_rank else f"axis {axis - n}"
            other = next(size for size in sizes if size != sizes[0])
            return (
                f"shapes {which} do not broadcast: {where} has {sizes[0]} against {other}, "
                "and neither is 1"
            )
    return f"shapes {which} do not broadcast"


def _describe(value) -> str:
    """A short name for a value's type; Opaque values from the worker carry their type name."""
    return str(getattr(value, "type_name", None) or type(value).__name__)[:60]


def _letters(task: Task, output: Output, dims) -> str:
    shape = task.shape_of(output, dims)
    if len(shape) == 1:
        return f"({output.shape},) = {shape}"
    return f"({', '.join(output.shape.split())}) = {shape}"


def _form(task: Task, output: Output, dims, value, expected=None):
    """(checked value, None) or (None, message): type, dtype, shape, then finiteness.

    An output of kind "index" may be bool where the expected one is (a mask).
    """
    if output.kind == "judged":
        return output.judge.form(value, dims)
    if output.shape == "":
        if isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "fiu":
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return None, f"{output.name} is a {_describe(value)}; expected a number"
        if not np.isfinite(float(value)):
            return None, f"{output.name} is {float(value)}; expected a finite number"
        return float(value), None
    if not isinstance(value, np.ndarray):
        expected = f"a NumPy array of shape {_letters(task, output, dims)}"
        return None, f"{output.name} is a {_describe(value)}; expected {expected}"
    ints = "iub" if getattr(expected, "dtype", None) == np.bool_ else "iu"
    if output.kind == "index" and value.dtype.kind not in ints:
        return None, f"{output.name} has dtype {value.dtype}; expected integers (e.g. np.int64)"
    if output.kind != "index" and value.dtype.kind != "f":
        return None, f"{output.name} has dtype {value.dtype}; expected floating point"
    if value.shape != task.shape_of(output, dims):
        return (
            None,
            f"{output.name} has shape {value.shape}; expected {_letters(task, output, dims)}"
            + _shape_diagnosis(value.shape, task.shape_of(output, dims)),
        )
    finite = np.isfinite(value)
    if not finite.all():
        where = list(map(int, np.argwhere(~finite)[0]))
        return None, (
            f"{output.name} has {int((~finite).sum())} NaN or infinite entries (first at {where})"
        )
    return value, None


def _shape_diagnosis(got: tuple[int, ...], want: tuple[int, ...]) -> str:
    """A clause on how a wrong shape relates to the right one ("" when nothing obvious)."""
    if sorted(got) == sorted(want) and got != want:
        return " (the right sizes in another order: an axis swapped or a missing transpose?)"
    if int(np.prod(got)) == int(np.prod(want)):
        return " (as many entries as expected, in another layout: a reshape or a flattening?)"
    if len(got) == len(want) + 1 and want in (got[1:], got[:-1]):
        which, size = ("leading", got[0]) if got[1:] == want else ("last", got[-1])
        return f" (one axis too many: the {which} axis, of length {size})"
    if len(got) + 1 == len(want) and got in (want[1:], want[:-1]):
        which, size = ("leading", want[0]) if want[1:] == got else ("last", want[-1])
        return f" (the {which} axis, of length {size}, is missing)"
    return ""


def _close(a, b, task: Task) -> bool:
    a, b = (x.astype(np.int64) if getattr(x, "dtype", None) == np.bool_ else x for x in (a, b))
    with np.errstate(all="ignore"):
        return bool(np.all(np.abs(a - b) <= task.atol + task.rtol * np.abs(b)))


def _value_diagnosis(task: Task, output: Output, got, expected) -> str:
    """What a wrong array or number looks like next to the expected one ("" when unclear)."""
    if output.kind == "index":
        diff = got.astype(np.int64) - expected.astype(np.int64)
        wrong = diff != 0
        if wrong.any() and set(np.unique(diff[wrong]).tolist()) <= {-1, 1}:
            return "; every wrong entry is off by one"
        return ""
    got, expected = np.asarray(got, float), np.asarray(expected, float)
    if not np.any(expected):
        return ""
    if not np.any(got):
        return "; yours is all zeros"
    if _close(-got, expected, task):
        return "; yours has the opposite sign everywhere"
    if got.ndim == 2 and got.shape[0] == got.shape[1] and _close(got.T, expected, task):
        return "; yours is the transpose of the expected array"
    with np.errstate(all="ignore"):
        c = float(np.sum(got * expected) / np.sum(expected * expected))
    if np.isfinite(c) and abs(c - 1) > 1e-3 and _close(got, c * expected, task):
        return f"; yours is {c:.4g} times the expected values (a missing or extra factor?)"
    if got.ndim >= 2:
        bad_rows = [i for i in range(got.shape[0]) if not _close(got[i], expected[i], task)]
        if 0 < len(bad_rows) < got.shape[0]:
            rows = ", ".join(map(str, bad_rows[:6])) + (", …" if len(bad_rows) > 6 else "")
            return f"; only {'row' if len(bad_rows) == 1 else 'rows'} {rows} (first axis) differ"
    return ""


def _case(dims: Mapping[str, float]) -> str:
    """`` (this case: n = 14, H = 5, m = 4)``: the sizes of a case (one-letter dims only)."""
    sizes = [f"{k} = {v:g}" for k, v in dims.items() if len(k) == 1]
    return f" (this case: {', '.join(sizes)})" if sizes else ""


def _entry(value, is_bool: bool) -> str:
    return str(bool(value)) if is_bool else f"{value + 0:.6g}"


def _mismatch(task: Task, output: Output, got, expected, dims=None) -> str | None:
    """None when ``got`` matches ``expected`` within the task's tolerance, else the message.

    An array's message names its first wrong entry in index order and counts the wrong ones; a
    number's message gives the case's sizes (a wrong period or length shows in them).
    """
    if output.shape == "":
        if abs(got - expected) <= task.atol + task.rtol * abs(expected):
            return None
        ratio = f" (yours / expected = {got / expected:.4g})" if expected else ""
        return f"{output.name} is {got:.6g}; expected {expected:.6g}{ratio}{_case(dims or {})}"
    with np.errstate(all="ignore"):
        if output.kind == "index":
            excess = (got != expected).astype(float)
        else:
            excess = np.abs(got - expected) - (task.atol + task.rtol * np.abs(expected))
    bad = excess > 0
    if not bad.any():
        return None
    at = tuple(np.argwhere(bad)[0])  # the first wrong entry, in index order
    is_bool = got.dtype == np.bool_ or expected.dtype == np.bool_
    return (
        f"{output.name} is wrong at {list(map(int, at))}: yours {_entry(got[at], is_bool)}, "
        f"expected {_entry(expected[at], is_bool)} ({int(bad.sum())} of {bad.size} entries "
        "differ)" + ("" if is_bool else _value_diagnosis(task, output, got, expected))
    )


def _outputs(task: Task, probe: Probe, outcome: Outcome):
    """(checked outputs, None) or (None, message): count, then the form of each output."""
    if not outcome.ok:
        return None, call_error(task, outcome.error)
    value, n = outcome.value, len(task.outputs)
    if n == 1 and not (isinstance(value, tuple) and len(value) == 1):
        value = (value,)
    elif isinstance(value, list):
        value = tuple(value)  # several outputs returned as a list: as good as a tuple
    names = ", ".join(o.name for o in task.outputs)
    if not isinstance(value, tuple):
        return None, f"{task.name} returned a {_describe(value)}; expected a tuple ({names})"
    if len(value) != n:
        return None, f"{task.name} returned {len(value)} values; expected {n}: ({names})"
    checked = []
    for output, v, e in zip(task.outputs, value, probe.expected, strict=True):
        v, problem = _form(task, output, probe.dims, v, e)
        if problem:
            return None, problem
        checked.append(v)
    return checked, None


def _swapped(task: Task, probe: Probe, got, index: int) -> str:
    """A clause when output ``index`` holds what another output should hold ("" otherwise)."""
    output = task.outputs[index]
    for j, (other, want) in enumerate(zip(task.outputs, probe.expected, strict=True)):
        if j == index or other.kind == "judged" or output.kind == "judged":
            continue
        mine = got[index]
        if np.shape(mine) == np.shape(want) and np.any(want) and _close(mine, want, task):
            return f"; it holds what {other.name} should be: are the outputs in the right order?"
    return ""


def _compare(task: Task, probe: Probe, got, kinds: Sequence[str]) -> tuple[str | None, str]:
    """(message, hint) for the outputs of the given kinds; the message is None when all match.

    The message names every wrong output and details the first; the hint is its formula.
    """
    pairs = []
    for i, (o, g, e) in enumerate(zip(task.outputs, got, probe.expected, strict=True)):
        if o.kind not in kinds:
            continue
        if o.kind == "judged":
            passed, text = o.judge.grade(g, e)
            pairs.append((o, None if passed else f"{o.name}: {text}"))
        else:
            detail = _mismatch(task, o, g, e, probe.dims)
            pairs.append((o, detail and detail + _swapped(task, probe, got, i)))
    wrong = [(o, m) for o, m in pairs if m]
    if not wrong:
        return None, ""
    output, detail = wrong[0]
    lead = ""
    if len(pairs) > 1:
        right = [o.name for o, m in pairs if not m] or ["none"]
        lead = f"wrong: {', '.join(o.name for o, _ in wrong)} (right: {', '.join(right)}). "
    return f"{lead}{detail}.", output.hint


def evaluate_public(
    task: Task, described: Outcome, run: Callable[[Probe], Outcome], probes: Sequence[Probe]
) -> Verdict:
    """The public checks in order, stopping at the first failure.

    Args:
        task:      the task
        described: the outcome of describing the function's signature (JSON text)
        run:       calls the student's function on a probe (lazily: stops at the first failure)
        probes:    :func:`public_probes` of the task (public fixture first, then edge cases)

    Returns:
        A :class:`Verdict` with the failed stage, its diagnosis and the output's hint, or a
        summary when all pass.
    """
    problem = check_signature(task, described)
    if problem:
        return Verdict(False, "signature", problem, BLOCKED in (described.error or ""))
    kinds = {o.kind for o in task.outputs}
    notes = []
    for i, probe in enumerate(probes):
        outcome = run(probe)
        blocked = not outcome.ok and BLOCKED in (outcome.error or "")
        got, problem = _outputs(task, probe, outcome)
        if problem:
            stage = "shapes" if i == 0 else "edge cases"
            return _failed(stage, probe, problem, blocked)
        stages = [("values", ("value", "index", "judged")), ("gradient check", ("gradient",))]
        for stage, stage_kinds in stages if i == 0 else [("edge cases", tuple(kinds))]:
            problem, hint = _compare(task, probe, got, stage_kinds)
            if problem:
                return _failed(stage, probe, problem, blocked, hint)
        if i == 0:
            notes = [
                o.judge.grade(g, e)[1]
                for o, g, e in zip(task.outputs, got, probe.expected, strict=True)
                if o.kind == "judged"
            ]
    done = ["signature", "shapes", *(["values"] if kinds - {"gradient"} else [])]
    done += ["gradient check"] if "gradient" in kinds else []
    edges = len(probes) - 1
    done += [f"{edges} edge case{'s' if edges != 1 else ''}"] if edges else []
    note = f"; {'; '.join(notes)}" if notes else ""
    return Verdict(True, "", f"all checks passed: {', '.join(done)}{note}")


def _failed(stage: str, probe: Probe, problem: str, blocked: bool, hint: str = "") -> Verdict:
    prefix = f"with {probe.label}: " if probe.label else ""
    return Verdict(False, stage, prefix + problem, blocked, hint)


def passes_hidden(task: Task, probes: Sequence[Probe], outcomes: Sequence[Outcome]) -> bool:
    """True when every hidden case returns well-formed outputs equal to the reference."""
    for probe, outcome in zip(probes, outcomes, strict=True):
        got, problem = _outputs(task, probe, outcome)
        if problem or _compare(task, probe, got, ("value", "index", "gradient", "judged"))[0]:
            return False
    return True
