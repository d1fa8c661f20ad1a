"""check_shape: bound sizes on success, and messages that name the function, argument and shapes."""

import numpy as np
import pytest

from course_rnn import AXES, ShapeError, check_shape


def test_check_shape_returns_bound_sizes():
    assert check_shape(np.zeros((5, 3, 8)), "T B D") == {"T": 5, "B": 3, "D": 8}
    assert check_shape(np.zeros((5, 3, 8)), "T B D", D=8) == {"T": 5, "B": 3, "D": 8}


def test_check_shape_accepts_literal_sizes():
    assert check_shape(np.zeros((4, 1)), "B 1") == {"B": 4}
    with pytest.raises(ShapeError, match=r"expected \(B, 1\), got \(4, 2\)"):
        check_shape(np.zeros((4, 2)), "B 1")


def test_check_shape_message_names_function_argument_and_shapes():
    with pytest.raises(
        ShapeError, match=r"^lstm_forward: x expected \(T, B, D=8\), got \(5, 3, 7\)$"
    ):
        check_shape(np.zeros((5, 3, 7)), "T B D", name="x", where="lstm_forward", D=8)


def test_check_shape_reports_wrong_rank():
    with pytest.raises(
        ShapeError, match=r"h0 expected \(B, H\), got \(2, 3, 4\): rank 3 instead of 2"
    ):
        check_shape(np.zeros((2, 3, 4)), "B H", name="h0")


def test_check_shape_reports_repeated_axis_mismatch():
    with pytest.raises(ShapeError, match="axis H is 4 at its first position"):
        check_shape(np.zeros((4, 5)), "H H", name="weight_hh")


def test_check_shape_rejects_objects_without_shape():
    with pytest.raises(ShapeError, match="x expected an array of shape \\(T, B\\), got list"):
        check_shape([[1, 2]], "T B")


def test_shape_error_is_a_value_error():
    assert issubclass(ShapeError, ValueError)


def test_glossary_defines_the_core_letters():
    assert {"T", "B", "D", "H", "G", "V", "S", "E", "NH", "HS"} <= set(AXES)
