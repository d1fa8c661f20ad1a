"""The ordered checks of a task and their messages, shared by the self-check and the grader.

Order (STYLE.md §3.9), stopping at the first failure: signature → shapes → values (the public
``np.linspace`` fixture) → gradient check → edge cases. Every message says what was expected and
what came back (``h_t has shape (3, 5); expected (B, H) = (3, 4)``) and ends with a hint. Hidden
cases are judged by :func:`passes_hidden`, which says only yes or no: nothing about their inputs.

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

from course_rnn.grading.tasks import Fill, Output, Task, linspace_fill

#: Text of the ImportError raised inside the grader for course_rnn's reference implementations.
BLOCKED = "blocked inside the grader"
_MAX_ERROR_CHARS = 400


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
    expected: tuple


@dataclass(frozen=True)
class Verdict:
    """The result of a task's public checks."""

    passed: bool
    stage: str  # the stage that failed ("" when passed)
    message: str
    blocked: bool = False  # the function used course_rnn's blocked reference implementation


def make_probe(task: Task, label: str, dims: Mapping[str, float], fill: Fill) -> Probe:
    """Build a case's arguments with ``fill`` and compute its expected outputs (trusted)."""
    args = task.build(fill, **dims)
    expected = task.reference(*copy.deepcopy(args))
    return Probe(label, dict(dims), args, tuple(expected))


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
    if fits and not keyword_only:
        return None
    names = ", ".join(name for name, _, _ in params)
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
    if re.match(r"^[A-Za-z_][\w.]*(: |$)", last):  # "ValueError: ...": an exception
        return f"{task.name} raised {last}"
    return f"{task.name} failed ({last})"  # e.g. "worker died (exit code 3)"


def _describe(value) -> str:
    """A short name for a value's type; Opaque values from the worker carry their type name."""
    return str(getattr(value, "type_name", None) or type(value).__name__)[:60]


def _letters(task: Task, output: Output, dims) -> str:
    shape = task.shape_of(output, dims)
    if len(shape) == 1:
        return f"({output.shape},) = {shape}"
    return f"({', '.join(output.shape.split())}) = {shape}"


def _form(task: Task, output: Output, dims, value):
    """(checked value, None) or (None, message): type, dtype, shape, then finiteness."""
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
    if output.kind == "index" and value.dtype.kind not in "iu":
        return None, f"{output.name} has dtype {value.dtype}; expected integers (e.g. np.int64)"
    if output.kind != "index" and value.dtype.kind != "f":
        return None, f"{output.name} has dtype {value.dtype}; expected floating point"
    if value.shape != task.shape_of(output, dims):
        return (
            None,
            f"{output.name} has shape {value.shape}; expected {_letters(task, output, dims)}",
        )
    finite = np.isfinite(value)
    if not finite.all():
        where = list(map(int, np.argwhere(~finite)[0]))
        return None, (
            f"{output.name} has {int((~finite).sum())} NaN or infinite entries (first at {where})"
        )
    return value, None


def _mismatch(task: Task, output: Output, got, expected) -> str | None:
    """None when ``got`` matches ``expected`` within the task's tolerance, else the message."""
    if output.shape == "":
        if abs(got - expected) <= task.atol + task.rtol * abs(expected):
            return None
        return f"{output.name} is {got:.6g}; expected {expected:.6g}"
    with np.errstate(all="ignore"):
        if output.kind == "index":
            excess = (got != expected).astype(float)
        else:
            excess = np.abs(got - expected) - (task.atol + task.rtol * np.abs(expected))
    bad = excess > 0
    if not bad.any():
        return None
    at = np.unravel_index(int(np.argmax(excess)), excess.shape)
    return (
        f"{output.name} is wrong at {list(map(int, at))}: yours {got[at]:.6g}, expected "
        f"{expected[at]:.6g} ({int(bad.sum())} of {bad.size} entries differ)"
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
    for output, v in zip(task.outputs, value, strict=True):
        v, problem = _form(task, output, probe.dims, v)
        if problem:
            return None, problem
        checked.append(v)
    return checked, None


def _compare(task: Task, probe: Probe, got, kinds: Sequence[str]) -> str | None:
    """Compare the outputs of the given kinds; name every wrong one, detail the first."""
    pairs = [
        (o, _mismatch(task, o, g, e))
        for o, g, e in zip(task.outputs, got, probe.expected, strict=True)
        if o.kind in kinds
    ]
    wrong = [(o, m) for o, m in pairs if m]
    if not wrong:
        return None
    output, detail = wrong[0]
    lead = ""
    if len(pairs) > 1:
        right = [o.name for o, m in pairs if not m] or ["none"]
        lead = f"wrong: {', '.join(o.name for o, _ in wrong)} (right: {', '.join(right)}). "
    return f"{lead}{detail}.{f' Hint: {output.hint}' if output.hint else ''}"


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
        A :class:`Verdict` with the failed stage and its message, or a summary when all pass.
    """
    problem = check_signature(task, described)
    if problem:
        return Verdict(False, "signature", problem, BLOCKED in (described.error or ""))
    kinds = {o.kind for o in task.outputs}
    for i, probe in enumerate(probes):
        outcome = run(probe)
        blocked = not outcome.ok and BLOCKED in (outcome.error or "")
        got, problem = _outputs(task, probe, outcome)
        if problem:
            stage = "shapes" if i == 0 else "edge cases"
            return _failed(stage, probe, problem, blocked)
        stages = [("values", ("value", "index")), ("gradient check", ("gradient",))]
        for stage, stage_kinds in stages if i == 0 else [("edge cases", tuple(kinds))]:
            problem = _compare(task, probe, got, stage_kinds)
            if problem:
                return _failed(stage, probe, problem, blocked)
    done = ["signature", "shapes", *(["values"] if kinds - {"gradient"} else [])]
    done += ["gradient check"] if "gradient" in kinds else []
    edges = len(probes) - 1
    done += [f"{edges} edge case{'s' if edges != 1 else ''}"] if edges else []
    return Verdict(True, "", f"all checks passed: {', '.join(done)}")


def _failed(stage: str, probe: Probe, problem: str, blocked: bool) -> Verdict:
    prefix = f"with {probe.label}: " if probe.label else ""
    return Verdict(False, stage, prefix + problem, blocked)


def passes_hidden(task: Task, probes: Sequence[Probe], outcomes: Sequence[Outcome]) -> bool:
    """True when every hidden case returns well-formed outputs equal to the reference."""
    for probe, outcome in zip(probes, outcomes, strict=True):
        got, problem = _outputs(task, probe, outcome)
        if problem or _compare(task, probe, got, ("value", "index", "gradient")):
            return False
    return True
