"""The exercise "transformers": the scan's no-loop check and its dtype-aware judge.

The mutants (mutants_transformers.py) show the whole checks failing where intended, in the
self-check and in the sandboxed grader; these tests pin the harness's parts: what counts as a loop
over time, what does not (library code, a loop over the rounds), that a loop is stopped early,
that a student cannot swallow the verdict, and that the tracer in place before is restored.
"""

import functools
import sys

import numpy as np
import pytest

from course_rnn.grading.harness_transformers import scan_harness
from course_rnn.grading.rejection import CheckRejectedError
from course_rnn.grading.specs.transformers import LONG, _scan_form, _scan_grade
from course_rnn.numpy_nn.scan import linear_recurrence_loop


def _case(T, B=1, H=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-0.9, 0.9, (T, B, H)), rng.normal(size=(T, B, H)), rng.normal(size=(B, H))


def scan(a, b, h0):
    A, Bc = a.copy(), b.copy()
    Bc[0] = a[0] * h0 + b[0]
    A[0] = 0
    d = 1
    while d < a.shape[0]:
        Bc[d:] = A[d:] * Bc[:-d] + Bc[d:]
        A[d:] = A[d:] * A[:-d]
        d *= 2
    return Bc


def scan_with_padding(a, b, h0):
    """The same scan, shifting with np.pad every round (about 160 lines of NumPy's Python each)."""
    A, Bc = a.copy(), b.copy()
    Bc[0] = a[0] * h0 + b[0]
    A[0] = 0
    d = 1
    while d < a.shape[0]:
        width = ((d, 0), (0, 0), (0, 0))
        Bc = A * np.pad(Bc, width)[: a.shape[0]] + Bc
        A = A * np.pad(A, width, constant_values=1.0)[: a.shape[0]]
        d *= 2
    return Bc


def loop(a, b, h0):
    h, h_t = np.empty_like(b), h0
    for t in range(a.shape[0]):
        h_t = a[t] * h_t + b[t]
        h[t] = h_t
    return h


def comprehension(a, b, h0):
    states = [h0]
    pairs = zip(a, b, strict=True)
    return np.stack([states.append(a_t * states[-1] + b_t) or states[-1] for a_t, b_t in pairs])


def reduce_lambda(a, b, h0):
    return np.stack(
        functools.reduce(
            lambda acc, ab: [*acc, ab[0] * acc[-1] + ab[1]], zip(a, b, strict=True), [h0]
        )[1:]
    )


def test_scans_pass_and_return_their_states():
    a, b, h0 = _case(LONG)
    expected = linear_recurrence_loop(a, b, h0)
    for fn in (scan, scan_with_padding):
        np.testing.assert_allclose(scan_harness(fn, 1, a, b, h0), expected, rtol=1e-10)


@pytest.mark.parametrize("fn", [loop, comprehension, reduce_lambda])
def test_loops_over_time_fail_and_are_stopped_early(fn):
    a, b, h0 = _case(LONG)
    steps = []

    def counting(a, b, h0):
        steps.append(a.shape[0])
        return fn(a, b, h0)

    with pytest.raises(
        CheckRejectedError, match=r"counting runs a Python loop over the time steps"
    ):
        scan_harness(counting, 1, a, b, h0)
    assert steps == [64, LONG]  # called on the first 64 steps, then on all


def test_a_loop_is_stopped_long_before_its_end():
    a, b, h0 = _case(LONG)
    seen = []

    def recording(a, b, h0):
        h, h_t = np.empty_like(b), h0
        for t in range(a.shape[0]):
            seen.append(t)
            h_t = a[t] * h_t + b[t]
            h[t] = h_t
        return h

    with pytest.raises(CheckRejectedError):
        scan_harness(recording, 1, a, b, h0)
    assert 64 < len(seen) < 64 + 1000  # stopped after about a thousand lines


def test_swallowing_the_stop_does_not_help():
    a, b, h0 = _case(LONG)

    def stubborn(a, b, h0):
        try:
            return loop(a, b, h0)
        except Exception:  # a student's catch-all
            return loop(a, b, h0)

    with pytest.raises(CheckRejectedError, match="runs a Python loop"):
        scan_harness(stubborn, 1, a, b, h0)


def test_probe_zero_only_calls_and_the_previous_tracer_is_restored():
    a, b, h0 = _case(5)
    np.testing.assert_array_equal(scan_harness(loop, 0, a, b, h0), loop(a, b, h0))

    def tracer(frame, event, arg):
        return None

    sys.settrace(tracer)
    try:
        scan_harness(scan, 1, *_case(LONG))
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(None)


def test_division_by_zero_raises_in_the_harness():
    a, b, h0 = _case(6)
    a[2] = 0.0

    def divides(a, b, h0):
        P = np.cumprod(a, axis=0)
        return P * (h0 + np.cumsum(b / P, axis=0))

    with np.errstate(all="ignore"):  # the harness sets its own rules
        with pytest.raises(FloatingPointError, match="divide by zero"):
            scan_harness(divides, 0, a, b, h0)


def test_the_judge_follows_the_dtype():
    a, b, h0 = _case(6, B=2, H=3)
    expected = linear_recurrence_loop(a, b, h0)
    dims = {"T": 6, "B": 2, "H": 3}
    h, problem = _scan_form(expected, dims)
    assert problem is None
    assert _scan_grade(h, (expected, np.float64))[0]
    nudged = expected * (1 + 1e-8)  # fine in float32, not in float64
    assert not _scan_grade(nudged, (expected, np.float64))[0]
    assert _scan_grade(nudged.astype(np.float32), (expected, np.float32))[0]
    _, problem = _scan_form(expected, dims | {"f32": 1})
    assert problem == "h has dtype float64, but the inputs are float32: keep their dtype"


def test_the_judge_says_one_step_late_or_early():
    a, b, h0 = _case(6, B=2, H=3)
    expected = linear_recurrence_loop(a, b, h0)
    late = np.concatenate([h0[None], expected[:-1]])
    early = np.concatenate([expected[1:], expected[-1:]])
    assert "one step late" in _scan_grade(late, (expected, np.float64))[1]
    assert "one step early" in _scan_grade(early, (expected, np.float64))[1]
