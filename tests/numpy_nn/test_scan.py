"""numpy_nn.scan: the linear recurrence by a loop and by a parallel scan; fixed values; errors."""

import sys

import numpy as np
import pytest

from course_rnn.numpy_nn import linear_recurrence_loop, linear_recurrence_scan
from course_rnn.numpy_nn import scan as scan_module
from course_rnn.shapes import ShapeError

#: The scan groups the products differently from the loop: equal to rounding.
TIGHT = {"rtol": 1e-12, "atol": 1e-12}


def _inputs(rng, T, B=2, H=3, low=-0.99, high=0.99, dtype=np.float64):
    a = rng.uniform(low, high, (T, B, H)).astype(dtype)
    b = rng.normal(size=(T, B, H)).astype(dtype)
    h0 = rng.normal(size=(B, H)).astype(dtype)
    return a, b, h0


def test_loop_fixed_values():
    # h_1 = 0.5 * 2 + 1 = 2, h_2 = -1 * 2 + 0 = -2, h_3 = 0 * (-2) + 3 = 3 (worked by hand)
    a = np.array([0.5, -1.0, 0.0]).reshape(3, 1, 1)
    b = np.array([1.0, 0.0, 3.0]).reshape(3, 1, 1)
    h0 = np.array([[2.0]])
    expected = np.array([2.0, -2.0, 3.0]).reshape(3, 1, 1)
    np.testing.assert_array_equal(linear_recurrence_loop(a, b, h0), expected)
    np.testing.assert_allclose(linear_recurrence_scan(a, b, h0), expected, **TIGHT)


@pytest.mark.parametrize("T", [1, 2, 3, 5, 7, 8, 13, 64, 100, 257])
def test_scan_equals_loop(rng, T):
    a, b, h0 = _inputs(rng, T)
    h = linear_recurrence_scan(a, b, h0)
    assert h.shape == (T, 2, 3)
    assert h.dtype == np.float64
    np.testing.assert_allclose(h, linear_recurrence_loop(a, b, h0), **TIGHT)


def test_t1_is_one_step(rng):
    a, b, h0 = _inputs(rng, 1, B=1, H=4)
    np.testing.assert_allclose(linear_recurrence_scan(a, b, h0)[0], a[0] * h0 + b[0], **TIGHT)


def test_a_zero_resets_the_state(rng):
    a, b, h0 = _inputs(rng, 37)
    a[10] = 0.0  # h_11 = b_11 whatever came before
    h = linear_recurrence_scan(a, b, h0)
    np.testing.assert_allclose(h, linear_recurrence_loop(a, b, h0), **TIGHT)
    np.testing.assert_array_equal(h[10], b[10])
    # and nothing before the reset matters afterwards
    b2, h02 = b.copy(), h0 + 5.0
    b2[:10] += 3.0
    np.testing.assert_allclose(linear_recurrence_scan(a, b2, h02)[10:], h[10:], **TIGHT)


def test_a_one_is_a_running_sum(rng):
    a, b, h0 = _inputs(rng, 19)
    a[:] = 1.0
    expected = h0 + np.cumsum(b, axis=0)
    np.testing.assert_allclose(linear_recurrence_scan(a, b, h0), expected, **TIGHT)
    np.testing.assert_allclose(linear_recurrence_loop(a, b, h0), expected, **TIGHT)


def test_h0_enters_through_the_product_of_the_a(rng):
    a, _, h0 = _inputs(rng, 11)
    b = np.zeros_like(a)
    expected = np.cumprod(a, axis=0) * h0  # h_t = a_t ... a_1 h_0 when b = 0
    np.testing.assert_allclose(linear_recurrence_scan(a, b, h0), expected, **TIGHT)


@pytest.mark.parametrize("T", [3, 6, 12])
def test_growing_a_stays_equal_for_small_t(rng, T):
    a, b, h0 = _inputs(rng, T, low=1.5, high=3.0)
    a[::2] *= -1  # |a| > 1 of both signs
    loop = linear_recurrence_loop(a, b, h0)
    assert np.abs(loop).max() > 10  # the states do grow
    np.testing.assert_allclose(linear_recurrence_scan(a, b, h0), loop, **TIGHT)


def test_float32_stays_float32(rng):
    a, b, h0 = _inputs(rng, 50, dtype=np.float32)
    h = linear_recurrence_scan(a, b, h0)
    assert h.dtype == np.float32
    ref = linear_recurrence_loop(*(x.astype(np.float64) for x in (a, b, h0)))
    np.testing.assert_allclose(h, ref, rtol=1e-5, atol=1e-6)


def test_inputs_are_not_modified(rng):
    a, b, h0 = _inputs(rng, 9)
    copies = [x.copy() for x in (a, b, h0)]
    linear_recurrence_scan(a, b, h0)
    linear_recurrence_loop(a, b, h0)
    for x, c in zip((a, b, h0), copies, strict=True):
        np.testing.assert_array_equal(x, c)


def _lines_run_in(function, *args) -> int:
    """How many line events the module scan.py produces while ``function(*args)`` runs."""
    count = 0

    def tracer(frame, event, arg):
        nonlocal count
        if frame.f_code.co_filename != scan_module.__file__:
            return None
        if event == "line":
            count += 1
        return tracer

    sys.settrace(tracer)
    try:
        function(*args)
    finally:
        sys.settrace(None)
    return count


def test_scan_runs_log_t_rounds_not_t_steps(rng):
    """The scan's Python work grows with log T; the loop's with T."""
    small, large = _inputs(rng, 64), _inputs(rng, 4096)
    scan_small = _lines_run_in(linear_recurrence_scan, *small)
    scan_large = _lines_run_in(linear_recurrence_scan, *large)
    loop_large = _lines_run_in(linear_recurrence_loop, *large)
    # 6 rounds -> 12 rounds: 4 lines per round (while, two updates, d *= 2) + the final while
    assert scan_large - scan_small == 4 * (12 - 6)
    assert loop_large > 2 * 4096


@pytest.mark.parametrize("function", [linear_recurrence_loop, linear_recurrence_scan])
@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((np.ones((3, 2, 4)), np.ones((3, 2, 4)), np.ones((2, 5))), r"h0 expected \(B=2, H=4\)"),
        ((np.ones((3, 2, 4)), np.ones((4, 2, 4)), np.ones((2, 4))), r"b expected \(T=3, B=2"),
        ((np.ones((3, 2)), np.ones((3, 2)), np.ones((2, 4))), r"a expected \(T, B, H\).*rank 2"),
        ((np.ones((3, 2, 4), dtype=int), np.ones((3, 2, 4)), np.ones((2, 4))), r"a .*float"),
        ((np.ones((3, 2, 4)), [[[1.0]]], np.ones((2, 4))), r"b expected a NumPy float array"),
        ((np.ones((0, 2, 4)), np.ones((0, 2, 4)), np.ones((2, 4))), r"T = 0"),
    ],
)
def test_bad_inputs_name_what_is_wrong(function, args, match):
    with pytest.raises(ShapeError, match=match):
        function(*args)


def test_error_names_the_function():
    with pytest.raises(ShapeError, match=r"^linear_recurrence_scan: h0"):
        linear_recurrence_scan(np.ones((3, 2, 4)), np.ones((3, 2, 4)), np.ones(4))
